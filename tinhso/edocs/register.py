"""The register of signed papers (*sổ đăng ký văn bản đã ký số*): issuing, verifying and revoking.

- `signed_document_issue(...)` signs a rendered paper with the issuing agency's certificate
  (`core.signing`, PAdES), prints the verification address in its QR code, keeps the issued copy and enters
  it in the register, with an audit entry, in one transaction. The same paper asked for again (same source
  dossier code and source reference) is the copy issued the first time, not a new signature. **An agency
  without a certificate** gets its paper back unsigned, with a visible note on every page saying so, and
  nothing is registered: a counter must not stop receiving dossiers because a certificate is late, and the
  note keeps anyone from taking the electronic copy for a signed one (the paper copy is still signed and
  stamped by hand). The warning is logged so that operators see which agencies lack certificates.
- `signed_document_check(content=…, token=…)` is what the public verification page and API answer: the
  signature (pyHanko's validator against the trust roots) and the file's hash against the register.
- `signed_document_revoke(...)`: the issuing agency's leader or a system administrator; audited.

Callers: dossiers (results and the forms handed to the applicant, `dossiers/documents.py`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tinhso.accounts.models import Agency, Role, User
from tinhso.accounts.selectors import user_sees_everything
from tinhso.core import signing
from tinhso.core.audit import audit_record
from tinhso.edocs.models import SignedDocument
from tinhso.edocs.services import EDocCorrupt, EDocForbidden, EDocNotFound, EDocRuleError

logger = logging.getLogger(__name__)

TARGET_TYPE = "edocs.signeddocument"
REASON_MAX = 500
TOKEN_BYTES = 24  # 32 URL-safe characters: unguessable, short enough for a small QR code
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
UNSIGNED_NOTE = (
    "Bản điện tử chưa được ký số (cơ quan chưa có chứng thư số): chỉ để tham khảo, không thay bản có chữ ký, "
    "đóng dấu."
)


# --- Issuing --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    """An issued paper: its bytes, and its register entry (None when it could not be signed)."""

    content: bytes
    document: SignedDocument | None

    @property
    def signed(self) -> bool:
        return self.document is not None


def verify_url(token: str) -> str:
    """The public address of a paper's verification page, as printed in its QR code."""
    base = getattr(settings, "SIGNING_VERIFY_BASE_URL", "").rstrip("/")
    return f"{base}{reverse('edocs:verify', args=[token])}"


def _read(document: SignedDocument) -> bytes:
    with document.file.open("rb") as f:
        content = f.read()
    if hashlib.sha256(content).hexdigest() != document.sha256:
        raise EDocCorrupt(
            _(
                "Bản lưu của văn bản đã ký không còn nguyên vẹn (không khớp mã băm). "
                "Hãy liên hệ bộ phận hỗ trợ."
            )
        )
    return content


def _existing(source_dossier_code: str, source_ref: str) -> SignedDocument | None:
    return SignedDocument.objects.filter(
        source_dossier_code=source_dossier_code, source_ref=source_ref
    ).first()


