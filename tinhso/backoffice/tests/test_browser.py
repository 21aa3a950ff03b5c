"""The one-stop desk in a real browser (Debian's Chromium through Playwright): a counter officer receives a
paper dossier, the department head assigns it, the specialist processes it, the leader approves, the
counter returns the result; the receipt (Mẫu 01) downloads as a PDF whose text has the code and due time.

Screenshots go to test-artifacts/screenshots/ for people to look at.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from tinhso.accounts.tests.factories import PASSWORD
from tinhso.core.pdf import vn_datetime
from tinhso.dossiers.models import Dossier, Status
from tinhso.dossiers.tests.factories import World, world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bw(site: str, settings: Any) -> World:
    settings.TINHSO_REQUIRE_OFFICIAL_2FA = False  # the second factor has its own tests
    return world()


def log_in(new_page: Any, site: str, username: str, *, width: int = 1280) -> Any:
    page = new_page(width=width, height=900)
    page.goto(f"{site}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    return page


def act(page: Any, action: str, label: str, **selects: str) -> None:
    """Open the action's panel, choose the people asked for, submit, and wait for the page to reload."""
    form = page.get_by_test_id(f"action-{action}")
    if not form.is_visible():
        page.locator("details.action summary", has_text=label).click()
    for name, option in selects.items():
        form.locator(f"select[name={name}]").select_option(label=option)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_a_paper_dossier_from_the_counter_to_the_result(
    site: str, bw: World, new_page: Any, screenshot: Any
) -> None:
    counter = log_in(new_page, site, bw.counter.username)
    counter.goto(f"{site}/backoffice/")
    counter.get_by_test_id("new-reception").click()
    counter.wait_for_load_state()
    counter.get_by_label("1. Chọn thủ tục").select_option(
        label=f"Đăng ký thường trú ({bw.residence.procedure.code})"
    )
    counter.get_by_role("button", name="Xem danh mục giấy tờ").click()
    counter.wait_for_load_state()
    counter.get_by_label("Họ và tên người nộp").fill("Nguyễn Thị Hằng")
    counter.get_by_label("Số định danh cá nhân (CCCD)").fill("008190012345")
    counter.get_by_label("Số điện thoại").fill("0912345678")
    counter.locator("fieldset.checklist input[type=checkbox]").first.check()
    screenshot(counter, "backoffice-reception", full_page=True)
    counter.get_by_test_id("receive").click()
    counter.wait_for_load_state()

    code = counter.get_by_test_id("dossier-code").inner_text()
    d = Dossier.objects.get(code=code)
    assert d.status == Status.RECEIVED and d.due_at is not None
    assert "Đã tiếp nhận hồ sơ" in counter.locator(".messages").inner_text()
    screenshot(counter, "backoffice-dossier-received", full_page=True)
    # The receipt: a real PDF whose text has the code and the appointment.
    receipt = counter.request.get(site + counter.get_by_test_id("form-01").get_attribute("href"))
    assert receipt.status == 200 and receipt.headers["content-type"] == "application/pdf"
    text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt.body())).pages).split())
    assert code in text and vn_datetime(d.due_at) in text, text

    act(counter, "hand_over", "Chuyển xử lý", to=bw.head.full_name)
    assert counter.get_by_test_id("holder").inner_text() == bw.head.full_name

    head = log_in(new_page, site, bw.head.username)
    head.goto(f"{site}/backoffice/?list=to_assign")
    head.get_by_role("link", name=code).click()
    head.wait_for_load_state()
    act(head, "assign", "Phân công", assignee=bw.specialist.full_name)
    assert head.get_by_test_id("holder").inner_text() == bw.specialist.full_name

    specialist = log_in(new_page, site, bw.specialist.username, width=360)
    specialist.goto(f"{site}/backoffice/?list=mine")
    specialist.get_by_role("link", name=code).click()
    specialist.wait_for_load_state()
    screenshot(specialist, "backoffice-dossier-specialist-360", full_page=True)
    assert specialist.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    act(specialist, "hand_over", "Chuyển xử lý", to=bw.leader.full_name)

    leader = log_in(new_page, site, bw.leader.username)
    leader.goto(f"{site}/backoffice/?list=to_approve")
    leader.get_by_role("link", name=code).click()
    leader.wait_for_load_state()
    act(leader, "approve", "Phê duyệt kết quả")
    assert "Đã xử lý xong" in leader.get_by_test_id("status").inner_text()

    counter.goto(f"{site}/backoffice/?list=to_return")
    counter.get_by_role("link", name=code).click()
    counter.wait_for_load_state()
    act(counter, "return_result", "Trả kết quả")
    assert "Đã trả kết quả" in counter.get_by_test_id("status").inner_text()
    screenshot(counter, "backoffice-dossier-returned", full_page=True)
    d.refresh_from_db()
    assert d.status == Status.RETURNED and d.punctuality in ("early", "on_time")
    assert [e.action for e in d.events.all()] == [
        "submit",
        "receive",
        "hand_over",
        "assign",
        "hand_over",
        "approve",
        "return_result",
    ]
