"""Dossier writes that are not a single transition: creation behind an `Idempotency-Key`, papers' files."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, models, transaction

from tinhso.accounts.models import Role, User
from tinhso.accounts.national_id import validate_national_id
from tinhso.accounts.ratelimit import rate_limit_hit
from tinhso.core.audit import audit_batch, audit_record
from tinhso.core.errors import Refusal
from tinhso.core.files import check_upload, pdf_rendition
from tinhso.dossiers.models import Consultation, Dossier, DossierPaper, IdempotencyRecord, PaperFile, Status
from tinhso.dossiers.selectors import KnownApplicant, applicant_known
from tinhso.dossiers.transitions import (
    CONSULTATION_ANSWERERS,
    DossierConflict,
    DossierForbidden,
    DossierRuleError,
)

MAX_KEY_LENGTH = 100


def request_fingerprint(payload: Any) -> str:
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Dossier:
    if record.fingerprint != fingerprint:
        raise DossierRuleError(
            "Idempotency-Key này đã dùng cho một yêu cầu khác: dùng khóa mới cho hồ sơ mới. "
            "/ This Idempotency-Key was used for a different request."
        )
    return record.dossier


def dossier_create_once(
    *,
    user: User,
    key: str,
    fingerprint: str,
    create: Callable[[], Dossier],
    look_first: bool = True,
) -> tuple[Dossier, bool]:
    """Create a dossier at most once per (user, key): a retry — sequential or concurrent — gets the first
    dossier back (`replayed` True), even when a creation would be refused now. The record is written in
    the creating transaction, so a creation that fails leaves no record and a retry creates it then.

    `look_first` False: the key is not looked up before creating — for a caller whose creations are cheap
    and whose keys are nearly always new (the API's counter clients: a read less on every reception). A
    used key then makes the record's insert fail, which undoes the whole creation, its code number
    included, before the first dossier is answered: a retry costs a creation undone, holding the unit's
    code counter and the audit chain's head meanwhile. The portal, whose creation stores and converts
    files, looks first."""
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DossierRuleError(f"Idempotency-Key: 1–{MAX_KEY_LENGTH} ký tự / characters.")
    if look_first and (found := _recorded(user, key)) is not None:
        return _replay(found, fingerprint), True
    # The record goes in with the creation's audit entries, as the transaction's last write (audit_batch:
    # one statement on PostgreSQL, the chain's head locked for the commit alone). A concurrent creation
    # with the same key waits for the first to commit (the unique key, and the unit's code counter before
    # it), then fails its insert and is undone.
    record: list[models.Model] = []
    try:
        with transaction.atomic(), audit_batch(with_rows=record):
            dossier = create()
            record.append(IdempotencyRecord(user=user, key=key, fingerprint=fingerprint, dossier=dossier))
    except (IntegrityError, Refusal):
        # The key's first creation committed (before, or concurrently: the record's unique key failed the
        # insert) — or this one was refused now, which a retry of a creation accepted before must not be
        # (the unit's numbers used up since, the procedure withdrawn): the first dossier either way.
        found = _recorded(user, key)
        if found is None:
            raise
        return _replay(found, fingerprint), True
    return dossier, False


def _recorded(user: User, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.select_related("dossier").filter(user=user, key=key).first()


# --- Papers' files ---------------------------------------------------------------------------------------

# States in which papers may still be added: before and during processing, and while a supplement is due.
_OPEN_FOR_FILES = {Status.SUBMITTED, Status.RECEIVED, Status.IN_PROCESS, Status.SUPPLEMENT}


def may_add_files(d: Dossier, actor: User) -> bool:
    """Whether the actor may attach files to the dossier's papers now."""
    if d.status not in _OPEN_FOR_FILES:
        return False
    if d.applicant_user_id is not None and d.applicant_user_id == actor.pk:
        return d.status in (Status.SUBMITTED, Status.SUPPLEMENT)
    return bool(
        actor.is_official
        and actor.agency is not None
        and actor.agency.path.startswith(d.agency.path)
        and actor.has_role(Role.COUNTER_OFFICER, Role.SPECIALIST, Role.DEPARTMENT_HEAD)
    )


def paper_file_add(*, paper: DossierPaper, upload: Any, name: str, actor: User) -> PaperFile:
    """Attach a scan, photo or PDF to a paper: checked by content (type, size, pixels, pages) before
    anything is written; the original kept as received, a PDF rendition beside it. A refused file leaves
    nothing; a failure after the files were written removes them (nothing half-saved)."""
    if isinstance(upload, (bytes, bytearray)):
        upload = ContentFile(bytes(upload), name=name)
    d = paper.dossier
    if d.status not in _OPEN_FOR_FILES:
        raise DossierConflict(
            "Hồ sơ không còn nhận thêm giấy tờ ở trạng thái này. / The dossier no longer takes papers."
        )
    if not may_add_files(d, actor):
        raise DossierForbidden("Bạn không được thêm giấy tờ vào hồ sơ này. / You may not add papers here.")
    checked = check_upload(upload, name=name)  # UploadRejected: a 4xx with a plain message
    rendition = pdf_rendition(upload, checked)
    stored: list[str] = []
    try:
        with transaction.atomic():
            # Lock the dossier: a file is not added under a transition that closes it.
            locked = Dossier.objects.select_for_update().get(pk=d.pk)
            if locked.status not in _OPEN_FOR_FILES:
                raise DossierConflict("Hồ sơ vừa đổi trạng thái. / The dossier changed meanwhile.")
            row = PaperFile(
                paper=paper,
                original_name=checked.original_name,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                pages=checked.pages,
                uploaded_by=actor,
            )
            if hasattr(upload, "seek"):
                upload.seek(0)
            row.original.save(checked.original_name, File(upload), save=False)
            stored.append(row.original.name)
            row.rendition.save(f"{checked.sha256[:16]}.pdf", ContentFile(rendition), save=False)
            stored.append(row.rendition.name)
            row.save()
            DossierPaper.objects.filter(pk=paper.pk).update(provided=True)
            audit_record(
                event="dossier.paper_file_added",
                target_type="dossiers.dossier",
                target_id=d.code,
                agency_code=d.agency.code,
                actor_id=actor.pk,
                actor_label=actor.get_username(),
                new={
                    "paper": paper.pk,
                    "name": checked.original_name,
                    "type": checked.content_type,
                    "sha256": checked.sha256,
                },
            )
    except BaseException:
        for name_ in stored:
            default_storage.delete(name_)
        raise
    return row


def consultation_shares_papers(consultation: Consultation, actor: User) -> bool:
    """Whether the official (of the asked agency: the caller found the consultation through
    `selectors.consultation_get_for_user`) sees the consulted dossier's papers now: while the consultation
    is open — the agency gives its view on them, ND 61 Art. 19(2) — and to those who handle dossiers."""
    from tinhso.dossiers.selectors import consultation_open

    return consultation_open(consultation) and actor.has_role(*CONSULTATION_ANSWERERS)


def consultation_paper_file(*, consultation: Consultation, file_id: int, actor: User) -> PaperFile | None:
    """A file of the consulted dossier's papers, when the official sees them (`consultation_shares_papers`),
    else None."""
    if not consultation_shares_papers(consultation, actor):
        return None
    return PaperFile.objects.filter(pk=file_id, paper__dossier_id=consultation.dossier_id).first()


def consultation_paper_viewed(*, consultation: Consultation, row: PaperFile, kind: str, actor: User) -> None:
    """Audit one opening of a consulted dossier's file: another agency has read a citizen's papers
    (personal data, ND 13/2023). Under the dossier's agency, as every `dossier.*` entry; the reader's
    agency in the entry."""
    d = consultation.dossier
    audit_record(
        event="dossier.consultation_paper_viewed",
        target_type="dossiers.dossier",
        target_id=d.code,
        actor_id=actor.pk,
        actor_label=actor.get_username(),
        agency_code=d.agency.code,
        new={
            "consultation": consultation.pk,
            "file": row.pk,
            "name": row.original_name[:200],
            "kind": kind,
            "reader_agency": actor.agency.code if actor.agency else "",
        },
    )


class LookupsUsedUp(DossierRuleError):
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(
            "Đã tra quá nhiều người nộp trong giờ này: thử lại sau. / Too many applicant lookups this hour."
        )


def applicant_lookup_allowed(actor: User) -> None:
    """Count one lookup of a person by ID number for `actor` (the reception page's and the API's, valid
    numbers or not); `LookupsUsedUp` beyond `settings.APPLICANT_LOOKUPS_PER_USER` in its window: each reads
    a citizen's contacts, and the numbers follow a pattern a script could walk."""
    limit, window = settings.APPLICANT_LOOKUPS_PER_USER
    decision = rate_limit_hit(
        scope="applicant-lookup", subject=str(actor.pk), limit=limit, window_seconds=window
    )
    if not decision.allowed:
        raise LookupsUsedUp(decision.retry_after)


class NotAnIdNumber(DossierRuleError):
    status_code = 422


def applicant_lookup(*, actor: User, id_number: str) -> KnownApplicant | None:
    """The counter's lookup of a person by ID number, for the reception page and the API alike: counted
    (`applicant_lookup_allowed`), the number checked (`NotAnIdNumber`, read nowhere), then what the
    province knows (`selectors.applicant_known`), audited (`applicant_looked_up`)."""
    applicant_lookup_allowed(actor)
    try:
        validate_national_id(id_number)
    except ValidationError as exc:
        vietnamese = " ".join(str(m) for m in exc.messages)
        raise NotAnIdNumber(f"{vietnamese} / Not a valid personal ID number (12 digits).") from None
    found = applicant_known(actor, id_number)
    applicant_looked_up(
        actor=actor,
        id_number=id_number,
        found=found.source if found else "",
        dossier_code=found.dossier_code if found else "",
    )
    return found


def applicant_looked_up(*, actor: User, id_number: str, found: str, dossier_code: str) -> None:
    """Audit one lookup of a person by their ID number at the counter (`selectors.applicant_known`):
    an official has read a citizen's contact details (personal data, ND 13/2023). Under the official's
    agency; what it found ("account", "dossier" or nothing) and the dossier it read them from."""
    audit_record(
        event="dossier.applicant_looked_up",
        target_type="applicant",
        target_id=id_number,
        actor_id=actor.pk,
        actor_label=actor.get_username(),
        agency_code=actor.agency.code if actor.agency else "",
        new={"found": found, "dossier": dossier_code},
    )
