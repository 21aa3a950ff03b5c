"""The Decision 766 index pages: who sees what, the form, the table, and every number's link to its list.

The dossiers and feedback are those of `test_index766.scene` (March 2026, the ward Hà Giang 2, and one
dossier J at the ward Hà Giang 1); the expected numbers are the hand tables in that module's docstring.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client

from tinhso.accounts.models import Role, User
from tinhso.accounts.tests import factories as people
from tinhso.dossiers.tests.factories import World, world
from tinhso.reports import index_views
from tinhso.reports.tests.test_index766 import Scene, scene

pytestmark = pytest.mark.django_db

URL = "/chi-so-766/"
LIST = "/chi-so-766/ho-so/"
MARCH = {"period": "month", "year": "2026", "month": "3"}


@pytest.fixture
def w(reference_data: None) -> World:
    return world()


@pytest.fixture
def s(w: World) -> Scene:
    return scene(w)


def logged_in(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def text(response: Any) -> str:
    return str(response.content.decode())


def links(page: str, prefix: str) -> dict[str, str]:
    """data-testid → href of the numbers' links ("num-DVC_PROGRESS": "/chi-so-766/ho-so/?…")."""
    found = re.findall(rf'<a href="([^"]+)" data-testid="({prefix}-[A-Z_]+)">', page)
    return {testid: html.unescape(href) for href, testid in found}


