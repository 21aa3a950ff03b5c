"""The store's pages in a real browser (Debian's Chromium through Playwright): a 360 px phone, without
JavaScript, from the list to a share link the recipient opens. Skipped where Chromium is not installed."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tinhso.accounts.tests import factories as people
from tinhso.edocs import services
from tinhso.edocs.tests.factories import pdf, result

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logged_in(page: Any, site: str, user: Any) -> None:
    """Give the browser a session of `user` (the login form has its own tests)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": site}])


def test_the_store_fits_a_360_px_phone_and_works_without_javascript(
    site: str, new_page: Any, screenshot: Any
) -> None:
    alice = people.citizen(full_name="Nguyễn Thị An")
    doc = result(alice, content=pdf("Giấy khai sinh"))
    page = new_page(width=360, height=740, js=False)
    logged_in(page, site, alice)
    for name, path in (
        ("list", "/giay-to/"),
        ("detail", f"/giay-to/{doc.pk}/"),
        ("upload", "/giay-to/tai-len/"),
    ):
        response = page.goto(site + path)
        assert response and response.status == 200, name
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, name
        assert float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")) >= 18, name
        screenshot(page, f"edocs-{name}-360", full_page=True)

    # Make a link with the plain form; its address is shown once, in a field that fits the screen.
    page.goto(f"{site}/giay-to/{doc.pk}/")
    page.fill("#id_days", "3")
    page.locator("[data-testid=share-create]").click()
    page.wait_for_load_state()
    url = page.input_value("#id_new_link")
    assert url.startswith(f"{site}/chia-se/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "edocs-detail-new-link-360", full_page=True)

    # The recipient, in another browser, sees the paper and can download it.
    visitor = new_page(width=360, height=740, js=False)
    response = visitor.goto(url)
    assert response and response.status == 200
    assert "Giấy khai sinh bản chính" in visitor.inner_text("main")
    assert visitor.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(visitor, "edocs-share-360", full_page=True)

    # Revoked: the recipient's page says so in plain words.
    link = doc.share_links.get()
    services.share_link_revoke(link=link, actor=alice)
    response = visitor.goto(url)
    assert response and response.status == 410
    assert "Liên kết đã bị thu hồi" in visitor.inner_text("h1")
