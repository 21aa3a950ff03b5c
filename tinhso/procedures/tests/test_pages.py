"""The public catalog pages: the search list with its filters, and a procedure's page (server side).

What a browser does with them (typing, htmx, 360 px) is in test_browser.py.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from typing import Any

import pytest
from django.test import Client

from tinhso.accounts.models import Agency, Role
from tinhso.accounts.tests import factories
from tinhso.procedures import seed, services, views
from tinhso.procedures.models import Procedure
from tinhso.procedures.tests.catalog_fixtures import (
    BIRTH,
    CERTIFIED_COPY,
    DEATH,
    PERMANENT_RESIDENCE,
    catalog_load,
    catalog_records,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
HA_GIANG_2 = "000.00.30.H60"
HA_GIANG_1 = "000.00.31.H60"


@pytest.fixture
def catalog(reference_data: None) -> dict[str, Procedure]:
    """The seed procedures, birth registration bound to the two Hà Giang wards."""
    procedures = catalog_load()
    for code in (HA_GIANG_2, HA_GIANG_1):
        services.binding_ensure(procedure=procedures[BIRTH], agency=Agency.objects.get(code=code), actor=None)
    return procedures


def text_of(response: Any) -> str:
    return response.content.decode()


def result_count(response: Any) -> str:
    match = re.search(r'data-testid="result-count">(.*?)</p>', text_of(response), re.S)
    assert match, "no result count on the page"
    return " ".join(match.group(1).split())


def rows(response: Any) -> list[str]:
    """The procedure codes listed, in order."""
    return re.findall(r'<td class="code" data-label="Mã">([\d.]+)</td>', text_of(response))


def options(response: Any, select_id: str) -> list[str]:
    match = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', text_of(response), re.S)
    assert match, select_id
    return [" ".join(o.split()) for o in re.findall(r"<option[^>]*>(.*?)</option>", match.group(1))]


def selected(response: Any, select_id: str) -> str:
    match = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', text_of(response), re.S)
    assert match, select_id
    chosen = re.search(r'<option value="([^"]*)" selected>', match.group(1))
    return chosen.group(1) if chosen else ""


# --- The list -------------------------------------------------------------------------------------------


def test_the_catalog_lists_every_procedure_in_code_order_with_its_field_and_level(
    client: Client, catalog: dict[str, Procedure], django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(5):
        response = client.get("/procedures/")
    assert response.status_code == 200
    assert result_count(response) == f"{len(catalog)} thủ tục"
    assert rows(response) == sorted(catalog)
    page = text_of(response)
    assert '<a href="/procedures/1.001193/">Thủ tục đăng ký khai sinh</a>' in page
    assert '<td data-label="Lĩnh vực">Hộ tịch</td>' in page
    assert '<td data-label="Cấp thực hiện">Cấp xã</td>' in page


def test_typing_khai_sinh_finds_birth_registration_first(
    client: Client, catalog: dict[str, Procedure]
) -> None:
    response = client.get("/procedures/", {"q": "khai sinh"})
    assert rows(response)[0] == BIRTH
    assert 'value="khai sinh"' in text_of(response)
    # Without diacritics, in capitals, or by its code: the same procedure.
    assert rows(client.get("/procedures/", {"q": "KHAI SINH"}))[0] == BIRTH
    assert rows(client.get("/procedures/", {"q": "1.001193"})) == [BIRTH]


def test_each_filter_shows_how_many_procedures_each_choice_gives(
    client: Client, catalog: dict[str, Procedure]
) -> None:
    response = client.get("/procedures/")
    civil_status = sum(1 for p in catalog.values() if p.field.name == "Hộ tịch")
    assert f"Hộ tịch ({civil_status})" in options(response, "id_field")
    assert options(response, "id_field")[0] == "Tất cả lĩnh vực"
    assert f"Cấp xã ({sum(1 for p in catalog.values() if p.level_commune)})" in options(response, "id_level")
    # Birth registration is bound to the two Hà Giang wards: one procedure at each.
    agencies = options(response, "id_agency")
    assert "Ủy ban nhân dân phường Hà Giang 2 (1)" in agencies
    assert "Ủy ban nhân dân phường Hà Giang 1 (1)" in agencies


def test_filtering_by_field_keeps_the_choice_and_lists_only_that_field(
    client: Client, catalog: dict[str, Procedure]
) -> None:
    field = catalog[BIRTH].field
    response = client.get("/procedures/", {"field": field.pk})
    assert selected(response, "id_field") == str(field.pk)
    assert rows(response) == sorted(code for code, p in catalog.items() if p.field_id == field.pk)
    # The other fields still show how many procedures they would give.
    residence = catalog[PERMANENT_RESIDENCE].field
    assert any(o.startswith(residence.name + " (") for o in options(response, "id_field"))


def test_filtering_by_agency_lists_the_procedures_bound_to_it(
    client: Client, catalog: dict[str, Procedure], django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(6):
        response = client.get("/procedures/", {"agency": HA_GIANG_2})
    assert rows(response) == [BIRTH]
    assert selected(response, "id_agency") == HA_GIANG_2
    assert result_count(client.get("/procedures/", {"agency": "000.00.04.H60"})) == "0 thủ tục"


def test_filters_combine_with_the_search(client: Client, catalog: dict[str, Procedure]) -> None:
    response = client.get("/procedures/", {"q": "khai sinh", "agency": HA_GIANG_2, "level": "commune"})
    assert rows(response) == [BIRTH]
    assert selected(response, "id_level") == "commune"
    assert result_count(client.get("/procedures/", {"q": "khai sinh", "level": "ministry"})) == "0 thủ tục"


def test_values_that_are_not_filters_are_ignored_rather_than_refused(
    client: Client, catalog: dict[str, Procedure]
) -> None:
    everything = f"{len(catalog)} thủ tục"
    for params in (
        {"level": "nonsense"},
        {"online_level": "x"},
        {"field": "abc"},
        {"field": "99999999999999999999"},
        {"page": "abc"},
        {"page": "-3"},
    ):
        response = client.get("/procedures/", params)
        assert response.status_code == 200, params
        assert result_count(response) == everything, params


def test_the_list_pages_by_twenty_and_page_links_keep_the_search(
    client: Client, catalog: dict[str, Procedure], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "PER_PAGE", 1)
    response = client.get("/procedures/", {"level": "commune", "page": "2"})
    total = sum(1 for p in catalog.values() if p.level_commune)
    assert result_count(response) == f"{total} thủ tục — trang 2/{total}"
    assert len(rows(response)) == 1
    page = text_of(response)
    assert 'href="?level=commune&amp;page=1" rel="prev"' in page
    assert 'href="?level=commune&amp;page=3" rel="next"' in page
    # Past the end: the last page rather than an error.
    last = client.get("/procedures/", {"level": "commune", "page": "999"})
    assert result_count(last) == f"{total} thủ tục — trang {total}/{total}"
    assert rows(last) == [sorted(c for c, p in catalog.items() if p.level_commune)[-1]]


def test_an_htmx_request_gets_the_results_the_count_and_the_filter_counts_only(
    client: Client, catalog: dict[str, Procedure], django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(5):
        response = client.get("/procedures/", {"q": "khai sinh"}, headers=HTMX)
    page = text_of(response)
    assert "<html" not in page and "<header" not in page
    assert re.search(r'<p id="result-count" hx-swap-oob="innerHTML">\d+ thủ tục</p>', page)
    for name in ("field", "level", "online_level", "agency"):
        assert f'<select name="{name}" id="id_{name}" hx-swap-oob="outerHTML">' in page
    assert rows(response)[0] == BIRTH
    assert "HX-Request" in response["Vary"]
    assert "<html" in text_of(
        client.get("/procedures/", headers={**HTMX, "HX-History-Restore-Request": "true"})
    )


def test_the_search_form_works_without_javascript_and_is_enhanced_by_htmx(
    client: Client, catalog: dict[str, Procedure]
) -> None:
    page = text_of(client.get("/procedures/"))
    form = re.search(r"<form class=\"filters procedure-filters\"[^>]*>", page)
    assert form
    tag = form.group(0)
    assert 'method="get" action="/procedures/"' in tag and 'role="search"' in tag
    assert 'hx-get="/procedures/"' in tag and 'hx-target="#results"' in tag and 'hx-push-url="true"' in tag
    for label, control in (
        ("Tên hoặc mã thủ tục", "id_q"),
        ("Lĩnh vực", "id_field"),
        ("Cấp thực hiện", "id_level"),
        ("Mức độ trực tuyến", "id_online_level"),
        ("Cơ quan thực hiện", "id_agency"),
    ):
        assert f'<label for="{control}">{label}</label>' in page


def test_a_misspelt_word_is_read_as_the_catalog_word_and_the_page_says_so(
    client: Client, catalog: dict[str, Procedure]
) -> None:
    response = client.get("/procedures/", {"q": "khai sihn"})
    assert rows(response)[0] == BIRTH
    assert "Đã hiểu “sihn” là “sinh”." in text_of(response)


def test_an_unmatched_search_says_so(client: Client, catalog: dict[str, Procedure]) -> None:
    response = client.get("/procedures/", {"q": "zzzz qqqq"})
    assert result_count(response) == "0 thủ tục"
    assert "Không tìm thấy thủ tục nào." in text_of(response)


def test_the_pages_refuse_to_be_posted_to(client: Client) -> None:
    assert client.post("/procedures/").status_code == 405
    assert client.post(f"/procedures/{BIRTH}/").status_code == 405


# --- A procedure's page ---------------------------------------------------------------------------------


def section(page: str, heading_id: str) -> str:
    match = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', page, re.S)
    assert match, heading_id
    return match.group(1)


def test_the_birth_registration_page_tells_a_citizen_what_to_bring_how_long_and_what_it_costs(
    client: Client, catalog: dict[str, Procedure], django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(7):
        response = client.get(f"/procedures/{BIRTH}/")
    assert response.status_code == 200
    page = text_of(response)
    assert "<h1>Thủ tục đăng ký khai sinh</h1>" in page
    assert '<code data-testid="procedure-code">1.001193</code>' in page
    assert "<dd>Hộ tịch</dd>" in page and "<dd>Cấp xã</dd>" in page
    papers = section(page, "ho-so")
    assert "<h3>Giấy tờ phải nộp</h3>" in papers and "<h3>Giấy tờ phải xuất trình</h3>" in papers
    assert "Giấy chứng sinh; trường hợp không có Giấy chứng sinh" in papers
    assert "<span>Bản chính</span>" in papers and "<span>Số lượng: 1</span>" in papers
    times = section(page, "thoi-han")
    # The national page gives "1" without a unit: shown as written, and said to be so.
    assert re.search(
        r'data-testid="time-direct"><span class="prose">1</span> <span class="muted">\(nguyên văn danh mục\)',
        times,
    )
    assert re.search(r'data-testid="fee-direct">\s*Miễn phí', times)
    for channel in ("Trực tiếp", "Trực tuyến", "Dịch vụ bưu chính"):
        assert f'<td class="primary" data-label="Hình thức nộp">{channel}</td>' in times
    where = section(page, "noi-nop")
    assert "Tại tỉnh, thủ tục này do 2 cơ quan tiếp nhận và giải quyết:" in where
    assert f'<a href="/agencies/{HA_GIANG_2}/">Ủy ban nhân dân phường Hà Giang 2</a>' in where
    assert f"mã thủ tục {BIRTH}.{HA_GIANG_2}" in where
    assert "Giấy khai sinh" in section(page, "ket-qua") and "KQ.G15.000031" in section(page, "ket-qua")
    assert re.search(r"<strong>123/2015/NĐ-CP</strong> — Nghị định", section(page, "can-cu"))
    version = catalog[BIRTH].current_version
    assert version is not None
    assert f"Phiên bản {version.number}" in page and "Quyết định công bố số 163/QĐ-BTP" in page


def test_steps_keep_their_line_breaks(client: Client, catalog: dict[str, Procedure]) -> None:
    page = text_of(client.get(f"/procedures/{BIRTH}/"))
    steps = re.search(r'<div class="prose" data-testid="steps">(.*?)</div>', page, re.S)
    assert steps and "\n- Nếu lựa chọn hình thức nộp hồ sơ trực tuyến" in steps.group(1)


def test_fees_are_written_in_dong_with_a_dot_between_thousands(
    client: Client, catalog: dict[str, Procedure]
) -> None:
    times = section(text_of(client.get(f"/procedures/{PERMANENT_RESIDENCE}/")), "thoi-han")
    assert "20.000 đồng" in times and "10.000 đồng" in times
    assert "7 ngày làm việc" in times


def test_a_channel_may_have_several_rows_and_fees_in_dollars(
    client: Client, catalog: dict[str, Procedure]
) -> None:
    # Certified copies: 2.000 đồng a page at the commune, 10 dollars a copy at an embassy.
    times = section(text_of(client.get(f"/procedures/{CERTIFIED_COPY}/")), "thoi-han")
    assert times.count('<td class="primary" data-label="Hình thức nộp">Trực tiếp</td>') == 2
    assert "<li>2.000 đồng</li>" in times and "<li>10 USD</li>" in times
    assert "(/trang)" in times  # the fee cell as written, under "Ghi chú về phí"


def test_a_fee_left_to_the_provincial_council_says_so_and_not_free(
    client: Client, catalog: dict[str, Procedure]
) -> None:
    # Death registration: the portal shows "Miễn phí" with a note that the council sets the fee.
    times = section(text_of(client.get(f"/procedures/{DEATH}/")), "thoi-han")
    assert (
        'Mức thu theo văn bản quy định: <span class="prose">Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh'
        in times
    )
    assert "Miễn phí" not in times


def test_an_online_procedure_offers_to_submit_online_and_an_information_only_one_does_not(
    client: Client, catalog: dict[str, Procedure]
) -> None:
    (residence,) = catalog_records([PERMANENT_RESIDENCE])
    link = (
        f'<a class="button" href="/nop-ho-so/{PERMANENT_RESIDENCE}/" data-testid="submit-online">'
        "Nộp hồ sơ trực tuyến</a>"
    )
    procedure = catalog[PERMANENT_RESIDENCE]
    binding, _ = services.binding_ensure(
        procedure=procedure, agency=factories.agency("000.00.30"), actor=None
    )
    url = f"/procedures/{PERMANENT_RESIDENCE}/"
    # Bound, but without an internal process no dossier could be received: no button yet.
    assert link not in text_of(client.get(url))
    legal = services.legal_time(procedure)
    assert legal is not None
    services.internal_process_create(binding=binding, steps=seed.demo_steps(*legal), actor=None)
    # "unknown": the page gives an online channel without saying toàn trình or một phần (birth registration
    # in the shipped catalog): offered.
    for level, offered in (("full", True), ("partial", True), ("unknown", True), ("information", False)):
        services.procedure_import(parsed=dataclasses.replace(residence, online_level=level))  # type: ignore[arg-type]
        page = text_of(client.get(url))
        assert (link in page) is offered, level


def test_related_procedures_link_to_their_pages(client: Client, catalog: dict[str, Procedure]) -> None:
    (residence,) = catalog_records([PERMANENT_RESIDENCE])
    services.procedure_import(parsed=dataclasses.replace(residence, related_procedures=[BIRTH, "1.999999"]))
    related = section(text_of(client.get(f"/procedures/{PERMANENT_RESIDENCE}/")), "lien-quan")
    assert '<a href="/procedures/1.001193/">Thủ tục đăng ký khai sinh</a>' in related
    assert '1.999999 <span class="muted">(chưa có trong danh mục)</span>' in related


def test_parse_problems_are_shown_to_catalog_administrators_only(
    client: Client, catalog: dict[str, Procedure], settings: Any
) -> None:
    settings.TINHSO_REQUIRE_OFFICIAL_2FA = False
    url = f"/procedures/{BIRTH}/"
    assert 'data-testid="parse-problems"' not in text_of(client.get(url))
    client.force_login(factories.official(roles=(Role.SPECIALIST,)))
    assert 'data-testid="parse-problems"' not in text_of(client.get(url))
    client.force_login(factories.official(agency_prefix="000.00.01", roles=(Role.CATALOG_ADMIN,)))
    page = text_of(client.get(url))
    assert 'data-testid="parse-problems"' in page
    assert "<strong>cach_thuc_thuc_hien</strong>" in page
    edit = f'href="/admin/procedures/procedure/{catalog[BIRTH].pk}/content/"'
    assert edit in page


def test_an_unknown_procedure_is_not_found(client: Client, catalog: dict[str, Procedure]) -> None:
    assert client.get("/procedures/1.999999/").status_code == 404
    assert client.get("/procedures/khong-co/").status_code == 404


def test_the_pages_write_vietnamese_in_nfc(client: Client, catalog: dict[str, Procedure]) -> None:
    for url in ("/procedures/", f"/procedures/{BIRTH}/", f"/procedures/{PERMANENT_RESIDENCE}/"):
        assert unicodedata.is_normalized("NFC", text_of(client.get(url))), url


# --- The home page and the menu -------------------------------------------------------------------------


def test_the_home_page_counts_the_procedures_and_searches_them(
    client: Client, catalog: dict[str, Procedure], django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(2):
        response = client.get("/")
    page = text_of(response)
    assert f'<span class="stat-number" data-testid="procedure-count">{len(catalog)}</span>' in page
    form = re.search(r'<form method="get" action="/procedures/" role="search"[^>]*>(.*?)</form>', page, re.S)
    assert form and 'name="q" id="id_home_procedure_q"' in form.group(1)
    assert '<a href="/procedures/">Thủ tục</a>' in page


def test_the_menu_marks_the_catalog_as_the_current_section(
    client: Client, catalog: dict[str, Procedure]
) -> None:
    assert '<a href="/procedures/" aria-current="page">Thủ tục</a>' in text_of(client.get("/procedures/"))
    assert '<a href="/procedures/" aria-current="true">Thủ tục</a>' in text_of(
        client.get(f"/procedures/{BIRTH}/")
    )
