"""The leaders' dashboard in a real browser: from a unit's late count down to its dossiers, back, and the
table's CSV; both dashboard pages on a 360 px phone without sideways scrolling."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from tinhso.accounts.tests import factories as people
from tinhso.dossiers.tests.factories import world
from tinhso.reports.tests.test_dashboard import scene


def _sign_in(page: Any, site: str, username: str) -> None:
    page.goto(f"{site}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", people.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_leader_drills_from_a_units_late_count_to_its_dossiers_and_downloads_the_table(
    site: str, new_page: Any, screenshot: Any, settings: Any, tmp_path: Path
) -> None:
    settings.TINHSO_REQUIRE_OFFICIAL_2FA = False  # the second factor has its own tests
    s = scene(world())
    page = new_page(width=1280, height=900)
    _sign_in(page, site, s.province_leader.username)
    page.goto(f"{site}/bang-dieu-khien/")  # this year by default: the scene's 2026
    assert "Năm 2026" in page.get_by_test_id("dashboard-heading").inner_text()
    screenshot(page, "dashboard-desktop", full_page=True)

    late = page.get_by_test_id(f"late-don-vi-{s.w.ward.code}")
    assert late.inner_text() == "3"
    late.click()
    page.wait_for_load_state()
    assert page.get_by_test_id("list-count").get_attribute("data-value") == "3"
    listed = set(page.get_by_test_id("dossier-code").all_inner_texts())
    assert listed == {s.ds[k].code for k in ("R1", "R2", "B1")}

    page.go_back()
    page.wait_for_load_state()
    with page.expect_download() as info:
        page.get_by_test_id("csv-don-vi").click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    assert target.name == "bang-dieu-khien-don-vi-2026.csv"
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert [s.w.ward.name, "4", "3"] == rows[1][1:4]
    assert [s.w.other_ward.name, "1", "1"] == rows[2][1:4]

    phone = new_page(width=360, height=800, js=False)
    _sign_in(phone, site, s.province_leader.username)
    phone.goto(f"{site}/bang-dieu-khien/")
    assert phone.get_by_test_id(f"late-don-vi-{s.w.ward.code}").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "dashboard-phone", full_page=True)

    public = new_page(width=360, height=800, js=False)
    public.goto(f"{site}/so-lieu/")
    assert public.get_by_test_id("received").inner_text() == "8"
    assert public.get_by_test_id("on-time").inner_text() == "20,0 %"
    assert public.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(public, "public-figures-phone", full_page=True)
