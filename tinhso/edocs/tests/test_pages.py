"""The citizen's pages: the list (paginated, filtered by kind), the detail, the download with safe headers,
the upload form (bad files refused with the reason, nothing kept); officials refused; CSRF on every form."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tinhso.accounts.models import User
from tinhso.edocs import services
from tinhso.edocs.models import EDocument
from tinhso.edocs.tests.factories import DOSSIER_CODE, WARD_CODE, body, jpeg, pdf, result, stored_files

pytestmark = pytest.mark.django_db


def titles(html: str) -> list[str]:
    return re.findall(r'<a href="/giay-to/\d+/">([^<]*)</a>', html)


def test_the_list_shows_my_documents_newest_first_and_filters_by_kind(client: Client, alice: User) -> None:
    result(alice, title="Giấy khai sinh")
    services.edoc_upload_by_citizen(
        owner=alice, actor=alice, title="Ảnh CCCD", upload=jpeg(), filename="a.jpg"
    )
    client.force_login(alice)
    page = client.get("/giay-to/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>Kho giấy tờ điện tử của tôi</h1>" in html
    assert titles(html) == ["Ảnh CCCD", "Giấy khai sinh"]
    assert page["Cache-Control"] == "private, no-store"
    assert titles(client.get("/giay-to/?kind=result").content.decode()) == ["Giấy khai sinh"]
    assert titles(client.get("/giay-to/?kind=uploaded").content.decode()) == ["Ảnh CCCD"]
    assert "Không có giấy tờ nào thuộc loại này" in client.get("/giay-to/?kind=digitised").content.decode()
    # An unknown kind shows everything rather than an error.
    assert len(titles(client.get("/giay-to/?kind=bogus").content.decode())) == 2


def test_the_list_is_paginated_with_a_fixed_number_of_queries(
    client: Client, alice: User, django_assert_max_num_queries
) -> None:
    content = pdf()
    for n in range(23):
        result(
            alice,
            content=content,
            title=f"Kết quả {n:02d}",
            source_dossier_code=f"{WARD_CODE}-260302-{n:04d}",
        )
    client.force_login(alice)
    with django_assert_max_num_queries(5):
        first = client.get("/giay-to/").content.decode()
    assert len(titles(first)) == 20 and titles(first)[0] == "Kết quả 22"
    assert "23 giấy tờ" in first
    second = client.get("/giay-to/?page=2").content.decode()
    assert titles(second) == ["Kết quả 02", "Kết quả 01", "Kết quả 00"]


def test_the_detail_shows_issuer_dates_validity_hash_and_source_dossier(client: Client, alice: User) -> None:
    doc = result(alice, valid_until=dt.date(2031, 3, 3))
    client.force_login(alice)
    html = client.get(f"/giay-to/{doc.pk}/").content.decode()
    assert "Ủy ban nhân dân phường Hà Giang 2" in html and WARD_CODE in html
    assert "04/03/2026" in html
    assert "Có giá trị đến hết ngày 03/03/2031" in html
    assert DOSSIER_CODE in html
    groups = " ".join(doc.sha256[i : i + 8] for i in range(0, 64, 8))
    assert f"<code>{groups}</code>" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert f'action="/giay-to/{doc.pk}/chia-se/"' in html


def test_an_expired_or_revoked_document_says_so(client: Client, alice: User) -> None:
    expired = result(alice, issued_on=dt.date(2020, 1, 1), valid_until=dt.date(2021, 1, 1))
    revoked = result(alice, source_dossier_code=f"{WARD_CODE}-260302-0042")
    services.edoc_revoke(document=revoked, actor=None, reason="Cấp nhầm")
    client.force_login(alice)
    assert (
        "Hết hiệu lực (chỉ có giá trị đến hết ngày 01/01/2021)"
        in client.get(f"/giay-to/{expired.pk}/").content.decode()
    )
    html = client.get(f"/giay-to/{revoked.pk}/").content.decode()
    assert 'data-testid="revoked-note"' in html and "Cấp nhầm" in html
    assert 'data-testid="share-create"' not in html


def test_the_download_is_the_stored_file_with_safe_headers(client: Client, alice: User) -> None:
    content = jpeg()
    doc = services.edoc_upload_by_citizen(
        owner=alice, actor=alice, title="Ảnh", upload=content, filename='ảnh "CCCD"\u202egpj.exe.jpg'
    )
    client.force_login(alice)
    response = client.get(f"/giay-to/{doc.pk}/tai-ve/")
    assert response.status_code == 200
    assert body(response) == content
    assert response["Content-Type"] == "image/jpeg"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    assert "%E2%80%AE" not in disposition  # the right-to-left override is gone
    assert disposition.endswith(".jpg")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response["Cache-Control"] == "private, no-store"


def test_a_stored_type_off_the_allow_list_goes_out_as_an_octet_stream(client: Client, alice: User) -> None:
    doc = result(alice)
    EDocument.objects.filter(pk=doc.pk).update(content_type="text/html")
    client.force_login(alice)
    response = client.get(f"/giay-to/{doc.pk}/tai-ve/")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="tep.bin"'


def test_a_citizen_uploads_a_paper_through_the_form(client: Client, alice: User) -> None:
    client.force_login(alice)
    form = client.get("/giay-to/tai-len/").content.decode()
    assert 'enctype="multipart/form-data"' in form and 'name="csrfmiddlewaretoken"' in form
    response = client.post(
        "/giay-to/tai-len/",
        {
            "title": "Bằng tốt nghiệp THPT",
            "file": SimpleUploadedFile("bang.jpg", jpeg(), content_type="image/jpeg"),
            "issuer": "Sở Giáo dục và Đào tạo",
            "issued_on": "2015-07-01",
            "valid_until": "",
        },
    )
    doc = EDocument.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/giay-to/{doc.pk}/"
    assert (doc.owner, doc.kind, doc.title, doc.issuer_name, doc.issued_on, doc.valid_until) == (
        alice,
        "uploaded",
        "Bằng tốt nghiệp THPT",
        "Sở Giáo dục và Đào tạo",
        dt.date(2015, 7, 1),
        None,
    )


def test_a_file_that_is_not_a_paper_is_refused_with_the_reason_and_nothing_is_kept(
    client: Client, alice: User
) -> None:
    client.force_login(alice)
    response = client.post(
        "/giay-to/tai-len/",
        {
            "title": "Giấy tờ",
            "file": SimpleUploadedFile("anh.jpg", b"<svg onload=alert(1)>", content_type="image/jpeg"),
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Tệp “anh.jpg” được gửi như một tệp JPEG, nhưng nội dung của nó không phải" in html
    assert EDocument.objects.count() == 0 and stored_files() == []


def test_an_expiry_before_the_issue_date_is_refused_on_the_form(client: Client, alice: User) -> None:
    client.force_login(alice)
    response = client.post(
        "/giay-to/tai-len/",
        {
            "title": "CCCD",
            "file": SimpleUploadedFile("a.jpg", jpeg(), content_type="image/jpeg"),
            "issued_on": "2021-05-01",
            "valid_until": "2020-05-01",
        },
    )
    assert response.status_code == 400
    assert "Ngày hết hiệu lực phải sau ngày cấp." in response.content.decode()
    assert EDocument.objects.count() == 0 and stored_files() == []


@pytest.mark.parametrize(
    "path",
    ["/giay-to/tai-len/", "/giay-to/{pk}/chia-se/", "/giay-to/{pk}/chia-se/{link}/thu-hoi/"],
)
def test_every_form_needs_its_csrf_token(alice: User, path: str) -> None:
    doc = result(alice)
    link, _raw = services.share_link_create(document=doc, actor=alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(path.format(pk=doc.pk, link=link.pk), {"days": "7", "title": "x"})
    assert response.status_code == 403
    link.refresh_from_db()
    assert link.revoked_at is None
    assert EDocument.objects.count() == 1 and doc.share_links.count() == 1


def test_the_pages_are_readable_without_javascript_and_at_phone_width(client: Client, alice: User) -> None:
    doc = result(alice)
    client.force_login(alice)
    for path in ("/giay-to/", f"/giay-to/{doc.pk}/", "/giay-to/tai-len/"):
        html = client.get(path).content.decode()
        assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
        assert "hx-" not in html.split('<main id="main"')[1]  # plain forms and links only
