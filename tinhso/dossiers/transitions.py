"""The dossier lifecycle: one function per transition, and nothing else sets a dossier's state.

Every transition (DESIGN.md, "The dossier lifecycle"; STYLE.md rule 3): lock the dossier's row
(`select_for_update` in `transaction.atomic`), refuse a stale revision (the client acted on an older page:
`DossierConflict`, HTTP 409), check the state allows it (else `DossierConflict`: another official got there
first, or the page is out of date), check the actor's role and agency (`DossierForbidden`, 403), check the
legal rule (`DossierRuleError`, 400: the message cites the article), then set state and deadlines, save,
append a `DossierEvent` (with the deadline's rule and inputs when it changed, OS-DL1), an audit entry, and
the applicant's notifications in the outbox — all in one transaction.

States and national codes (docs/domain/one-stop.md §7):

    submitted (1) ─ receive ─▶ received (2) ─ assign / hand over ─▶ in_process (4) ─ approve|reject ─▶
    processed (9) ─ return_result ─▶ returned (10)
    submitted ─ refuse ─▶ refused (3)
    submitted|received|in_process ─ request_supplement (once) ─▶ supplement (5) ─ supplement_complete ─▶ back
    received|in_process ─ pause_for_payment ─▶ paused (6) ─ resume_after_payment ─▶ back
    any open state ─ withdraw ─▶ withdrawn (7);  received|in_process|paused|supplement ─ stop ─▶ stopped (8)
    received|in_process|paused: extend (once, Mẫu 04), consult (another agency, own deadline), send_back

Every function takes `at` (default: now) so that deadlines can be tested at chosen instants, and
`expected_revision` (the revision the actor's page or API client saw; None skips the check).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.accounts.models import Agency, Role, User
from tinhso.accounts.selectors import agency_leaders
from tinhso.core import rows
from tinhso.core import working_time as wt
from tinhso.core.audit import audit_batch, audit_record, audit_record_many
from tinhso.core.calendar import paper_cutoff, work_calendar
from tinhso.core.errors import Refusal
from tinhso.core.text import fold_name, shortened
from tinhso.core.working_time import extension_last_day
from tinhso.dossiers import fees
from tinhso.dossiers.documents import render_result
from tinhso.dossiers.models import (
    CONSULTATION_CLOSED,
    NATIONAL_STATUS,
    OPEN_STATES,
    PAPER_CHANNELS,
    Channel,
    Consultation,
    Dossier,
    DossierCodeCounter,
    DossierEvent,
    DossierPaper,
    DossierStep,
    Outcome,
    ReturnMethod,
    Status,
    catalog_channel,
)
from tinhso.edocs.models import EDocument
from tinhso.edocs.services import edoc_store
from tinhso.notifications.services import messages_build, messages_enqueue
from tinhso.procedures.models import (
    InternalProcess,
    ProcedureBinding,
    ProcedureVersion,
    ProcessStep,
    RequiredPaper,
)

# ND 61 Art. 19(4), DL9: a supplement is asked for within 3 working days of reception.
SUPPLEMENT_WINDOW_DAYS = 3
# A working day of the default office hours, for budgets smaller than half a day (0.1 day = 48 minutes).
HOURS_PER_WORKING_DAY = Decimal(8)


class DossierError(Refusal):
    """A transition refused; `message` is for the person who tried (Vietnamese / English)."""


class DossierConflict(DossierError):
    """The dossier changed under the actor (another official acted first, or the page is stale)."""

    status_code = 409


class DossierForbidden(DossierError):
    status_code = 403


class DossierRuleError(DossierError):
    """The law or the procedure does not allow it (second extension, late apology, …)."""

    status_code = 400


# --- Helpers --------------------------------------------------------------------------------------------


def _now(at: dt.datetime | None) -> dt.datetime:
    if at is None:
        return timezone.now()
    if timezone.is_naive(at):
        raise ValueError("at must be an aware datetime")
    return at


def _calendar() -> wt.WorkCalendar:
    return work_calendar()


def _lock(dossier: Dossier | int, expected_revision: int | None) -> Dossier:
    pk = dossier.pk if isinstance(dossier, Dossier) else dossier
    d = Dossier.objects.select_for_update().select_related("agency", "procedure").get(pk=pk)
    if expected_revision is not None and d.revision != expected_revision:
        raise DossierConflict(
            _(
                "Hồ sơ %(code)s vừa được người khác cập nhật (phiên bản %(now)s, bạn đang xem phiên bản "
                "%(seen)s). Tải lại trang để xem trạng thái mới. / The dossier changed meanwhile: reload."
            )
            % {"code": d.code, "now": d.revision, "seen": expected_revision}
        )
    return d


def _require_state(d: Dossier, allowed: Iterable[str], action: str) -> None:
    if d.status not in set(allowed):
        raise DossierConflict(
            _(
                "Không thể %(action)s: hồ sơ %(code)s đang ở trạng thái “%(status)s”. "
                "/ Not allowed in the dossier's current state."
            )
            % {"action": action, "code": d.code, "status": Status(d.status).label}
        )


def _in_agency(user: User, agency: Agency) -> bool:
    """An active official of the agency or of a unit under it."""
    return bool(
        user.is_active
        and user.is_official
        and user.agency_id is not None
        and user.agency is not None
        and user.agency.path.startswith(agency.path)
    )


def _require_official(actor: User, d: Dossier, roles: Sequence[str], action: str) -> None:
    if not _in_agency(actor, d.agency):
        raise DossierForbidden(
            _("Bạn không thuộc đơn vị tiếp nhận hồ sơ này. / You are not an official of this dossier's unit.")
        )
    if not actor.has_role(*roles):
        names = ", ".join(str(Role(r).label) for r in roles)
        raise DossierForbidden(
            _("Chỉ %(roles)s mới được %(action)s. / Your role does not allow this.")
            % {"roles": names, "action": action}
        )


def _actor_label(actor: User | None) -> str:
    if actor is None:
        return "system"
    return f"{actor.get_username()} ({actor.full_name})" if actor.full_name else actor.get_username()


def _record(
    d: Dossier,
    *,
    action: str,
    actor: User | None,
    at: dt.datetime,
    from_status: str,
    fields: Iterable[str],
    form: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
    notify: bool = True,
) -> DossierEvent:
    """Save the changed fields with a new revision, append the event, the audit entry and the messages."""
    d.revision += 1
    d.save(update_fields=[*set(fields), "revision", "status"])
    event = _event(
        d, action=action, actor=actor, at=at, from_status=from_status, form=form, note=note, data=data
    )
    event.save(force_insert=True)
    if from_status != d.status and notify:
        _notify(d, event)
    audit_record(**_audit_entry(d, action=action, actor=actor, from_status=from_status, form=form))
    return event


def _event(
    d: Dossier,
    *,
    action: str,
    actor: User | None,
    at: dt.datetime,
    from_status: str,
    form: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
) -> DossierEvent:
    """The event of the dossier's current revision and state (unsaved)."""
    return DossierEvent(
        dossier=d,
        seq=d.revision,
        action=action,
        from_status=from_status,
        to_status=d.status,
        national_status=NATIONAL_STATUS[d.status],
        actor=actor,
        actor_label=_actor_label(actor),
        at=at,
        form=form,
        note=note,
        data=data or {},
    )


def _audit_entry(
    d: Dossier, *, action: str, actor: User | None, from_status: str, form: str
) -> dict[str, Any]:
    return {
        "event": f"dossier.{action}",
        "target_type": "dossiers.dossier",
        "target_id": d.code,
        "agency_code": d.agency.code,
        "actor_id": actor.pk if actor else None,
        "actor_label": actor.get_username() if actor else "system",
        "old": {"status": from_status} if from_status else None,
        "new": {"status": d.status, "revision": d.revision, **({"form": form} if form else {})},
    }


def _notify(d: Dossier, event: DossierEvent) -> None:
    """Tell the applicant, by SMS and e-mail, in the transaction of the change (the outbox)."""
    # One statement for both; a replayed event's keys are already there and are ignored.
    messages_enqueue(_messages(d, event))


def _messages(d: Dossier, event: DossierEvent) -> list[dict[str, str]]:
    """The applicant's SMS and e-mail about the dossier's new state (`_notify`)."""
    status = Status(d.status).label
    text = f"Hồ sơ {d.code} ({d.procedure.name[:60]}): {status}."
    if d.due_at and d.status in (Status.RECEIVED, Status.IN_PROCESS):
        text += f" Hẹn trả: {timezone.localtime(d.due_at):%H:%M %d/%m/%Y}."
    topic = f"dossier:{d.code}"
    return [
        {
            "channel": "sms",
            "recipient": d.applicant_phone,
            "body": text,
            "dedupe_key": f"dossier:{d.pk}:{event.seq}:sms",
            "topic": topic,
        },
        {
            "channel": "email",
            "recipient": d.applicant_email,
            "subject": f"Hồ sơ {d.code}: {status}",
            "body": text,
            "dedupe_key": f"dossier:{d.pk}:{event.seq}:email",
            "topic": topic,
        },
    ]


