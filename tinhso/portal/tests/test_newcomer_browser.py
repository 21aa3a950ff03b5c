"""A newcomer's whole path on a 360 px phone, in a real browser (Debian's Chromium through Playwright),
through the real pages only: search "khai sinh" typed without diacritics → birth registration → "Nộp hồ
sơ trực tuyến" → log in → sign up with the code the SMS gateway's stand-in (a real process) received →
back at the e-form → a phone photo → the dossier code → "Hồ sơ của tôi" → a supplement asked for and
uploaded → the result returned online into "Giấy tờ của tôi", opened and downloaded → the rating.

The officials' side runs in the test process through the real transitions. Every page is checked for
horizontal scrolling at 360 px, and the key pages are saved as screenshots (test-artifacts/screenshots/,
names starting with "newcomer-") for people to look at.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect
from pypdf import PdfReader

from tinhso.accounts.models import User
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier, PaperFile, Status
from tinhso.dossiers.tests.factories import world
from tinhso.edocs.models import EDocument
from tinhso.notifications.delivery import deliver_due
from tinhso.notifications.tests.conftest import (
    BRANDNAME,
    STANDIN_KEY,
    Standin,
    start_standin,
    stop_standin,
)
from tinhso.portal.tests.helpers import form_url, paper, phone_photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 360
PHONE = "0912345678"
NATIONAL_ID = "008190012345"  # Tuyên Quang, female, born 1990
PASSWORD = "hoa-ban-no-2026"


@pytest.fixture(scope="module")
def _sms_process() -> Iterator[str]:
    process, send_url = start_standin()
    yield send_url
    stop_standin(process)


@pytest.fixture
def sms(_sms_process: str, settings: Any) -> Standin:
    """The SMS gateway's stand-in, emptied, with the HTTP gateway pointed at it (the live server runs in
    this process, so it sends there too)."""
    running = Standin(send_url=_sms_process, base_url=_sms_process.rsplit("/sms/send", 1)[0])
    running.control(reset=True)
    settings.SMS_GATEWAY = "http"
    settings.SMS_GATEWAY_URL = _sms_process
    settings.SMS_GATEWAY_KEY = STANDIN_KEY
    settings.SMS_BRANDNAME = BRANDNAME
    settings.SMS_GATEWAY_TIMEOUT = 5
    return running


def code_on_phone(sms: Standin) -> str:
    """Run the delivery worker, then read the newest code the gateway took for the newcomer's phone."""
    deliver_due()
    texts = [m["message"] for m in sms.messages() if m["phone"] == "84" + PHONE[1:]]
    assert texts, "no SMS reached the gateway"
    found = re.search(r"\b(\d{6})\b", texts[-1])
    assert found, texts[-1]
    return found.group(1)


class Phone:
    """The newcomer's phone: one 360 px browser page; `at` checks a page fits and saves its picture."""

    def __init__(self, page: Any, site: str, screenshot: Any) -> None:
        self.page = page
        self.site = site
        self._screenshot = screenshot

    def at(self, name: str, *, path: str | None = None, shot: bool = True, full_page: bool = True) -> None:
        page = self.page
        page.wait_for_load_state()
        if path is not None:
            assert page.url.split("?")[0] == self.site + path, (name, page.url)
        width = int(page.evaluate("document.documentElement.scrollWidth"))
        assert width <= WIDTH, f"{name}: {width} px wide at {WIDTH} px ({page.url})"
        if shot:
            self._screenshot(page, f"newcomer-{name}-360", full_page=full_page)


