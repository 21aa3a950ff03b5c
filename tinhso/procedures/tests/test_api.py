"""The catalog's JSON API: search with facets and paging, one procedure in full, its versions, fields."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from tinhso.accounts.models import Agency
from tinhso.accounts.tests import factories
from tinhso.procedures import services
from tinhso.procedures.models import Procedure
from tinhso.procedures.schemas import FacetValueOut, ProcedureListOut, ProcedureSummaryOut
from tinhso.procedures.tests.catalog_fixtures import (
    BIRTH,
    CERTIFIED_COPY,
    PERMANENT_RESIDENCE,
    catalog_load,
    catalog_records,
)

pytestmark = pytest.mark.django_db

HA_GIANG_2 = "000.00.30.H60"


@pytest.fixture
def catalog(reference_data: None) -> dict[str, Procedure]:
    procedures = catalog_load()
    services.binding_ensure(
        procedure=procedures[BIRTH], agency=Agency.objects.get(code=HA_GIANG_2), actor=None
    )
    return procedures


def codes(body: dict[str, Any]) -> list[str]:
    return [item["code"] for item in body["items"]]


# --- Search ---------------------------------------------------------------------------------------------


def test_the_list_gives_items_count_page_and_facets(
    client: Client, catalog: dict[str, Procedure], django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(5):
        response = client.get("/api/procedures")
    assert response.status_code == 200
    body = response.json()
    # The answer is built by hand for speed: it must still be what the documented schema says.
    assert set(body) == set(ProcedureListOut.model_fields)
    assert all(set(item) == set(ProcedureSummaryOut.model_fields) for item in body["items"])
    facet_values = [v for values in body["facets"].values() for v in values]
    assert facet_values and all(set(v) == set(FacetValueOut.model_fields) for v in facet_values)
    assert all(isinstance(v["count"], int) and isinstance(v["value"], str) for v in facet_values)
    assert body["count"] == len(catalog) and body["page"] == 1 and body["page_size"] == 20
    assert codes(body) == sorted(catalog)
    birth = next(item for item in body["items"] if item["code"] == BIRTH)
    assert birth == {
        "code": BIRTH,
        "name": "Thủ tục đăng ký khai sinh",
        "field_id": catalog[BIRTH].field_id,
        "field_name": "Hộ tịch",
        "levels": ["commune"],
        "online_level": catalog[BIRTH].online_level,
        "online_level_label": birth["online_level_label"],
    }
    assert set(body["facets"]) == {"field", "level", "online_level", "agency"}
    assert {"value": HA_GIANG_2, "label": "Ủy ban nhân dân phường Hà Giang 2", "count": 1} in body["facets"][
        "agency"
    ]
    commune = next(v for v in body["facets"]["level"] if v["value"] == "commune")
    assert commune == {
        "value": "commune",
        "label": "Cấp xã",
        "count": sum(1 for p in catalog.values() if p.level_commune),
    }


def test_searching_and_filtering(client: Client, catalog: dict[str, Procedure]) -> None:
    assert codes(client.get("/api/procedures", {"q": "khai sinh"}).json())[0] == BIRTH
    assert codes(client.get("/api/procedures", {"agency": HA_GIANG_2}).json()) == [BIRTH]
    field = catalog[PERMANENT_RESIDENCE].field_id
    by_field = client.get("/api/procedures", {"field": field}).json()
    assert codes(by_field) == sorted(c for c, p in catalog.items() if p.field_id == field)
    assert client.get("/api/procedures", {"level": "ministry"}).json()["count"] == 0
    corrected = client.get("/api/procedures", {"q": "khai sihn"}).json()
    assert corrected["corrections"] == {"sihn": "sinh"} and codes(corrected)[0] == BIRTH


def test_an_unknown_filter_value_is_refused_with_422(client: Client, catalog: dict[str, Procedure]) -> None:
    assert client.get("/api/procedures", {"level": "nonsense"}).status_code == 422
    assert client.get("/api/procedures", {"online_level": "x"}).status_code == 422
    assert client.get("/api/procedures", {"field": "abc"}).status_code == 422
    assert client.get("/api/procedures", {"field": 2**40}).status_code == 422


def test_page_size_is_clamped_and_a_page_past_the_end_gives_the_last(
    client: Client, catalog: dict[str, Procedure]
) -> None:
    body = client.get("/api/procedures", {"page_size": 100000}).json()
    assert body["page_size"] == 100 and body["count"] == len(catalog)
    one = client.get("/api/procedures", {"page_size": 0}).json()
    assert one["page_size"] == 1 and len(one["items"]) == 1
    second = client.get("/api/procedures", {"page_size": 1, "page": 2}).json()
    assert second["page"] == 2 and codes(second) == [sorted(catalog)[1]]
    past = client.get("/api/procedures", {"page_size": 1, "page": 999}).json()
    assert past["page"] == len(catalog) and codes(past) == [sorted(catalog)[-1]]
    assert client.get("/api/procedures", {"page": -5}).json()["page"] == 1


# --- One procedure --------------------------------------------------------------------------------------


def test_a_procedure_in_full(
    client: Client, catalog: dict[str, Procedure], django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(7):
        response = client.get(f"/api/procedures/{BIRTH}")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == BIRTH and body["name"] == "Thủ tục đăng ký khai sinh"
    assert body["field_name"] == "Hộ tịch" and body["level_labels"] == ["Cấp xã"]
    assert body["decision_number"] == "163/QĐ-BTP"
    version = catalog[BIRTH].current_version
    assert version is not None and body["version"] == version.number
    # In the national page's order; each row with its time and fee.
    assert sorted(c["channel"] for c in body["channels"]) == ["direct", "online", "postal"]
    direct = next(c for c in body["channels"] if c["channel"] == "direct")
    assert direct["channel_label"] == "Trực tiếp"
    assert direct["time_value"] is None and direct["time_text"] == "1"
    assert direct["fee_kind"] == "free" and direct["fee_kind_label"] == "Miễn phí" and direct["fees"] == []
    birth_certificate = next(p for p in body["papers"] if p["name"].startswith("Giấy chứng sinh"))
    assert birth_certificate["group"] == "Giấy tờ phải nộp"
    assert birth_certificate["kind"] == "original" and birth_certificate["kind_label"] == "Bản chính"
    assert birth_certificate["quantity"] == 1
    assert {"name": "Giấy khai sinh", "code": "KQ.G15.000031"} in body["results"]
    assert any(x["number"] == "123/2015/NĐ-CP" for x in body["legal_basis"])
    assert body["bindings"] == [
        {
            "local_code": f"{BIRTH}.{HA_GIANG_2}",
            "agency_code": HA_GIANG_2,
            "agency_name": "Ủy ban nhân dân phường Hà Giang 2",
        }
    ]
    assert body["related"] == [] and body["related_codes"] == []


def test_fees_and_times_are_numbers(client: Client, catalog: dict[str, Procedure]) -> None:
    body = client.get(f"/api/procedures/{PERMANENT_RESIDENCE}").json()
    direct = next(c for c in body["channels"] if c["channel"] == "direct")
    assert direct["time_value"] == 7 and direct["time_unit"] == "working_day"
    assert direct["time_unit_label"] == "ngày làm việc"
    assert [(f["amount_vnd"], f["currency"]) for f in direct["fees"]] == [(20000, "VND")]


def test_fees_stated_in_dollars_say_so(client: Client, catalog: dict[str, Procedure]) -> None:
    body = client.get(f"/api/procedures/{CERTIFIED_COPY}").json()
    fees = [(f["amount_vnd"], f["currency"]) for c in body["channels"] for f in c["fees"]]
    assert fees == [(2000, "VND"), (10, "USD")]


def test_an_unknown_procedure_is_404(client: Client, catalog: dict[str, Procedure]) -> None:
    for url in ("/api/procedures/1.999999", "/api/procedures/khong-co", "/api/procedures/1.999999/versions"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "no such procedure" in response.json()["detail"]


# --- Versions and fields --------------------------------------------------------------------------------


def test_versions_newest_first_with_who_made_them(
    client: Client, catalog: dict[str, Procedure], django_assert_max_num_queries: Any
) -> None:
    (birth,) = catalog_records([BIRTH])
    editor = factories.official(agency_prefix="000.00.01", roles=("catalog_admin",))
    fixed = dataclasses.replace(
        birth,
        channels=[
            dataclasses.replace(c, time_value=Decimal(1), time_unit="working_day") for c in birth.channels
        ],
    )
    services.procedure_edit(parsed=fixed, actor=editor, note="Thời hạn 1 ngày làm việc")
    with django_assert_max_num_queries(2):
        response = client.get(f"/api/procedures/{BIRTH}/versions")
    versions = response.json()
    assert [v["number"] for v in versions] == [2, 1]
    newest, first = versions
    assert newest["is_current"] and not first["is_current"]
    assert newest["source"] == "edit" and newest["created_by"] == editor.username
    assert newest["note"] == "Thời hạn 1 ngày làm việc"
    assert first["source"] == "import" and first["created_by"] is None
    assert first["problem_count"] == len(birth.problems)
    assert len(newest["content_hash"]) == 64


def test_fields_with_their_procedure_counts(
    client: Client, catalog: dict[str, Procedure], django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(1):
        fields = client.get("/api/fields").json()
    civil_status = next(f for f in fields if f["name"] == "Hộ tịch")
    assert civil_status == {
        "id": catalog[BIRTH].field_id,
        "name": "Hộ tịch",
        "procedure_count": sum(1 for p in catalog.values() if p.field.name == "Hộ tịch"),
    }


def test_the_openapi_document_lists_the_catalog_endpoints(client: Client) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/procedures",
        "/api/procedures/{code}",
        "/api/procedures/{code}/versions",
        "/api/fields",
    ):
        assert path in paths, path