def legal_time_for(d: Dossier, terms: Sequence[fees.ChannelTerms] | None = None) -> tuple[Decimal, str]:
    """The statutory time of the pinned version for the dossier's channel (DL8: one time per channel),
    else its direct channel's, else the internal process's total. `terms`: the version's channel rules
    (`fees.channel_terms`), when the caller has read them already."""
    if terms is None:
        terms = fees.channel_terms(d.procedure_version_id)
    wanted = catalog_channel(d.channel)
    for channel in (wanted, "direct"):
        for rule in terms:
            if rule.channel == channel and rule.time_value is not None and rule.time_unit:
                return rule.time_value, rule.time_unit
    if d.process is not None:
        return d.process.total_value, d.process.total_unit
    raise DossierRuleError(
        _(
            "Thủ tục %(code)s chưa có thời hạn giải quyết đọc được: quản trị danh mục cần sửa trước. "
            "/ The procedure states no readable processing time."
        )
        % {"code": d.procedure.code}
    )


def _step_due(start: dt.datetime, value: Decimal, unit: str, cal: wt.WorkCalendar) -> dt.datetime:
    # Step budgets are often fractions of a day (0.1 day for the counter's check): below the half-day
    # granularity of the working-day rule they are counted in office hours (8 h a day, DL3).
    if unit == "working_day" and (value * 2) % 1:
        return wt.due_time(start, value * HOURS_PER_WORKING_DAY, "hour", cal).due
    return wt.due_time(start, value, wt.as_time_unit(unit), cal).due


def _start_step(
    d: Dossier, step: DossierStep, *, at: dt.datetime, assignee: User | None, cal: wt.WorkCalendar
):
    step.started_at = at
    step.assignee = assignee
    step.finished_at = None
    step.finished_by = None
    step.punctuality = ""
    step.due_at = _step_due(at, step.budget_value, step.budget_unit, cal)
    step.save(update_fields=["started_at", "assignee", "finished_at", "finished_by", "punctuality", "due_at"])
    d.current_step = step
    d.holder = assignee


def _finish_step(step: DossierStep, *, at: dt.datetime, actor: User | None) -> str:
    step.finished_at = at
    step.finished_by = actor
    step.punctuality = wt.classify(at, step.due_at) if step.due_at else ""
    step.save(update_fields=["finished_at", "finished_by", "punctuality"])
    return step.punctuality


def _current_step(d: Dossier) -> DossierStep | None:
    if d.current_step_id is None:
        return None
    return DossierStep.objects.select_related("assignee").get(pk=d.current_step_id)


def _next_step(d: Dossier, step: DossierStep) -> DossierStep | None:
    return DossierStep.objects.filter(dossier=d, order__gt=step.order).order_by("order").first()


# --- Creation and the code ------------------------------------------------------------------------------


def _codes_used_up() -> DossierRuleError:
    return DossierRuleError(
        _("Đơn vị đã tiếp nhận 9.999 hồ sơ trong ngày: mã hồ sơ chỉ có 4 chữ số thứ tự (TT 01/2018 Điều 19).")
    )


def _take_number(
    agency: Agency, day: dt.date, *, new_keys: Sequence[tuple[type[Any], int]] = ()
) -> tuple[int, list[list[int]]] | None:
    """The unit's next number for the day, gap-free (OS-ID2): the counter row is locked until the creating
    transaction ends, and a rollback gives the number back. One statement: the day's first dossier inserts
    the row, every other increments it, under the row's lock either way (no savepoint, no failed insert).
    None when the day's 9,999 numbers are used: nothing is written then, so the caller may refuse without
    undoing anything (TT 01/2018 Art. 19: four digits).

    `new_keys` (PostgreSQL only; `rows.keys_reservable`): primary keys drawn in the same statement, as many
    of each model as asked, for rows the caller then writes with their keys set."""
    table = DossierCodeCounter._meta.db_table
    # Table and column names from the models; every value is a parameter.
    upsert = (
        f"INSERT INTO {table} (agency_id, day, last) VALUES (%s, %s, 1) "  # noqa: S608
        f"ON CONFLICT (agency_id, day) DO UPDATE SET last = {table}.last + 1 WHERE {table}.last < 9999 "
        "RETURNING last"
    )
    if new_keys:  # PostgreSQL: the upsert as a WITH query, the keys drawn only when it returned a number
        arrays = "".join(f", {rows.new_keys_sql(model, count)}" for model, count in new_keys)
        sql = f"WITH c AS ({upsert}) SELECT last{arrays} FROM c"  # noqa: S608
    else:
        sql = upsert
    with rows.cursor(connection) as cursor:
        cursor.execute(sql, [agency.pk, day])
        found = cursor.fetchone()
    if found is None:
        return None
    return int(found[0]), [list(keys) for keys in found[1:]]


def _code(agency: Agency, day: dt.date, number: int) -> str:
    """The national dossier code: the unit's identifier, the day (YYMMDD), the day's number (OS-ID1)."""
    return f"{agency.code}-{day:%y%m%d}-{number:04d}"


def _next_code(agency: Agency, day: dt.date) -> str:
    """The next code of the unit for the day (`_take_number`); refused once the day's numbers are used."""
    taken = _take_number(agency, day)
    if taken is None:
        raise _codes_used_up()
    return _code(agency, day, taken[0])


@dataclass(frozen=True)
class Applicant:
    name: str
    kind: str = "citizen"
    id_number: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    user: User | None = None
    authorised_name: str = ""
    authorised_id_number: str = ""


@dataclass(frozen=True)
class PaperSpec:
    """A paper of the dossier: from the catalog checklist (`required_paper_id`) or named freely."""

    name: str = ""
    required_paper_id: int | None = None
    kind: str = DossierPaper.Kind.ORIGINAL
    quantity: int = 1
    provided: bool = True
    note: str = ""


def _check_submitter(actor: User, binding: ProcedureBinding, channel: str, applicant: Applicant) -> None:
    if actor.is_official:
        if not _in_agency(actor, binding.agency) or not actor.has_role(Role.COUNTER_OFFICER):
            raise DossierForbidden(
                _(
                    "Chỉ cán bộ Bộ phận Một cửa của %(agency)s mới được tiếp nhận hồ sơ tại đây. "
                    "/ Only the unit's counter officers receive dossiers here."
                )
                % {"agency": binding.agency.name}
            )
        return
    if channel != Channel.ONLINE:
        raise DossierForbidden(_("Công dân chỉ nộp hồ sơ trực tuyến. / Citizens submit online."))
    if applicant.user is None or applicant.user.pk != actor.pk:
        raise DossierForbidden(_("Bạn chỉ nộp hồ sơ cho chính mình. / You submit only your own dossiers."))


def _papers_create(
    d: Dossier,
    papers: Sequence[PaperSpec],
    checklist: dict[int, RequiredPaper] | None = None,
    *,
    write: bool = True,
) -> list[DossierPaper]:
    """The dossier's papers, checked against the pinned version's checklist (`checklist`: all of it, by
    key, when the caller has it already; else the papers named are read). `write` False: unsaved, for the
    caller to insert with other rows."""
    wanted = {p.required_paper_id for p in papers if p.required_paper_id is not None}
    if checklist is None:
        checklist = {
            rp.pk: rp
            for rp in rows.select(RequiredPaper, {"id": wanted, "version_id": d.procedure_version_id})
        }
    known = {pk: checklist[pk] for pk in wanted if pk in checklist}
    if wanted - set(known):
        raise DossierRuleError(
            _("Giấy tờ không thuộc danh mục của thủ tục này. / A paper is not on this procedure's checklist.")
        )
    made = []
    for i, spec in enumerate(papers):
        required = known.get(spec.required_paper_id) if spec.required_paper_id else None
        name = (spec.name or (required.name if required else "")).strip()
        if not name:
            raise DossierRuleError(_("Mỗi giấy tờ phải có tên. / Every paper needs a name."))
        if spec.kind not in DossierPaper.Kind.values:
            raise DossierRuleError(_("Hình thức giấy tờ không hợp lệ. / Unknown paper kind."))
        if not 0 <= spec.quantity <= 99:
            raise DossierRuleError(_("Số lượng giấy tờ từ 0 đến 99. / Quantity must be 0–99."))
        made.append(
            DossierPaper(
                dossier=d,
                order=i,
                # The key only: the checklist's instances are kept and shared between requests.
                required_paper_id=required.pk if required else None,
                name=name,
                kind=spec.kind,
                quantity=spec.quantity,
                provided=spec.provided,
                note=spec.note[:300],
            )
        )
    if write:
        rows.insert(made)
        for row in made:
            prefetched(row, "files", [])  # new: no files yet
    return made


