"""Results land in the applicant's e-document store when they are returned (OS-DG4)."""

from __future__ import annotations

import hashlib
import io

import pytest
from pypdf import PdfReader

from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier
from tinhso.dossiers.tests.factories import World, at
from tinhso.edocs.models import EDocument

pytestmark = pytest.mark.django_db


def decided(w: World, d: Dossier, *, approve: bool) -> Dossier:
    d = tr.hand_over(d, actor=w.counter, to=w.head, at=at("2026-03-02 10:00"))
    d = tr.assign(d, actor=w.head, assignee=w.specialist, at=at("2026-03-02 10:30"))
    d = tr.hand_over(d, actor=w.specialist, to=w.leader, at=at("2026-03-05 10:00"))
    if approve:
        return tr.approve(d, actor=w.leader, result_note="Đã đăng ký thường trú", at=at("2026-03-06 09:00"))
    return tr.reject(d, actor=w.leader, reason="Chỗ ở không hợp pháp", at=at("2026-03-06 09:00"))


def online(w: World) -> Dossier:
    mine = tr.Applicant(name=w.citizen.full_name, user=w.citizen, phone="0912345678")
    d = tr.submit(
        binding=w.residence, channel="online", applicant=mine, actor=w.citizen, at=at("2026-03-02 08:00")
    )
    return tr.receive(d, actor=w.counter, at=at("2026-03-02 09:00"))


def text(doc: EDocument) -> str:
    with doc.file.open("rb") as f:
        data = f.read()
    assert hashlib.sha256(data).hexdigest() == doc.sha256
    # Words as a PDF reader extracts them, lines joined.
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def test_an_approved_result_returned_lands_in_the_citizens_store_with_its_issuer_and_dossier(
    w: World,
) -> None:
    d = decided(w, online(w), approve=True)
    assert not EDocument.objects.exists()  # approved, not yet returned

    tr.return_result(d, actor=w.counter, method="online", at=at("2026-03-06 14:00"))

    (doc,) = EDocument.objects.all()
    assert (doc.owner, doc.kind, doc.source_dossier_code) == (w.citizen, EDocument.Kind.RESULT, d.code)
    assert (doc.issuer_name, doc.issuer_code, str(doc.issued_on)) == (
        d.agency.name,
        d.agency.code,
        "2026-03-06",
    )
    assert doc.title.startswith("Kết quả giải quyết: ") and doc.content_type == "application/pdf"
    body = text(doc)
    assert d.code in body and "đã được giải quyết" in body and "Đã đăng ký thường trú" in body


def test_a_rejection_is_delivered_with_its_reason(w: World) -> None:
    d = decided(w, online(w), approve=False)
    tr.return_result(d, actor=w.counter, method="online", at=at("2026-03-06 14:00"))
    (doc,) = EDocument.objects.filter(owner=w.citizen)
    assert doc.title.startswith("Thông báo không giải quyết: ")
    body = text(doc)
    assert "không giải quyết" in body and "Chỗ ở không hợp pháp" in body


def test_a_paper_applicant_without_an_account_gets_nothing_stored(w: World) -> None:
    d = decided(w, w.received(when="2026-03-02 09:00"), approve=True)
    tr.return_result(d, actor=w.counter, method="counter", at=at("2026-03-06 14:00"))
    assert not EDocument.objects.exists()


def test_a_return_that_fails_stores_nothing(w: World) -> None:
    d = decided(w, online(w), approve=True)
    with pytest.raises(tr.DossierForbidden):
        tr.return_result(d, actor=w.specialist, method="online", at=at("2026-03-06 14:00"))
    assert not EDocument.objects.exists()
