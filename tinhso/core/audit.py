"""Writing and verifying the audit log (*nhật ký kiểm toán*).

`audit_record()` appends one entry in the caller's transaction; `audit_verify()` walks the chain and
reports the first broken link. Every entry's hash covers its content and the previous entry's hash, so a
row altered or deleted behind the application's back breaks the chain from that row on.

Appending locks the chain head until the transaction ends, so every audited transaction of the province
queues behind it. A composite operation whose steps each audit (a reception that also opens a payment
request) opens an `audit_batch()`: the entries recorded inside are written together, under one lock of
the head, when the outermost batch ends (as the last write before it commits).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.duration import duration_iso_string
from django.utils.functional import Promise

from tinhso.core.logging import request_id_var
from tinhso.core.models import (
    CHAIN_HEAD_PK,
    EVENT_CODE_PATTERN,
    GENESIS_HASH,
    AuditChainHead,
    AuditEntry,
)
from tinhso.core.rows import insert_together
from tinhso.core.rows import select as select_rows

__all__ = [
    "AuditBatchError",
    "AuditChainError",
    "VerifyResult",
    "audit_batch",
    "audit_diff",
    "audit_guard_installed",
    "audit_record",
    "audit_verify",
    "entry_hash",
    "jsonable",
]

EVENT_CODE_RE = re.compile(EVENT_CODE_PATTERN)

# The columns a hash covers, in no particular order (the canonical form sorts its keys): everything but
# `id` (assigned by the database) and `hash` itself.
HASHED_FIELDS = (
    "seq",
    "created_at",
    "event",
    "actor_id",
    "actor_label",
    "agency_code",
    "target_type",
    "target_id",
    "old",
    "new",
    "request_id",
    "prev_hash",
)


def _max_length(name: str) -> int:
    field = AuditEntry._meta.get_field(name)
    assert isinstance(field, models.CharField) and field.max_length is not None
    return field.max_length


_ACTOR_LABEL_MAX = _max_length("actor_label")
_CODE_LIMITS = {name: _max_length(name) for name in ("agency_code", "target_type", "target_id")}


class AuditChainError(Exception):
    """The chain cannot be extended safely (its head row is missing while entries exist)."""


# --- JSON-safe values -----------------------------------------------------------------------------------


def _clean_str(text: str) -> str:
    # PostgreSQL refuses NUL in text and jsonb, and a lone surrogate cannot be encoded to UTF-8 for the
    # hash: replace both rather than fail the change being audited.
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def jsonable(value: Any) -> Any:
    """`value` as plain JSON data: dates, decimals, UUIDs and durations become strings.

    Floats become strings too: PostgreSQL's jsonb re-spells numbers (1e+20 comes back as the integer
    100000000000000000000), which would change the entry's hash between writing and verifying.
    Anything else that is not plain data raises TypeError, so a mistake shows up in the caller's tests.
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return _clean_str(value)
    if isinstance(value, float | Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return duration_iso_string(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, Promise):  # lazy translation
        return _clean_str(str(value))
    if isinstance(value, Mapping):
        return {_clean_str(str(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((jsonable(v) for v in value), key=_canonical_json)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    raise TypeError(f"cannot record a {type(value).__name__} in the audit log: pass plain data")


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _normalise_json(value: Mapping[str, Any] | None) -> Any:
    if value is None:
        return None
    # A JSON round trip gives exactly what either database hands back when the entry is verified.
    return json.loads(_canonical_json(jsonable(value)))


def audit_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The keys whose values differ, as `(old, new)` of JSON-safe values, ready for `audit_record`.

    A key present on one side only appears on that side only.
    """
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for key in dict.fromkeys([*before, *after]):
        b = jsonable(before[key]) if key in before else None
        a = jsonable(after[key]) if key in after else None
        # Compare the JSON text, not the values: True == 1 in Python, but not in the log.
        if key in before and key in after and _canonical_json(b) == _canonical_json(a):
            continue
        if key in before:
            old[str(key)] = b
        if key in after:
            new[str(key)] = a
    return old, new


# --- Hashing --------------------------------------------------------------------------------------------


def _utc_iso(value: dt.datetime) -> str:
    if timezone.is_naive(value):
        raise ValueError("audit timestamps must be timezone-aware")
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_hash(values: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of an entry's HASHED_FIELDS (which include `prev_hash` and `seq`).

    Both databases hand the same canonical form back: timestamps are compared in UTC to the microsecond,
    JSON values were normalised by a round trip before they were stored.
    """
    canonical = {
        "seq": int(values["seq"]),
        "created_at": _utc_iso(values["created_at"]),
        "event": values["event"],
        "actor_id": None if values["actor_id"] is None else int(values["actor_id"]),
        "actor_label": values["actor_label"],
        "agency_code": values["agency_code"],
        "target_type": values["target_type"],
        "target_id": values["target_id"],
        "old": values["old"],
        "new": values["new"],
        "request_id": values["request_id"],
        "prev_hash": values["prev_hash"],
    }
    return hashlib.sha256(_canonical_json(canonical).encode("utf-8")).hexdigest()


# --- Writing --------------------------------------------------------------------------------------------


def _locked_head() -> AuditChainHead:
    found = select_rows(AuditChainHead, {"id": CHAIN_HEAD_PK}, for_update=True)
    if found:
        return found[0]
    # The head row comes from a data migration; it is missing only after a flush (tests do that), when
    # the log is empty too. With entries present, a new genesis would fork the chain: refuse.
    if AuditEntry.objects.exists():
        raise AuditChainError(
            "the audit chain head is missing while entries exist; run `tinhso audit-verify`"
        )
    AuditChainHead.objects.get_or_create(pk=CHAIN_HEAD_PK)  # get_or_create survives a concurrent insert
    return AuditChainHead.objects.select_for_update().get(pk=CHAIN_HEAD_PK)


def audit_record(
    *,
    event: str,
    target_type: str,
    target_id: str | int,
    actor_id: int | None = None,
    actor_label: str = "system",
    agency_code: str = "",
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the audit log, in the caller's transaction.

    Call it inside the transaction that makes the change (it joins it; standalone it opens its own), so
    the entry and the change commit or roll back together. It locks the chain head until that transaction
    ends, so every audited transaction queues behind the previous one from here on: call it as the last
    write of the transaction, after the rows it describes are locked and saved. Inside an `audit_batch()`
    the entry is checked now and written when the batch ends (its `seq`, hash and id are set then).
    """
    return audit_record_many(
        [
            {
                "event": event,
                "target_type": target_type,
                "target_id": target_id,
                "actor_id": actor_id,
                "actor_label": actor_label,
                "agency_code": agency_code,
                "old": old,
                "new": new,
            }
        ]
    )[-1]


def _entry_values(
    *,
    event: str,
    target_type: str,
    target_id: str | int,
    actor_id: int | None = None,
    actor_label: str = "system",
    agency_code: str = "",
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
) -> dict[str, Any]:
    if not EVENT_CODE_RE.match(event) or len(event) > _max_length("event"):
        raise ValueError(f"audit event codes are dotted lowercase such as 'agency.created', not {event!r}")
    if actor_id is not None and (isinstance(actor_id, bool) or not isinstance(actor_id, int)):
        raise TypeError(f"actor_id must be an int or None, not {type(actor_id).__name__}")
    values: dict[str, Any] = {
        "event": event,
        "actor_id": actor_id,
        "actor_label": _clean_str(actor_label)[:_ACTOR_LABEL_MAX],
        "agency_code": _clean_str(agency_code),
        "target_type": _clean_str(target_type),
        "target_id": _clean_str(str(target_id)),
        "old": _normalise_json(old),
        "new": _normalise_json(new),
        "request_id": _request_id(),
    }
    for name, limit in _CODE_LIMITS.items():
        if len(values[name]) > limit:
            raise ValueError(f"audit {name} is longer than {limit} characters: {values[name][:40]!r}…")
    return values


# The entries recorded in this thread's open batch, each with its marker (below), or None when no batch is
# open (a ContextVar: each thread of a threaded server has its own).
_batch: ContextVar[list[tuple[AuditEntry, Callable[[], None]]] | None] = ContextVar(
    "audit_batch", default=None
)


class AuditBatchError(RuntimeError):
    """An audit batch used where its entries could part from the changes they describe."""


def _marker() -> None:
    """Registered with `on_commit` for each entry recorded in a batch: it does nothing when it runs. Django
    forgets the callbacks registered under a savepoint that rolls back, so an entry whose marker is no
    longer registered when the batch writes belongs to work that was undone, and is not written."""


@contextmanager
def audit_batch(*, with_rows: list[models.Model] | None = None) -> Iterator[None]:
    """Defer the entries recorded inside (`audit_record`, `audit_record_many`) to the end of the block, then
    append them in the order recorded, in one insert under one lock of the chain head: the head is locked
    for the commit alone rather than from the first audited step on. Open it inside a transaction (the
    entries are written in it: outside one, `AuditBatchError`); a batch opened inside another joins it, and
    the outermost one writes.

    `with_rows`: a list the caller fills inside the block (not under a savepoint of its own) with unsaved
    rows of its own to insert at the end of the block, in the same statement as the entries on PostgreSQL
    (core.rows.insert_together: the API's idempotency record, a round trip less); a batch that joins
    another inserts them at its own end.

    The entries follow the changes they describe: an entry recorded under a savepoint that rolls back is
    not written (its `on_commit` marker, `_marker`); an error that leaves the block drops the batch's
    entries and marks the transaction for rollback, so that a caller catching the error cannot commit the
    changes without their entries."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise AuditBatchError("audit_batch() must be opened inside a transaction (transaction.atomic)")
    if _batch.get() is not None:
        yield
        if with_rows:
            try:
                insert_together(with_rows)
            except BaseException:
                transaction.set_rollback(True)  # as for the entries: not committed without them
                raise
        return
    pending: list[tuple[AuditEntry, Callable[[], None]]] = []
    token = _batch.set(pending)
    try:
        yield
    except BaseException:
        transaction.set_rollback(True)
        raise
    finally:
        _batch.reset(token)
    # The callbacks still registered: those of savepoints rolled back are gone (Django drops them).
    registered = {id(func) for _sids, func, _robust in connection.run_on_commit}
    _append([row for row, marker in pending if id(marker) in registered], with_rows or [])


def _defer(rows: Sequence[AuditEntry], pending: list[tuple[AuditEntry, Callable[[], None]]]) -> None:
    for row in rows:
        marker = functools.partial(_marker)  # an object of its own, to find it again
        transaction.on_commit(marker)
        pending.append((row, marker))


def audit_record_many(entries: Sequence[Mapping[str, Any]]) -> list[AuditEntry]:
    """Append several entries at once, in this order, under one lock of the chain head: one insert of all
    of them and one update of the head, one statement on PostgreSQL (a composite operation's entries). Each
    mapping takes the keyword arguments of `audit_record`; the same rules and the same transaction apply."""
    # Checked now, in the caller's frame, even when a batch writes them later.
    rows = [AuditEntry(**_entry_values(**entry)) for entry in entries]
    pending = _batch.get()
    if pending is not None:
        _defer(rows, pending)
    else:
        _append(rows)
    return rows


def _append(entries: list[AuditEntry], with_rows: Sequence[models.Model] = ()) -> None:
    """Chain the prepared entries after the head and write them: one lock, then the insert and the head's
    update (one statement on PostgreSQL, with `with_rows` inserted first)."""
    if not entries and not with_rows:
        return
    # savepoint=False: if recording fails, the caller's whole transaction must fail with it, so that no
    # change commits without its entry.
    with transaction.atomic(savepoint=False):
        if not entries or connection.vendor != "postgresql":
            # Where they would be a statement of their own, the caller's rows go in before the head is
            # locked.
            insert_together(with_rows)
            with_rows = ()
        if not entries:
            return
        head = _locked_head()
        seq, prev_hash = head.last_seq, head.last_hash
        # Taken under the lock, so timestamps follow the sequence on any one clock.
        created_at = timezone.now()
        for row in entries:
            seq += 1
            row.seq, row.prev_hash, row.created_at = seq, prev_hash, created_at
            row.hash = entry_hash({name: getattr(row, name) for name in HASHED_FIELDS})
            prev_hash = row.hash
        # The manager refuses bulk_create to everyone else: entries must be chained, as they are here (one
        # hand-built statement for the entries and the head on PostgreSQL, core.rows: appending is part of
        # every write of the province).
        head.last_seq, head.last_hash = seq, prev_hash
        insert_together(with_rows, entries, then_update=[(head, ["last_seq", "last_hash"])])


def _request_id() -> str:
    rid = request_id_var.get()
    return "" if rid == "-" else rid[:64]


# --- Verifying ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken_seq: int | None
    reason: str


def audit_verify() -> VerifyResult:
    """Walk the chain in order and report its first broken link.

    Checks that `seq` runs 1, 2, 3… (a gap is a deleted row), that each `prev_hash` is the previous
    entry's hash, that each stored hash matches the entry's content (an altered row), and that the chain
    head names the last entry (deleted last rows, or a last row altered and re-hashed).
    """
    # The head is read before the entries: everything it names was committed with it and is visible to
    # the later query. Entries appended meanwhile come after it and are checked like the others.
    head = AuditChainHead.objects.filter(pk=CHAIN_HEAD_PK).values_list("last_seq", "last_hash").first()
    rows: Iterable[tuple[Any, ...]] = (
        AuditEntry.objects.order_by("seq").values_list(*HASHED_FIELDS, "hash").iterator(chunk_size=2000)
    )
    checked = 0
    expected_seq = 1
    prev_hash = GENESIS_HASH
    hash_at_head: str | None = None

    def broken(seq: int, reason: str) -> VerifyResult:
        return VerifyResult(ok=False, checked=checked, first_broken_seq=seq, reason=reason)

    for row in rows:
        values = dict(zip(HASHED_FIELDS, row[:-1], strict=True))
        stored_hash = row[-1]
        seq = values["seq"]
        if seq != expected_seq:
            if expected_seq == 1:
                return broken(1, f"entry 1 missing: the chain starts at entry {seq} (row deleted)")
            jump = f"sequence jumps from {expected_seq - 1} to {seq}"
            return broken(expected_seq, f"entry {expected_seq} missing: {jump} (row deleted)")
        if values["prev_hash"] != prev_hash:
            return broken(
                seq,
                f"entry {seq}: prev_hash does not match the hash of entry {seq - 1} "
                f"(entry {seq - 1} altered and re-hashed, or entry {seq} relinked)"
                if seq > 1
                else "entry 1: prev_hash is not the genesis hash (row altered)",
            )
        if entry_hash(values) != stored_hash:
            return broken(seq, f"entry {seq}: stored hash does not match its content (row altered)")
        checked += 1
        prev_hash = stored_hash
        expected_seq = seq + 1
        if head is not None and seq == head[0]:
            hash_at_head = stored_hash

    last_seq = expected_seq - 1
    if head is None:
        if last_seq == 0:
            return VerifyResult(ok=True, checked=0, first_broken_seq=None, reason="")
        return broken(last_seq, f"the chain head row is missing while {last_seq} entries exist (row deleted)")
    head_seq, head_hash = head
    if head_seq > last_seq:
        missing = f"entry {head_seq}" if head_seq == last_seq + 1 else f"entries {last_seq + 1}–{head_seq}"
        return broken(
            last_seq + 1,
            f"{missing} missing: the chain head records {head_seq} entries but the log ends at "
            f"{last_seq} (last rows deleted)",
        )
    if head_seq == 0 and head_hash != GENESIS_HASH:
        return broken(1, "the chain head of an empty log does not hold the genesis hash (head altered)")
    if head_seq > 0 and hash_at_head != head_hash:
        return broken(
            head_seq,
            f"entry {head_seq}: its hash does not match the one the chain head recorded "
            "(row altered and re-hashed, or head altered)",
        )
    return VerifyResult(ok=True, checked=checked, first_broken_seq=None, reason="")


# Must match the trigger names installed by migration 0003.
APPEND_ONLY_TRIGGERS = ("core_auditentry_no_update", "core_auditentry_no_delete")


def audit_guard_installed() -> bool:
    """Whether the database triggers refusing UPDATE and DELETE on the audit table are in place.

    On SQLite a migration that rebuilds `core_auditentry` drops them silently; `audit-verify` warns.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'core_auditentry'"
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'core_auditentry'::regclass "
                "AND NOT tgisinternal AND tgenabled <> 'D'"
            )
        else:
            return False
        names = {name for (name,) in cursor.fetchall()}
    return set(APPEND_ONLY_TRIGGERS) <= names
