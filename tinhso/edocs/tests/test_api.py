"""The API: my documents (paginated, by kind), one document with its links, its file, a share link (the
token once); officials get nothing."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.test import Client

from tinhso.accounts.models import User
from tinhso.edocs import services
from tinhso.edocs.models import ShareLink
from tinhso.edocs.tests.factories import DOSSIER_CODE, bearer, body, jpeg, pdf, result

pytestmark = pytest.mark.django_db


def test_the_list_holds_my_documents_by_kind_and_page(client: Client, alice: User) -> None:
    a = result(alice, title="Giấy khai sinh")
    b = services.edoc_upload_by_citizen(
        owner=alice, actor=alice, title="Ảnh CCCD", upload=jpeg(), filename="a.jpg"
    )
    auth = bearer(alice)
    data = client.get("/api/edocs", headers=auth).json()
    assert [i["id"] for i in data["items"]] == [b.pk, a.pk]
    assert (data["count"], data["page"]) == (2, 1)
    first = data["items"][1]
    assert first["kind_label"] == "Kết quả giải quyết thủ tục hành chính"
    assert first["source_dossier_code"] == DOSSIER_CODE and first["sha256"] == a.sha256
    assert first["download_url"] == f"/api/edocs/{a.pk}/file"
    assert [i["id"] for i in client.get("/api/edocs?kind=uploaded", headers=auth).json()["items"]] == [b.pk]
    one = client.get("/api/edocs?page_size=1&page=2", headers=auth).json()
    assert [i["id"] for i in one["items"]] == [a.pk] and one["count"] == 2
    assert client.get("/api/edocs?kind=bogus", headers=auth).status_code == 422


def test_the_detail_lists_share_links_without_tokens(client: Client, alice: User) -> None:
    doc = result(alice, valid_until=dt.date(2020, 1, 1), issued_on=dt.date(2019, 1, 1))
    link, raw = services.share_link_create(document=doc, actor=alice)
    response = client.get(f"/api/edocs/{doc.pk}", headers=bearer(alice))
    assert response.status_code == 200
    data = response.json()
    assert data["expired"] is True and data["valid_until"] == "2020-01-01"
    assert [(s["id"], s["prefix"], s["active"]) for s in data["share_links"]] == [(link.pk, raw[:6], True)]
    assert raw not in response.content.decode()


def test_the_file_downloads_with_safe_headers(client: Client, alice: User) -> None:
    content = pdf()
    doc = result(alice, content=content)
    response = client.get(f"/api/edocs/{doc.pk}/file", headers=bearer(alice))
    assert response.status_code == 200 and body(response) == content
    assert response["Content-Disposition"] == 'attachment; filename="giay-khai-sinh.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response["Cache-Control"] == "private, no-store"


def test_a_share_link_is_created_and_its_token_opens_the_share_page(client: Client, alice: User) -> None:
    doc = result(alice)
    response = client.post(
        f"/api/edocs/{doc.pk}/share-links",
        {"days": 2},
        content_type="application/json",
        headers=bearer(alice),
    )
    assert response.status_code == 201, response.content
    data = response.json()
    link = ShareLink.objects.get()
    assert link.token_hash == hashlib.sha256(data["token"].encode()).hexdigest()
    assert data["url"] == f"http://testserver/chia-se/{data['token']}/"
    assert link.expires_at - link.created_at == dt.timedelta(days=2)
    assert Client().get(f"/chia-se/{data['token']}/").status_code == 200


def test_a_share_link_of_too_many_days_is_a_400(client: Client, alice: User) -> None:
    doc = result(alice)
    auth = bearer(alice)
    response = client.post(
        f"/api/edocs/{doc.pk}/share-links", {"days": 31}, content_type="application/json", headers=auth
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Thời hạn của liên kết chia sẻ phải từ 1 đến 30 ngày."
    assert ShareLink.objects.count() == 0


def test_a_share_link_is_revoked(client: Client, alice: User) -> None:
    doc = result(alice)
    link, raw = services.share_link_create(document=doc, actor=alice)
    response = client.post(f"/api/edocs/{doc.pk}/share-links/{link.pk}/revoke", headers=bearer(alice))
    assert response.status_code == 200 and response.json()["active"] is False
    assert Client().get(f"/chia-se/{raw}/").status_code == 410


def test_the_session_api_needs_the_csrf_token_for_writes(alice: User) -> None:
    doc = result(alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get("/api/edocs").status_code == 200
    response = client.post(f"/api/edocs/{doc.pk}/share-links", {}, content_type="application/json")
    assert response.status_code in (401, 403)
    assert ShareLink.objects.count() == 0


def test_the_list_makes_a_fixed_number_of_queries(
    client: Client, alice: User, django_assert_max_num_queries
) -> None:
    content = pdf()
    for n in range(12):
        result(alice, content=content, source_dossier_code=f"{DOSSIER_CODE}-{n}")
    auth = bearer(alice)
    with django_assert_max_num_queries(4):
        assert len(client.get("/api/edocs", headers=auth).json()["items"]) == 12
