"""The home page and the layout every page shares (base.html): landmarks, header, languages, page weight.

What a browser does with them (360 px screens, focus, axe-core) is in tinhso/accounts/tests/test_browser.py.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from tinhso.accounts.tests import factories

pytestmark = pytest.mark.django_db


def text_of(response: Any) -> str:
    return response.content.decode()


def result_count(response: Any) -> str:
    match = re.search(r'data-testid="result-count">(.*?)</p>', text_of(response), re.S)
    assert match, "no result count on the page"
    return " ".join(match.group(1).split())


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "link" and a.get("rel") == "stylesheet" and a.get("href"):
            self.urls.append(a["href"] or "")
        if tag == "script" and a.get("src"):
            self.urls.append(a["src"] or "")


# --- Home -----------------------------------------------------------------------------------------------


def test_the_home_page_says_what_tinh_so_is_and_counts_the_communes_and_agencies(
    client: Client, reference_data: None, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(2):
        response = client.get("/")
    assert response.status_code == 200
    page = text_of(response)
    assert "Tỉnh Số là phần mềm chính quyền số của tỉnh" in page
    assert '<span class="stat-number" data-testid="commune-count">124</span>' in page
    assert '<span class="stat-number" data-testid="agency-count">139</span>' in page
    assert "Tỉnh Tuyên Quang" in page
    assert f'href="{reverse("accounts:commune_list")}"' in page
    assert f'action="{reverse("accounts:agency_list")}"' in page


def test_the_base_template_is_vietnamese_with_landmarks_and_a_skip_link_first(client: Client) -> None:
    page = text_of(client.get("/"))
    assert '<html lang="vi">' in page
    body = page.split("<body>", 1)[1]
    first_link = re.search(r"<(a|button|input|select)\b[^>]*>", body)
    assert first_link and 'class="skip-link" href="#main"' in first_link.group(0)
    for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
        assert landmark in page
    assert "AGPL-3.0" in page and "Tỉnh Số — phần mềm nguồn mở" in page
    assert "cdn" not in page.lower()


def test_a_first_load_of_a_page_with_its_css_and_javascript_stays_well_under_200_kb(
    client: Client, reference_data: None
) -> None:
    for url in ("/", "/communes/", "/agencies/"):
        response = client.get(url)
        parser = _Assets()
        parser.feed(text_of(response))
        assert any(u.endswith(".css") for u in parser.urls) and any(u.endswith(".js") for u in parser.urls)
        total = len(response.content)
        for asset in parser.urls:
            assert asset.startswith("/static/"), f"{asset} is not served by the site itself"
            path = finders.find(asset.removeprefix("/static/"))
            assert path, asset
            with open(path, "rb") as fh:
                total += len(fh.read())
        # Uncompressed; with gzip it is a third of this.
        assert total < 150_000, f"{url}: {total} bytes"


def test_every_page_writes_vietnamese_in_one_unicode_form_nfc(client: Client, reference_data: None) -> None:
    # Precomposed letters ("ế" as one code point) everywhere, so that find-in-page, copy-paste and screen
    # readers treat the same word the same way on every page.
    for url in ("/", "/communes/", "/agencies/", "/agencies/000.00.30.H60/", "/accounts/login/"):
        page = text_of(client.get(url))
        assert unicodedata.is_normalized("NFC", page), url


# --- Header: who is logged in ---------------------------------------------------------------------------


def test_an_anonymous_visitor_sees_a_login_link_and_no_admin_link(client: Client) -> None:
    page = text_of(client.get("/"))
    assert f'href="{reverse("accounts:login")}"' in page
    assert "/admin/" not in page


def test_a_logged_in_citizen_sees_their_name_and_a_logout_form_but_no_admin_link(
    client: Client, reference_data: None
) -> None:
    user = factories.citizen(full_name="Nguyễn Thị Hoa")
    client.force_login(user)
    page = text_of(client.get("/"))
    assert '<span class="user-name" data-testid="user-name">Nguyễn Thị Hoa</span>' in page
    assert re.search(
        r'<form action="/accounts/logout/" method="post">\s*<input type="hidden" name="csrfmiddlewaretoken"',
        page,
    )
    assert "/admin/" not in page


def test_a_staff_official_also_sees_the_admin_link(client: Client, reference_data: None, settings) -> None:
    settings.TINHSO_REQUIRE_OFFICIAL_2FA = False
    user = factories.official(roles=("system_admin",), full_name="Đỗ Thị Lan")
    client.force_login(user)
    page = text_of(client.get("/"))
    assert "Đỗ Thị Lan" in page
    assert 'href="/admin/"' in page


# --- Languages ------------------------------------------------------------------------------------------


def test_the_language_switcher_posts_to_set_language_and_works_without_javascript(client: Client) -> None:
    page = text_of(client.get("/communes/?q=ha"))
    form = page.split('<form class="lang-switch"', 1)[1].split("</form>", 1)[0]
    assert 'action="/i18n/setlang/" method="post"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert '<input type="hidden" name="next" value="/communes/?q=ha">' in form
    assert 'value="vi" lang="vi"' in form and ">Tiếng Việt</button>" in form
    assert 'value="en" lang="en"' in form and ">English</button>" in form


def test_after_choosing_english_the_pages_are_in_english(client: Client, reference_data: None) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"

    page = text_of(client.get("/"))
    assert '<html lang="en">' in page
    assert "Skip to main content" in page
    assert "Tỉnh Số is the digital government software of the province." in page
    assert ">Communes<" in page and ">Agencies<" in page and ">Log in<" in page
    assert 'value="en" lang="en"\n                  aria-pressed="true"' in page

    communes = client.get("/communes/")
    assert result_count(communes).startswith("124 communes and wards")
    assert '<html lang="en">' in text_of(communes)

    client.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    assert '<html lang="vi">' in text_of(client.get("/"))
