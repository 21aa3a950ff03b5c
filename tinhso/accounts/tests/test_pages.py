"""The public lists: communes, agencies and an agency's page (server side).

What a browser does with them (htmx, no JavaScript, 360 px screens, focus) is in test_browser.py; the home
page and the shared layout are tested in tinhso/portal/tests/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def text_of(response: Any) -> str:
    return response.content.decode()


def result_count(response: Any) -> str:
    match = re.search(r'data-testid="result-count">(.*?)</p>', text_of(response), re.S)
    assert match, "no result count on the page"
    return " ".join(match.group(1).split())


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


def test_searching_ha_giang_without_diacritics_finds_phuong_ha_giang_1(
    client: Client, reference_data: None
) -> None:
    response = client.get("/communes/", {"q": "ha giang 1"})
    assert result_count(response) == "1 xã, phường"
    assert '<td class="primary" data-label="Tên">Phường Hà Giang 1</td>' in text_of(response)

    both = client.get("/communes/", {"q": "ha giang"})
    assert result_count(both) == "2 xã, phường"
    assert "Phường Hà Giang 1" in text_of(both) and "Phường Hà Giang 2" in text_of(both)


def test_a_commune_can_be_found_by_its_code(client: Client, reference_data: None) -> None:
    response = client.get("/communes/", {"q": "694"})
    assert result_count(response) == "1 xã, phường"
    assert "Phường Hà Giang 1" in text_of(response)


def test_the_province_filter_lists_another_province_or_all_of_them(
    client: Client, reference_data: None
) -> None:
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


def test_a_page_number_out_of_range_shows_the_last_page_instead_of_an_error(
    client: Client, reference_data: None
) -> None:
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


def test_the_search_form_works_without_javascript_and_is_enhanced_by_htmx(
    client: Client, reference_data: None
) -> None:
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
    assert '<td data-label="Loại">Sở, ban, ngành</td>' in page
    assert '<td data-label="Cấp trên">Ủy ban nhân dân tỉnh Tuyên Quang</td>' in page


def test_the_agency_list_filters_by_kind(client: Client, reference_data: None) -> None:
    response = client.get("/agencies/", {"kind": "department"})
    assert result_count(response) == "13 cơ quan, đơn vị"
    assert '<option value="department" selected>Sở, ban, ngành</option>' in text_of(response)
    # An unknown kind is ignored rather than answered with an empty list.
    assert result_count(client.get("/agencies/", {"kind": "nonsense"})).startswith("139 ")


def test_searching_agencies_ignores_diacritics_and_accepts_a_code(
    client: Client, reference_data: None
) -> None:
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