def prefetched(instance: Any, name: str, found: Sequence[Any]) -> None:
    """Hand `instance.<name>.all()` these rows (of a reverse foreign key), as `prefetch_related` would,
    without a query — what a transition has just written, or what a reader has just read (core.rows), for
    the caller to show — and each row its parent (`row.<field>` is `instance`, no query either)."""
    manager = getattr(instance, name)
    qs = manager.all()  # lazy: not run
    qs._result_cache = list(found)
    qs._prefetch_done = True
    for row in qs._result_cache:
        manager.field.set_cached_value(row, instance)
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[name] = qs


def forget_handed_over(instance: Any, *names: str) -> None:
    """Read `instance.<name>.all()` from the database again from now on: rows handed over (`prefetched`)
    were changed since (files attached to a new dossier's papers)."""
    cache = getattr(instance, "_prefetched_objects_cache", None)
    if cache is not None:
        for name in names:
            cache.pop(name, None)


def _inserted_new(d: Dossier) -> None:
    """Tell the dossier's `post_save` receivers (the worklists' stamps) of a dossier written by hand-built
    statements (core.rows), as `save` would have."""
    post_save.send(sender=Dossier, instance=d, created=True, update_fields=None, raw=False, using=d._state.db)


def _hand_over_new(
    d: Dossier, papers: list[DossierPaper], steps: list[DossierStep], events: list[DossierEvent]
) -> None:
    """What a creation just wrote, for the caller to show next (the API's answer, the receipt) without
    reading it back: the new papers have no files yet."""
    for row in papers:
        prefetched(row, "files", [])
    prefetched(d, "papers", papers)
    prefetched(d, "steps", steps)
    prefetched(d, "events", events)


def handed_over(instance: Any, name: str) -> bool:
    """Whether `instance.<name>.all()` is served without a query (`prefetched`, `prefetch_related`)."""
    return name in getattr(instance, "_prefetched_objects_cache", ())


@dataclass(frozen=True)
class _ReceptionCatalog:
    """What reception reads of a binding's current version and internal process."""

    version: ProcedureVersion
    terms: list[fees.ChannelTerms]
    checklist: dict[int, RequiredPaper]  # the version's required papers, by key
    steps: list[ProcessStep]  # the process's, in order; empty without a process


# Kept per process: versions and internal processes are immutable once created (procedures/admin.py: an
# edit makes a new version, `internal_process_create` a new process; nothing edits or deletes either),
# so what reception reads of them never changes. Keyed by their keys *and* creation instants (and the
# version's content hash): a key that a rolled-back transaction gave out and another row took later (SQLite
# does that) never finds the other row's data. Bounded: the least recently used go first.
_KEPT_CATALOGS = 1024
_kept_versions: OrderedDict[tuple[Any, ...], tuple[list[fees.ChannelTerms], dict[int, RequiredPaper]]] = (
    OrderedDict()
)
_kept_processes: OrderedDict[tuple[Any, ...], list[ProcessStep]] = OrderedDict()
_kept_lock = threading.Lock()


def _kept(kept: OrderedDict[tuple[Any, ...], Any], key: tuple[Any, ...], read: Any) -> Any:
    with _kept_lock:
        found = kept.get(key)
        if found is not None:
            kept.move_to_end(key)
            return found
    found = read()  # outside the lock: two threads may both read; the values are the same
    with _kept_lock:
        kept[key] = found
        while len(kept) > _KEPT_CATALOGS:
            kept.popitem(last=False)
    return found


def _reception_catalog(binding: ProcedureBinding) -> _ReceptionCatalog:
    """The binding's current version (as `select_related` left it on the procedure, else read) with its
    channel terms and checklist, and its current internal process's steps: two hand-built reads the
    first time a process sees them (core.rows), none after."""
    procedure = binding.procedure
    version = procedure.current_version if type(procedure).current_version.is_cached(procedure) else None
    if version is None or version.pk != procedure.current_version_id:
        (version,) = rows.select(ProcedureVersion, {"id": procedure.current_version_id})
    version_id = version.pk

    def read_version() -> tuple[list[fees.ChannelTerms], dict[int, RequiredPaper]]:
        checklist = {rp.pk: rp for rp in rows.select(RequiredPaper, {"version_id": version_id})}
        return fees.channel_terms(version_id), checklist

    terms, checklist = _kept(
        _kept_versions, (version_id, version.content_hash, version.created_at), read_version
    )
    steps: list[ProcessStep] = []
    if binding.current_process_id is not None:
        process = binding.current_process if ProcedureBinding.current_process.is_cached(binding) else None
        if process is None or process.pk != binding.current_process_id:
            (process,) = rows.select(InternalProcess, {"id": binding.current_process_id})
        process_id = process.pk
        steps = _kept(
            _kept_processes,
            (process_id, process.created_at),
            lambda: rows.select(ProcessStep, {"process_id": process_id}, order_by=("order", "id")),
        )
    return _ReceptionCatalog(version=version, terms=terms, checklist=checklist, steps=steps)


def _new_dossier(
    *,
    binding: ProcedureBinding,
    channel: str,
    applicant: Applicant,
    actor: User,
    form_data: dict[str, Any] | None,
    summary: str,
    on_behalf_consent: str,
    sets: int,
    at: dt.datetime,
) -> Dossier:
    """The checks of a new dossier and the dossier itself, awaiting reception, unsaved and without its code
    yet (`_next_code` locks the unit's counter until the transaction ends: it is taken last)."""
    if channel not in Channel.values:
        raise DossierRuleError(_("Kênh tiếp nhận không hợp lệ. / Unknown channel."))
    if not binding.is_active or binding.procedure.current_version_id is None:
        raise DossierRuleError(
            _("Thủ tục này không còn được tiếp nhận tại đơn vị. / This procedure is not received here.")
        )
    _check_submitter(actor, binding, channel, applicant)
    name = applicant.name.strip()
    if not name:
        raise DossierRuleError(_("Cần họ tên người nộp hồ sơ. / The applicant's name is required."))
    on_behalf = actor.is_official and channel == Channel.ONLINE
    if on_behalf and not on_behalf_consent.strip():
        raise DossierRuleError(
            _(
                "Nộp hộ cần ghi nhận sự đồng ý của người dân (họ tên, cách xác nhận). "
                "/ Submitting on someone's behalf needs their recorded consent."
            )
        )
    if not 1 <= sets <= 20:
        raise DossierRuleError(_("Số bộ hồ sơ từ 1 đến 20. / Sets must be 1–20."))
    return Dossier(
        agency=binding.agency,
        binding=binding,
        procedure=binding.procedure,
        procedure_version_id=binding.procedure.current_version_id,
        process_id=binding.current_process_id,
        channel=channel,
        status=Status.SUBMITTED,
        revision=0,  # the submit event makes it 1
        applicant_kind=applicant.kind,
        applicant_name=name[:200],
        applicant_name_folded=fold_name(name[:200]),
        applicant_id_number=applicant.id_number.strip(),
        applicant_phone=applicant.phone.strip(),
        applicant_email=applicant.email.strip(),
        applicant_address=applicant.address.strip()[:300],
        applicant_user=applicant.user,
        authorised_name=applicant.authorised_name.strip(),
        authorised_id_number=applicant.authorised_id_number.strip(),
        on_behalf_by=actor if on_behalf else None,
        on_behalf_consent=on_behalf_consent.strip() if on_behalf else "",
        summary=(summary or binding.procedure.name)[:500],
        form_data=form_data or {},
        sets=sets,
        submitted_at=at,
    )


def _submit_data(d: Dossier) -> dict[str, Any]:
    return {"channel": d.channel, "on_behalf": d.on_behalf_by_id is not None}


