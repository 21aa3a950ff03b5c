"""Writes of the e-document store: storing documents, share links, copies for reuse, revocation.

Every function is keyword-only, checks who acts, and appends its audit entry in the same transaction as the
change (STYLE.md rules 2 and 4). Refusals raise `EDocError` subclasses whose `message` is for the person
(Vietnamese, through gettext) and whose `status_code` is the HTTP answer. A document of another person is
reported exactly like a missing one (`EDocNotFound`), so ids cannot be probed.

Callers from higher layers:

- dossiers, when a result is returned: `edoc_store(kind=EDocument.Kind.RESULT, source_dossier_code=…)`.
  Idempotent for the same (owner, source dossier code, content hash): a retried delivery returns the
  document stored the first time (one-stop.md OS-DG4: results land in the applicant's store).
- dossiers, when an applicant cites a stored paper instead of uploading one (OS-DG2):
  `edoc_copy_for_reuse(document=…, actor=…)` gives the bytes and metadata to attach.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.accounts.models import User
from tinhso.accounts.selectors import user_sees_everything
from tinhso.core.audit import audit_record
from tinhso.core.errors import Refusal
from tinhso.core.files import UploadInput, check_upload
from tinhso.edocs.models import EDocument, ShareLink

TARGET_TYPE = "edocs.edocument"
TITLE_MAX = 255
ISSUER_MAX = 255
REASON_MAX = 500
# A citizen does not need more live links than this for one paper; the cap bounds what a stolen session
# could hand out.
MAX_ACTIVE_LINKS = 20
# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
TOKEN_BYTES = 32
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


# --- Errors ---------------------------------------------------------------------------------------------


class EDocError(Refusal):
    """A refusal of the e-document store (`core.errors.Refusal`: `message`, `status_code`)."""


class EDocNotFound(EDocError):
    """No such document or link, or not the actor's (the two look the same from outside)."""

    status_code = 404


class EDocForbidden(EDocError):
    status_code = 403


class EDocRuleError(EDocError):
    """The document's state or the request does not allow it (revoked, expired, bad number of days…)."""

    status_code = 400


class EDocCorrupt(EDocError):
    """The stored file no longer matches its content hash (altered or damaged storage)."""

    status_code = 500


class ShareLinkGone(EDocError):
    """The link existed but no longer opens: `reason` is "expired", "revoked" or "document_revoked"."""

    status_code = 410

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _not_found() -> EDocNotFound:
    return EDocNotFound(_("Không tìm thấy giấy tờ này trong kho của bạn."))


# --- Helpers --------------------------------------------------------------------------------------------


def _now(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return timezone.now()
    if timezone.is_naive(now):
        raise ValueError("`now` must be timezone-aware")
    return now


def _is_citizen(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and not user.is_official)


def _is_owner(document: EDocument, actor: User | None) -> bool:
    return _is_citizen(actor) and actor is not None and document.owner_id == actor.pk


def _actor_fields(actor: User | None) -> dict[str, Any]:
    return {
        "actor_id": actor.pk if actor is not None else None,
        "actor_label": actor.get_username() if actor is not None else "system",
    }


def _date(value: dt.date | dt.datetime) -> str:
    """A date (or an instant, in local time) as Vietnamese people write it: 05/03/2026 (09:30 ngày …)."""
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value)
        return _("%(time)s ngày %(date)s") % {"time": f"{local:%H:%M}", "date": f"{local:%d/%m/%Y}"}
    return f"{value:%d/%m/%Y}"


