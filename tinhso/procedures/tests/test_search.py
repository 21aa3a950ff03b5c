"""Procedure catalog search: matching, ranking, codes, filters and facets, the index kept in step.

The same cases run on SQLite and on PostgreSQL (`DATABASE_URL=postgres://…`): the results must not depend on
the database. The first part uses a few real procedures written out here (names as published, bodies
trimmed); the last part searches the whole shipped catalog (`data/catalog.jsonl.gz`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction

from bench import relevance
from tinhso.accounts.models import Agency
from tinhso.procedures import parsed as p
from tinhso.procedures import services
from tinhso.procedures.models import Procedure, ProcedureBinding, ProcedureField, ProcedureVersion
from tinhso.procedures.search import SearchResult, procedure_search

pytestmark = pytest.mark.django_db

HA_GIANG_2 = "000.00.30.H60"  # Ủy ban nhân dân phường Hà Giang 2
NGOC_DUONG = "000.00.32.H60"  # Ủy ban nhân dân xã Ngọc Đường
JUSTICE = "000.00.04.H60"  # Sở Tư pháp tỉnh Tuyên Quang

CIVIL_STATUS = "Hộ tịch"
RESIDENCE = "Đăng ký, quản lý cư trú"


def record(
    code: str,
    name: str,
    field: str,
    *,
    levels: tuple[p.Level, ...] = ("commune",),
    online: p.OnlineLevel = "partial",
    steps: str = "",
    papers: tuple[str, ...] = (),
    results: tuple[str, ...] = (),
) -> p.ParsedProcedure:
    return p.ParsedProcedure(
        code=code,
        name=name,
        source_url="https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html",
        decision_number="",
        field_name=field,
        levels=list(levels),
        procedure_type="",
        applicants="Công dân Việt Nam",
        competent_agency="",
        implementing_agency="",
        receiving_address="",
        delegated_agency="",
        coordinating_agency="",
        related_procedures=[],
        steps=steps,
        conditions="",
        channels=[],
        papers=[p.RequiredPaper(name=x) for x in papers],
        legal_basis=[],
        results=[p.ResultDocument(name=x) for x in results],
        online_level=online,
    )


# Real procedures (names as published on the national portal; bodies trimmed to a sentence or two).
RECORDS = [
    record(
        "1.001193",
        "Thủ tục đăng ký khai sinh",
        CIVIL_STATUS,
        online="full",
        steps="Người đi đăng ký khai sinh cho trẻ em nộp hồ sơ tại Trung tâm Phục vụ hành chính công.",
        papers=("Tờ khai đăng ký khai sinh", "Giấy chứng sinh"),
        results=("Giấy khai sinh (bản chính)",),
    ),
    record(
        "1.004884",
        "Thủ tục đăng ký lại khai sinh",
        CIVIL_STATUS,
        papers=("Tờ khai đăng ký lại khai sinh",),
        results=("Giấy khai sinh (bản chính)",),
    ),
    record("1.003583", "Thủ tục đăng ký khai sinh lưu động", CIVIL_STATUS, online="information"),
    record("2.000528", "Thủ tục đăng ký khai sinh có yếu tố nước ngoài", CIVIL_STATUS),
    record(
        "2.001023",
        "Liên thông các thủ tục hành chính về đăng ký khai sinh, cấp Thẻ bảo hiểm y tế cho trẻ em dưới 6 "
        "tuổi",
        CIVIL_STATUS,
        online="full",
    ),
    record(
        "2.000635",
        "Cấp bản sao Trích lục hộ tịch, bản sao Giấy khai sinh",
        CIVIL_STATUS,
        levels=("province", "commune"),
    ),
    record("1.001022", "Thủ tục đăng ký nhận cha, mẹ, con", CIVIL_STATUS),
    record(
        "1.000894",
        "Thủ tục đăng ký kết hôn",
        CIVIL_STATUS,
        online="full",
        papers=("Tờ khai đăng ký kết hôn",),
        results=("Giấy chứng nhận kết hôn",),
    ),
    record(
        "1.004194",
        "Đăng ký tạm trú",
        RESIDENCE,
        online="full",
        steps="Công dân nộp hồ sơ đăng ký tạm trú đến Công an cấp xã nơi dự kiến tạm trú.",
        papers=("Tờ khai thay đổi thông tin cư trú",),
    ),
    record("1.002755", "Gia hạn tạm trú", RESIDENCE, online="full"),
    record("1.010028", "Xóa đăng ký tạm trú", RESIDENCE, online="full"),
    record(
        "1.004222",
        "Đăng ký thường trú",
        RESIDENCE,
        online="full",
        # The body mentions a birth certificate, the name does not.
        papers=("Tờ khai thay đổi thông tin cư trú", "Bản sao Giấy khai sinh của trẻ em"),
    ),
    record("1.003677", "Khai báo tạm vắng", RESIDENCE, online="full"),
    record("1.014063", "Cấp đổi thẻ căn cước", "Cấp, quản lý căn cước", online="full"),
    record(
        "2.000815",
        "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan, tổ chức có thẩm quyền của Việt Nam; "
        "cơ quan, tổ chức có thẩm quyền của nước ngoài; cơ quan, tổ chức có thẩm quyền của Việt Nam liên "
        "kết với cơ quan, tổ chức có thẩm quyền của nước ngoài cấp hoặc chứng nhận",
        "Chứng thực",
        levels=("commune", "other"),
        papers=("Bản chính giấy tờ, văn bản làm cơ sở để chứng thực bản sao, ví dụ Giấy khai sinh",),
    ),
    record(
        "1.001456",
        "Cấp hộ chiếu phổ thông ở trong nước (thực hiện tại cấp tỉnh)",
        "Quản lý xuất nhập cảnh",
        levels=("province",),
    ),
    record(
        "1.001471",
        "Cấp hộ chiếu phổ thông ở trong nước (thực hiện tại cấp trung ương)",
        "Quản lý xuất nhập cảnh",
        levels=("ministry",),
    ),
    record(
        "1.007037",
        "Hoàn thuế giá trị gia tăng của doanh nghiệp, tổ chức",
        "Thuế",
        levels=("ministry", "province", "commune"),
        online="full",
    ),
]
NAME_HOLDS_KHAI_SINH = {"1.001193", "1.004884", "1.003583", "2.000528", "2.001023", "2.000635"}


@pytest.fixture
def catalog(reference_data: None) -> dict[str, Procedure]:
    """The procedures above, bound to their agencies as the province binds them."""
    for r in RECORDS:
        services.procedure_import(parsed=r)
    procedures = {x.code: x for x in Procedure.objects.all()}
    ha_giang_2, ngoc_duong, justice = (
        Agency.objects.get(code=code) for code in (HA_GIANG_2, NGOC_DUONG, JUSTICE)
    )
    for code, agency in [
        ("1.001193", ha_giang_2),
        ("1.004194", ha_giang_2),
        ("1.004222", ha_giang_2),
        ("1.001193", ngoc_duong),
        ("2.000635", justice),
    ]:
        services.binding_ensure(procedure=procedures[code], agency=agency, actor=None)
    return procedures


def codes(result: SearchResult) -> list[str]:
    return [x.code for x in result.items]


def search(q: str = "", **filters: Any) -> list[str]:
    return codes(procedure_search(q=q, limit=100, **filters))


def field_id(name: str) -> int:
    return ProcedureField.objects.get(name=name).pk


def facet(result: SearchResult, name: str) -> dict[Any, int]:
    return {v.value: v.count for v in getattr(result.facets, name)}


# --- Matching and ranking -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dang ky khai sinh", "1.001193"),
        ("khai sinh", "1.001193"),
        ("đăng ký tạm trú", "1.004194"),
        ("cap ban sao giay khai sinh", "2.000635"),
        ("dang ky ket hon", "1.000894"),
        ("nhan cha me con", "1.001022"),
        ("cap doi the can cuoc", "1.014063"),
        ("chung thuc ban sao", "2.000815"),
    ],
)
def test_the_procedure_a_query_names_comes_first(catalog: None, query: str, expected: str) -> None:
    assert search(query)[0] == expected


def test_case_and_diacritics_do_not_matter(catalog: None) -> None:
    expected = search("dang ky khai sinh")
    assert expected[0] == "1.001193"
    for query in ["ĐĂNG KÝ KHAI SINH", "đăng ký khai sinh", "Dang Ky Khai Sinh", "  dang   ky, khai-sinh! "]:
        assert search(query) == expected, query


def test_a_partial_name_finds_every_procedure_named_so(catalog: None) -> None:
    assert set(search("tam tru")[:3]) == {"1.004194", "1.002755", "1.010028"}


def test_name_matches_rank_above_body_matches(catalog: None) -> None:
    found = search("khai sinh")
    named = [c for c in found if c in NAME_HOLDS_KHAI_SINH]
    # 1.004222 and 2.000815 only ask for a birth certificate among their papers: found, but after.
    assert set(named) == NAME_HOLDS_KHAI_SINH
    assert {"1.004222", "2.000815"} <= set(found)
    assert found[: len(named)] == named


def test_the_shortest_name_the_query_covers_comes_first(catalog: None) -> None:
    found = search("khai sinh")
    assert found[0] == "1.001193"  # Thủ tục đăng ký khai sinh
    assert found.index("1.003583") < found.index("2.001023")  # … lưu động before the long "Liên thông …"


def test_an_extra_word_does_not_lose_the_procedure(catalog: None) -> None:
    # "cho trẻ" is in the name of 2.001023, and only in the body of 1.001193.
    assert "1.001193" in search("thu tuc dang ky khai sinh cho tre")[:3]
    assert search("dang ky khai sinh nhanh")[0] == "1.001193"  # "nhanh" is in no procedure
    assert search("dang ky ket hon o xa")[0] == "1.000894"  # "ở xã": in the other procedures' bodies


def test_a_missing_word_does_not_lose_the_procedure(catalog: None) -> None:
    assert search("dang ky nhan cha con")[0] == "1.001022"  # Thủ tục đăng ký nhận cha, mẹ, con


def test_word_order_matters_little(catalog: None) -> None:
    assert search("khai sinh dang ky")[0] == "1.001193"


def test_the_last_word_also_matches_as_the_start_of_a_word(catalog: None) -> None:
    assert search("dang ky tam t")[0] == "1.004194"
    assert search("khai bao tam va")[0] == "1.003677"


def test_ky_and_ki_are_the_same_syllable(catalog: None) -> None:
    assert search("dang ki ket hon") == search("dang ky ket hon")


def test_acronyms_and_everyday_words_find_the_catalog_s_words(catalog: None) -> None:
    assert search("doi cccd")[0] == "1.014063"
    assert search("sao y ban chinh")[0] == "2.000815"
    assert search("nhap ho khau")[0] == "1.004222"


def test_a_misspelt_word_is_read_as_the_catalog_word_one_letter_away(catalog: None) -> None:
    result = procedure_search(q="khai sihn")
    assert codes(result)[0] == "1.001193"
    assert result.corrections == {"sihn": "sinh"}


def test_words_no_procedure_holds_find_nothing(catalog: None) -> None:
    result = procedure_search(q="xyzzy qwertz")
    assert (result.items, result.total, result.corrections) == ([], 0, {})
    assert result.facets.field == [] and result.facets.agency == []


def test_a_common_word_alone_does_not_bring_the_whole_catalog(catalog: None) -> None:
    found = search("thu tuc cap ho chieu")
    assert set(found[:2]) == {"1.001456", "1.001471"}
    # Thủ tục đăng ký kết hôn shares "thủ tục" only.
    assert "1.000894" not in found


# --- Codes ----------------------------------------------------------------------------------------------


def test_a_national_code_finds_its_procedure_first(catalog: None) -> None:
    assert search("1.001193") == ["1.001193"]
    assert search("  1.004194 ") == ["1.004194"]


def test_a_local_code_finds_its_national_procedure(catalog: None) -> None:
    assert search("1.004194.000.00.30.H60") == ["1.004194"]


def test_a_code_with_words_puts_the_coded_procedure_first(catalog: None) -> None:
    found = search("1.004194 khai sinh")
    assert found[0] == "1.004194"
    assert found[1] == "1.001193"


def test_the_start_of_a_code_lists_the_codes_it_starts_in_order(catalog: dict[str, Procedure]) -> None:
    assert search("1.00") == sorted(c for c in catalog if c.startswith("1.00"))


# --- Filters, facets, pages -----------------------------------------------------------------------------


def test_an_empty_query_lists_every_procedure_in_code_order(catalog: dict[str, Procedure]) -> None:
    result = procedure_search(limit=100)
    assert codes(result) == sorted(catalog)
    assert result.total == len(RECORDS)
    assert facet(result, "field")[field_id(CIVIL_STATUS)] == 8
    assert facet(result, "level") == {"ministry": 2, "province": 3, "commune": 16, "other": 1}
    assert facet(result, "online_level") == {"full": 10, "partial": 7, "information": 1}
    assert facet(result, "agency") == {HA_GIANG_2: 3, NGOC_DUONG: 1, JUSTICE: 1}


def test_filters_combine_with_the_query(catalog: None) -> None:
    # Names first, then the bodies (which hold the field's name, Đăng ký, quản lý cư trú).
    residence = ["1.004194", "1.004222", "1.010028", "1.002755", "1.003677"]
    assert search("dang ky", field_id=field_id(RESIDENCE)) == residence
    assert search("khai sinh", level="province") == ["2.000635"]
    assert search("khai sinh", online_level="full") == ["1.001193", "2.001023", "1.004222"]
    assert search("khai sinh", agency_code=NGOC_DUONG) == ["1.001193"]
    assert search("", agency_code=HA_GIANG_2, online_level="full") == ["1.001193", "1.004194", "1.004222"]


def test_each_facet_counts_the_matches_ignoring_its_own_filter(catalog: None) -> None:
    query = "khai sinh"
    everything = procedure_search(q=query)
    narrowed = procedure_search(q=query, level="commune", online_level="full")
    # The level facet ignores the level filter but keeps the online-level one, and the other way round.
    assert facet(narrowed, "level") == facet(procedure_search(q=query, online_level="full"), "level")
    assert facet(narrowed, "online_level") == facet(
        procedure_search(q=query, level="commune"), "online_level"
    )
    # The matches themselves obey both filters.
    assert narrowed.total == 3
    assert facet(narrowed, "field") == {field_id(CIVIL_STATUS): 2, field_id(RESIDENCE): 1}
    assert sum(facet(everything, "online_level").values()) == everything.total


def test_a_selected_value_stays_in_its_facet_even_without_matches(catalog: None) -> None:
    result = procedure_search(q="ho chieu", agency_code=HA_GIANG_2)
    assert result.total == 0
    assert [(v.value, v.count) for v in result.facets.agency] == [(HA_GIANG_2, 0)]
    assert result.facets.agency[0].label == "Ủy ban nhân dân phường Hà Giang 2"


def test_facets_carry_labels_and_list_the_largest_first(catalog: None) -> None:
    result = procedure_search(q="dang ky")
    assert [v.label for v in result.facets.field][:2] == [CIVIL_STATUS, RESIDENCE]
    assert [v.label for v in result.facets.level][:1] == ["Cấp xã"]
    assert {v.label for v in result.facets.online_level} >= {"Toàn trình", "Một phần"}


def test_unknown_field_or_agency_matches_nothing_and_unknown_level_is_refused(catalog: None) -> None:
    assert search("khai sinh", field_id=999_999) == []
    assert search("khai sinh", agency_code="000.00.99.X99") == []
    with pytest.raises(ValueError, match="level"):
        procedure_search(q="khai sinh", level="district")
    with pytest.raises(ValueError, match="online level"):
        procedure_search(q="khai sinh", online_level="fully")
    with pytest.raises(ValueError, match="limit"):
        procedure_search(q="khai sinh", offset=-1)


def test_pages_are_slices_of_one_ranking(catalog: None) -> None:
    everything = search("khai sinh")
    pages = [codes(procedure_search(q="khai sinh", limit=3, offset=offset)) for offset in (0, 3, 6)]
    assert [c for page in pages for c in page] == everything
    last = procedure_search(q="khai sinh", limit=3, offset=99)
    assert last.items == [] and last.total == len(everything)


def test_a_new_search_takes_five_queries_and_a_repeated_one_only_the_stamp(
    catalog: None, django_assert_num_queries: Any
) -> None:
    # The stamp, word counts, candidates, agency facet, page — however many procedures match.
    with django_assert_num_queries(5):
        result = procedure_search(q="dang ky khai sinh")
    assert result.items[0].field.name == CIVIL_STATUS  # loaded with the page: no query per item
    # The catalog unchanged, the rest comes from the cache: the stamp only, and the page for another page.
    with django_assert_num_queries(1):
        again = procedure_search(q="Đăng ký khai sinh")
    assert (codes(again), again.total, again.facets) == (codes(result), result.total, result.facets)
    with django_assert_num_queries(2):
        second = procedure_search(q="dang ky khai sinh", limit=5, offset=1)
    assert codes(second) == codes(result)[1:6]
    with django_assert_num_queries(4):  # a code, no words: no word counts
        procedure_search(q="1.001193")


# --- The index and the cache follow every write --------------------------------------------------------


def test_a_new_version_s_name_is_searched_not_the_old_one(catalog: None) -> None:
    assert search("tam vang") == ["1.003677"]
    renamed = record("1.003677", "Khai báo lưu trú tạm thời", RESIDENCE, online="full")
    services.procedure_import(parsed=renamed)
    assert "1.003677" not in search("tam vang")
    assert search("khai bao luu tru")[0] == "1.003677"


def test_a_deleted_procedure_is_not_found(catalog: dict[str, Procedure]) -> None:
    assert search("1.003677") == ["1.003677"]
    procedure = catalog["1.003677"]
    Procedure.objects.filter(pk=procedure.pk).update(current_version=None)
    ProcedureVersion.objects.filter(procedure=procedure).delete()
    procedure.delete()
    assert "1.003677" not in search("tam vang")
    assert search("1.003677") == []


def test_a_bulk_update_is_searched_too(catalog: None) -> None:
    assert search("nghi phep") == []
    # Written past the ORM's save(): the database's triggers keep the index in step all the same.
    Procedure.objects.filter(code="1.003677").update(name_folded="khai bao nghi phep")
    assert search("nghi phep") == ["1.003677"]


def test_binding_changes_show_in_the_agency_filter_and_facet(catalog: dict[str, Procedure]) -> None:
    assert search("ket hon", agency_code=NGOC_DUONG) == []
    binding, _ = services.binding_ensure(
        procedure=catalog["1.000894"], agency=Agency.objects.get(code=NGOC_DUONG), actor=None
    )
    assert search("ket hon", agency_code=NGOC_DUONG) == ["1.000894"]
    assert facet(procedure_search(q="ket hon"), "agency") == {NGOC_DUONG: 1}
    ProcedureBinding.objects.filter(pk=binding.pk).update(is_active=False)
    assert search("ket hon", agency_code=NGOC_DUONG) == []
    assert facet(procedure_search(q="ket hon"), "agency") == {}


def test_renamed_fields_and_agencies_show_their_new_names(catalog: None) -> None:
    def labels(result: SearchResult) -> dict[Any, str]:
        return {v.value: v.label for v in [*result.facets.field, *result.facets.agency]}

    civil_status = field_id(CIVIL_STATUS)
    before = labels(procedure_search(q="khai sinh"))
    assert (before[civil_status], before[NGOC_DUONG]) == (CIVIL_STATUS, "Ủy ban nhân dân xã Ngọc Đường")
    ProcedureField.objects.filter(pk=civil_status).update(name="Hộ tịch (đăng ký)")
    Agency.objects.filter(code=NGOC_DUONG).update(name="Ủy ban nhân dân xã Ngọc Đường mới")
    after = labels(procedure_search(q="khai sinh"))
    assert (after[civil_status], after[NGOC_DUONG]) == (
        "Hộ tịch (đăng ký)",
        "Ủy ban nhân dân xã Ngọc Đường mới",
    )


def test_without_the_cache_the_answers_are_the_same(catalog: None, settings: Any) -> None:
    cached = [procedure_search(q=q, limit=100) for q in ("khai sinh", "tam tru", "1.00", "")]
    settings.PROCEDURE_SEARCH_CACHE_SECONDS = 0
    fresh = [procedure_search(q=q, limit=100) for q in ("khai sinh", "tam tru", "1.00", "")]
    assert [(codes(r), r.total, r.facets) for r in cached] == [(codes(r), r.total, r.facets) for r in fresh]


def test_the_index_holds_every_procedure_and_nothing_else(catalog: dict[str, Procedure]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # FTS5 compares its index with the content table and fails on any difference.
            cursor.execute(
                "INSERT INTO procedures_procedure_fts(procedures_procedure_fts) VALUES ('integrity-check')"
            )
            cursor.execute("SELECT COUNT(*) FROM procedures_procedure_fts")
        else:
            cursor.execute(
                "SELECT COUNT(*) FROM procedures_procedure_search s "
                "JOIN procedures_procedure p ON p.id = s.id"
            )
        assert cursor.fetchone()[0] == len(catalog)


# --- The whole shipped catalog --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped_catalog(
    django_db_setup: None, django_db_blocker: Any, _reference_data_committed: None
) -> Iterator[None]:
    """All of `data/catalog.jsonl.gz`, imported once for the module inside a transaction that is rolled
    back after it (each test's own transaction nests inside as a savepoint)."""
    if not services.CATALOG_PATH.exists():
        pytest.skip(f"{services.CATALOG_PATH} is not generated yet")
    with django_db_blocker.unblock(), transaction.atomic():
        services.catalog_load(services.catalog_read())  # what `manage.py load_catalog` does
        yield
        transaction.set_rollback(True)


ISSUE_EXAMPLES = [
    ("dang ky khai sinh", "1.001193"),
    ("khai sinh", "1.001193"),
    ("đăng ký tạm trú", "1.004194"),
    ("tam tru", "1.004194"),
    ("1.001193", "1.001193"),
    ("cap ban sao giay khai sinh", "2.000635"),
    ("thu tuc dang ky khai sinh cho tre", "1.001193"),
]


@pytest.mark.parametrize(("query", "expected"), ISSUE_EXAMPLES)
def test_in_the_catalog_each_example_of_the_issue_is_in_the_top_3(
    shipped_catalog: None, query: str, expected: str
) -> None:
    assert expected in search(query)[:3]


def test_in_the_catalog_the_relevance_set_hits_the_top_3_at_least_9_times_in_10(
    shipped_catalog: None,
) -> None:
    report = relevance.evaluate()
    misses = [(o.query, o.expected, o.got[:3]) for o in report.misses(3)]
    assert report.hit_rate(3) >= relevance.TARGET_TOP3, misses