def signed_document_issue(
    *,
    issuer: Agency,
    render: Callable[[], bytes],
    kind: str,
    title: str,
    source_dossier_code: str,
    source_ref: str,
    signer_name: str = "",
    form: str = "",
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> Issued:
    """The signed copy of a paper of dossier `source_dossier_code` identified there by `source_ref`
    (`"result:<event seq>"`, `"form:01:<event seq>"`): the registered copy if it was issued before, else
    `render()` signed now by `issuer`'s certificate and registered. Without a certificate: the rendering
    with the unsigned note, not registered."""
    if kind not in SignedDocument.Kind.values:
        raise ValueError(f"unknown signed document kind {kind!r}")
    existing = _existing(source_dossier_code, source_ref)
    if existing is not None:
        return Issued(_read(existing), existing)
    credentials = signing.agency_credentials(code=issuer.code, name=issuer.name)
    content = render()
    if credentials is None:
        logger.warning("agency %s has no signing certificate: %s issued unsigned", issuer.code, source_ref)
        return Issued(signing.stamp_unsigned(content, note=UNSIGNED_NOTE), None)
    at = (now or timezone.now()).replace(microsecond=0)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    signed = signing.sign_pdf(
        content,
        credentials=credentials,
        block=signing.BlockText(
            agency=credentials.subject or issuer.name,
            signer=signer_name,
            signed_at=at,
            verify_url=verify_url(token),
        ),
        location=issuer.name,
    )
    profile = signing.PROFILE_WITH_TIMESTAMP if signing.default_timestamper() else signing.PROFILE
    doc = SignedDocument(
        token=token,
        sha256=hashlib.sha256(signed).hexdigest(),
        kind=kind,
        form=form,
        title=" ".join(title.split())[:255],
        issuer=issuer,
        issuer_name=issuer.name,
        signer_subject=credentials.subject[:255],
        signer_fingerprint=credentials.fingerprint,
        signature_profile=profile,
        issued_at=at,
        source_dossier_code=source_dossier_code,
        source_ref=source_ref,
        size=len(signed),
        created_by=actor,
    )
    storage_name = ""
    try:
        with transaction.atomic():
            doc.file.save(f"{token}.pdf", ContentFile(signed), save=False)
            storage_name = doc.file.name or ""
            try:
                with transaction.atomic():  # a savepoint: the same paper may be issued concurrently
                    doc.save(force_insert=True)
            except IntegrityError:
                other = _existing(source_dossier_code, source_ref)
                if other is None:
                    raise
                doc.file.storage.delete(storage_name)
                storage_name = ""
                return Issued(_read(other), other)
            audit_record(
                event="signed_document.issued",
                target_type=TARGET_TYPE,
                target_id=doc.pk,
                agency_code=issuer.code,
                new={
                    "kind": kind,
                    "form": form,
                    "title": doc.title,
                    "sha256": doc.sha256,
                    "source_dossier_code": source_dossier_code,
                    "source_ref": source_ref,
                    "signer_fingerprint": doc.signer_fingerprint,
                    "profile": profile,
                    "issued_at": at,
                },
                actor_id=actor.pk if actor else None,
                actor_label=actor.get_username() if actor else "system",
            )
    except BaseException:
        if storage_name:
            doc.file.storage.delete(storage_name)
        raise
    return Issued(signed, doc)


# --- Verifying ------------------------------------------------------------------------------------------


class Verdict(models.TextChoices):
    VALID = "valid", gettext_lazy("Văn bản nguyên vẹn, chữ ký hợp lệ")
    MODIFIED = "modified", gettext_lazy("Văn bản đã bị sửa đổi")
    NOT_REGISTERED = "not_registered", gettext_lazy("Không có trong sổ đăng ký")
    REVOKED = "revoked", gettext_lazy("Đã bị thu hồi")
    UNTRUSTED = "untrusted", gettext_lazy("Chữ ký số không được tin cậy")
    UNSIGNED = "unsigned", gettext_lazy("Tệp không có chữ ký số")


@dataclass(frozen=True)
class CheckResult:
    verdict: str
    explanation: str
    sha256: str
    signature: signing.Verification
    document: SignedDocument | None

    @property
    def ok(self) -> bool:
        return self.verdict == Verdict.VALID

    @property
    def label(self) -> str:
        return str(Verdict(self.verdict).label)


def signed_document_by_token(token: str) -> SignedDocument:
    """The register entry of a verification address, or `EDocNotFound`."""
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        raise EDocNotFound(_("Không có văn bản nào mang mã xác thực này trong sổ đăng ký."))
    doc = SignedDocument.objects.select_related("issuer").filter(token=token).first()
    if doc is None:
        raise EDocNotFound(_("Không có văn bản nào mang mã xác thực này trong sổ đăng ký."))
    return doc


def signed_document_check(*, content: bytes, token: str | None = None) -> CheckResult:
    """Judge a file someone holds: with `token`, against that register entry; without, against the whole
    register by its hash. The signatures are always checked too, every one of them, so a changed file is
    called changed (even when signed again after the change), and a file signed by a certificate outside the
    trust roots is called untrusted. A file whose earlier signed revision is a registered paper (a
    registered paper changed in an incremental update, whatever signed it afterwards) is called modified,
    with that register entry as its `document`."""
    digest = hashlib.sha256(content).hexdigest()
    sig = signing.verify_pdf(content)
    if token is not None:
        entry = signed_document_by_token(token)
        registered = entry if secrets.compare_digest(entry.sha256, digest) else None
    else:
        registered = SignedDocument.objects.select_related("issuer").filter(sha256=digest).first()

    def result(verdict: str, explanation: str) -> CheckResult:
        return CheckResult(verdict, explanation, digest, sig, registered)

    if registered is not None:
        if registered.revoked_at is not None:
            return result(
                Verdict.REVOKED,
                _("Văn bản này đúng là bản đã đăng ký nhưng đã bị thu hồi: không còn giá trị sử dụng."),
            )
        if sig.valid:
            return result(
                Verdict.VALID,
                _(
                    "Tệp trùng khớp từng byte với bản đã ký và đăng ký; chữ ký số hợp lệ, do cơ quan "
                    "được tin cậy ký."
                ),
            )
        # The register's own copy no longer validates: the trust roots changed since it was signed.
        return result(
            Verdict.UNTRUSTED,
            _("Tệp khớp với sổ đăng ký nhưng chứng thư số đã ký không còn thuộc danh sách được tin cậy."),
        )
    if not sig.signed:
        return result(Verdict.UNSIGNED, _("Tệp không có chữ ký số và không có trong sổ đăng ký."))
    # Not the registered bytes: was it made from a registered paper, signed when it was that paper?
    source = _registered_source(sig, token)
    if sig.modified or source is not None:
        explanation = _modified_explanation(sig)
        if source is not None:
            intro = _(
                "Tệp này được tạo từ văn bản “%(title)s” do %(issuer)s ban hành và đã đăng ký, nhưng đã bị "
                "thay đổi sau khi ký nên không còn trùng khớp với bản trong sổ đăng ký."
            ) % {"title": source.title, "issuer": source.issuer_name}
            if source.revoked_at is not None:
                intro += " " + _("Văn bản gốc cũng đã bị thu hồi.")
            explanation = f"{intro} {explanation}"
        return CheckResult(Verdict.MODIFIED, explanation, digest, sig, source)
    if not sig.trusted:
        return result(
            Verdict.UNTRUSTED,
            _("Tệp có chữ ký số nhưng chứng thư số không do tổ chức được tin cậy cấp."),
        )
    if token is not None:
        return result(
            Verdict.NOT_REGISTERED,
            _("Tệp có chữ ký số hợp lệ nhưng không phải văn bản được đăng ký với mã xác thực này."),
        )
    return result(Verdict.NOT_REGISTERED, _("Tệp có chữ ký số hợp lệ nhưng không có trong sổ đăng ký."))


def _registered_source(sig: signing.Verification, token: str | None) -> SignedDocument | None:
    """The register entry one of the file's earlier signed revisions is, byte for byte (with `token`: that
    entry only). A registered paper changed in an incremental update is found this way whatever was signed
    after the change."""
    hashes = sig.revisions_sha256
    if not hashes:
        return None
    if token is not None:
        entry = signed_document_by_token(token)
        return entry if any(secrets.compare_digest(entry.sha256, h) for h in hashes) else None
    found = {d.sha256: d for d in SignedDocument.objects.select_related("issuer").filter(sha256__in=hashes)}
    return next((found[h] for h in hashes if h in found), None)


def _modified_explanation(sig: signing.Verification) -> str:
    if not sig.modified:  # the issuer's own key added a signature to a registered paper, nothing else
        return _("Không sử dụng tệp này; hãy dùng đúng bản cơ quan ban hành đã cấp hoặc đề nghị cấp lại.")
    if sig.intact and sig.covers_whole_file and not sig.changed_between_signatures and sig.signers_differ:
        return _(
            "Tệp mang chữ ký số của nhiều chứng thư số khác nhau: đã có người ký thêm sau cơ quan ban hành. "
            "Không sử dụng tệp này; hãy đề nghị cơ quan ban hành cấp lại."
        )
    if sig.intact and sig.covers_whole_file:
        return _(
            "Nội dung tệp đã bị thay đổi sau một chữ ký số rồi được ký lại: chữ ký trước không còn khớp với "
            "nội dung. Không sử dụng tệp này; hãy đề nghị cơ quan ban hành cấp lại."
        )
    return _(
        "Nội dung tệp đã bị thay đổi sau khi ký: chữ ký số không còn khớp với nội dung. "
        "Không sử dụng tệp này; hãy đề nghị cơ quan ban hành cấp lại."
    )


# --- Revoking -------------------------------------------------------------------------------------------


def can_revoke(user: Any, document: SignedDocument) -> bool:
    """The issuing agency's leader (*lãnh đạo cơ quan*) or a system administrator."""
    if not (isinstance(user, User) and user.is_authenticated and user.is_active):
        return False
    if user_sees_everything(user):
        return True
    return bool(
        user.is_official and user.agency_id == document.issuer_id and user.has_role(Role.AGENCY_LEADER)
    )


def signed_document_revoke(
    *, document: SignedDocument, actor: User, reason: str, now: dt.datetime | None = None
) -> SignedDocument:
    """Mark a signed paper revoked (*thu hồi*): its verification page and API say so from then on. Revoking
    twice changes nothing."""
    if not can_revoke(actor, document):
        raise EDocForbidden(
            _("Chỉ lãnh đạo cơ quan ban hành hoặc quản trị hệ thống được thu hồi văn bản đã ký số.")
        )
    reason = " ".join(reason.split())[:REASON_MAX]
    if not reason:
        raise EDocRuleError(_("Hãy ghi lý do thu hồi."))
    at = now or timezone.now()
    with transaction.atomic():
        locked = SignedDocument.objects.select_for_update().get(pk=document.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at = at
        locked.revoked_reason = reason
        locked.revoked_by = actor
        locked.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
        audit_record(
            event="signed_document.revoked",
            target_type=TARGET_TYPE,
            target_id=locked.pk,
            agency_code=locked.issuer.code,
            new={"revoked_at": at, "reason": reason},
            actor_id=actor.pk,
            actor_label=actor.get_username(),
        )
    document.revoked_at, document.revoked_reason, document.revoked_by = at, reason, actor
    return locked
