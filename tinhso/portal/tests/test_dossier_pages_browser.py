"""The citizen's dossier pages in a real browser (Debian's Chromium through Playwright): a 360 px phone
screen without horizontal scrolling, and the whole online submission with JavaScript turned off.

Screenshots go to test-artifacts/screenshots/ for people to look at.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tinhso.accounts.tests import factories as people
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier, PaperFile
from tinhso.dossiers.tests.factories import world
from tinhso.portal.tests.helpers import form_url, paper, phone_photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logged_in_page(new_page: Any, site: str, user: Any, *, js: bool) -> Any:
    """A 360 px browser page with `user`'s session (made by Django's test client, in the shared database)."""
    client = Client()
    client.force_login(user)
    page = new_page(width=360, height=740, js=js)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": site,
            }
        ]
    )
    return page


def fits_360(page: Any) -> bool:
    return int(page.evaluate("document.documentElement.scrollWidth")) <= 360


def test_a_citizen_submits_online_on_a_360_px_phone_without_javascript_and_follows_the_dossier(
    site: str, new_page: Any, screenshot: Any
) -> None:
    w = world()
    citizen = people.citizen(full_name="Nguyễn Thị Hằng", phone="0912345678", national_id="008190012345")
    page = logged_in_page(new_page, site, citizen, js=False)

    response = page.goto(site + form_url(w.birth))
    assert response and response.status == 200
    assert fits_360(page)
    screenshot(page, "portal-eform-360", full_page=True)

    certificate = paper(w.birth, "Giấy chứng sinh")
    page.set_input_files(
        f"#paper-{certificate.pk}",
        files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": phone_photo()}],
    )
    page.check("#id_declaration")
    page.click('[data-testid="submit"]')
    page.wait_for_load_state()
    d = Dossier.objects.get(applicant_user=citizen)
    assert page.locator('[data-testid="dossier-code"]').inner_text() == d.code
    assert fits_360(page)
    screenshot(page, "portal-submitted-360")
    assert PaperFile.objects.filter(paper__dossier=d).count() == 1

    tr.receive(d, actor=w.counter)
    tr.request_supplement(d, actor=w.counter, items=[tr.MissingItem("Giấy chứng sinh", "Ảnh chụp bị mờ")])
    for path in ("/ho-so-cua-toi/", f"/ho-so-cua-toi/{d.code}/", "/tra-cuu-ho-so/"):
        response = page.goto(site + path)
        assert response and response.status == 200, path
        assert fits_360(page), path
    screenshot(page, "portal-track-360")
    page.goto(f"{site}/ho-so-cua-toi/{d.code}/")
    screenshot(page, "portal-my-dossier-supplement-360", full_page=True)
    assert "Ảnh chụp bị mờ" in page.locator('[data-testid="supplement"]').inner_text()


def test_the_agency_list_filters_as_one_types_with_htmx(site: str, new_page: Any) -> None:
    w = world()
    from tinhso.dossiers.tests.factories import bind

    bind(w.birth.procedure, w.other_ward)
    page = new_page(width=360, height=740)
    page.goto(f"{site}/nop-ho-so/{w.birth.procedure.code}/")
    assert page.locator('[data-testid="agency-choices"] li').count() == 2
    page.fill("#id_q", "giang 1")
    # A locator's expectation, not wait_for_function: the page's CSP forbids evaluating strings.
    expect(page.locator('[data-testid="agency-choices"] li')).to_have_count(1)
    assert "Hà Giang 1" in page.locator('[data-testid="agency-choices"]').inner_text()
    assert fits_360(page)
