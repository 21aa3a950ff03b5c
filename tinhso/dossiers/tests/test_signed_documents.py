"""Results and the applicant's forms are signed by the dossier's agency and registered (issue 7): the
result returned into the citizen's store validates with pyHanko and pdfsig, the forms Mẫu 01–05 are signed
once and served again unchanged, Mẫu 06 stays unsigned."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinhso.core import signing
from tinhso.core.tests.signing_support import _dev_ca_dir, one_byte_changed, pdfsig, signing_dir  # noqa: F401
from tinhso.dossiers import documents
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.tests.factories import World, at
from tinhso.dossiers.tests.test_results import decided, online
from tinhso.edocs import register
from tinhso.edocs.models import EDocument, SignedDocument

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("signing_dir")]


def test_a_returned_result_is_signed_by_the_agency_registered_and_verifiable(
    w: World, tmp_path: Path
) -> None:
    d = decided(w, online(w), approve=True)
    tr.return_result(d, actor=w.counter, method="online", at=at("2026-03-06 14:00"))

    (stored,) = EDocument.objects.filter(owner=w.citizen)
    with stored.file.open("rb") as f:
        content = f.read()
    (entry,) = SignedDocument.objects.filter(kind=SignedDocument.Kind.RESULT)
    assert entry.sha256 == stored.sha256 and entry.source_dossier_code == d.code
    assert entry.issuer == d.agency and entry.title.startswith("Thông báo kết quả giải quyết hồ sơ: ")

    result = signing.verify_pdf(content)
    assert result.valid and result.signer == d.agency.name
    (sig,) = pdfsig(content, tmp_path)
    assert (
        sig["Signature Validation"] == "Signature is Valid."
        and sig["Signer Certificate Common Name"] == d.agency.name
    )

    check = register.signed_document_check(content=content, token=entry.token)
    assert check.verdict == "valid"
    forged = one_byte_changed(content)
    assert register.signed_document_check(content=forged, token=entry.token).verdict == "modified"
    assert pdfsig(forged, tmp_path)[0]["Signature Validation"] == "Digest Mismatch."


def test_the_applicants_forms_are_signed_once_and_the_control_sheet_is_not(w: World) -> None:
    d = w.received(when="2026-03-02 09:00")
    receipt = documents.render_form(d, "01")
    assert documents.render_form(d, "01") == receipt  # the registered copy, not a second signature
    (entry,) = SignedDocument.objects.all()
    assert (entry.kind, entry.form, entry.source_ref) == ("form", "01", entry.source_ref)
    assert entry.source_ref.startswith("form:01:")
    assert signing.verify_pdf(receipt).valid

    sheet = documents.render_form(d, "06")
    assert not signing.verify_pdf(sheet).signed
    assert SignedDocument.objects.count() == 1
