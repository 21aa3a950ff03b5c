"""The catalog pages in a real browser (Debian's Chromium through Playwright): a citizen looks up birth
registration from the home page, search as you type, the same without JavaScript, a 360 px phone, and
axe-core's checks. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tinhso.accounts.models import Agency, Role
from tinhso.accounts.tests import factories
from tinhso.procedures import services
from tinhso.procedures.models import Procedure
from tinhso.procedures.tests.catalog_fixtures import BIRTH, PERMANENT_RESIDENCE, catalog_load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "accounts" / "tests" / "vendor" / "axe.min.js"


@pytest.fixture
def catalog(site: str) -> dict[str, Procedure]:
    procedures = catalog_load()
    for code in ("000.00.30.H60", "000.00.31.H60"):
        services.binding_ensure(procedure=procedures[BIRTH], agency=Agency.objects.get(code=code), actor=None)
    return procedures


def horizontal_overflow(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_a_citizen_types_khai_sinh_on_the_home_page_and_reads_what_birth_registration_needs(
    site: str, catalog: dict[str, Procedure], new_page: Any, screenshot: Any
) -> None:
    page = new_page(width=360, height=740)
    page.goto(site + "/")
    assert page.get_by_test_id("procedure-count").inner_text() == str(len(catalog))
    page.get_by_label("Tên hoặc mã thủ tục, ví dụ: khai sinh").fill("khai sinh")
    screenshot(page, "procedures-home-search-360")
    page.get_by_role("button", name="Tìm thủ tục").click()
    page.wait_for_load_state()
    assert "/procedures/?q=khai+sinh" in page.url
    first = page.locator("#results tbody tr").first
    assert "Thủ tục đăng ký khai sinh" in first.inner_text()
    assert horizontal_overflow(page) <= 0
    screenshot(page, "procedures-results-khai-sinh-360")

    first.get_by_role("link", name="Thủ tục đăng ký khai sinh").click()
    page.wait_for_load_state()
    assert page.url == f"{site}/procedures/{BIRTH}/"
    assert page.locator("h1").inner_text() == "Thủ tục đăng ký khai sinh"
    assert page.get_by_test_id("procedure-code").inner_text() == BIRTH
    # Papers, time and fee: what to bring, how long, how much.
    papers = page.locator("#ho-so").locator("xpath=..")
    assert "Giấy chứng sinh" in papers.inner_text()
    assert page.get_by_test_id("papers").first.locator("li").count() >= 1
    time = page.get_by_test_id("time-direct")
    assert time.is_visible() and time.inner_text().startswith("1")
    assert page.get_by_test_id("fee-direct").inner_text().strip().startswith("Miễn phí")
    # Where: the two wards it is bound to, each a link to the agency's page.
    assert page.get_by_test_id("bindings").get_by_role("link").count() == 2
    assert horizontal_overflow(page) <= 0
    screenshot(page, "procedure-birth-registration-360")
    page.get_by_test_id("channels").scroll_into_view_if_needed()
    screenshot(page, "procedure-birth-registration-360-time-and-fees")


def test_the_procedure_page_on_a_desktop(
    site: str, catalog: dict[str, Procedure], new_page: Any, screenshot: Any
) -> None:
    page = new_page()
    for code, name in ((BIRTH, "birth-registration"), (PERMANENT_RESIDENCE, "permanent-residence")):
        response = page.goto(f"{site}/procedures/{code}/")
        assert response and response.status == 200
        assert horizontal_overflow(page) <= 0
        screenshot(page, f"procedure-{name}-desktop", full_page=True)
        for section in ("thoi-han", "noi-nop"):
            page.locator(f"#{section}").scroll_into_view_if_needed()
            page.evaluate(f"document.getElementById('{section}').scrollIntoView()")
            screenshot(page, f"procedure-{name}-desktop-{section}")
    page.goto(f"{site}/procedures/")
    screenshot(page, "procedures-desktop")


def test_typing_in_the_catalog_search_updates_results_and_filter_counts_in_place(
    site: str, catalog: dict[str, Procedure], new_page: Any, screenshot: Any
) -> None:
    page = new_page()
    page.goto(site + "/procedures/")
    total = f"{len(catalog)} thủ tục"
    assert page.get_by_test_id("result-count").inner_text() == total
    page.evaluate("window.__sameDocument = true")
    page.locator("#id_q").click()
    page.keyboard.type("tam vang", delay=30)
    # The address bar follows the last response (earlier ones, for "t", "tam", may arrive first).
    page.wait_for_url(re.compile(r"[?&]q=tam(\+|%20)vang"))
    assert "Khai báo tạm vắng" in page.locator("#results tbody tr").first.inner_text()
    assert page.evaluate("window.__sameDocument") is True
    assert page.evaluate("document.activeElement.id") == "id_q"
    # The filters' counts followed the search: no agency carries out "tạm vắng" (only birth registration
    # is bound), so the agency filter offers none.
    agency_options = page.locator("#id_agency option").all_inner_texts()
    assert agency_options == ["Tất cả cơ quan"], agency_options

    # Choosing a filter updates in place too, and keeps the choice.
    page.locator("#id_q").fill("")
    expect(page.locator("#result-count")).to_have_text(total)
    page.locator("#id_agency").focus()
    page.select_option("#id_agency", "000.00.30.H60")
    expect(page.locator("#result-count")).to_have_text("1 thủ tục")
    assert page.evaluate("window.__sameDocument") is True
    assert page.locator("#id_agency").input_value() == "000.00.30.H60"
    # The select was replaced with fresh counts; the keyboard focus stayed on it.
    assert page.evaluate("document.activeElement.id") == "id_agency"
    assert page.locator("#id_field").input_value() == ""
    assert "agency=000.00.30.H60" in page.url
    screenshot(page, "procedures-desktop-filtered-by-agency")


def test_the_catalog_search_works_without_javascript(
    site: str, catalog: dict[str, Procedure], new_page: Any
) -> None:
    page = new_page(js=False)
    page.goto(site + "/procedures/")
    page.fill("#id_q", "khai sinh")
    page.select_option("#id_level", "commune")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_load_state()
    assert "q=khai+sinh" in page.url and "level=commune" in page.url
    assert "Thủ tục đăng ký khai sinh" in page.locator("#results tbody tr").first.inner_text()


def test_the_catalog_pages_fit_a_phone_and_have_no_serious_accessibility_violations(
    site: str, catalog: dict[str, Procedure], new_page: Any
) -> None:
    problems = {}
    for width in (1280, 360):
        page = new_page(width=width, height=800)
        for path in ("/", "/procedures/", "/procedures/?q=khai+sinh", f"/procedures/{BIRTH}/"):
            page.goto(site + path)
            assert horizontal_overflow(page) <= 0, (path, width)
            # Evaluated, not added as a script tag: the pages' CSP admits no inline script.
            page.evaluate(AXE.read_text(encoding="utf-8"))
            violations = page.evaluate(
                """async () => {
                    const result = await axe.run(document, {resultTypes: ['violations']});
                    return result.violations.map(v => ({
                        id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
                    }));
                }"""
            )
            serious = [v for v in violations if v["impact"] in ("serious", "critical")]
            if serious:
                problems[f"{path} at {width} px"] = serious
            if width == 360:
                heights = page.eval_on_selector_all(
                    "main a.button, main button, main summary, main select, main input",
                    "els => els.map(e => e.getBoundingClientRect().height)",
                )
                assert not heights or min(heights) >= 44, (path, heights)
    assert not problems, problems


def test_a_catalog_admin_sees_what_was_not_read_and_corrects_the_time_in_the_admin(
    site: str, catalog: dict[str, Procedure], new_page: Any, screenshot: Any, settings: Any
) -> None:
    settings.TINHSO_REQUIRE_OFFICIAL_2FA = False  # the two-factor flow has its own tests
    admin = factories.official(
        username="danhmuc-test", agency_prefix="000.00.01", roles=(Role.CATALOG_ADMIN,)
    )
    page = new_page()
    page.goto(f"{site}/accounts/login/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", factories.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    page.goto(f"{site}/procedures/{BIRTH}/")
    problems = page.get_by_test_id("parse-problems")
    assert "cach_thuc_thuc_hien" in problems.inner_text()
    screenshot(page, "procedure-birth-registration-catalog-admin")
    problems.get_by_role("link", name="Sửa nội dung thủ tục").click()
    page.wait_for_load_state()
    screenshot(page, "admin-procedure-content-form-top")
    assert horizontal_overflow(page) <= 0
    rows = page.get_by_test_id("channels-row")
    for i in range(rows.count()):
        if page.locator(f"#id_channels-{i}-channel").input_value():
            page.fill(f"#id_channels-{i}-time_value", "1")
            page.select_option(f"#id_channels-{i}-time_unit", "working_day")
    page.get_by_label(re.compile("cach_thuc_thuc_hien")).first.check()
    page.fill("#id_note", "Thời hạn 1 ngày làm việc (Luật Hộ tịch, Điều 16)")
    screenshot(page, "admin-procedure-content-form")
    page.get_by_role("button", name="Lưu phiên bản mới").click()
    page.wait_for_load_state()
    assert "Đã lưu phiên bản 2 của thủ tục 1.001193." in page.locator(".messagelist").inner_text()
    screenshot(page, "admin-procedure-after-correction")

    page.goto(f"{site}/procedures/{BIRTH}/")
    assert page.get_by_test_id("time-direct").inner_text() == "1 ngày làm việc"
    assert "Phiên bản 2" in page.get_by_test_id("version").inner_text()
