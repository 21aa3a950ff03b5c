"""Storing documents: a result lands with its hash, issuer and source dossier; a retried delivery does not
duplicate; files are checked by content with the project's upload rules, and a refused file leaves nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import os

import pytest
from django.conf import settings

from tinhso.accounts.models import User
from tinhso.core.files import UploadRejected
from tinhso.core.models import AuditEntry
from tinhso.edocs import services
from tinhso.edocs.models import EDocument
from tinhso.edocs.storage import edoc_storage
from tinhso.edocs.tests.factories import DOSSIER_CODE, WARD_CODE, jpeg, pdf, result, stored_files

pytestmark = pytest.mark.django_db


def test_a_result_is_stored_with_its_hash_issuer_validity_and_source_dossier(alice: User) -> None:
    content = pdf("Giấy khai sinh", pages=2)
    doc = result(alice, content=content, valid_until=dt.date(2031, 3, 3))
    doc.refresh_from_db()
    assert doc.owner == alice
    assert doc.kind == "result"
    assert doc.sha256 == hashlib.sha256(content).hexdigest()
    assert (doc.issuer_name, doc.issuer_code) == ("Ủy ban nhân dân phường Hà Giang 2", WARD_CODE)
    assert (doc.issued_on, doc.valid_until) == (dt.date(2026, 3, 4), dt.date(2031, 3, 3))
    assert doc.source_dossier_code == DOSSIER_CODE
    assert (doc.content_type, doc.size, doc.pages, doc.original_name) == (
        "application/pdf",
        len(content),
        2,
        "giay-khai-sinh.pdf",
    )
    with doc.file.open("rb") as f:
        assert f.read() == content
    entry = AuditEntry.objects.get(event="edoc.stored")
    assert (entry.target_type, entry.target_id, entry.actor_label, entry.agency_code) == (
        "edocs.edocument",
        str(doc.pk),
        "system",
        WARD_CODE,
    )
    assert entry.new is not None
    assert entry.new["sha256"] == doc.sha256 and entry.new["source_dossier_code"] == DOSSIER_CODE


def test_files_are_kept_in_the_private_folder_with_no_public_url(alice: User) -> None:
    doc = result(alice)
    path = doc.file.path
    assert path.startswith(os.path.join(str(settings.MEDIA_ROOT), "private", "edocs", str(alice.pk)) + os.sep)
    # The citizen's file name is not in the path (it may be personal): a random name is.
    assert "khai-sinh" not in path and path.endswith(".pdf")
    with pytest.raises(NotImplementedError):
        edoc_storage().url(doc.file.name)


def test_a_retried_delivery_of_the_same_result_returns_the_first_document(alice: User) -> None:
    content = pdf()
    first = result(alice, content=content)
    again = result(alice, content=content, title="Tên khác khi gửi lại")
    assert again.pk == first.pk and again.title == "Giấy khai sinh bản chính"
    assert EDocument.objects.count() == 1
    assert len(stored_files()) == 1
    assert AuditEntry.objects.filter(event="edoc.stored").count() == 1


def test_the_same_file_from_another_dossier_or_for_another_person_is_another_document(
    alice: User, bob: User
) -> None:
    content = pdf()
    a = result(alice, content=content)
    b = result(alice, content=content, source_dossier_code="000.00.30.H60-260302-0002")
    c = result(bob, content=content)
    assert len({a.pk, b.pk, c.pk}) == 3
    assert len(stored_files()) == 3


def test_another_file_for_the_same_dossier_is_a_second_document(alice: User) -> None:
    a = result(alice, content=pdf("Giấy khai sinh"))
    b = result(alice, content=pdf("Trích lục khai sinh"), title="Trích lục")
    assert a.pk != b.pk and a.sha256 != b.sha256


def test_a_file_that_is_not_what_it_claims_is_refused_and_nothing_is_saved(alice: User) -> None:
    before = AuditEntry.objects.count()
    with pytest.raises(UploadRejected) as refused:
        result(alice, content=b"<html><script>alert(1)</script></html>", filename="ket-qua.pdf")
    assert refused.value.code == "type_mismatch"
    assert refused.value.status_code == 415
    assert "“ket-qua.pdf” được gửi như một tệp PDF, nhưng nội dung của nó không phải" in refused.value.message
    assert EDocument.objects.count() == 0
    assert stored_files() == []
    assert AuditEntry.objects.count() == before


def test_an_unsupported_type_and_an_empty_file_are_refused(alice: User) -> None:
    with pytest.raises(UploadRejected) as refused:
        result(alice, content=b"PK\x03\x04 a zip, not a paper", filename="giay-to.zip", content_type="")
    assert refused.value.code == "unsupported_type"
    with pytest.raises(UploadRejected) as empty:
        result(alice, content=b"")
    assert empty.value.code == "empty"
    assert EDocument.objects.count() == 0 and stored_files() == []


def test_the_stored_type_is_the_one_the_content_proves(alice: User) -> None:
    # A phone photo sent as "application/pdf" named .pdf: it is a JPEG, and is kept as one.
    doc = result(alice, content=jpeg(), filename="ket-qua.pdf", content_type="application/pdf")
    assert doc.content_type == "image/jpeg"
    assert doc.original_name == "ket-qua.jpg"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"source_dossier_code": ""}, "mã hồ sơ nguồn"),
        ({"issued_on": None}, "ngày cấp"),
        ({"title": "   "}, "tên giấy tờ"),
        ({"valid_until": dt.date(2026, 3, 3)}, "Ngày hết hiệu lực phải sau ngày cấp"),
    ],
)
def test_a_result_without_what_it_needs_is_refused(alice: User, changes: dict, message: str) -> None:
    with pytest.raises(services.EDocRuleError) as refused:
        result(alice, **changes)
    assert message in refused.value.message
    assert EDocument.objects.count() == 0 and stored_files() == []


def test_an_official_has_no_store(official: User) -> None:
    with pytest.raises(services.EDocRuleError) as refused:
        result(official)
    assert "công dân" in refused.value.message
    assert EDocument.objects.count() == 0


def test_a_citizen_uploads_a_paper_of_their_own(alice: User) -> None:
    content = jpeg()
    doc = services.edoc_upload_by_citizen(
        owner=alice,
        actor=alice,
        title="  Căn cước   công dân ",
        upload=content,
        filename="cccd.jpg",
        issued_on=dt.date(2021, 5, 1),
        valid_until=dt.date(2036, 5, 1),
    )
    assert (doc.kind, doc.title, doc.source_dossier_code) == ("uploaded", "Căn cước công dân", "")
    assert doc.sha256 == hashlib.sha256(content).hexdigest()
    entry = AuditEntry.objects.get(event="edoc.stored")
    assert entry.actor_id == alice.pk


def test_a_citizen_may_revoke_their_own_upload_but_not_a_result(alice: User) -> None:
    upload = services.edoc_upload_by_citizen(
        owner=alice, actor=alice, title="Ảnh giấy tờ", upload=jpeg(), filename="a.jpg"
    )
    services.edoc_revoke(document=upload, actor=alice, reason="Ảnh bị mờ")
    upload.refresh_from_db()
    assert upload.revoked_at is not None and upload.revoked_reason == "Ảnh bị mờ"
    official_result = result(alice)
    with pytest.raises(services.EDocForbidden):
        services.edoc_revoke(document=official_result, actor=alice, reason="Không muốn giữ")
    official_result.refresh_from_db()
    assert official_result.revoked_at is None


def test_the_system_and_system_administrators_revoke_any_document(alice: User, sysadmin: User) -> None:
    a = result(alice)
    services.edoc_revoke(document=a, actor=None, reason="Quyết định thu hồi số 12/QĐ-UBND")
    b = result(alice, source_dossier_code="000.00.30.H60-260302-0009")
    services.edoc_revoke(document=b, actor=sysadmin, reason="Cấp nhầm")
    assert EDocument.objects.filter(revoked_at__isnull=False).count() == 2
    assert AuditEntry.objects.filter(event="edoc.revoked").count() == 2