def token_hash(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def share_days_limits() -> tuple[int, int]:
    """(default, maximum) validity of a share link in days, from EDOC_SHARE_DAYS_DEFAULT / _MAX."""
    default = getattr(settings, "EDOC_SHARE_DAYS_DEFAULT", 7)
    maximum = getattr(settings, "EDOC_SHARE_DAYS_MAX", 30)
    if not (isinstance(default, int) and isinstance(maximum, int) and 1 <= default <= maximum):
        raise ImproperlyConfigured(
            f"EDOC_SHARE_DAYS_DEFAULT ({default!r}) must be a whole number from 1 to EDOC_SHARE_DAYS_MAX "
            f"({maximum!r})"
        )
    return default, maximum


# --- Storing --------------------------------------------------------------------------------------------


def _same_delivery(owner: User, source_dossier_code: str, sha256: str) -> EDocument | None:
    return EDocument.objects.filter(
        owner=owner, source_dossier_code=source_dossier_code, sha256=sha256
    ).first()


def _store(
    *,
    owner: User,
    kind: str,
    title: str,
    issuer: str,
    issuer_code: str,
    issued_on: dt.date | None,
    valid_until: dt.date | None,
    upload: UploadInput,
    filename: str,
    source_dossier_code: str,
    actor: User | None,
) -> EDocument:
    if kind not in EDocument.Kind.values:
        raise ValueError(f"unknown e-document kind {kind!r}")
    if not (owner.is_active and not owner.is_official):
        raise EDocRuleError(_("Chỉ lưu được giấy tờ vào kho của công dân có tài khoản đang hoạt động."))
    title = " ".join(title.split())[:TITLE_MAX]
    if not title:
        raise EDocRuleError(_("Hãy nhập tên giấy tờ."))
    issuer = " ".join(issuer.split())[:ISSUER_MAX]
    issuer_code = issuer_code.strip()
    if len(issuer_code) > EDocument._meta.get_field("issuer_code").max_length:  # type: ignore[operator]
        raise EDocRuleError(_("Mã định danh cơ quan cấp quá dài."))
    source_dossier_code = source_dossier_code.strip()
    if len(source_dossier_code) > EDocument._meta.get_field("source_dossier_code").max_length:  # type: ignore[operator]
        raise EDocRuleError(_("Mã hồ sơ nguồn quá dài."))
    if kind == EDocument.Kind.RESULT and not (source_dossier_code and issued_on):
        raise EDocRuleError(_("Kết quả giải quyết phải có mã hồ sơ nguồn và ngày cấp."))
    if issued_on and valid_until and valid_until < issued_on:
        raise EDocRuleError(_("Ngày hết hiệu lực phải sau ngày cấp."))

    if isinstance(upload, bytes | bytearray | memoryview):
        upload = ContentFile(bytes(upload), name=filename)
    elif not isinstance(upload, File):
        upload = File(upload, name=filename)
    checked = check_upload(upload, name=filename)  # UploadRejected: nothing is written
    if source_dossier_code:
        existing = _same_delivery(owner, source_dossier_code, checked.sha256)
        if existing is not None:
            return existing

    storage_name = ""
    doc = EDocument(
        owner=owner,
        kind=kind,
        title=title,
        issuer_name=issuer,
        issuer_code=issuer_code,
        issued_on=issued_on,
        valid_until=valid_until,
        sha256=checked.sha256,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        pages=checked.pages,
        source_dossier_code=source_dossier_code,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            upload.seek(0)
            doc.file.save(checked.original_name, upload, save=False)
            storage_name = doc.file.name or ""
            try:
                # A savepoint: a concurrent delivery of the same result may have inserted it meanwhile.
                with transaction.atomic():
                    doc.save(force_insert=True)
            except IntegrityError:
                existing = (
                    _same_delivery(owner, source_dossier_code, checked.sha256)
                    if source_dossier_code
                    else None
                )
                if existing is None:
                    raise
                doc.file.storage.delete(storage_name)
                storage_name = ""
                return existing
            audit_record(
                event="edoc.stored",
                target_type=TARGET_TYPE,
                target_id=doc.pk,
                agency_code=issuer_code,
                new={
                    "owner": owner.pk,
                    "kind": kind,
                    "title": title,
                    "issuer_code": issuer_code,
                    "issued_on": issued_on,
                    "valid_until": valid_until,
                    "sha256": checked.sha256,
                    "content_type": checked.content_type,
                    "size": checked.size,
                    "source_dossier_code": source_dossier_code,
                },
                **_actor_fields(actor),
            )
    except BaseException:
        if storage_name:
            doc.file.storage.delete(storage_name)
        raise
    return doc


def edoc_store(
    *,
    owner: User,
    kind: str,
    title: str,
    issuer: str,
    issuer_code: str,
    issued_on: dt.date | None,
    valid_until: dt.date | None,
    content: bytes,
    filename: str,
    content_type: str,
    source_dossier_code: str,
    actor: User | None,
) -> EDocument:
    """Put a document into `owner`'s store and return it.

    The file is checked by content with the project's upload rules (`core.files.check_upload`: JPEG, PNG,
    HEIC or PDF within the size, pixel and page limits; `UploadRejected` otherwise, nothing written). A
    result (`kind="result"`) needs its source dossier code and issue date. The same (owner, source dossier
    code, SHA-256) stored again returns the first document unchanged and writes nothing, so a retried
    delivery does not duplicate. `content_type` is the sender's claim, used only to explain a refusal;
    the stored type is the one the content proves. `actor` is None for the system.
    """
    upload = ContentFile(bytes(content), name=filename)
    upload.content_type = content_type  # type: ignore[attr-defined]  # read by check_upload's explanation
    return _store(
        owner=owner,
        kind=kind,
        title=title,
        issuer=issuer,
        issuer_code=issuer_code,
        issued_on=issued_on,
        valid_until=valid_until,
        upload=upload,
        filename=filename,
        source_dossier_code=source_dossier_code,
        actor=actor,
    )


def edoc_upload_by_citizen(
    *,
    owner: User,
    actor: User,
    title: str,
    upload: UploadInput,
    filename: str,
    issuer: str = "",
    issued_on: dt.date | None = None,
    valid_until: dt.date | None = None,
) -> EDocument:
    """A citizen adds one of their own papers (a scan or photo) to their store. Only for themselves."""
    if not _is_citizen(actor) or actor.pk != owner.pk:
        raise EDocForbidden(_("Bạn chỉ có thể tải giấy tờ lên kho của chính mình."))
    return _store(
        owner=owner,
        kind=EDocument.Kind.UPLOADED,
        title=title,
        issuer=issuer,
        issuer_code="",
        issued_on=issued_on,
        valid_until=valid_until,
        upload=upload,
        filename=filename,
        source_dossier_code="",
        actor=actor,
    )


def edoc_revoke(
    *, document: EDocument, actor: User | None, reason: str, now: dt.datetime | None = None
) -> EDocument:
    """Mark a document revoked (*thu hồi*): it stays in the owner's list, marked, but can no longer be
    shared (its live links stop opening) or reused. The system (`actor=None`, e.g. dossiers after its
    own checks that a result was withdrawn) and system administrators may revoke any document; a citizen
    only a paper they uploaded themselves. Revoking twice changes nothing."""
    allowed = actor is None or user_sees_everything(actor)
    if not allowed and not (_is_owner(document, actor) and document.kind == EDocument.Kind.UPLOADED):
        if _is_owner(document, actor):
            raise EDocForbidden(_("Giấy tờ do cơ quan nhà nước cấp chỉ được thu hồi bởi cơ quan đó."))
        raise _not_found()
    reason = " ".join(reason.split())[:REASON_MAX]
    if not reason:
        raise EDocRuleError(_("Hãy ghi lý do thu hồi."))
    at = _now(now)
    with transaction.atomic():
        locked = EDocument.objects.select_for_update().get(pk=document.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at = at
        locked.revoked_reason = reason
        locked.save(update_fields=["revoked_at", "revoked_reason"])
        audit_record(
            event="edoc.revoked",
            target_type=TARGET_TYPE,
            target_id=locked.pk,
            agency_code=locked.issuer_code,
            new={"revoked_at": at, "reason": reason},
            **_actor_fields(actor),
        )
    document.revoked_at, document.revoked_reason = locked.revoked_at, locked.revoked_reason
    return locked


# --- Share links ----------------------------------------------------------------------------------------


def share_link_create(
    *, document: EDocument, actor: User, days: int | None = None, now: dt.datetime | None = None
) -> tuple[ShareLink, str]:
    """A new share link for `document`, valid for `days` (default EDOC_SHARE_DAYS_DEFAULT, 1 to
    EDOC_SHARE_DAYS_MAX). Returns the link and its raw token: the token is not stored (only its hash)
    and cannot be shown again. Only the owner may share; a revoked document cannot be shared."""
    if not _is_owner(document, actor):
        raise _not_found()
    default, maximum = share_days_limits()
    if days is None:
        days = default
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= maximum:
        raise EDocRuleError(_("Thời hạn của liên kết chia sẻ phải từ 1 đến %(max)s ngày.") % {"max": maximum})
    at = _now(now)
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        # Locked so that two requests at once cannot both pass the cap on live links.
        locked = EDocument.objects.select_for_update().get(pk=document.pk)
        if locked.revoked_at is not None:
            raise EDocRuleError(_("Giấy tờ này đã bị thu hồi nên không thể chia sẻ."))
        live = ShareLink.objects.filter(document=locked, revoked_at__isnull=True, expires_at__gt=at).count()
        if live >= MAX_ACTIVE_LINKS:
            raise EDocRuleError(
                _(
                    "Giấy tờ này đã có %(n)s liên kết chia sẻ còn hạn. Hãy thu hồi bớt liên kết cũ "
                    "trước khi tạo liên kết mới."
                )
                % {"n": live}
            )
        link = ShareLink.objects.create(
            document=locked,
            token_hash=token_hash(raw),
            token_prefix=raw[:6],
            created_at=at,
            expires_at=at + dt.timedelta(days=days),
            created_by=actor,
        )
        audit_record(
            event="edoc.share_link_created",
            target_type=TARGET_TYPE,
            target_id=locked.pk,
            new={"link": link.pk, "prefix": link.token_prefix, "days": days, "expires_at": link.expires_at},
            **_actor_fields(actor),
        )
    return link, raw


def share_link_revoke(*, link: ShareLink, actor: User, now: dt.datetime | None = None) -> ShareLink:
    """Stop a share link from opening, at once. Only the document's owner; revoking twice changes
    nothing."""
    if not _is_owner(link.document, actor):
        raise EDocNotFound(_("Không tìm thấy liên kết chia sẻ này."))
    at = _now(now)
    with transaction.atomic():
        locked = ShareLink.objects.select_for_update().get(pk=link.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at = at
        locked.save(update_fields=["revoked_at"])
        audit_record(
            event="edoc.share_link_revoked",
            target_type=TARGET_TYPE,
            target_id=locked.document_id,
            new={"link": locked.pk, "prefix": locked.token_prefix, "revoked_at": at},
            **_actor_fields(actor),
        )
    link.revoked_at = locked.revoked_at
    return locked


def share_link_resolve(
    *, raw_token: str, now: dt.datetime | None = None, record_access: bool = True
) -> ShareLink:
    """The live link a raw token opens, with its document and owner loaded.

    Unknown or malformed → `EDocNotFound`; revoked, expired or its document revoked → `ShareLinkGone`
    (410) with a message saying which. Each successful resolution counts one access (a single UPDATE, no
    audit entry: the audit chain's lock is not for anonymous traffic).
    """
    not_found = EDocNotFound(
        _(
            "Không tìm thấy liên kết chia sẻ này. Hãy kiểm tra lại địa chỉ đã nhận, hoặc đề nghị "
            "người gửi tạo liên kết mới."
        )
    )
    if not isinstance(raw_token, str) or not _TOKEN_RE.match(raw_token):
        raise not_found
    at = _now(now)
    link = (
        ShareLink.objects.select_related("document", "document__owner")
        .filter(token_hash=token_hash(raw_token))
        .first()
    )
    if link is None:
        raise not_found
    if link.revoked_at is not None:
        raise ShareLinkGone(
            _("Liên kết chia sẻ này đã bị người chia sẻ thu hồi. Hãy đề nghị họ gửi liên kết mới."),
            reason="revoked",
        )
    if link.expires_at <= at:
        raise ShareLinkGone(
            _(
                "Liên kết chia sẻ này đã hết hạn lúc %(when)s. Hãy đề nghị người đã gửi liên kết "
                "tạo một liên kết mới."
            )
            % {"when": _date(link.expires_at)},
            reason="expired",
        )
    if link.document.revoked_at is not None:
        raise ShareLinkGone(
            _("Giấy tờ được chia sẻ qua liên kết này đã bị thu hồi, không còn xem được."),
            reason="document_revoked",
        )
    if record_access:
        ShareLink.objects.filter(pk=link.pk).update(access_count=F("access_count") + 1, last_accessed_at=at)
        link.access_count += 1
        link.last_accessed_at = at
    return link


# --- Reuse in a new dossier -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReusableCopy:
    """What a new dossier needs to attach a stored document instead of an upload (one-stop.md OS-DG2)."""

    edoc_id: int
    kind: str
    title: str
    issuer_name: str
    issuer_code: str
    issued_on: dt.date | None
    valid_until: dt.date | None
    source_dossier_code: str
    filename: str
    content_type: str
    size: int
    pages: int
    sha256: str
    content: bytes


def edoc_copy_for_reuse(*, document: EDocument, actor: User, today: dt.date | None = None) -> ReusableCopy:
    """The bytes and metadata of `document` for attaching to a new dossier. Only the owner; a revoked
    document or one past its validity is refused with a message saying why. The file is checked against
    its content hash before it is handed over. Recorded in the audit log (reuse of digitised data is
    counted by Decision 766, REUSED_DIGITIZED_DATA)."""
    if not _is_owner(document, actor):
        raise _not_found()
    today = today or timezone.localdate()
    if document.revoked_at is not None:
        raise EDocRuleError(
            _(
                "Giấy tờ “%(title)s” đã bị thu hồi nên không thể dùng lại trong hồ sơ mới. "
                "Lý do thu hồi: %(reason)s"
            )
            % {"title": document.title, "reason": document.revoked_reason}
        )
    if document.is_expired(today):
        assert document.valid_until is not None
        raise EDocRuleError(
            _(
                "Giấy tờ “%(title)s” chỉ có giá trị đến hết ngày %(date)s, nay đã hết hiệu lực nên "
                "không thể dùng lại trong hồ sơ mới. Hãy nộp bản còn hiệu lực."
            )
            % {"title": document.title, "date": _date(document.valid_until)}
        )
    with document.file.open("rb") as f:
        content = f.read()
    if hashlib.sha256(content).hexdigest() != document.sha256:
        raise EDocCorrupt(
            _("Tệp của giấy tờ này không còn nguyên vẹn (không khớp mã băm). Hãy liên hệ bộ phận hỗ trợ.")
        )
    audit_record(
        event="edoc.reused",
        target_type=TARGET_TYPE,
        target_id=document.pk,
        agency_code=document.issuer_code,
        new={"sha256": document.sha256},
        **_actor_fields(actor),
    )
    return ReusableCopy(
        edoc_id=document.pk,
        kind=document.kind,
        title=document.title,
        issuer_name=document.issuer_name,
        issuer_code=document.issuer_code,
        issued_on=document.issued_on,
        valid_until=document.valid_until,
        source_dossier_code=document.source_dossier_code,
        filename=document.original_name,
        content_type=document.content_type,
        size=document.size,
        pages=document.pages,
        sha256=document.sha256,
        content=content,
    )