def test_a_newcomer_finds_birth_registration_signs_up_submits_supplements_and_receives_the_result(
    site: str, new_page: Any, screenshot: Any, sms: Standin
) -> None:
    w = world()
    birth = w.birth.procedure
    phone = Phone(new_page(width=WIDTH, height=740), site, screenshot)
    page = phone.page

    # --- Home: the procedure search, typed without diacritics ---------------------------------------------
    page.goto(site + "/")
    phone.at("home", path="/")
    page.fill("#id_home_procedure_q", "khai sinh")
    page.get_by_role("button", name="Tìm thủ tục").click()
    page.wait_for_url(re.compile(r"/procedures/\?q=khai(\+|%20)sinh"))
    results = page.locator("#results tbody tr")
    # The birth registration leads the results (the ranking puts the name match first).
    expect(results.first.locator("td.primary")).to_have_text(birth.name)
    phone.at("search-khai-sinh", path="/procedures/")

    # --- The procedure page -------------------------------------------------------------------------------
    results.first.get_by_role("link", name=birth.name).click()
    page.wait_for_url(f"{site}/procedures/{birth.code}/")
    assert page.locator("h1").inner_text() == birth.name
    phone.at("procedure", full_page=False)  # the first screen: the button must be on it
    submit_online = page.get_by_test_id("submit-online")
    assert submit_online.inner_text() == "Nộp hồ sơ trực tuyến"
    box = submit_online.bounding_box()
    assert box and box["y"] + box["height"] <= 740, f"the button is below the first screen: {box}"
    submit_online.click()

    # --- One ward receives it online: straight to its e-form, which asks to log in first -----------------
    eform = form_url(w.birth)
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    assert page.locator("main input[name=next]").input_value() == eform
    phone.at("login", path="/accounts/login/")
    page.get_by_test_id("signup-link").click()

    # --- Sign up: the details, then the code the SMS brought ----------------------------------------------
    page.wait_for_url(re.compile(r"/accounts/signup/\?next="))
    page.fill("#id_full_name", "Nguyễn Thị Hằng")
    page.fill("#id_phone", "0912 345 678")
    page.fill("#id_national_id", NATIONAL_ID)
    page.fill("#id_date_of_birth", "15/04/1990")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    phone.at("signup", path="/accounts/signup/")
    page.get_by_role("button", name="Gửi mã xác nhận").click()
    page.wait_for_url(f"{site}/accounts/signup/verify/")
    assert "091•••678" in page.get_by_test_id("code-sent").inner_text()
    assert not User.objects.filter(phone=PHONE).exists()
    page.fill("#id_code", code_on_phone(sms))
    phone.at("signup-code", path="/accounts/signup/verify/")
    page.get_by_role("button", name="Xác nhận và tạo tài khoản").click()

    # --- Back at the e-form, logged in, the account's details filled in -----------------------------------
    page.wait_for_url(site + eform)
    citizen = User.objects.get(phone=PHONE)
    assert (citizen.full_name, citizen.national_id) == ("Nguyễn Thị Hằng", NATIONAL_ID)
    assert page.get_by_test_id("user-name").inner_text() == "Nguyễn Thị Hằng"
    assert page.get_by_test_id("locked-name").input_value() == "Nguyễn Thị Hằng"
    assert page.get_by_test_id("locked-id_number").input_value() == NATIONAL_ID
    certificate = paper(w.birth, "Giấy chứng sinh")
    page.set_input_files(
        f"#paper-{certificate.pk}",
        files=[{"name": "IMG_20260302_091500.jpg", "mimeType": "image/jpeg", "buffer": phone_photo()}],
    )
    page.check("#id_declaration")
    phone.at("eform")
    page.get_by_test_id("submit").click()

    # --- Submitted: the code, large ----------------------------------------------------------------------
    page.wait_for_url(re.compile(r"/ho-so-cua-toi/[^/]+/da-nop/$"))
    d = Dossier.objects.get(applicant_user=citizen)
    assert (d.procedure_version.procedure_id, d.agency_id, d.status) == (
        birth.pk,
        w.ward.pk,
        Status.SUBMITTED,
    )
    assert page.get_by_test_id("dossier-code").inner_text() == d.code
    (photo,) = PaperFile.objects.filter(paper__dossier=d)
    assert photo.original_name == "IMG_20260302_091500.jpg" and photo.paper.name.startswith("Giấy chứng sinh")
    phone.at("submitted", path=f"/ho-so-cua-toi/{d.code}/da-nop/")

    # --- "Hồ sơ của tôi": the list, then the dossier ------------------------------------------------------
    page.locator("main").get_by_role("link", name="Hồ sơ của tôi").click()
    page.wait_for_url(f"{site}/ho-so-cua-toi/")
    assert page.get_by_test_id("result-count").inner_text() == "1 hồ sơ"
    phone.at("my-dossiers", path="/ho-so-cua-toi/")
    page.get_by_role("link", name=d.code).click()
    page.wait_for_url(f"{site}/ho-so-cua-toi/{d.code}/")
    assert page.get_by_test_id("status").inner_text().startswith("Mới đăng ký, chờ tiếp nhận")
    phone.at("my-dossier-submitted", path=f"/ho-so-cua-toi/{d.code}/")

    # --- The ward receives it and asks for a clearer photo -------------------------------------------------
    tr.receive(d, actor=w.counter)
    tr.request_supplement(
        d, actor=w.counter, items=[tr.MissingItem("Giấy chứng sinh", "Ảnh chụp bị mờ, không đọc được số")]
    )
    page.reload()
    supplement = page.get_by_test_id("supplement")
    assert "Ảnh chụp bị mờ, không đọc được số" in supplement.inner_text()
    assert page.get_by_test_id("status").inner_text().startswith("Chờ bổ sung, hoàn thiện hồ sơ")
    phone.at("my-dossier-supplement")

    # The missing paper, uploaded against the item (the checklist paper it names is preselected).
    item = supplement.get_by_test_id("supplement-items").locator("li").first
    assert item.locator("select").input_value() == str(photo.paper_id)
    item.locator("input[type=file]").set_input_files(
        files=[
            {"name": "IMG_20260303_080000.jpg", "mimeType": "image/jpeg", "buffer": phone_photo(1600, 1200)}
        ]
    )
    item.get_by_role("button", name="Tải lên").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("uploaded-since")).to_contain_text("IMG_20260303_080000.jpg")
    assert PaperFile.objects.filter(paper=photo.paper).count() == 2
    phone.at("my-dossier-supplement-uploaded")
    page.get_by_test_id("supplement-complete").get_by_role("button", name="Đã bổ sung đủ").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("Đã gửi hồ sơ bổ sung")
    d.refresh_from_db()
    assert d.status == Status.RECEIVED
    assert page.get_by_test_id("supplement").count() == 0
    phone.at("my-dossier-supplemented", shot=False)

    # --- The ward processes, approves and returns the result online ---------------------------------------
    d = tr.hand_over(d, actor=w.counter, to=w.specialist)
    d = tr.hand_over(d, actor=w.specialist, to=w.leader)
    d = tr.approve(d, actor=w.leader, result_note="Đã đăng ký khai sinh cho cháu Nguyễn Minh Khang")
    d = tr.return_result(d, actor=w.counter, method="online")
    assert d.status == Status.RETURNED
    page.reload()
    assert page.get_by_test_id("status").inner_text().startswith("Đã trả kết quả")
    assert page.get_by_test_id("result-link").get_attribute("href") == "/giay-to/?kind=result"
    phone.at("my-dossier-returned")

    # --- "Giấy tờ của tôi": the result is there; open it and download it ----------------------------------
    page.locator(".site-nav").get_by_role("link", name="Giấy tờ của tôi").click()
    page.wait_for_url(f"{site}/giay-to/")
    (result,) = EDocument.objects.filter(owner=citizen)
    assert (result.kind, result.source_dossier_code) == (EDocument.Kind.RESULT, d.code)
    listed = page.get_by_test_id("edoc-list").locator("li")
    expect(listed).to_have_count(1)
    phone.at("edocs", path="/giay-to/")
    listed.get_by_role("link", name=result.title).click()
    page.wait_for_url(f"{site}/giay-to/{result.pk}/")
    assert page.locator("h1").inner_text() == result.title
    assert page.get_by_test_id("doc-source").inner_text() == d.code
    assert w.ward.name in page.get_by_test_id("doc-issuer").inner_text()
    phone.at("edoc-result")
    with page.expect_download() as downloading:
        page.get_by_test_id("download").click()
    download = downloading.value
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF-")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())
    assert d.code in text and "Đã đăng ký khai sinh cho cháu Nguyễn Minh Khang" in text
    assert download.suggested_filename.endswith(".pdf")

    # --- Rating, from the dossier's page -------------------------------------------------------------------
    try:
        rate_path = reverse("rating:rate", args=[d.code])
    except NoReverseMatch:
        return  # the rating pages (tinhso/portal/rating_urls.py) are not registered: the path ends here
    from tinhso.dossiers.models import DossierRating  # with the rating pages

    page.goto(f"{site}/ho-so-cua-toi/{d.code}/")
    page.get_by_test_id("rate-link").click()
    page.wait_for_url(site + rate_path)
    form = page.get_by_test_id("rating-form")
    expect(form).to_be_visible()
    phone.at("rating")
    for name, value in (
        ("overall", "very_satisfied"),
        ("time", "2"),
        ("contacts", "2"),
        ("agencies", "2"),
        ("attitude", "2"),
        ("ease_of_use", "satisfied"),
    ):
        form.locator(f"input[name={name}][value='{value}']").check()
    form.locator("textarea[name=comment]").fill("Nộp trên điện thoại, không phải đi lại.")
    form.get_by_test_id("send-rating").click()
    page.wait_for_url(site + rate_path)
    expect(page.get_by_test_id("rated")).to_be_visible()
    phone.at("rated")
    rating = DossierRating.objects.get(dossier=d)
    assert (
        rating.overall,
        rating.time_score,
        rating.contacts_score,
        rating.agencies_score,
        rating.attitude_score,
        rating.ease_of_use,
        rating.comment,
        rating.channel,
        rating.rated_by_id,
    ) == (
        "very_satisfied",
        2,
        2,
        2,
        2,
        "satisfied",
        "Nộp trên điện thoại, không phải đi lại.",
        "online",
        citizen.pk,
    )