def submit(
    *,
    binding: ProcedureBinding,
    channel: str,
    applicant: Applicant,
    actor: User,
    papers: Sequence[PaperSpec] = (),
    form_data: dict[str, Any] | None = None,
    summary: str = "",
    on_behalf_consent: str = "",
    sets: int = 1,
    at: dt.datetime | None = None,
    notify: bool = True,
    binding_read: bool = False,
) -> Dossier:
    """A new dossier, awaiting reception (status 1), with its code. An official submitting a citizen's
    online dossier for them (*nộp hộ*) records the citizen's consent. `notify` False: the applicant is told
    by the transition that follows in the same transaction.

    Written as `receive_at_counter` writes: the binding read again as it is now (withdrawn since the
    caller read it: refused) unless `binding_read` says the caller has just read it in this request with
    its agency, procedure, current version and process (the API's `_binding`); every check before anything
    is written; then one transaction (the caller's when there is one, without a savepoint): the day's
    number, with the dossier's key drawn in the same statement on PostgreSQL; the dossier, its papers, its
    event 1 and the applicant's messages in one statement (core.rows); the audit entry last (the caller's
    `audit_batch`, when there is one, writes it with its own rows). A refusal leaves the caller's
    transaction usable, with nothing written (on PostgreSQL a refusal for the 9,999th number still holds
    the unit's counter row until that transaction ends); a failure among the writes (a database error)
    fails the caller's transaction too, as no savepoint was taken. The rows are handed to the caller
    (`prefetched`: `d.papers.all()` and the papers' files read nothing); a caller that changes them
    afterwards (the portal attaches files) forgets them first (`forget_handed_over`)."""
    at = _now(at)
    if not binding_read:
        found = rows.select(
            ProcedureBinding,
            {"id": binding.pk},
            related=("agency", "procedure", "procedure__current_version", "current_process"),
        )
        if not found:
            raise ProcedureBinding.DoesNotExist("ProcedureBinding matching query does not exist.")
        (binding,) = found
    d = _new_dossier(
        binding=binding,
        channel=channel,
        applicant=applicant,
        actor=actor,
        form_data=form_data,
        summary=summary,
        on_behalf_consent=on_behalf_consent,
        sets=sets,
        at=at,
    )
    catalog = _reception_catalog(binding)  # the checklist, kept per process
    Dossier.procedure_version.field.set_cached_value(d, catalog.version)
    paper_rows = _papers_create(d, papers, catalog.checklist, write=False)
    day = timezone.localtime(at).date()
    ahead = rows.keys_reservable(Dossier)
    with transaction.atomic(savepoint=False):
        taken = _take_number(binding.agency, day, new_keys=[(Dossier, 1)] if ahead else [])
        if taken is not None:
            number, keys = taken
            d.code = _code(binding.agency, day, number)
            d.revision = 1  # event 1 (submit)
            if ahead:
                ((d.pk,),) = keys
            else:
                rows.insert([d])
            event = _event(d, action="submit", actor=actor, at=at, from_status="", data=_submit_data(d))
            outbox = messages_build(_messages(d, event)) if notify else []
            if ahead:
                rows.insert_together(
                    [d], paper_rows, [event], outbox, skip_conflicts=(False, False, False, True)
                )
            else:
                rows.insert_together(paper_rows, [event], outbox, skip_conflicts=(False, False, True))
            _inserted_new(d)
            audit_record(**_audit_entry(d, action="submit", actor=actor, from_status="", form=""))
    if taken is None:  # nothing was written
        raise _codes_used_up()
    _hand_over_new(d, paper_rows, [], [event])
    return d


_RECEPTION_FIELDS = (
    "received_at",
    "received_by",
    "legal_value",
    "legal_unit",
    "clock_start",
    "due_at",
    "due_rule",
    "current_step",
    "holder",
)


def _lay_out_reception(
    d: Dossier,
    *,
    actor: User,
    at: dt.datetime,
    cal: wt.WorkCalendar,
    terms: Sequence[fees.ChannelTerms],
    process_steps: Sequence[ProcessStep] | None = None,
) -> tuple[wt.Deadline, list[DossierStep]]:
    """Reception's effect on the dossier in memory (DL4, DL6): received, the clock started, the due time from
    the pinned version's time for the channel (`terms`: its `fees.channel_terms`); and its internal
    process's steps (unsaved; `process_steps`: the process's, when the caller has them), the first started
    by the receiving officer. The caller saves both and points `current_step` at the first."""
    if d.process_id is None:
        raise DossierRuleError(
            _(
                "Thủ tục chưa có quy trình nội bộ tại đơn vị: quản trị danh mục cần lập trước khi tiếp nhận. "
                "/ No internal process is set for this procedure here."
            )
        )
    value, unit = legal_time_for(d, terms)
    deadline = wt.reception_deadline(
        at, value, wt.as_time_unit(unit), cal, paper=d.channel in PAPER_CHANNELS, cutoff=paper_cutoff()
    )
    d.status = Status.RECEIVED
    d.received_at = at
    d.received_by = actor
    d.legal_value, d.legal_unit = value, unit
    d.clock_start = deadline.start
    d.due_at = deadline.due
    d.due_rule = deadline.rule
    d.holder = actor
    steps = [
        DossierStep(
            dossier=d,
            order=s.order,
            name=s.name,
            role=s.role,
            budget_value=s.duration_value,
            budget_unit=s.duration_unit,
            agency=d.agency,
        )
        for s in (
            process_steps
            if process_steps is not None
            else rows.select(ProcessStep, {"process_id": d.process_id}, order_by=("order", "id"))
        )
    ]
    if not steps:
        raise DossierRuleError(_("Quy trình nội bộ không có bước nào. / The internal process has no step."))
    first = steps[0]
    first.started_at, first.assignee = deadline.start, actor
    first.due_at = _step_due(deadline.start, first.budget_value, first.budget_unit, cal)
    return deadline, steps


