"""The counter's rating screen: scan the receipt's QR → rate with large buttons → thanks → back to the scan
screen; only the kiosk's unit's dossiers, nothing personal on screen, rate-limited, CSRF-checked."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tinhso.accounts.models import User
from tinhso.dossiers.models import DossierRating
from tinhso.dossiers.tests.factories import World
from tinhso.dossiers.tests.test_ratings import applicant, kiosk_account, online_dossier, returned_dossier

pytestmark = pytest.mark.django_db

ANSWERS = {"overall": "very_satisfied", "time": "2", "contacts": "2", "agencies": "2", "attitude": "2"}


def logged_in(user: User, **kw: Any) -> Client:
    c = Client(**kw)
    c.force_login(user)
    return c


def text(response: Any) -> str:
    return response.content.decode()


def without_token(response: Any) -> str:
    """The page without its CSRF token (masked differently on every answer)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text(response))


def token_of(response: Any) -> str:
    found = re.search(r'name="token" value="([^"]+)"', text(response))
    assert found, "no token on the rating screen"
    return found.group(1)


def test_scan_rate_thanks_and_back_to_the_scan_screen(w: World) -> None:
    citizen = applicant(full_name="Nguyễn Thị Hằng")
    d = returned_dossier(w, citizen)
    kiosk_user = kiosk_account()
    kiosk = logged_in(kiosk_user)
    scan = kiosk.get("/kiosk/danh-gia/")
    assert scan.status_code == 200
    body = text(scan)
    assert re.search(r'<input type="text" id="ma" name="ma" autofocus', body)
    assert "site-nav" not in body and "Đăng xuất" not in body  # no site menu on a public screen
    # The reader types the whole QR content (here a link carrying the code) and Enter.
    screen = kiosk.post("/kiosk/danh-gia/", {"ma": f"https://tinhso.example.vn/tra-cuu-ho-so/?ma={d.code}\n"})
    assert screen.status_code == 200
    body = text(screen)
    assert d.procedure_version.name in body and ">N. T. H.<" in body
    assert "Nguyễn Thị Hằng" not in body and d.code not in body and str(citizen.phone) not in body
    assert body.count('class="choice"') == 15  # five questions, three large answers each
    assert 'data-return-url="/kiosk/danh-gia/" data-return-seconds="180"' in body and "js/kiosk.js" in body
    done = kiosk.post("/kiosk/danh-gia/gui/", {**ANSWERS, "token": token_of(screen)})
    assert done.status_code == 302 and done["Location"] == "/kiosk/danh-gia/cam-on/"
    r = DossierRating.objects.get()
    assert (r.dossier, r.channel, r.rated_by, r.recorded_by, r.overall) == (
        d,
        "kiosk",
        None,
        kiosk_user,
        "very_satisfied",
    )
    thanks = kiosk.get(done["Location"])
    assert "Cảm ơn ông/bà đã đánh giá" in text(thanks)
    assert 'data-return-url="/kiosk/danh-gia/" data-return-seconds="6"' in text(thanks)
    # The same receipt scanned again: already rated.
    again = kiosk.post("/kiosk/danh-gia/", {"ma": d.code})
    assert again.status_code == 409 and "đã được đánh giá" in text(again)


def test_another_units_dossier_and_an_unknown_code_get_the_same_answer(w: World) -> None:
    d = returned_dossier(w, applicant())
    other_ward_kiosk = logged_in(kiosk_account("000.00.31"))
    refused = other_ward_kiosk.post("/kiosk/danh-gia/", {"ma": d.code})
    unknown = other_ward_kiosk.post("/kiosk/danh-gia/", {"ma": "000.00.31.H60-260302-0999"})
    assert refused.status_code == unknown.status_code == 404
    assert "Không tìm thấy hồ sơ này tại đơn vị" in text(refused)
    assert without_token(refused) == without_token(unknown)
    assert d.procedure_version.name not in text(refused)
    garbage = other_ward_kiosk.post("/kiosk/danh-gia/", {"ma": "xin chào"})
    assert garbage.status_code == 400 and "Không đọc được mã" in text(garbage)
    assert not DossierRating.objects.exists()


def test_a_dossier_still_in_process_is_not_rated_at_the_kiosk(w: World) -> None:
    d = online_dossier(w, applicant())
    page = logged_in(kiosk_account()).post("/kiosk/danh-gia/", {"ma": d.code})
    assert page.status_code == 409 and "chưa có kết quả" in text(page)


