import pytest

pytestmark = pytest.mark.django_db


def test_searching_agencies_without_diacritics_finds_tuyen_quang(client, reference_data):
    res = client.get("/api/agencies", {"q": "tuyen quang"})
    assert res.status_code == 200
    body = res.json()
    names = [a["name"] for a in body["items"]]
    assert "Ủy ban nhân dân tỉnh Tuyên Quang" in names
    assert all("Tuyên Quang" in n for n in names)
    assert body["count"] == 15  # the committee, the service centre and the 13 departments


@pytest.mark.parametrize("query", ["ha giang", "HÀ GIANG", "Hà  Giang", "hà giang"])
def test_agency_search_ignores_case_diacritics_and_spacing(client, reference_data, query):
    names = [a["name"] for a in client.get("/api/agencies", {"q": query}).json()["items"]]
    assert names == ["Ủy ban nhân dân phường Hà Giang 2", "Ủy ban nhân dân phường Hà Giang 1"]


def test_agency_search_by_code_prefix(client, reference_data):
    items = client.get("/api/agencies", {"q": "000.00.04"}).json()["items"]
    assert [(a["code"], a["name"]) for a in items] == [("000.00.04.H60", "Sở Tư pháp tỉnh Tuyên Quang")]


def test_searching_dd_finds_the_letter_d_with_stroke(client, reference_data):
    names = [
        c["name"] for c in client.get("/api/communes", {"q": "dong van", "province": "08"}).json()["items"]
    ]
    assert "Xã Đồng Văn" in names


def test_agency_detail_and_unknown_code(client, reference_data):
    res = client.get("/api/agencies/000.00.00.H60")
    assert res.status_code == 200
    assert res.json()["kind"] == "provincial_committee"
    assert client.get("/api/agencies/999.99.99.H60").status_code == 404


def test_commune_list_is_paginated_and_filtered_by_province(client, reference_data):
    body = client.get("/api/communes", {"province": "08", "page_size": 50}).json()
    assert body["count"] == 124
    assert len(body["items"]) == 50
    last = client.get("/api/communes", {"province": "08", "page_size": 50, "page": 3}).json()
    assert len(last["items"]) == 24


def test_a_huge_page_size_is_clamped(client, reference_data):
    body = client.get("/api/communes", {"page_size": 100000}).json()
    assert body["count"] == 3321
    assert len(body["items"]) == 200


def test_provinces_list_and_search(client, reference_data):
    assert len(client.get("/api/provinces").json()) == 34
    found = client.get("/api/provinces", {"q": "tuyen"}).json()
    assert [p["code"] for p in found] == ["08"]


def test_the_former_commune_endpoint_resolves_old_codes(client, reference_data):
    res = client.get("/api/former-communes/00691")
    assert res.status_code == 200
    assert res.json()[0]["new_commune"]["name"] == "Phường Hà Giang 2"
    assert client.get("/api/former-communes/99999").status_code == 404


def test_the_openapi_document_is_served(client):
    res = client.get("/api/openapi.json")
    assert res.status_code == 200
    assert "/api/agencies" in res.json()["paths"]
    assert client.get("/api/docs").status_code == 200


def test_list_endpoints_make_a_fixed_number_of_queries(client, reference_data, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        client.get("/api/agencies", {"page_size": 200})
    with django_assert_max_num_queries(2):
        client.get("/api/communes", {"page_size": 200})