@transaction.atomic
def receive(
    dossier: Dossier | int,
    *,
    actor: User,
    expected_revision: int | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """*Tiếp nhận*: the dossier is complete; the clock starts (DL4, DL6), the due time is set from the
    pinned version's time for the channel, the internal process's steps are laid out, Mẫu 01 is issued
    (ND 61 Art. 17; OS-RC2)."""
    at = _now(at)
    d = _lock(dossier, expected_revision)
    _require_state(d, [Status.SUBMITTED], _("tiếp nhận"))
    _require_official(actor, d, [Role.COUNTER_OFFICER], _("tiếp nhận hồ sơ"))
    terms = fees.channel_terms(d.procedure_version_id)  # the time and the fee, read once for both
    deadline, steps = _lay_out_reception(d, actor=actor, at=at, cal=_calendar(), terms=terms)
    rows.insert(steps)  # sets the primary keys (PostgreSQL, SQLite ≥ 3.35)
    d.current_step = steps[0]
    # The fee of the pinned version for the channel, with its payment request (ND 61 Art. 22; fees.py). Its
    # audit entry is chained with the reception's, as the last write (audit_batch).
    with audit_batch():
        if due := fees.fee_due(d, terms):
            fees.fee_request(d, due, actor=actor, at=at)
        _record(
            d,
            action="receive",
            actor=actor,
            at=at,
            from_status=Status.SUBMITTED,
            fields=_RECEPTION_FIELDS,
            form="01",
            data={"deadline": deadline.as_record()},
        )
    return d


def receive_at_counter(
    *,
    binding: ProcedureBinding,
    applicant: Applicant,
    actor: User,
    papers: Sequence[PaperSpec],
    channel: str = Channel.COUNTER,
    form_data: dict[str, Any] | None = None,
    summary: str = "",
    sets: int = 1,
    at: dt.datetime | None = None,
) -> Dossier:
    """A paper dossier handed in at the counter (or arrived by post) and found complete: created and
    received at once, Mẫu 01 ready to print. The same checks, rows and events as `submit` then `receive`
    (events 1 "submit" and 2 "receive", two audit entries, one message to the applicant), written in as
    few statements as they take.

    Reception's checks come first, before anything is written, the day's last number included; a refusal
    then leaves the caller's transaction usable, with nothing written (on PostgreSQL a refusal for the
    9,999th number still holds the unit's counter row until that transaction ends). The writes follow in
    one transaction — the caller's own when there is one, without a savepoint: a failure among them (a
    database error; a fee the payment request refuses, which the catalog's checks make a defect) fails the
    caller's transaction too. The unit's code counter and the audit chain's head, both locked until the
    transaction ends, are taken as late as they can be (the payment request's audit entry is chained with
    the dossier's, in one `audit_batch`). On PostgreSQL the code's statement also draws the dossier's and
    its steps' keys, so the dossier, its papers, steps, events and messages are one statement (core.rows);
    elsewhere the dossier is inserted first and pointed at its first step after. `binding` is used as
    given (the caller has just read it, with its procedure and agency)."""
    at = _now(at)
    if channel not in PAPER_CHANNELS:
        raise DossierRuleError(
            _("Tiếp nhận tại quầy là hồ sơ giấy. / Counter reception is for paper dossiers.")
        )
    d = _new_dossier(
        binding=binding,
        channel=channel,
        applicant=applicant,
        actor=actor,
        form_data=form_data,
        summary=summary,
        on_behalf_consent="",
        sets=sets,
        at=at,
    )
    # The pinned version (its name goes on the fee request and the answer) and what reception reads of it
    # and of the internal process, kept per process (immutable: `_reception_catalog`).
    catalog = _reception_catalog(binding)
    Dossier.procedure_version.field.set_cached_value(d, catalog.version)
    terms = catalog.terms  # the time and the fee, read once for both
    deadline, steps = _lay_out_reception(
        d, actor=actor, at=at, cal=_calendar(), terms=terms, process_steps=catalog.steps
    )
    due = fees.fee_due(d, terms)
    paper_rows = _papers_create(d, papers, catalog.checklist, write=False)
    day = timezone.localtime(at).date()
    ahead = rows.keys_reservable(Dossier) and rows.keys_reservable(DossierStep)
    with transaction.atomic(savepoint=False):
        taken = _take_number(
            binding.agency, day, new_keys=[(Dossier, 1), (DossierStep, len(steps))] if ahead else []
        )
        if taken is not None:
            number, keys = taken
            d.code = _code(binding.agency, day, number)
            d.revision = 2  # events 1 (submit) and 2 (receive)
            if ahead:
                ((d.pk,), step_keys) = keys
                for step, key in zip(steps, step_keys, strict=True):
                    step.pk = key
                d.current_step = steps[0]
            else:
                rows.insert([d])
            events, entries, outbox = _reception_records(d, actor=actor, at=at, deadline=deadline)
            # Written by hand-built statements (core.rows: the ORM's compiling was most of this request's
            # time); the dossier's post_save receivers (the worklists' stamps) are told as `save` would.
            if ahead:
                rows.insert_together(
                    [d], paper_rows, steps, events, outbox, skip_conflicts=(False, False, False, False, True)
                )
            else:
                rows.insert_together(
                    paper_rows, steps, events, outbox, skip_conflicts=(False, False, False, True)
                )
                d.current_step = steps[0]
                rows.update(d, ["current_step"])
            _inserted_new(d)
            # The payment request's entry and the dossier's two, chained together as this block's last
            # write (a caller's batch, such as the API's idempotency record, writes them later still).
            with audit_batch():
                if due:
                    fees.fee_request(d, due, actor=actor, at=at)
                audit_record_many(entries)
    if taken is None:  # nothing was written
        raise _codes_used_up()
    _hand_over_new(d, paper_rows, steps, events)
    return d


def _reception_records(
    d: Dossier, *, actor: User, at: dt.datetime, deadline: wt.Deadline
) -> tuple[list[DossierEvent], list[dict[str, Any]], list[Any]]:
    """A counter reception's events (1 "submit", 2 "receive"), audit entries and message to the applicant,
    unsaved: the dossier has its code and key."""
    d.revision, d.status = 1, Status.SUBMITTED
    submitted = _event(d, action="submit", actor=actor, at=at, from_status="", data=_submit_data(d))
    submit_entry = _audit_entry(d, action="submit", actor=actor, from_status="", form="")
    d.revision, d.status = 2, Status.RECEIVED
    received = _event(
        d,
        action="receive",
        actor=actor,
        at=at,
        from_status=Status.SUBMITTED,
        form="01",
        data={"deadline": deadline.as_record()},
    )
    receive_entry = _audit_entry(d, action="receive", actor=actor, from_status=Status.SUBMITTED, form="01")
    return [submitted, received], [submit_entry, receive_entry], messages_build(_messages(d, received))


@transaction.atomic
def refuse(
    dossier: Dossier | int,
    *,
    actor: User,
    reason: str,
    expected_revision: int | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """*Từ chối tiếp nhận*: not eligible; Mẫu 03 with the specific reason (ND 61 Art. 17; OS-RC2)."""
    at = _now(at)
    d = _lock(dossier, expected_revision)
    _require_state(d, [Status.SUBMITTED], _("từ chối tiếp nhận"))
    _require_official(actor, d, [Role.COUNTER_OFFICER], _("từ chối tiếp nhận"))
    reason = reason.strip()
    if not reason:
        raise DossierRuleError(_("Phải ghi rõ lý do từ chối (Mẫu 03). / The reason is required."))
    d.status = Status.REFUSED
    d.closed_at = at
    d.outcome_note = reason
    _record(
        d,
        action="refuse",
        actor=actor,
        at=at,
        from_status=Status.SUBMITTED,
        fields=["closed_at", "outcome_note"],
        form="03",
        note=reason,
        data={"reason": reason},
    )
    return d


@dataclass(frozen=True)
class MissingItem:
    """One line of Mẫu 02: what is missing or wrong, and why."""

    paper: str
    reason: str


@transaction.atomic
def request_supplement(
    dossier: Dossier | int,
    *,
    actor: User,
    items: Sequence[MissingItem],
    expected_revision: int | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """*Yêu cầu bổ sung, hoàn thiện hồ sơ* (Mẫu 02): once, complete, each item with its reason, within 3
    working days of reception (ND 61 Art. 19(4); DL9). The clock stops until the supplement is complete."""
    at = _now(at)
    d = _lock(dossier, expected_revision)
    _require_state(d, [Status.SUBMITTED, Status.RECEIVED, Status.IN_PROCESS], _("yêu cầu bổ sung"))
    _require_official(
        actor, d, [Role.COUNTER_OFFICER, Role.SPECIALIST, Role.DEPARTMENT_HEAD], _("yêu cầu bổ sung hồ sơ")
    )
    if d.supplement_requests:
        raise DossierRuleError(
            _(
                "Hồ sơ đã được yêu cầu bổ sung một lần: yêu cầu bổ sung chỉ được gửi một lần, đầy đủ "
                "(Nghị định 61/2018/NĐ-CP, Điều 19). / A supplement may be requested only once."
            )
        )
    clean = [MissingItem(i.paper.strip(), i.reason.strip()) for i in items]
    if not clean or any(not i.paper or not i.reason for i in clean):
        raise DossierRuleError(
            _(
                "Ghi rõ từng giấy tờ cần bổ sung và lý do (Mẫu 02). "
                "/ List every missing paper with its reason."
            )
        )
    cal = _calendar()
    if d.clock_start is not None:
        spent = wt.working_time_between(d.clock_start, at, cal)
        if spent > dt.timedelta(hours=int(HOURS_PER_WORKING_DAY) * SUPPLEMENT_WINDOW_DAYS):
            raise DossierRuleError(
                _(
                    "Đã quá 3 ngày làm việc kể từ khi tiếp nhận: không còn được yêu cầu bổ sung "
                    "(Nghị định 61/2018/NĐ-CP, Điều 19 khoản 4). / Past the 3-working-day window."
                )
            )
    from_status = d.status
    d.resume_status = from_status
    d.status = Status.SUPPLEMENT
    d.paused_at = at
    d.supplement_requests += 1
    items_data = [{"paper": i.paper, "reason": i.reason} for i in clean]
    _record(
        d,
        action="request_supplement",
        actor=actor,
        at=at,
        from_status=from_status,
        fields=["resume_status", "paused_at", "supplement_requests"],
        form="02",
        data={"items": items_data, "contact": actor.full_name, "contact_phone": d.agency.phone},
    )
    return d


@transaction.atomic
def supplement_complete(
    dossier: Dossier | int,
    *,
    actor: User,
    note: str = "",
    expected_revision: int | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """The applicant has supplied everything asked: processing resumes and the **full** statutory time
    restarts from now (ND 61 Art. 19(4); DL9). By the applicant online, or by a counter officer."""
    at = _now(at)
    d = _lock(dossier, expected_revision)
    _require_state(d, [Status.SUPPLEMENT], _("nhận hồ sơ bổ sung"))
    if not (d.applicant_user_id is not None and actor.pk == d.applicant_user_id):
        _require_official(actor, d, [Role.COUNTER_OFFICER, Role.SPECIALIST], _("nhận hồ sơ bổ sung"))
    back = Status(d.resume_status or Status.SUBMITTED)
    data: dict[str, Any] = {}
    fields = ["resume_status", "paused_at"]
    if back != Status.SUBMITTED:
        assert d.legal_value is not None
        cal = _calendar()
        deadline = wt.supplement_restart(
            at,
            d.legal_value,
            wt.as_time_unit(d.legal_unit),
            cal,
            paper=d.channel in PAPER_CHANNELS and actor.is_official,
            cutoff=paper_cutoff(),
        )
        d.clock_start, d.due_at, d.due_rule = deadline.start, deadline.due, deadline.rule
        data["deadline"] = deadline.as_record()
        fields += ["clock_start", "due_at", "due_rule"]
        step = _current_step(d)
        if step is not None:
            _start_step(d, step, at=deadline.start, assignee=step.assignee, cal=cal)
            fields += ["current_step", "holder"]
    d.status = back
    d.resume_status = ""
    d.paused_at = None
    _record(
        d,
        action="supplement_complete",
        actor=actor,
        at=at,
        from_status=Status.SUPPLEMENT,
        fields=fields,
        note=note.strip(),
        data=data,
    )
    return d


def _colleague(d: Dossier, user: User, roles: Sequence[str]) -> None:
    if not _in_agency(user, d.agency) or not user.has_role(*roles):
        names = ", ".join(str(Role(r).label) for r in roles)
        raise DossierRuleError(
            _("Người nhận phải là %(roles)s của đơn vị xử lý hồ sơ. / The recipient must be: %(roles)s.")
            % {"roles": names}
        )


@transaction.atomic
def assign(
    dossier: Dossier | int,
    *,
    actor: User,
    assignee: User,
    note: str = "",
    expected_revision: int | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """*Phân công*: the department head gives the current step to a specialist (ND 61 Art. 19(1))."""
    at = _now(at)
    d = _lock(dossier, expected_revision)
    _require_state(d, [Status.RECEIVED, Status.IN_PROCESS], _("phân công"))
    _require_official(actor, d, [Role.DEPARTMENT_HEAD], _("phân công xử lý"))
    step = _current_step(d)
    if step is None or step.role != Role.SPECIALIST:
        raise DossierRuleError(
            _(
                "Bước hiện tại không phải bước thẩm định của chuyên viên. "
                "/ The current step is not a specialist's."
            )
        )
    _colleague(d, assignee, [Role.SPECIALIST])
    step.assignee = assignee
    step.save(update_fields=["assignee"])
    from_status = d.status
    d.holder = assignee
    d.status = Status.IN_PROCESS
    _record(
        d,
        action="assign",
        actor=actor,
        at=at,
        from_status=from_status,
        fields=["holder"],
        note=note.strip(),
        data={"step": step.order, "assignee": assignee.get_username(), "assignee_name": assignee.full_name},
    )
    return d


def _require_holder(d: Dossier, actor: User) -> None:
    if d.holder_id != actor.pk and not actor.has_role(Role.DEPARTMENT_HEAD, Role.AGENCY_LEADER):
        raise DossierForbidden(_("Hồ sơ đang do người khác xử lý. / Another official holds this dossier."))


@transaction.atomic
def hand_over(
    dossier: Dossier | int,
    *,
    actor: User,
    to: User,
    note: str = "",
    expected_revision: int | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """*Chuyển xử lý*: the current step is done (its own early / on time / late, for Mẫu 06) and the next
    starts, held by `to` — who has the next step's role, or is the department head who will assign it."""
    at = _now(at)
    d = _lock(dossier, expected_revision)
    _require_state(d, [Status.RECEIVED, Status.IN_PROCESS], _("chuyển xử lý"))
    _require_official(
        actor,
        d,
        [Role.COUNTER_OFFICER, Role.SPECIALIST, Role.DEPARTMENT_HEAD, Role.AGENCY_LEADER],
        _("chuyển xử lý"),
    )
    _require_holder(d, actor)
    step = _current_step(d)
    if step is None:
        raise DossierRuleError(_("Hồ sơ không có bước đang xử lý. / No step in progress."))
    following = _next_step(d, step)
    if following is None or (following.role == Role.COUNTER_OFFICER and step.role == Role.AGENCY_LEADER):
        raise DossierRuleError(
            _(
                "Bước cuối cùng kết thúc bằng phê duyệt hoặc trả kết quả. "
                "/ The last step ends with a decision."
            )
        )
    allowed = [following.role]
    if following.role == Role.SPECIALIST:
        allowed.append(Role.DEPARTMENT_HEAD)
    _colleague(d, to, allowed)
    cal = _calendar()
    result = _finish_step(step, at=at, actor=actor)
    _start_step(d, following, at=at, assignee=to, cal=cal)
    from_status = d.status
    d.status = Status.IN_PROCESS
    _record(
        d,
        action="hand_over",
        actor=actor,
        at=at,
        from_status=from_status,
        fields=["current_step", "holder"],
        note=note.strip(),
        data={
            "from_step": step.order,
            "to_step": following.order,
            "to": to.get_username(),
            "to_name": to.full_name,
            "step_due": step.due_at.isoformat() if step.due_at else "",
            "punctuality": result,
            "next_due": following.due_at.isoformat() if following.due_at else "",
        },
    )
    return d


@transaction.atomic
def send_back(
    dossier: Dossier | int,
    *,
    actor: User,
    reason: str,
    expected_revision: int | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """*Trả lại bước trước*: the current step goes back to whoever did the previous one, with the reason."""
    at = _now(at)
    d = _lock(dossier, expected_revision)
    _require_state(d, [Status.IN_PROCESS], _("trả lại bước trước"))
    _require_official(
        actor, d, [Role.SPECIALIST, Role.DEPARTMENT_HEAD, Role.AGENCY_LEADER], _("trả lại bước trước")
    )
    _require_holder(d, actor)
    reason = reason.strip()
    if not reason:
        raise DossierRuleError(_("Ghi rõ lý do trả lại. / The reason is required."))
    step = _current_step(d)
    previous = (
        DossierStep.objects.filter(dossier=d, order__lt=step.order).order_by("-order").first()
        if step
        else None
    )
    if step is None or previous is None or previous.role == Role.COUNTER_OFFICER:
        raise DossierRuleError(_("Không có bước xử lý trước để trả lại. / No earlier processing step."))
    step.started_at = None
    step.due_at = None
    step.assignee = None
    step.save(update_fields=["started_at", "due_at", "assignee"])
    _start_step(d, previous, at=at, assignee=previous.finished_by or previous.assignee, cal=_calendar())
    _record(
        d,
        action="send_back",
        actor=actor,
        at=at,
        from_status=d.status,
        fields=["current_step", "holder"],
        note=reason,
        data={"from_step": step.order, "to_step": previous.order, "reason": reason},
    )
    return d


@transaction.atomic
def consult(
    dossier: Dossier | int,
    *,
    actor: User,
    agency: Agency,
    question: str,
    days: Decimal | int,
    expected_revision: int | None = None,
    at: dt.datetime | None = None,
) -> Consultation:
    """*Lấy ý kiến* of another agency, with its own deadline in working days (ND 61 Art. 19(2))."""
    at = _now(at)
    d = _lock(dossier, expected_revision)
    _require_state(d, [Status.IN_PROCESS], _("lấy ý kiến"))
    _require_official(actor, d, [Role.SPECIALIST, Role.DEPARTMENT_HEAD], _("lấy ý kiến cơ quan khác"))
    _require_holder(d, actor)
    assert d.agency is not None
    same_line = agency.path.startswith(d.agency.path) or d.agency.path.startswith(agency.path)
    if same_line or not agency.is_active:  # its own agency, a unit under it or above it: not another's view
        raise DossierRuleError(
            _(
                "Chọn một cơ quan khác (không phải đơn vị mình, cấp trên hay cấp dưới của đơn vị), đang hoạt "
                "động, để lấy ý kiến. / Consult another agency, one that is active."
            )
        )
    question = question.strip()
    if not question or not 0 < Decimal(days) <= 30:
        raise DossierRuleError(
            _(
                "Ghi nội dung cần lấy ý kiến và thời hạn từ 0,5 đến 30 ngày làm việc. "
                "/ Question and 0.5–30 days."
            )
        )
    due = wt.due_time(at, Decimal(days), "working_day", _calendar())
    c = Consultation.objects.create(
        dossier=d, agency=agency, question=question, asked_by=actor, asked_at=at, due_at=due.due
    )
    # Before `_record`, whose audit entry is this transaction's last write (it holds the chain's head).
    messages_enqueue(_consultation_messages(c, d))
    _record(
        d,
        action="consult",
        actor=actor,
        at=at,
        from_status=d.status,
        fields=[],
        note=question,
        data={
            "agency": agency.code,
            "agency_name": agency.name,
            "consultation": c.pk,
            "deadline": due.as_record(),
        },
    )
    return c


def _consultation_messages(c: Consultation, d: Dossier) -> list[dict[str, str]]:
    """The asked agency's leaders told at once, by SMS and e-mail, in the transaction of the question (the
    deadline watcher reminds them from the due day: `watcher`, `consultation_due`). Leaders of that agency
    itself, as the watcher's reminder goes: they answer for it, or hand it to a unit under them."""
    leaders = agency_leaders().filter(agency_id=c.agency_id).only("phone", "email").order_by("pk")
    assert d.agency is not None
    due = f"{timezone.localtime(c.due_at):%H:%M %d/%m/%Y}"

    def text(*, sms: bool) -> str:  # the SMS with both names shortened, the e-mail with them whole
        asking, procedure = d.agency.name, d.procedure_version.name
        if sms:
            asking, procedure = shortened(asking, 60), shortened(procedure, 60)
        return (
            f"{asking} hỏi ý kiến cơ quan về hồ sơ {d.code} ({procedure}), hạn trả lời {due}. "
            "Xem giấy tờ và trả lời tại mục Yêu cầu lấy ý kiến."
        )

    topic = f"dossier:{d.code}"
    out: list[dict[str, str]] = []
    for user in leaders:
        out.append(
            {
                "channel": "sms",
                "recipient": user.phone or "",
                "body": text(sms=True),
                "dedupe_key": f"consultation:asked:{c.pk}:{user.pk}:sms",
                "topic": topic,
            }
        )
        out.append(
            {
                "channel": "email",
                "recipient": user.email or "",
                "subject": f"Lấy ý kiến về hồ sơ {d.code}: hạn trả lời {due}",
                "body": text(sms=False),
                "dedupe_key": f"consultation:asked:{c.pk}:{user.pk}:email",
                "topic": topic,
            }
        )
    return out


# Who of the asked agency answers a consultation, and sees the dossier's papers meanwhile.
CONSULTATION_ANSWERERS = (Role.COUNTER_OFFICER, Role.SPECIALIST, Role.DEPARTMENT_HEAD, Role.AGENCY_LEADER)


@transaction.atomic
def consult_answer(
    consultation: Consultation | int, *, actor: User, answer: str, at: dt.datetime | None = None
) -> Consultation:
    at = _now(at)
    pk = consultation.pk if isinstance(consultation, Consultation) else consultation
    c = Consultation.objects.select_for_update().select_related("agency").get(pk=pk)
    d = _lock(c.dossier_id, None)
    # Its officials who handle dossiers (not a rating kiosk's account, nor a catalog's administrator): those
    # who see the papers the answer is about (services.consultation_shares_papers).
    if not _in_agency(actor, c.agency):
        raise DossierForbidden(_("Chỉ cơ quan được hỏi mới trả lời. / Only the consulted agency answers."))
    if not actor.has_role(*CONSULTATION_ANSWERERS):
        raise DossierForbidden(
            _(
                "Chỉ cán bộ giải quyết hồ sơ của cơ quan được hỏi mới trả lời. "
                "/ Only officials who handle dossiers in the consulted agency answer."
            )
        )
    if d.status in CONSULTATION_CLOSED:
        raise DossierConflict(
            _("Hồ sơ đã kết thúc (%(status)s): không cần trả lời nữa. / The dossier is closed.")
            % {"status": Status(d.status).label}
        )
    if c.answered_at is not None:
        raise DossierConflict(_("Ý kiến đã được trả lời. / Already answered."))
    answer = answer.strip()
    if not answer:
        raise DossierRuleError(_("Nội dung trả lời không được để trống. / The answer is empty."))
    c.answer, c.answered_by, c.answered_at = answer, actor, at
    c.save(update_fields=["answer", "answered_by", "answered_at"])
    _record(
        d,
        action="consult_answer",
        actor=actor,
        at=at,
        from_status=d.status,
        fields=[],
        note=answer,
        data={
            "consultation": c.pk,
            "agency": c.agency.code,
            "punctuality": wt.classify(at, c.due_at),
        },
    )
    return c


@transaction.atomic
def pause_for_payment(
    dossier: Dossier | int,
    *,
    actor: User,
    reason: str,
    amount_vnd: int = 0,
    expected_revision: int | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """*Yêu cầu thực hiện nghĩa vụ tài chính* (status 6): the clock stops until the applicant pays (DL10)."""
    at = _now(at)
    d = _lock(dossier, expected_revision)
    _require_state(d, [Status.RECEIVED, Status.IN_PROCESS], _("tạm dừng chờ nghĩa vụ tài chính"))
    _require_official(
        actor,
        d,
        [Role.COUNTER_OFFICER, Role.SPECIALIST, Role.DEPARTMENT_HEAD],
        _("yêu cầu nghĩa vụ tài chính"),
    )
    reason = reason.strip()
    if not reason or amount_vnd < 0:
        raise DossierRuleError(_("Ghi rõ nghĩa vụ tài chính phải thực hiện. / State the obligation."))
    from_status = d.status
    d.resume_status = from_status
    d.status = Status.PAUSED
    d.paused_at = at
    d.fee_due_vnd = amount_vnd
    _record(
        d,
        action="pause_for_payment",
        actor=actor,
        at=at,
        from_status=from_status,
        fields=["resume_status", "paused_at", "fee_due_vnd"],
        note=reason,
        data={"reason": reason, "amount_vnd": amount_vnd},
    )
    # The obligation's payment request (VietQR, reconciled); paid or exempted, it resumes the dossier.
    fees.obligation_request(d, amount_vnd=amount_vnd, reason=reason, actor=actor, at=at)
    return d


@transaction.atomic
def resume_after_payment(
    dossier: Dossier | int,
    *,
    actor: User | None,
    expected_revision: int | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """The obligation is met: processing resumes and the due time moves by the office time paused (DL10).
    `actor` None: the payments module, on a reconciled payment."""
    at = _now(at)
    d = _lock(dossier, expected_revision)
    _require_state(d, [Status.PAUSED], _("tiếp tục xử lý"))
    if actor is not None:
        _require_official(
            actor, d, [Role.COUNTER_OFFICER, Role.SPECIALIST, Role.DEPARTMENT_HEAD], _("tiếp tục xử lý")
        )
    assert d.paused_at is not None and d.due_at is not None and d.clock_start is not None
    if actor is not None:  # resumed by hand: the pause's unpaid obligations are asked for no more
        fees.pause_obligations_cancel(d, actor=actor, at=at)
    cal = _calendar()
    previous = wt.Deadline(due=d.due_at, start=d.clock_start, rule=d.due_rule, inputs={})
    deadline = wt.resume(previous, d.paused_at, at, cal)
    step = _current_step(d)
    if step is not None and step.due_at is not None:
        step_deadline = wt.resume(
            wt.Deadline(due=step.due_at, start=step.started_at or d.clock_start, rule="step", inputs={}),
            d.paused_at,
            at,
            cal,
        )
        step.due_at = step_deadline.due
        step.save(update_fields=["due_at"])
    d.due_at, d.due_rule = deadline.due, deadline.rule
    d.status = Status(d.resume_status or Status.IN_PROCESS)
    d.resume_status = ""
    d.paused_at = None
    _record(
        d,
        action="resume_after_payment",
        actor=actor,
        at=at,
        from_status=Status.PAUSED,
        fields=["due_at", "due_rule", "resume_status", "paused_at"],
        data={"deadline": deadline.as_record()},
    )
    return d


@transaction.atomic
def extend(
    dossier: Dossier | int,
    *,
    actor: User,
    reason: str,
    new_due: dt.datetime,
    expected_revision: int | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """*Xin lỗi và gia hạn* (Mẫu 04): once only, signed by the head of the agency at least one working day
    before the due time (ND 61 Art. 19; DL11). A second or late extension is refused."""
    at = _now(at)
    d = _lock(dossier, expected_revision)
    _require_state(d, [Status.RECEIVED, Status.IN_PROCESS, Status.PAUSED], _("gia hạn"))
    _require_official(actor, d, [Role.AGENCY_LEADER], _("ký văn bản xin lỗi và gia hạn"))
    if d.extensions:
        raise DossierRuleError(
            _(
                "Hồ sơ đã được gia hạn một lần: chỉ được gia hạn một lần (Nghị định 61/2018/NĐ-CP, Điều 19). "
                "/ Only one extension is allowed."
            )
        )
    assert d.due_at is not None
    cal = _calendar()
    last_day = extension_last_day(d.due_at, cal)
    if timezone.localtime(at, cal.tz).date() > last_day:
        raise DossierRuleError(
            _(
                "Quá muộn để gia hạn: văn bản xin lỗi phải gửi chậm nhất ngày %(day)s, trước hạn trả ít nhất "
                "một ngày làm việc (Nghị định 61/2018/NĐ-CP, Điều 19). / Too late to extend."
            )
            % {"day": last_day.strftime("%d/%m/%Y")}
        )
    reason = reason.strip()
    if not reason:
        raise DossierRuleError(_("Ghi rõ lý do chậm trễ (Mẫu 04). / The reason for the delay is required."))
    if timezone.is_naive(new_due) or new_due <= d.due_at:
        raise DossierRuleError(_("Ngày hẹn trả mới phải sau ngày hẹn cũ. / The new date must be later."))
    # The rule itself is the working-time module's; the checks above only word its refusals for people.
    previous = wt.Deadline(
        due=timezone.localtime(d.due_at, cal.tz), start=d.clock_start or d.due_at, rule=d.due_rule, inputs={}
    )
    deadline = wt.extend(previous, signed_at=at, new_due=new_due, cal=cal, already_extended=False)
    d.due_at, d.due_rule = deadline.due, deadline.rule
    d.extensions += 1
    _record(
        d,
        action="extend",
        actor=actor,
        at=at,
        from_status=d.status,
        fields=["due_at", "due_rule", "extensions"],
        form="04",
        note=reason,
        data={
            "reason": reason,
            "deadline": deadline.as_record(),
        },
    )
    return d


@transaction.atomic
def stop(
    dossier: Dossier | int,
    *,
    actor: User,
    reason: str,
    legal_basis: str = "",
    expected_revision: int | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """*Dừng giải quyết* (Mẫu 05, status 8): signed by the head of the agency, with reason and legal basis."""
    at = _now(at)
    d = _lock(dossier, expected_revision)
    _require_state(
        d, [Status.RECEIVED, Status.IN_PROCESS, Status.PAUSED, Status.SUPPLEMENT], _("dừng giải quyết")
    )
    _require_official(actor, d, [Role.AGENCY_LEADER], _("dừng giải quyết hồ sơ"))
    reason = reason.strip()
    if not reason:
        raise DossierRuleError(_("Ghi rõ lý do dừng giải quyết (Mẫu 05). / The reason is required."))
    from_status = d.status
    d.status = Status.STOPPED
    d.closed_at = at
    d.outcome_note = reason
    d.holder = None
    _record(
        d,
        action="stop",
        actor=actor,
        at=at,
        from_status=from_status,
        fields=["closed_at", "outcome_note", "holder"],
        form="05",
        note=reason,
        data={"reason": reason, "legal_basis": legal_basis.strip()},
    )
    return d


@transaction.atomic
def withdraw(
    dossier: Dossier | int,
    *,
    actor: User,
    reason: str = "",
    expected_revision: int | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """*Rút hồ sơ* (status 7): by the applicant, online, or by a counter officer at their written request."""
    at = _now(at)
    d = _lock(dossier, expected_revision)
    _require_state(d, OPEN_STATES, _("rút hồ sơ"))
    if not (d.applicant_user_id is not None and actor.pk == d.applicant_user_id):
        _require_official(actor, d, [Role.COUNTER_OFFICER], _("rút hồ sơ theo đề nghị của người nộp"))
    from_status = d.status
    d.status = Status.WITHDRAWN
    d.closed_at = at
    d.outcome_note = reason.strip()
    d.holder = None
    _record(
        d,
        action="withdraw",
        actor=actor,
        at=at,
        from_status=from_status,
        fields=["closed_at", "outcome_note", "holder"],
        note=reason.strip(),
    )
    return d


def _decide(
    dossier: Dossier | int,
    *,
    actor: User,
    outcome: str,
    note: str,
    expected_revision: int | None,
    at: dt.datetime | None,
) -> Dossier:
    at = _now(at)
    d = _lock(dossier, expected_revision)
    _require_state(d, [Status.IN_PROCESS], _("phê duyệt"))
    _require_official(actor, d, [Role.AGENCY_LEADER], _("phê duyệt kết quả"))
    step = _current_step(d)
    if step is None or step.role != Role.AGENCY_LEADER:
        raise DossierRuleError(
            _("Hồ sơ chưa đến bước phê duyệt của lãnh đạo. / The dossier has not reached the approval step.")
        )
    note = note.strip()
    if outcome == Outcome.REJECTED and not note:
        raise DossierRuleError(_("Từ chối giải quyết phải nêu rõ lý do. / A rejection needs its reason."))
    assert d.due_at is not None
    step_result = _finish_step(step, at=at, actor=actor)
    d.status = Status.PROCESSED
    d.outcome = outcome
    d.outcome_note = note
    d.finished_at = at
    d.punctuality = wt.classify(at, d.due_at)
    following = _next_step(d, step)
    if following is not None:
        _start_step(d, following, at=at, assignee=d.received_by, cal=_calendar())
    else:
        d.current_step = None
        d.holder = d.received_by
    _record(
        d,
        action="approve" if outcome == Outcome.APPROVED else "reject",
        actor=actor,
        at=at,
        from_status=Status.IN_PROCESS,
        fields=["outcome", "outcome_note", "finished_at", "punctuality", "current_step", "holder"],
        note=note,
        data={"punctuality": d.punctuality, "step_punctuality": step_result, "due": d.due_at.isoformat()},
    )
    return d


@transaction.atomic
def approve(
    dossier: Dossier | int,
    *,
    actor: User,
    result_note: str = "",
    expected_revision: int | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """The leader approves and signs the result: processing is finished (status 9)."""
    return _decide(
        dossier,
        actor=actor,
        outcome=Outcome.APPROVED,
        note=result_note,
        expected_revision=expected_revision,
        at=at,
    )


@transaction.atomic
def reject(
    dossier: Dossier | int,
    *,
    actor: User,
    reason: str,
    expected_revision: int | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """The leader refuses after appraisal, with the reason, within the processing time (ND 61 Art. 19)."""
    return _decide(
        dossier,
        actor=actor,
        outcome=Outcome.REJECTED,
        note=reason,
        expected_revision=expected_revision,
        at=at,
    )


@transaction.atomic
def return_result(
    dossier: Dossier | int,
    *,
    actor: User,
    method: str = ReturnMethod.COUNTER,
    note: str = "",
    expected_revision: int | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """*Trả kết quả* (status 10): at the counter, by post or online (ND 61 Arts. 20–21)."""
    at = _now(at)
    d = _lock(dossier, expected_revision)
    _require_state(d, [Status.PROCESSED], _("trả kết quả"))
    _require_official(actor, d, [Role.COUNTER_OFFICER], _("trả kết quả"))
    if method not in ReturnMethod.values:
        raise DossierRuleError(_("Hình thức trả kết quả không hợp lệ. / Unknown return method."))
    step = _current_step(d)
    step_result = _finish_step(step, at=at, actor=actor) if step is not None else ""
    d.status = Status.RETURNED
    d.returned_at = at
    d.return_method = method
    d.current_step = None
    d.holder = None
    _record(
        d,
        action="return_result",
        actor=actor,
        at=at,
        from_status=Status.PROCESSED,
        fields=["returned_at", "return_method", "current_step", "holder"],
        note=note.strip(),
        data={"method": method, "step_punctuality": step_result},
    )
    _deliver_result(d, actor=actor, at=at)
    return d


def _deliver_result(d: Dossier, *, actor: User, at: dt.datetime) -> None:
    """Put the result into the applicant's e-document store (OS-DG4), in the returning transaction, when
    the applicant has an account: whatever the return method, the store keeps the citizen's results. A
    retried delivery of the same document is not duplicated (`edoc_store`)."""
    if d.applicant_user is None:
        return
    approved = d.outcome == Outcome.APPROVED
    name = d.procedure_version.name
    edoc_store(
        owner=d.applicant_user,
        kind=EDocument.Kind.RESULT,
        title=(f"Kết quả giải quyết: {name}" if approved else f"Thông báo không giải quyết: {name}")[:200],
        issuer=d.agency.name,
        issuer_code=d.agency.code,
        issued_on=timezone.localtime(d.finished_at or at).date(),
        valid_until=None,
        content=render_result(d),
        filename=f"ket-qua-{d.code}.pdf",
        content_type="application/pdf",
        source_dossier_code=d.code,
        actor=actor,
    )


# --- What an actor may do now (for pages and the API; every transition checks again) ---------------------


def available_actions(d: Dossier, actor: User) -> list[str]:
    """The transitions the actor may try on the dossier in its current state, in the order a page shows
    them. A hint only: each transition checks again under the row lock."""
    if not actor.is_authenticated:
        return []
    applicant = d.applicant_user_id is not None and d.applicant_user_id == actor.pk
    official = _in_agency(actor, d.agency)
    role = actor.has_role if official else (lambda *roles: False)
    step = d.current_step if d.current_step_id else None
    holder = official and (d.holder_id == actor.pk or role(Role.DEPARTMENT_HEAD, Role.AGENCY_LEADER))
    s = d.status
    out: list[str] = []
    if s == Status.SUBMITTED and role(Role.COUNTER_OFFICER):
        out += ["receive", "refuse"]
    if s in (Status.RECEIVED, Status.IN_PROCESS):
        if role(Role.DEPARTMENT_HEAD) and step is not None and step.role == Role.SPECIALIST:
            out.append("assign")
        if holder and step is not None and step.role != Role.AGENCY_LEADER:
            out.append("hand_over")
        if (
            s == Status.IN_PROCESS
            and step is not None
            and step.role == Role.AGENCY_LEADER
            and role(Role.AGENCY_LEADER)
        ):
            out += ["approve", "reject"]
        if s == Status.IN_PROCESS and holder and step is not None and step.role != Role.COUNTER_OFFICER:
            out.append("send_back")
        if s == Status.IN_PROCESS and holder and role(Role.SPECIALIST, Role.DEPARTMENT_HEAD):
            out.append("consult")
        if role(Role.COUNTER_OFFICER, Role.SPECIALIST, Role.DEPARTMENT_HEAD):
            out.append("pause_for_payment")
    if (
        s in (Status.SUBMITTED, Status.RECEIVED, Status.IN_PROCESS)
        and not d.supplement_requests
        and role(Role.COUNTER_OFFICER, Role.SPECIALIST, Role.DEPARTMENT_HEAD)
    ):
        out.append("request_supplement")
    if s == Status.SUPPLEMENT and (applicant or role(Role.COUNTER_OFFICER, Role.SPECIALIST)):
        out.append("supplement_complete")
    if s == Status.PAUSED and role(Role.COUNTER_OFFICER, Role.SPECIALIST, Role.DEPARTMENT_HEAD):
        out.append("resume_after_payment")
    if (
        s in (Status.RECEIVED, Status.IN_PROCESS, Status.PAUSED)
        and not d.extensions
        and role(Role.AGENCY_LEADER)
    ):
        out.append("extend")
    if s in (Status.RECEIVED, Status.IN_PROCESS, Status.PAUSED, Status.SUPPLEMENT) and role(
        Role.AGENCY_LEADER
    ):
        out.append("stop")
    if s == Status.PROCESSED and role(Role.COUNTER_OFFICER):
        out.append("return_result")
    if s in OPEN_STATES and (applicant or role(Role.COUNTER_OFFICER)):
        out.append("withdraw")
    return out