def number(page: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">([^<]+)<', page)
    assert match, testid
    return match.group(1).strip()


# --- Who ------------------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in_and_citizens_are_refused(w: World) -> None:
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    citizen = people.citizen()
    assert logged_in(citizen).get(URL).status_code == 403
    assert logged_in(citizen).get(LIST, {"indicator": "DVC_PROGRESS", "part": "numerator"}).status_code == 403


def test_an_official_without_a_role_is_refused(w: World) -> None:
    kiosk = people.official(roles=())
    assert logged_in(kiosk).get(URL).status_code == 403


def test_an_official_sees_their_own_ward_and_nothing_above_or_beside_it(w: World, s: Scene) -> None:
    c = logged_in(w.counter)
    page = c.get(URL, MARCH)
    assert page.status_code == 200
    body = text(page)
    assert w.ward.name in body and w.other_ward.name not in body
    assert "Toàn tỉnh" not in body  # the province is not offered
    assert number(body, "num-DVC_PROGRESS") == "6" and number(body, "den-DVC_PROGRESS") == "8"
    # Another ward's data, and the province's, are refused, on the table and on the lists.
    other = {**MARCH, "agency": w.other_ward.code}
    assert c.get(URL, other).status_code == 403
    assert c.get(URL, {**MARCH, "agency": ""}).status_code == 403
    assert c.get(LIST, {**other, "indicator": "DVC_PROGRESS", "part": "denominator"}).status_code == 403
    assert (
        c.get(LIST, {**MARCH, "agency": "", "indicator": "DVC_PROGRESS", "part": "denominator"}).status_code
        == 403
    )
    # The other ward's own official sees J there, and none of the ward's dossiers.
    mine = text(
        logged_in(w.other_counter).get(LIST, {**MARCH, "indicator": "DVC_PROGRESS", "part": "denominator"})
    )
    assert s.dossiers["J"].code in mine and s.dossiers["A"].code not in mine


def test_a_system_administrator_sees_the_province_by_default_and_any_agency(w: World, s: Scene) -> None:
    admin = people.official(agency_prefix="000.00.00", roles=(Role.SYSTEM_ADMIN,))
    c = logged_in(admin)
    body = text(c.get(URL, MARCH))
    assert "Toàn tỉnh" in body
    assert number(body, "num-DVC_PROGRESS") == "6" and number(body, "den-DVC_PROGRESS") == "9"
    assert number(body, "state-PROVIDE_ONLINE_DOSSIER") == "Không có số liệu trong kỳ"
    ward = text(c.get(URL, {**MARCH, "agency": w.ward.code}))
    assert number(ward, "den-DVC_PROGRESS") == "8"
    assert number(ward, "state-PROVIDE_ONLINE_DOSSIER") == "Không áp dụng cấp xã"


# --- The table --------------------------------------------------------------------------------------------


def test_the_table_shows_points_states_and_the_honest_total(w: World, s: Scene) -> None:
    body = text(logged_in(w.counter).get(URL, MARCH))
    assert "23,50 / 40" in body  # computed points / points possible (Vietnamese decimal comma)
    assert number(body, "provisional") == "4,00 / 20"
    assert number(body, "points-DVC_PROGRESS") == "15,00"
    assert number(body, "points-PETITION_PROCESSING_ON_TIME") == "3,60"
    assert number(body, "state-ORIGINAL_RESULT_AVAILABLE") == "Tạm tính"
    assert number(body, "state-ONLINE_PAYMENT") == "Tạm tính"  # one ratio on all 10 points
    assert number(body, "points-ONLINE_PAYMENT") == "0,00"
    assert (number(body, "num-ONLINE_PAYMENT"), number(body, "den-ONLINE_PAYMENT")) == ("0", "8")
    assert "2 + 2 + 6" in body  # why it is provisional
    assert number(body, "state-DOSSIER_SYNC") == "Chưa có dữ liệu"
    assert "num-DOSSIER_SYNC" not in body and "num-PROVIDE_ONLINE_DOSSIER" not in body
    assert "chưa được ký số" in body  # why ORIGINAL_RESULT_AVAILABLE is provisional
    assert "<details>" in body and '<meta name="viewport"' in body  # readable without JS, on a phone


def test_the_default_period_is_the_current_quarter_and_a_bad_period_is_explained(w: World) -> None:
    c = logged_in(w.counter)
    page = c.get(URL)
    assert page.status_code == 200 and 'value="quarter" selected' in text(page)
    bad = c.get(URL, {"period": "month", "year": "2026", "month": "13"})
    assert bad.status_code == 400 and "field-error" in text(bad)


# --- Every number leads to its list ------------------------------------------------------------------------


def test_every_number_links_to_a_list_of_that_many_dossiers_or_feedback(w: World, s: Scene) -> None:
    c = logged_in(w.counter)
    body = text(c.get(URL, MARCH))
    found = {**links(body, "num"), **links(body, "den")}
    assert len(found) == 18  # 9 drillable indicators at commune level, numerator and denominator
    for testid, href in found.items():
        assert href.startswith(LIST)
        response = c.get(href)
        assert response.status_code == 200, href
        assert number(text(response), "count") == number(body, testid), testid
    # The PAKN lists show feedback, the others dossiers.
    pakn = text(c.get(found["num-PETITION_PROCESSING_ON_TIME"]))
    assert f"PAKN số {s.feedback['F4'].pk}" in pakn and f"PAKN số {s.feedback['F5'].pk}" not in pakn
    progress = text(c.get(found["num-DVC_PROGRESS"]))
    assert s.dossiers["D"].code in progress and s.dossiers["E"].code not in progress
    assert f'href="/backoffice/dossiers/{s.dossiers["D"].code}/"' in progress


def test_a_list_pages_through_its_rows(w: World, s: Scene, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_views, "PAGE_SIZE", 3)
    c = logged_in(w.counter)
    query = {**MARCH, "agency": w.ward.code, "indicator": "DVC_PROGRESS", "part": "denominator"}
    first = text(c.get(LIST, query))
    assert "1 / 3" in first and "page=2" in first
    seen = set()
    for page in (1, 2, 3):
        body = text(c.get(LIST, {**query, "page": str(page)}))
        seen |= set(re.findall(r"\d{3}\.\d{2}\.\d{2}\.H60-\d{6}-\d{4}", body))
    assert seen == {s.dossiers[n].code for n in "ABCGKDEF"}


def test_the_pages_read_a_bounded_number_of_queries(
    w: World, s: Scene, django_assert_max_num_queries: Any
) -> None:
    """The index: one aggregate for every dossier count, one for the ratings, one for the feedback (plus
    the session, the user, their roles, the agencies); a list: its count and its page, whatever its size."""
    c = logged_in(w.counter)
    query = {**MARCH, "indicator": "DVC_PROGRESS", "part": "denominator"}
    c.get(LIST, query)  # warm the session
    with django_assert_max_num_queries(8):
        assert c.get(URL, MARCH).status_code == 200
    with django_assert_max_num_queries(8):
        assert c.get(LIST, query).status_code == 200


def test_lists_that_do_not_exist_are_404(w: World) -> None:
    c = logged_in(w.counter)
    for indicator, part in (
        ("NOPE", "numerator"),
        ("DVC_PROGRESS", "everything"),
        ("DOSSIER_SYNC", "numerator"),  # no data yet
        ("PROVIDE_ONLINE_DOSSIER", "numerator"),  # not applicable at commune level
    ):
        assert c.get(LIST, {**MARCH, "indicator": indicator, "part": part}).status_code == 404, indicator


# --- In a real browser, on a phone, without JavaScript -----------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_360_px_phone_without_javascript_the_table_fits_and_a_number_opens_its_list(
    site: str, new_page: Any, screenshot: Any, settings: Any
) -> None:
    settings.TINHSO_REQUIRE_OFFICIAL_2FA = False  # the second factor has its own tests
    w = world()
    s = scene(w)
    page = new_page(width=360, height=800, js=False)
    page.goto(f"{site}/accounts/login/")
    page.fill("#id_username", w.counter.username)
    page.fill("#id_password", people.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"{site}{URL}")
    # The GET form works without JavaScript: choose March 2026, month by month.
    page.get_by_label("Kỳ báo cáo").select_option("month")
    page.get_by_label("Năm", exact=True).fill("2026")
    page.get_by_label("Tháng (nếu kỳ theo tháng)").select_option("3")
    page.get_by_role("button", name="Xem").click()
    page.wait_for_load_state()
    assert "23,50 / 40" in page.get_by_test_id("total").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "index766-phone", full_page=True)
    page.get_by_test_id("num-DVC_PROGRESS").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("count").inner_text() == "6"
    assert s.dossiers["D"].code in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "index766-list-phone", full_page=True)
