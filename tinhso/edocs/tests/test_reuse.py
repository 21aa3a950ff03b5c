"""Reuse in a new dossier (one-stop.md OS-DG2): the owner gets the bytes and metadata; a revoked or expired
document is refused with a message saying why; a file that no longer matches its hash is never handed over."""

from __future__ import annotations

import datetime as dt

import pytest

from tinhso.accounts.models import User
from tinhso.core.models import AuditEntry
from tinhso.edocs import services
from tinhso.edocs.selectors import edocs_reusable_for_owner
from tinhso.edocs.tests.factories import DOSSIER_CODE, WARD_CODE, pdf, result

pytestmark = pytest.mark.django_db


def test_the_owner_gets_the_bytes_and_metadata_a_new_dossier_needs(alice: User) -> None:
    content = pdf("Giấy khai sinh")
    doc = result(alice, content=content, valid_until=dt.date(2030, 1, 1))
    copy = services.edoc_copy_for_reuse(document=doc, actor=alice, today=dt.date(2029, 12, 31))
    assert copy.content == content
    assert (copy.edoc_id, copy.kind, copy.title, copy.issuer_code) == (
        doc.pk,
        "result",
        "Giấy khai sinh bản chính",
        WARD_CODE,
    )
    assert (copy.filename, copy.content_type, copy.size, copy.sha256) == (
        "giay-khai-sinh.pdf",
        "application/pdf",
        len(content),
        doc.sha256,
    )
    assert (copy.issued_on, copy.valid_until, copy.source_dossier_code) == (
        dt.date(2026, 3, 4),
        dt.date(2030, 1, 1),
        DOSSIER_CODE,
    )
    assert AuditEntry.objects.filter(event="edoc.reused", target_id=str(doc.pk), actor_id=alice.pk).exists()


def test_a_document_is_reusable_on_its_last_valid_day(alice: User) -> None:
    doc = result(alice, valid_until=dt.date(2030, 1, 1))
    assert services.edoc_copy_for_reuse(document=doc, actor=alice, today=dt.date(2030, 1, 1)).size == doc.size


def test_an_expired_document_cannot_be_reused(alice: User) -> None:
    doc = result(alice, valid_until=dt.date(2030, 1, 1))
    with pytest.raises(services.EDocRuleError) as refused:
        services.edoc_copy_for_reuse(document=doc, actor=alice, today=dt.date(2030, 1, 2))
    assert refused.value.message == (
        "Giấy tờ “Giấy khai sinh bản chính” chỉ có giá trị đến hết ngày 01/01/2030, nay đã hết hiệu lực nên "
        "không thể dùng lại trong hồ sơ mới. Hãy nộp bản còn hiệu lực."
    )
    assert not AuditEntry.objects.filter(event="edoc.reused").exists()


def test_a_revoked_document_cannot_be_reused(alice: User) -> None:
    doc = result(alice)
    services.edoc_revoke(document=doc, actor=None, reason="Quyết định hủy kết quả số 5/QĐ-UBND")
    with pytest.raises(services.EDocRuleError) as refused:
        services.edoc_copy_for_reuse(document=doc, actor=alice)
    assert "đã bị thu hồi nên không thể dùng lại trong hồ sơ mới" in refused.value.message
    assert "Quyết định hủy kết quả số 5/QĐ-UBND" in refused.value.message


def test_a_file_altered_in_storage_is_not_handed_over(alice: User) -> None:
    doc = result(alice)
    with open(doc.file.path, "r+b") as f:
        f.seek(-10, 2)
        f.write(b"0123456789")
    with pytest.raises(services.EDocCorrupt):
        services.edoc_copy_for_reuse(document=doc, actor=alice)


def test_the_reusable_list_leaves_out_revoked_and_expired_documents(alice: User, bob: User) -> None:
    permanent = result(alice, source_dossier_code="A")
    last_day = result(alice, source_dossier_code="B", valid_until=dt.date(2030, 1, 1))
    result(alice, source_dossier_code="C", valid_until=dt.date(2029, 12, 31))
    revoked = result(alice, source_dossier_code="D")
    services.edoc_revoke(document=revoked, actor=None, reason="Cấp nhầm")
    result(bob)
    found = edocs_reusable_for_owner(alice, today=dt.date(2030, 1, 1))
    assert sorted(d.pk for d in found) == sorted([permanent.pk, last_day.pk])
