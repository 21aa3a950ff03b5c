"""The public pages in a real browser (Debian's Chromium through Playwright): small screens, keyboard use,
htmx search, the same search without JavaScript, logging in as each demo role, and axe-core's checks.

Screenshots go to test-artifacts/screenshots/ for people to look at.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tinhso.accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, demo_accounts_ensure
from tinhso.accounts.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"  # axe-core 4.14.1, MPL-2.0
STAFF_ROLES = {Role.SYSTEM_ADMIN, Role.CATALOG_ADMIN, Role.AGENCY_LEADER}

PAGES = {
    "home": "/",
    "communes": "/communes/",
    "agencies": "/agencies/",
    "agency": "/agencies/000.00.30.H60/",
    "login": "/accounts/login/",
}


def horizontal_overflow(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def focused(page: Any) -> dict[str, Any]:
    """What has the keyboard focus, and how its focus ring is drawn."""
    return dict(
        page.evaluate(
            """() => {
                const el = document.activeElement;
                const style = getComputedStyle(el);
                return {
                    tag: el.tagName.toLowerCase(), id: el.id, cls: el.className, text: el.textContent.trim(),
                    inMain: !!el.closest('main'),
                    outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
                    boxShadow: style.boxShadow,
                };
            }"""
        )
    )


def log_in(page: Any, site: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{site}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.fixture
def demo_accounts(site: str, settings: Any) -> None:
    # The two-factor flow has its own tests (test_login.py); here officials go straight in.
    settings.TINHSO_REQUIRE_OFFICIAL_2FA = False
    settings.DEBUG = True  # demo_accounts_ensure() refuses to run in production
    demo_accounts_ensure()
    settings.DEBUG = False


# --- Small screens --------------------------------------------------------------------------------------


def test_every_page_fits_a_360_px_wide_phone_screen_without_horizontal_scrolling(
    site: str, new_page: Any, screenshot: Any
) -> None:
    page = new_page(width=360, height=740)
    for name, path in PAGES.items():
        response = page.goto(site + path)
        assert response and response.status == 200, name
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, name
        assert horizontal_overflow(page) <= 0, name
        # Body text at least 18 px, as the style sheet promises.
        assert float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")) >= 18, name
        # Every link and button of the header is a large enough tap target (44 px high).
        heights = page.eval_on_selector_all(
            ".site-header a, .site-header button", "els => els.map(e => e.getBoundingClientRect().height)"
        )
        assert heights and min(heights) >= 44, (name, heights)
        screenshot(page, f"{name}-360", full_page=name in ("home", "login"))


def test_the_commune_list_on_a_phone_shows_each_commune_as_a_labelled_card(
    site: str, new_page: Any, screenshot: Any
) -> None:
    page = new_page(width=360, height=740)
    page.goto(f"{site}/communes/?q=ha+giang")
    page.evaluate("document.getElementById('result-count').scrollIntoView()")
    screenshot(page, "communes-360-results")
    row = page.locator("table.table-list tbody tr").first
    assert row.locator("td").nth(2).evaluate("el => getComputedStyle(el, '::before').content") == '"Loại: "'
    assert "Phường Hà Giang" in row.inner_text()


def test_desktop_screenshots_of_the_main_pages(site: str, new_page: Any, screenshot: Any) -> None:
    page = new_page()
    for name in ("home", "communes", "agencies", "agency", "login"):
        response = page.goto(site + PAGES[name])
        assert response and response.status == 200
        assert horizontal_overflow(page) <= 0
        screenshot(page, f"{name}-desktop", full_page=name in ("home", "login", "agency"))


# --- Keyboard -------------------------------------------------------------------------------------------


def test_the_skip_link_is_the_first_tab_stop_shows_a_focus_ring_and_moves_focus_to_main(
    site: str, new_page: Any, screenshot: Any
) -> None:
    page = new_page(width=360, height=740)
    page.goto(site + "/")
    page.keyboard.press("Tab")
    first = focused(page)
    assert "skip-link" in first["cls"], first
    assert first["outlineStyle"] != "none" and first["outlineWidth"] >= 2, first
    assert page.locator(".skip-link").is_visible()
    screenshot(page, "home-360-skip-link-focused")

    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"
    page.keyboard.press("Tab")
    after = focused(page)
    assert after["inMain"], f"the next Tab stop after the skip link should be inside <main>: {after}"


def test_every_tab_stop_on_the_commune_list_has_a_visible_focus_ring(site: str, new_page: Any) -> None:
    page = new_page()
    page.goto(site + "/communes/")
    seen: list[str] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        current = focused(page)
        if current["tag"] == "body":  # past the last control
            break
        seen.append((current["text"] or current["tag"]).split("\n")[0][:40])
        assert current["outlineStyle"] != "none" and current["outlineWidth"] >= 2, current
    # The walk went through the header, the language switcher, the search form and the page links.
    for stop in ("Bỏ qua, đến nội dung chính", "English", "Xã, phường", "input", "Tìm", "Trang sau ›"):
        assert stop in seen, seen


# --- Search: htmx and no JavaScript ---------------------------------------------------------------------


def test_typing_in_the_commune_search_updates_the_results_in_place(site: str, new_page: Any) -> None:
    page = new_page()
    page.goto(site + "/communes/")
    count = page.get_by_test_id("result-count")
    assert count.inner_text().startswith("124 xã, phường")
    page.evaluate("window.__sameDocument = true")
    search = page.locator("#id_q")
    search.click()
    page.keyboard.type("ha giang", delay=30)
    expect(page.locator("#result-count")).to_have_text("2 xã, phường")
    rows = page.locator("#results tbody tr")
    assert rows.count() == 2
    assert "Phường Hà Giang 1" in page.locator("#results").inner_text()
    # No page load: the same document, the cursor still in the search box, the URL kept in step.
    assert page.evaluate("window.__sameDocument") is True
    assert focused(page)["id"] == "id_q"
    assert re.search(r"[?&]q=ha(\+|%20)giang", page.url), page.url

    # Changing the province select updates too.
    page.select_option("#id_province", "")
    expect(page.locator("#result-count")).not_to_have_text("2 xã, phường")
    assert page.evaluate("window.__sameDocument") is True
    assert "province=" in page.url


def test_the_commune_search_works_with_javascript_disabled(site: str, new_page: Any, screenshot: Any) -> None:
    page = new_page(js=False)
    page.goto(site + "/communes/")
    page.fill("#id_q", "hà giang 1")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_load_state()
    assert "q=h%C3%A0+giang+1" in page.url
    assert page.get_by_test_id("result-count").inner_text() == "1 xã, phường"
    assert page.locator("#results tbody tr").count() == 1

    # The language switcher is a plain form too.
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_test_id("result-count").inner_text() == "1 commune or ward"
    screenshot(page, "communes-desktop-english-without-javascript")


def test_the_agency_search_filters_as_you_type_and_links_to_the_agency(site: str, new_page: Any) -> None:
    page = new_page()
    page.goto(site + "/agencies/")
    page.locator("#id_q").click()
    page.keyboard.type("tu phap", delay=30)
    expect(page.locator("#result-count")).to_have_text("1 cơ quan, đơn vị")
    page.get_by_role("link", name="Sở Tư pháp tỉnh Tuyên Quang").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Sở Tư pháp tỉnh Tuyên Quang"
    assert page.get_by_test_id("agency-code").inner_text() == "000.00.04.H60"


# --- Logging in -----------------------------------------------------------------------------------------


def test_each_demo_role_logs_in_and_sees_their_name_in_the_header(
    site: str, demo_accounts: None, new_page: Any, screenshot: Any
) -> None:
    for account in DEMO_ACCOUNTS:
        page = new_page(width=360, height=740)
        log_in(page, site, account.username)
        name = page.get_by_test_id("user-name")
        assert name.inner_text() == account.full_name, account.username
        admin_links = page.locator(".site-header a[href='/admin/']").count()
        assert admin_links == (1 if account.role in STAFF_ROLES else 0), account.username
        assert horizontal_overflow(page) <= 0, account.username
        if account.username in ("congdan", "quantri"):
            screenshot(page, f"home-360-logged-in-{account.username}")

        page.get_by_role("button", name="Đăng xuất").click()
        page.wait_for_load_state()
        assert page.get_by_test_id("user-name").count() == 0
        assert page.locator(".site-header").get_by_role("link", name="Đăng nhập").is_visible()


def test_a_wrong_password_is_refused_with_a_message(site: str, demo_accounts: None, new_page: Any) -> None:
    page = new_page()
    log_in(page, site, "congdan", "sai-mat-khau")
    assert page.url.endswith("/accounts/login/")
    assert page.locator(".form-errors").is_visible()
    assert page.get_by_test_id("user-name").count() == 0


def test_a_citizen_is_refused_by_the_admin_and_a_system_administrator_reaches_it(
    site: str, demo_accounts: None, new_page: Any
) -> None:
    citizen = new_page()
    log_in(citizen, site, "congdan")
    citizen.goto(f"{site}/admin/")
    # The admin sends a logged-in user without permission to its own login page, saying so.
    assert citizen.url == f"{site}/admin/login/?next=/admin/"
    assert "congdan" in citizen.locator("#content").inner_text()
    assert citizen.locator("#user-tools").count() == 0

    admin = new_page()
    log_in(admin, site, "quantri")
    response = admin.goto(f"{site}/admin/")
    assert response and response.status == 200
    assert admin.url == f"{site}/admin/"
    assert admin.locator("#user-tools").is_visible()
    assert admin.locator("#site-name").inner_text() == "Quản trị Tỉnh Số"


def test_an_official_without_a_second_factor_gets_a_set_up_page_that_fits_a_phone(
    site: str, demo_accounts: None, new_page: Any, screenshot: Any, settings: Any
) -> None:
    # Only the look of the page here; the two-factor flow itself is tested in test_login.py.
    settings.TINHSO_REQUIRE_OFFICIAL_2FA = True
    page = new_page(width=360, height=740)
    log_in(page, site, "chuyenvien")
    assert "/accounts/2fa/setup/" in page.url
    qr = page.locator("figure.qr svg")
    assert qr.is_visible()
    box = qr.bounding_box()
    assert box and 150 <= box["width"] <= 324, box
    # Shown whole: an SVG without a viewBox narrower than its own width would be cropped, not scaled.
    assert qr.evaluate(
        "el => el.hasAttribute('viewBox')"
        " || el.getBoundingClientRect().width >= parseFloat(el.getAttribute('width'))"
    )
    assert page.get_by_test_id("totp-secret").is_visible()
    assert horizontal_overflow(page) <= 0
    screenshot(page, "two-factor-setup-360", full_page=True)


# --- Accessibility checks (axe-core) --------------------------------------------------------------------


def test_the_main_pages_have_no_serious_or_critical_accessibility_violations(
    site: str, new_page: Any
) -> None:
    problems = {}
    for width in (1280, 360):
        page = new_page(width=width, height=800)
        for name, path in PAGES.items():
            page.goto(site + path)
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
                problems[f"{name} at {width} px"] = serious
    assert not problems, problems
