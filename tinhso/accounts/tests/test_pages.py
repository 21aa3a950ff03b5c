"""The public pages: home, the commune list, the agency list and an agency's page (server side).

What a browser does with them (htmx, no JavaScript, 360 px screens, focus) is in test_browser.py.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from tinhso.accounts.tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def result_count(response) -> str:  # type: ignore[no-untyped-def]
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
    assert re.search(r'<form action="/accounts/logout/" method="post">\s*<input type="hidden" name="csrfmiddlewaretoken"', page)
    assert "/admin/" not in page


def test_a_staff_official_also_sees_the_admin_link(client: Client, reference_data: None, settings) -> None:
    settings.TINHSO_REQUIRE_OFFICIAL_2FA = False
    user = factories.official(roles=("system_admin",), full_name="Đỗ Thị Lan")
    client.force_login(user)
    page = text_of(client.get("/"))
    assert "Đỗ Thị Lan" in page
    assert 'href="/admin/"' in page


# --- Communes -------------------------------------------------------------------------------------------


def test_the_commune_list_shows_the_124_communes_of_the_province_by_default(
    client: Client, reference_data: None, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(3):
        response = client.get("/communes/")
    assert response.status_code == 200
    assert result_count(response).startswith("124 xã, phường")
    page = text_of(response)
    assert '<option value="08" selected>Tỉnh Tuyên Quang</option>' in page
    assert page.count("<option ") == 35  # 34 provinces and "all"
    assert page.count("<tr>") == 51  # header and 50 rows
    assert "Phường Hà Giang 2" in page


def test_searching_ha_giang_without_diacritics_finds_phuong_ha_giang_1(client: Client, reference_data: None) -> None:
    response = client.get("/communes/", {"q": "ha giang 1"})
    assert result_count(response) == "1 xã, phường"
    assert "<td class=\"primary\" data-label=\"Tên\">Phường Hà Giang 1</td>" in text_of(response)

    both = client.get("/communes/", {"q": "ha giang"})
    assert result_count(both) == "2 xã, phường"
    assert "Phường Hà Giang 1" in text_of(both) and "Phường Hà Giang 2" in text_of(both)


def test_a_commune_can_be_found_by_its_code(client: Client, reference_data: None) -> None:
    response = client.get("/communes/", {"q": "694"})
    assert result_count(response) == "1 xã, phường"
    assert "Phường Hà Giang 1" in text_of(response)


def test_the_province_filter_lists_another_province_or_all_of_them(client: Client, reference_data: None) -> None:
    hanoi = client.get("/communes/", {"province": "01"})
    assert "Phường Ba Đình" in text_of(hanoi)
    assert "Phường Hà Giang 1" not in text_of(hanoi)
    assert '<option value="01" selected>Thành phố Hà Nội</option>' in text_of(hanoi)

    assert result_count(client.get("/communes/", {"q": "ba dinh"})) == "0 xã, phường"
    everywhere = client.get("/communes/", {"province": "", "q": "ba dinh"})
    assert "Phường Ba Đình" in text_of(everywhere)
    all_provinces = client.get("/communes/", {"province": ""})
    assert result_count(all_provinces).startswith("3321 xã, phường")
    assert '<option value="" selected>' in text_of(all_provinces)


def test_the_commune_list_has_50_rows_a_page_and_page_links_keep_the_search(
    client: Client, reference_data: None, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(3):
        response = client.get("/communes/", {"q": "xa", "page": "2"})
    page = text_of(response)
    assert "trang 2/3" in result_count(response)
    assert page.count("<tr>") == 51
    assert 'href="?q=xa&amp;page=1" rel="prev"' in page
    assert 'href="?q=xa&amp;page=3" rel="next"' in page
    assert '<span aria-current="page"><span class="visually-hidden">Trang </span>2</span>' in page

    last = client.get("/communes/", {"q": "xa", "page": "3"})
    assert text_of(last).count("<tr>") == 1 + 117 - 100  # Tuyên Quang has 117 xã


def test_a_page_number_out_of_range_shows_the_last_page_instead_of_an_error(client: Client, reference_data: None) -> None:
    response = client.get("/communes/", {"page": "999"})
    assert response.status_code == 200
    assert "trang 3/3" in result_count(response)
    assert client.get("/communes/", {"page": "abc"}).status_code == 200


def test_an_htmx_request_gets_only_the_results_and_the_count_out_of_band(
    client: Client, reference_data: None, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(2):
        response = client.get("/communes/", {"q": "ha giang", "province": "08"}, headers=HTMX)
    page = text_of(response)
    assert "<html" not in page and "<header" not in page
    assert '<p id="result-count" hx-swap-oob="innerHTML">2 xã, phường</p>' in page
    assert "Phường Hà Giang 1" in page
    assert "HX-Request" in response["Vary"]


def test_an_htmx_history_restore_gets_the_whole_page(client: Client, reference_data: None) -> None:
    response = client.get("/communes/", headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert "<html" in text_of(response)


def test_the_search_form_works_without_javascript_and_is_enhanced_by_htmx(client: Client, reference_data: None) -> None:
    page = text_of(client.get("/communes/"))
    form = re.search(r"<form class=\"filters\"[^>]*>", page)
    assert form
    tag = form.group(0)
    assert 'method="get" action="/communes/"' in tag
    assert 'hx-get="/communes/"' in tag and 'hx-target="#results"' in tag and 'hx-push-url="true"' in tag
    assert "input changed delay:300ms" in tag
    assert '<button type="submit" class="button">Tìm</button>' in page
    assert 'id="result-count" class="result-count" role="status" aria-live="polite"' in page


def test_an_unmatched_search_says_so(client: Client, reference_data: None) -> None:
    response = client.get("/communes/", {"q": "khong co xa nao ten nhu vay"})
    assert result_count(response) == "0 xã, phường"
    assert "Không tìm thấy xã, phường nào." in text_of(response)


def test_the_lists_refuse_to_be_posted_to(client: Client) -> None:
    assert client.post("/communes/").status_code == 405
    assert client.post("/agencies/").status_code == 405


# --- Agencies -------------------------------------------------------------------------------------------


def test_the_agency_list_shows_every_agency_with_its_kind_and_parent(
    client: Client, reference_data: None, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(2):
        response = client.get("/agencies/")
    assert response.status_code == 200
    assert result_count(response).startswith("139 cơ quan, đơn vị")
    page = text_of(response)
    assert page.count("<tr>") == 51
    assert '<a href="/agencies/000.00.00.H60/">Ủy ban nhân dân tỉnh Tuyên Quang</a>' in page
    assert "<td data-label=\"Loại\">Sở, ban, ngành</td>" in page
    assert "<td data-label=\"Cấp trên\">Ủy ban nhân dân tỉnh Tuyên Quang</td>" in page


def test_the_agency_list_filters_by_kind(client: Client, reference_data: None) -> None:
    response = client.get("/agencies/", {"kind": "department"})
    assert result_count(response) == "13 cơ quan, đơn vị"
    assert '<option value="department" selected>Sở, ban, ngành</option>' in text_of(response)
    # An unknown kind is ignored rather than answered with an empty list.
    assert result_count(client.get("/agencies/", {"kind": "nonsense"})).startswith("139 ")


def test_searching_agencies_ignores_diacritics_and_accepts_a_code(client: Client, reference_data: None) -> None:
    by_name = client.get("/agencies/", {"q": "so tu phap"})
    assert result_count(by_name) == "1 cơ quan, đơn vị"
    assert "Sở Tư pháp tỉnh Tuyên Quang" in text_of(by_name)
    by_code = client.get("/agencies/", {"q": "000.00.30"})
    assert result_count(by_code) == "1 cơ quan, đơn vị"
    assert "Ủy ban nhân dân phường Hà Giang 2" in text_of(by_code)


def test_an_htmx_agency_search_gets_only_the_results(client: Client, reference_data: None) -> None:
    response = client.get("/agencies/", {"q": "tu phap"}, headers=HTMX)
    page = text_of(response)
    assert "<html" not in page
    assert '<p id="result-count" hx-swap-oob="innerHTML">1 cơ quan, đơn vị</p>' in page


def test_an_agency_page_shows_its_code_kind_parent_and_the_commune_it_serves(
    client: Client, reference_data: None, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(3):
        response = client.get("/agencies/000.00.30.H60/")
    assert response.status_code == 200
    page = text_of(response)
    assert "<h1>Ủy ban nhân dân phường Hà Giang 2</h1>" in page
    assert '<code data-testid="agency-code">000.00.30.H60</code>' in page
    assert "<dd>UBND xã, phường</dd>" in page
    assert '<a href="/agencies/000.00.00.H60/">Ủy ban nhân dân tỉnh Tuyên Quang</a>' in page
    assert "Phường Hà Giang 2, Tỉnh Tuyên Quang" in page
    assert "Không có đơn vị trực thuộc." in page


def test_the_provincial_committee_page_lists_its_children(
    client: Client, reference_data: None, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(3):
        response = client.get(reverse("accounts:agency_detail", args=["000.00.00.H60"]))
    page = text_of(response)
    assert "Không có (cơ quan cấp cao nhất)" in page
    children = page.split('data-testid="children"', 1)[1].split("</ul>", 1)[0]
    assert children.count("<li>") == 138
    assert '<a href="/agencies/000.00.04.H60/">Sở Tư pháp tỉnh Tuyên Quang</a>' in children


def test_an_unknown_agency_code_is_not_found(client: Client, reference_data: None) -> None:
    assert client.get("/agencies/999.99.99.H60/").status_code == 404
    assert client.get("/agencies/khong-co/").status_code == 404


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