def test_a_missing_answer_keeps_the_rating_screen_with_the_question_marked(w: World) -> None:
    d = returned_dossier(w, applicant())
    kiosk = logged_in(kiosk_account())
    token = token_of(kiosk.post("/kiosk/danh-gia/", {"ma": d.code}))
    partial = kiosk.post("/kiosk/danh-gia/gui/", {"overall": "satisfied", "token": token})
    assert partial.status_code == 400
    assert "Xin chọn một câu trả lời cho mỗi câu hỏi được đánh dấu đỏ." in text(partial)
    assert 'class="question has-error"' in text(partial) and token_of(partial) == token
    assert not DossierRating.objects.exists()


def test_a_token_is_tied_to_the_kiosk_that_scanned(w: World) -> None:
    d = returned_dossier(w, applicant())
    first = logged_in(kiosk_account())
    token = token_of(first.post("/kiosk/danh-gia/", {"ma": d.code}))
    second = logged_in(kiosk_account())
    refused = second.post("/kiosk/danh-gia/gui/", {**ANSWERS, "token": token})
    assert refused.status_code == 403 and "quét lại mã QR" in text(refused)
    forged = first.post("/kiosk/danh-gia/gui/", {**ANSWERS, "token": token[:-2] + "xx"})
    assert forged.status_code == 403
    assert not DossierRating.objects.exists()


def test_who_may_use_the_kiosk_pages(w: World) -> None:
    anonymous = Client().get("/kiosk/danh-gia/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert logged_in(applicant()).get("/kiosk/danh-gia/").status_code == 403
    assert logged_in(w.specialist).get("/kiosk/danh-gia/").status_code == 403
    assert logged_in(w.counter).get("/kiosk/danh-gia/").status_code == 200  # a counter officer's own screen
    assert logged_in(kiosk_account()).get("/kiosk/danh-gia/").status_code == 200
    d = returned_dossier(w, applicant(n=2, full_name="Lò Văn Páo"))
    assert logged_in(w.specialist).post("/kiosk/danh-gia/", {"ma": d.code}).status_code == 403


def test_scans_are_rate_limited_per_kiosk_account(w: World, settings: Any) -> None:
    settings.FEEDBACK_KIOSK_SCANS = (2, 600)
    kiosk = logged_in(kiosk_account())
    for _ in range(2):
        assert kiosk.post("/kiosk/danh-gia/", {"ma": "000.00.30.H60-260302-0999"}).status_code == 404
    limited = kiosk.post("/kiosk/danh-gia/", {"ma": "000.00.30.H60-260302-0999"})
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert "quét quá nhiều lần" in text(limited)
    assert (
        logged_in(kiosk_account()).post("/kiosk/danh-gia/", {"ma": "x"}).status_code == 400
    )  # another kiosk


def test_the_kiosk_forms_check_csrf(w: World) -> None:
    d = returned_dossier(w, applicant())
    kiosk = logged_in(kiosk_account(), enforce_csrf_checks=True)
    assert kiosk.post("/kiosk/danh-gia/", {"ma": d.code}).status_code == 403
    assert kiosk.post("/kiosk/danh-gia/gui/", ANSWERS).status_code == 403


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_kiosk_in_a_browser_the_reader_types_the_code_and_enter(
    site: str, new_page: Any, screenshot: Any
) -> None:
    from django.conf import settings

    from tinhso.dossiers.tests.factories import world

    w = world()
    d = returned_dossier(w, applicant(full_name="Nguyễn Thị Hằng"))
    client = logged_in(kiosk_account())
    page = new_page(width=1024, height=768, js=False)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": site,
            }
        ]
    )
    page.goto(f"{site}/kiosk/danh-gia/")
    screenshot(page, "kiosk-scan")
    # A USB reader is a keyboard: it types what the QR holds, then Enter, into the field with the focus.
    page.keyboard.type(d.code)
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=kiosk-rating]")
    assert "N. T. H." in page.inner_text("[data-testid=kiosk-dossier]")
    heights = page.eval_on_selector_all(
        "label.choice", "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert len(heights) == 15 and min(heights) >= 70  # large buttons
    screenshot(page, "kiosk-rate", full_page=True)
    for name, value in (
        ("overall", "very_satisfied"),
        ("time", "2"),
        ("contacts", "2"),
        ("agencies", "1"),
        ("attitude", "2"),
    ):
        page.click(f"label.choice:has(input[name={name}][value='{value}'])")
    page.click("button[data-testid=kiosk-send]")
    page.wait_for_selector("[data-testid=kiosk-thanks]")
    screenshot(page, "kiosk-thanks")
    assert DossierRating.objects.get().agencies_score == 1

    # With scripts on (a kiosk's browser), the thank-you screen goes back to the scanning screen by itself.
    live = new_page(width=1024, height=768, js=True)
    live.context.add_cookies(page.context.cookies())
    live.goto(f"{site}/kiosk/danh-gia/cam-on/")
    live.wait_for_url(f"{site}/kiosk/danh-gia/", timeout=15_000)
    assert live.locator("input[autofocus]").count() == 1
