"""Verification API of signed papers (*xác thực văn bản ký số*): public, like the page a QR code opens.

- `GET /verify/{token}`: the register entry (who issued it, when, revoked or not).
- `POST /verify/{token}` (multipart, `file`): the PDF someone holds checked against that entry.
- `POST /verify` (multipart, `file`): the PDF looked up in the register by its hash.
- `POST /signed-documents/{token}/revoke` (`{"reason": …}`; bearer token or session + CSRF): the issuing
  agency's leader or a system administrator revokes it.

The verdict is one of `valid`, `modified`, `not_registered`, `revoked`, `untrusted`, `unsigned`, with its
Vietnamese label and explanation, and every signature of the file (`signatures`, in signing order). A file
made from a registered paper and changed afterwards (even if signed again) is `modified`, with that paper
as its `document`.

Checking a file (the two `POST /verify…`) is limited per client address (`SIGNING_VERIFY_PER_IP`,
default 20 per 10 minutes): beyond it, 429 with `Retry-After`.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import File, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile

from tinhso.accounts.api_auth import API_AUTH
from tinhso.accounts.models import User
from tinhso.accounts.schemas import ErrorOut
from tinhso.core.files import DEFAULT_MAX_BYTES
from tinhso.edocs import register
from tinhso.edocs.models import SignedDocument
from tinhso.edocs.services import EDocError
from tinhso.edocs.throttle import limited_message, verify_check_hit

router = Router(tags=["verification"])


class SignedDocumentOut(Schema):
    token: str
    title: str
    kind: str
    form: str
    issuer_code: str
    issuer_name: str
    issued_at: dt.datetime
    source_dossier_code: str
    signer_subject: str
    signer_fingerprint: str
    signature_profile: str
    sha256: str
    revoked: bool
    revoked_at: dt.datetime | None
    revoked_reason: str
    verify_url: str


class SignatureOut(Schema):
    """The file's signatures summed up (`signer…`: the last one's)."""

    signed: bool
    intact: bool
    covers_whole_file: bool
    trusted: bool
    signer: str
    signer_fingerprint: str
    signed_at: dt.datetime | None
    changed_between_signatures: bool
    signers_differ: bool


class SignerOut(Schema):
    """One signature of the file, in signing order. `changes_after`: what the revisions after it changed
    (`none`, `signature_upkeep`, `form_filling`, `annotations`, `other`; empty when unknown)."""

    signer: str
    signer_organization: str
    signer_fingerprint: str
    signed_at: dt.datetime | None
    intact: bool
    trusted: bool
    covers_whole_file: bool
    coverage: str
    changes_after: str


class CheckOut(Schema):
    verdict: str
    label: str
    explanation: str
    sha256: str
    signature: SignatureOut
    signatures: list[SignerOut]
    document: SignedDocumentOut | None


class RevokeIn(Schema):
    reason: str


def _doc(doc: SignedDocument) -> SignedDocumentOut:
    return SignedDocumentOut(
        token=doc.token,
        title=doc.title,
        kind=doc.kind,
        form=doc.form,
        issuer_code=doc.issuer.code,
        issuer_name=doc.issuer_name,
        issued_at=doc.issued_at,
        source_dossier_code=doc.source_dossier_code,
        signer_subject=doc.signer_subject,
        signer_fingerprint=doc.signer_fingerprint,
        signature_profile=doc.signature_profile,
        sha256=doc.sha256,
        revoked=doc.revoked_at is not None,
        revoked_at=doc.revoked_at,
        revoked_reason=doc.revoked_reason,
        verify_url=register.verify_url(doc.token),
    )


def _content(file: UploadedFile) -> bytes:
    limit = int(getattr(settings, "SIGNING_VERIFY_MAX_BYTES", DEFAULT_MAX_BYTES))
    if file.size is not None and file.size > limit:
        raise HttpError(413, f"Tệp quá lớn: tối đa {limit // 1048576} MB / file too large")
    content = file.read(limit + 1)
    if len(content) > limit:
        raise HttpError(413, f"Tệp quá lớn: tối đa {limit // 1048576} MB / file too large")
    if content.lstrip()[:5] != b"%PDF-":
        raise HttpError(415, "Tệp này không phải PDF / the file is not a PDF")
    return content


def _check(result: register.CheckResult) -> CheckOut:
    sig = result.signature
    return CheckOut(
        verdict=result.verdict,
        label=result.label,
        explanation=result.explanation,
        sha256=result.sha256,
        signature=SignatureOut(
            signed=sig.signed,
            intact=sig.intact,
            covers_whole_file=sig.covers_whole_file,
            trusted=sig.trusted,
            signer=sig.signer,
            signer_fingerprint=sig.signer_fingerprint,
            signed_at=sig.signed_at,
            changed_between_signatures=sig.changed_between_signatures,
            signers_differ=sig.signers_differ,
        ),
        signatures=[
            SignerOut(
                signer=s.signer,
                signer_organization=s.signer_organization,
                signer_fingerprint=s.signer_fingerprint,
                signed_at=s.signed_at,
                intact=s.intact,
                trusted=s.trusted,
                covers_whole_file=s.covers_whole_file,
                coverage=s.coverage,
                changes_after=s.changes_after,
            )
            for s in sig.signatures
        ],
        document=_doc(result.document) if result.document is not None else None,
    )


def _limited(request: HttpRequest) -> HttpResponse | None:
    """429 (with `Retry-After`) when this address has had too many files checked; else None."""
    decision = verify_check_hit(request)
    if decision.allowed:
        return None
    response = JsonResponse(
        {"detail": f"{limited_message(decision.retry_after)} / too many checks, try again later"}, status=429
    )
    response["Retry-After"] = str(decision.retry_after)
    return response


def _load(token: str) -> SignedDocument:
    try:
        return register.signed_document_by_token(token)
    except EDocError as exc:
        raise HttpError(exc.status_code, exc.message) from None


@router.get(
    "/verify/{token}",
    response={200: SignedDocumentOut, 404: ErrorOut},
    auth=None,
    summary="Văn bản ký số trong sổ đăng ký / A signed paper's register entry",
)
def verify_entry(request: HttpRequest, token: str) -> SignedDocumentOut:
    return _doc(_load(token))


@router.post(
    "/verify/{token}",
    response={200: CheckOut, 404: ErrorOut, 413: ErrorOut, 415: ErrorOut, 429: ErrorOut},
    auth=None,
    summary="Kiểm tra tệp với văn bản đã đăng ký / Check a PDF against a register entry",
)
def verify_file_for_token(
    request: HttpRequest, token: str, file: File[UploadedFile]
) -> CheckOut | HttpResponse:
    if (limited := _limited(request)) is not None:
        return limited
    _load(token)
    return _check(register.signed_document_check(content=_content(file), token=token))


@router.post(
    "/verify",
    response={200: CheckOut, 413: ErrorOut, 415: ErrorOut, 429: ErrorOut},
    auth=None,
    summary="Kiểm tra tệp với sổ đăng ký / Check a PDF against the register by its hash",
)
def verify_file(request: HttpRequest, file: File[UploadedFile]) -> CheckOut | HttpResponse:
    if (limited := _limited(request)) is not None:
        return limited
    return _check(register.signed_document_check(content=_content(file)))


@router.post(
    "/signed-documents/{token}/revoke",
    response={200: SignedDocumentOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=API_AUTH,
    summary="Thu hồi văn bản ký số / Revoke a signed paper",
)
def revoke(request: HttpRequest, token: str, payload: RevokeIn) -> SignedDocumentOut:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    doc = _load(token)
    try:
        register.signed_document_revoke(document=doc, actor=user, reason=payload.reason)
    except EDocError as exc:
        raise HttpError(exc.status_code, exc.message) from None
    return _doc(register.signed_document_by_token(token))
