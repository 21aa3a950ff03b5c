"""The audit log: append-only, written in the caller's transaction, hash-chained and verifiable."""

from __future__ import annotations

import datetime as dt
import importlib
import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from tinhso.__main__ import main as tinhso_cli
from tinhso.core.audit import (
    HASHED_FIELDS,
    AuditBatchError,
    AuditChainError,
    VerifyResult,
    audit_batch,
    audit_diff,
    audit_guard_installed,
    audit_record,
    audit_record_many,
    audit_verify,
    entry_hash,
)
from tinhso.core.logging import request_id_var
from tinhso.core.models import GENESIS_HASH, AuditChainHead, AuditEntry, AuditLogIsAppendOnly, CalendarDay

triggers = importlib.import_module("tinhso.core.migrations.0003_auditentry_append_only_triggers")


def record(n: int = 1, **overrides: Any) -> list[AuditEntry]:
    entries = []
    for i in range(n):
        fields: dict[str, Any] = {
            "event": "agency.updated",
            "target_type": "accounts.agency",
            "target_id": 40 + i,
            "actor_id": 7,
            "actor_label": "nguyen.van.a",
            "agency_code": "H60.01",
            "old": {"name": f"Sở Tư pháp {i}"},
            "new": {"name": f"Sở Tư pháp tỉnh Tuyên Quang {i}"},
        }
        fields.update(overrides)
        entries.append(audit_record(**fields))
    return entries


def tamper(sql: str, params: list[Any] | tuple[Any, ...] = ()) -> None:
    """Run SQL as an attacker with DDL rights would: drop the append-only triggers first.

    In a test wrapped in a transaction (the default), the triggers come back when it rolls back.
    """
    triggers.drop_triggers(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def head() -> tuple[int, str]:
    return AuditChainHead.objects.values_list("last_seq", "last_hash").get()


def ok(checked: int) -> VerifyResult:
    return VerifyResult(ok=True, checked=checked, first_broken_seq=None, reason="")


def stored_values(seq: int) -> dict[str, Any]:
    row = AuditEntry.objects.filter(seq=seq).values_list(*HASHED_FIELDS).get()
    return dict(zip(HASHED_FIELDS, row, strict=True))


@pytest.fixture
def committed_db(transactional_db: None) -> Iterator[None]:
    """A database where transactions really commit.

    The flush that empties it after each test deletes every row (on SQLite with DELETE, which the
    triggers refuse, hence they are dropped first) and the chain head with them (hence restored first).
    """
    triggers.install_triggers(connection)
    AuditChainHead.objects.get_or_create(pk=1)
    yield
    triggers.drop_triggers(connection)


# --- Writing and chaining -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_fresh_chain_verifies() -> None:
    # The test database holds what migrations and the reference data load wrote (agency.created…).
    last_seq, _ = head()

    assert audit_verify() == ok(last_seq)
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, last_seq + 1)
    )


def test_an_empty_log_starts_from_the_genesis_hash(committed_db: None) -> None:
    # After the flush of a previous test (or on a new database) the log is empty.
    triggers.drop_triggers(connection)  # SQLite's flush deletes row by row, which they refuse
    call_command("flush", interactive=False, verbosity=0)
    triggers.install_triggers(connection)
    assert not AuditChainHead.objects.exists()  # the flush took the head row too
    assert audit_verify() == ok(0)

    (first,) = record(1)

    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
    assert head() == (1, first.hash)
    assert audit_verify() == ok(1)


@pytest.mark.django_db
def test_each_entry_carries_the_hash_of_the_previous_one() -> None:
    base_seq, base_hash = head()

    first, second, third = record(3)

    assert [first.seq, second.seq, third.seq] == [base_seq + 1, base_seq + 2, base_seq + 3]
    assert first.prev_hash == base_hash
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3
    assert head() == (third.seq, third.hash)
    assert audit_verify() == ok(base_seq + 3)


@pytest.mark.django_db
def test_several_entries_appended_at_once_are_chained_like_single_ones() -> None:
    base_seq, base_hash = head()
    entries: list[dict[str, Any]] = [
        {"event": "dossier.submit", "target_type": "dossiers.dossier", "target_id": "X-1", "actor_id": 7},
        {
            "event": "dossier.receive",
            "target_type": "dossiers.dossier",
            "target_id": "X-1",
            "old": {"status": "submitted"},
            "new": {"status": "received"},
        },
    ]

    first, second = audit_record_many(entries)
    (third,) = record(1)

    assert [first.seq, second.seq, third.seq] == [base_seq + 1, base_seq + 2, base_seq + 3]
    assert (first.prev_hash, second.prev_hash, third.prev_hash) == (base_hash, first.hash, second.hash)
    stored = AuditEntry.objects.get(seq=second.seq)
    assert (stored.event, stored.old, stored.new, stored.hash) == (
        "dossier.receive",
        {"status": "submitted"},
        {"status": "received"},
        second.hash,
    )
    assert head() == (third.seq, third.hash)
    assert audit_verify() == ok(base_seq + 3)
    assert audit_record_many([]) == []
    # The same checks as one entry: a bad entry refuses the whole batch, and nothing is written.
    with pytest.raises(ValueError, match="dotted lowercase"):
        audit_record_many([entries[0], {**entries[1], "event": "Not An Event"}])
    assert head() == (third.seq, third.hash)


def chain_head_statements(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "core_auditchainhead" in q["sql"]]


@pytest.mark.django_db
def test_entries_recorded_in_a_batch_are_written_together_when_it_ends_under_one_lock() -> None:
    base_seq, base_hash = head()

    with transaction.atomic(), CaptureQueriesContext(connection) as queries, audit_batch():
        (first,) = record(1)
        with audit_batch():  # an inner batch joins the outer one: nothing is written when it ends
            second, third = record(2, event="dossier.receive")
        before_the_end = (chain_head_statements(queries), first.seq, third.pk)

    assert before_the_end == ([], None, None)
    # In the order recorded, chained as single entries are, after one read and one update of the head.
    assert [first.seq, second.seq, third.seq] == [base_seq + 1, base_seq + 2, base_seq + 3]
    assert (first.prev_hash, second.prev_hash, third.prev_hash) == (base_hash, first.hash, second.hash)
    assert len(chain_head_statements(queries)) == 2
    assert AuditEntry.objects.get(pk=third.pk).hash == third.hash
    assert head() == (third.seq, third.hash)
    assert audit_verify() == ok(base_seq + 3)


@pytest.mark.django_db
def test_a_batch_left_by_an_error_writes_nothing_and_a_bad_entry_is_refused_where_it_is_recorded() -> None:
    before = head()

    with pytest.raises(RuntimeError, match="the change failed"), transaction.atomic(), audit_batch():
        record(2)
        raise RuntimeError("the change failed")
    with pytest.raises(ValueError, match="dotted lowercase"), transaction.atomic(), audit_batch():
        record(1)
        audit_record(event="Not An Event", target_type="accounts.agency", target_id=1)

    assert head() == before
    assert not AuditEntry.objects.filter(seq__gt=before[0]).exists()
    (entry,) = record(1)  # no batch is left open: the next entry is written at once
    assert entry.seq == before[0] + 1


@pytest.mark.django_db
def test_a_batchs_own_rows_go_in_with_its_entries_and_their_failure_fails_the_transaction() -> None:
    before = head()
    day = CalendarDay(date=dt.date(2031, 10, 1), kind=CalendarDay.Kind.DAY_OFF, name_vi="Nghỉ bù")
    mine: list[Any] = []
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        with audit_batch(with_rows=mine):
            (entry,) = record(1)
            mine.append(day)
        written = [q["sql"] for q in queries.captured_queries]
    assert day.pk is not None and CalendarDay.objects.filter(pk=day.pk).exists()
    assert head() == (entry.seq, entry.hash) and entry.seq == before[0] + 1
    if connection.vendor == "postgresql":  # the head's lock, then the row, entry and head in one statement
        assert len(written) == 2 and "core_calendarday" in written[1] and "core_auditentry" in written[1]

    def clashing() -> Any:
        return CalendarDay(date=day.date, kind=CalendarDay.Kind.DAY_OFF, name_vi="Trùng")

    # A row that cannot go in fails the caller's transaction — the outermost batch's, and one joining
    # another batch even when its caller catches the error: no entry commits without its rows.
    outer: list[Any] = []
    with transaction.atomic():
        with pytest.raises(IntegrityError), audit_batch(with_rows=outer):
            record(1)
            outer.append(clashing())
        assert transaction.get_rollback()
    inner: list[Any] = []
    caught = False
    with pytest.raises(TransactionManagementError), transaction.atomic(), audit_batch():
        record(1)
        try:
            with audit_batch(with_rows=inner):
                inner.append(clashing())
        except IntegrityError:
            caught = transaction.get_rollback()
        # The outer batch cannot write its entry now: the transaction is broken (Django refuses).
    assert caught
    assert head() == (entry.seq, entry.hash)


@pytest.mark.django_db
def test_bulk_create_of_entries_outside_the_chain_is_refused() -> None:
    with pytest.raises(AuditLogIsAppendOnly, match="bulk_create"):
        AuditEntry.objects.bulk_create([AuditEntry(seq=10**9, event="x.y", target_type="t", target_id="1")])


@pytest.mark.django_db
def test_an_entry_records_who_did_what_to_which_object_and_in_which_request() -> None:
    token = request_id_var.set("req-42")
    try:
        (entry,) = record(1)
    finally:
        request_id_var.reset(token)

    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.event == "agency.updated"
    assert (stored.actor_id, stored.actor_label, stored.agency_code) == (7, "nguyen.van.a", "H60.01")
    assert (stored.target_type, stored.target_id) == ("accounts.agency", "40")
    assert stored.old == {"name": "Sở Tư pháp 0"}
    assert stored.new == {"name": "Sở Tư pháp tỉnh Tuyên Quang 0"}
    assert stored.request_id == "req-42"
    assert stored.created_at.tzinfo is not None


@pytest.mark.django_db
def test_an_entry_outside_a_request_has_a_blank_request_id_and_a_system_actor() -> None:
    entry = audit_record(event="calendar.imported", target_type="core.calendar", target_id="2026")

    assert (entry.request_id, entry.actor_id, entry.actor_label) == ("", None, "system")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "event", ["Agency.created", "agency", "agency.", "agency created", "1agency.created"]
)
def test_event_codes_must_be_dotted_lowercase(event: str) -> None:
    before = head()

    with pytest.raises(ValueError, match="dotted lowercase"):
        audit_record(event=event, target_type="accounts.agency", target_id=1)
    assert head() == before


@pytest.mark.django_db
def test_values_are_stored_json_safe_and_still_verify_after_the_database_round_trip() -> None:
    day = dt.date(2026, 2, 17)
    uid = uuid.UUID("12345678-1234-5678-1234-567812345678")
    audit_record(
        event="fee.changed",
        target_type="procedures.fee",
        target_id=uid,  # type: ignore[arg-type]
        new={
            "amount": Decimal("150000.00"),
            "ratio": 0.1,
            "huge": 1e20,  # PostgreSQL's jsonb would spell it 100000000000000000000
            "effective": day,
            "at": dt.datetime(2026, 2, 17, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=7))),
            "id": uid,
            "tags": {"b", "a"},
            "nested": {"n": [1, True, None, "ồ"]},
            3: "non-string key",  # type: ignore[dict-item]
        },
    )

    stored = AuditEntry.objects.get(event="fee.changed")
    assert stored.target_id == str(uid)
    assert stored.new == {
        "amount": "150000.00",
        "ratio": "0.1",
        "huge": "1e+20",
        "effective": "2026-02-17",
        "at": "2026-02-17T01:30:00+00:00",
        "id": str(uid),
        "tags": ["a", "b"],
        "nested": {"n": [1, True, None, "ồ"]},
        "3": "non-string key",
    }
    assert audit_verify().ok


@pytest.mark.django_db
def test_values_that_are_not_plain_data_are_refused() -> None:
    with pytest.raises(TypeError, match="plain data"):
        audit_record(event="x.y", target_type="t", target_id=1, new={"obj": object()})


def test_audit_diff_keeps_only_the_changed_keys() -> None:
    before = {"name": "Sở Tư pháp", "kind": "department", "fee": Decimal("1.5"), "flag": 1, "gone": "x"}
    after = {"name": "Sở Tư pháp", "kind": "service_centre", "fee": Decimal("1.5"), "flag": True, "added": 2}

    old, new = audit_diff(before, after)

    assert old == {"kind": "department", "flag": 1, "gone": "x"}
    assert new == {"kind": "service_centre", "flag": True, "added": 2}


def test_audit_diff_of_equal_snapshots_is_empty() -> None:
    assert audit_diff({"a": dt.date(2026, 1, 1)}, {"a": dt.date(2026, 1, 1)}) == ({}, {})


# --- Append-only ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_saving_an_existing_entry_through_the_orm_is_refused() -> None:
    (entry,) = record(1)
    entry.new = {"name": "forged"}

    with pytest.raises(AuditLogIsAppendOnly, match="append-only"):
        entry.save()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(new={"name": "forged"})
    assert AuditEntry.objects.get(pk=entry.pk).new == {"name": "Sở Tư pháp tỉnh Tuyên Quang 0"}


@pytest.mark.django_db
def test_deleting_an_entry_through_the_orm_is_refused() -> None:
    (entry,) = record(1)
    count = AuditEntry.objects.count()

    with pytest.raises(AuditLogIsAppendOnly):
        entry.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.count() == count


@pytest.mark.django_db
def test_a_raw_update_is_refused_by_the_database_trigger() -> None:
    (entry,) = record(1)

    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE core_auditentry SET actor_label = %s WHERE seq = %s", ["mallory", entry.seq])
    assert AuditEntry.objects.get(seq=entry.seq).actor_label == "nguyen.van.a"


@pytest.mark.django_db
def test_a_raw_delete_is_refused_by_the_database_trigger() -> None:
    (entry,) = record(1)
    count = AuditEntry.objects.count()

    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM core_auditentry WHERE seq = %s", [entry.seq])
    assert AuditEntry.objects.count() == count
    assert audit_guard_installed()


@pytest.mark.django_db
def test_audit_guard_installed_notices_dropped_triggers() -> None:
    assert audit_guard_installed()
    triggers.drop_triggers(connection)
    assert not audit_guard_installed()


# --- Detecting tampering --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_altering_a_middle_row_is_reported_at_that_entry() -> None:
    entries = record(5)
    middle = entries[2].seq

    tamper("UPDATE core_auditentry SET new = %s WHERE seq = %s", ['{"name": "forged"}', middle])

    assert AuditEntry.objects.get(seq=middle).new == {"name": "forged"}
    assert audit_verify() == VerifyResult(
        ok=False,
        checked=middle - 1,
        first_broken_seq=middle,
        reason=f"entry {middle}: stored hash does not match its content (row altered)",
    )


@pytest.mark.django_db
def test_altering_and_rehashing_a_middle_row_breaks_the_link_to_the_next_entry() -> None:
    entries = record(5)
    middle = entries[2].seq
    forged = stored_values(middle) | {"actor_label": "mallory"}

    tamper(
        "UPDATE core_auditentry SET actor_label = %s, hash = %s WHERE seq = %s",
        ["mallory", entry_hash(forged), middle],
    )

    result = audit_verify()
    assert (result.ok, result.first_broken_seq) == (False, middle + 1)
    assert result.reason.startswith(
        f"entry {middle + 1}: prev_hash does not match the hash of entry {middle}"
    )


@pytest.mark.django_db
def test_deleting_a_middle_row_is_reported_as_a_gap() -> None:
    entries = record(5)
    middle = entries[2].seq

    tamper("DELETE FROM core_auditentry WHERE seq = %s", [middle])

    assert audit_verify() == VerifyResult(
        ok=False,
        checked=middle - 1,
        first_broken_seq=middle,
        reason=f"entry {middle} missing: sequence jumps from {middle - 1} to {middle + 1} (row deleted)",
    )


@pytest.mark.django_db
def test_deleting_the_first_row_is_reported() -> None:
    record(3)

    tamper("DELETE FROM core_auditentry WHERE seq = %s", [1])

    assert audit_verify() == VerifyResult(
        ok=False,
        checked=0,
        first_broken_seq=1,
        reason="entry 1 missing: the chain starts at entry 2 (row deleted)",
    )


@pytest.mark.django_db
def test_deleting_the_last_row_is_reported_against_the_chain_head() -> None:
    last = record(5)[-1].seq

    tamper("DELETE FROM core_auditentry WHERE seq = %s", [last])

    assert audit_verify() == VerifyResult(
        ok=False,
        checked=last - 1,
        first_broken_seq=last,
        reason=f"entry {last} missing: the chain head records {last} entries but the log ends at "
        f"{last - 1} (last rows deleted)",
    )


@pytest.mark.django_db
def test_altering_and_rehashing_the_last_row_is_reported_against_the_chain_head() -> None:
    last = record(3)[-1].seq
    forged = stored_values(last) | {"new": {"name": "forged"}}

    tamper(
        "UPDATE core_auditentry SET new = %s, hash = %s WHERE seq = %s",
        ['{"name": "forged"}', entry_hash(forged), last],
    )

    result = audit_verify()
    assert (result.ok, result.checked, result.first_broken_seq) == (False, last, last)
    assert "does not match the one the chain head recorded" in result.reason


@pytest.mark.django_db
def test_a_deleted_chain_head_is_reported_and_stops_new_entries() -> None:
    last = record(2)[-1].seq

    tamper("DELETE FROM core_auditchainhead")

    assert audit_verify() == VerifyResult(
        ok=False,
        checked=last,
        first_broken_seq=last,
        reason=f"the chain head row is missing while {last} entries exist (row deleted)",
    )
    with pytest.raises(AuditChainError, match="head is missing"):
        record(1)


# --- Transactions ---------------------------------------------------------------------------------------


def test_an_entry_written_in_a_transaction_that_rolls_back_leaves_no_trace(committed_db: None) -> None:
    (first,) = record(1)

    with pytest.raises(RuntimeError, match="the change failed"), transaction.atomic():
        record(1, event="agency.created", target_id="rolled-back")
        raise RuntimeError("the change failed")

    assert not AuditEntry.objects.filter(target_id="rolled-back").exists()
    assert head() == (first.seq, first.hash)
    (second,) = record(1)
    assert (second.seq, second.prev_hash) == (first.seq + 1, first.hash)
    assert audit_verify() == ok(second.seq)


def test_concurrent_writers_queue_behind_the_chain_head_and_never_fork_it(committed_db: None) -> None:
    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        # The in-memory test database shares one cache between threads, which answers "table is locked"
        # at once instead of waiting; a file database (as deployed) queues writers at BEGIN IMMEDIATE.
        pytest.skip("threads cannot share SQLite's in-memory test database")
    writers, per_writer = 4, 5
    start = threading.Barrier(writers)
    errors: list[BaseException] = []
    base_seq, _ = head()

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(per_writer):
                with transaction.atomic():
                    audit_record(event="test.concurrent", target_type="test.thing", target_id=f"{n}-{i}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert audit_verify() == ok(base_seq + writers * per_writer)
    assert AuditEntry.objects.filter(event="test.concurrent").count() == writers * per_writer


# --- The command ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_reports_a_sound_chain_and_succeeds() -> None:
    last = record(3)[-1].seq
    out, err = StringIO(), StringIO()

    call_command("audit_verify", stdout=out, stderr=err)

    assert f"Audit chain OK: {last} entries verified." in out.getvalue()
    assert err.getvalue() == ""


@pytest.mark.django_db
def test_the_command_fails_with_exit_status_1_naming_the_first_broken_link() -> None:
    second = record(5)[1].seq
    tamper("UPDATE core_auditentry SET new = %s WHERE seq = %s", ['{"name": "forged"}', second])

    with pytest.raises(CommandError) as failure:
        call_command("audit_verify", stdout=StringIO(), stderr=StringIO())

    assert failure.value.returncode == 1
    message = str(failure.value)
    assert f"audit chain broken at entry {second}" in message
    assert "stored hash does not match its content (row altered)" in message


@pytest.mark.django_db
def test_the_command_warns_when_the_triggers_are_missing() -> None:
    last = record(1)[-1].seq
    triggers.drop_triggers(connection)
    out, err = StringIO(), StringIO()

    call_command("audit_verify", stdout=out, stderr=err)

    assert f"Audit chain OK: {last} entries verified." in out.getvalue()
    assert "triggers that refuse UPDATE and DELETE" in err.getvalue()


def test_tinhso_audit_verify_exits_1_and_prints_the_broken_link_to_stderr(
    committed_db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    second = record(3)[1].seq
    tamper("DELETE FROM core_auditentry WHERE seq = %s", [second])

    with pytest.raises(SystemExit) as exit_:
        tinhso_cli(["tinhso", "audit-verify"])

    assert exit_.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"entry {second} missing: sequence jumps from {second - 1} to {second + 1} (row deleted)" in (
        captured.err
    )


# --- Admin ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_lists_entries_but_cannot_add_change_or_delete_them(
    django_user_model: Any, rf: RequestFactory
) -> None:
    record(2)
    model_admin = admin.site._registry[AuditEntry]
    request = rf.get("/admin/core/auditentry/", {"event": "agency.updated", "q": "nguyen"})
    request.user = django_user_model.objects.create_superuser(username="root", password="x-not-used-9")

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, AuditEntry.objects.first())
    assert not model_admin.has_delete_permission(request, AuditEntry.objects.first())
    assert "delete_selected" not in model_admin.get_actions(request)
    response = model_admin.changelist_view(request)
    response.render()  # type: ignore[attr-defined]
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("nguyen.van.a") >= 2
    assert 'href="/admin/core/auditentry/add/"' not in page


@pytest.mark.django_db
def test_an_entry_page_in_the_admin_shows_its_values_read_only(
    django_user_model: Any, rf: RequestFactory
) -> None:
    (entry,) = record(1)
    model_admin = admin.site._registry[AuditEntry]
    request = rf.get(f"/admin/core/auditentry/{entry.pk}/change/")
    request.user = django_user_model.objects.create_superuser(username="root", password="x-not-used-9")

    response = model_admin.change_view(request, str(entry.pk))
    response.render()  # type: ignore[attr-defined]

    page = response.content.decode()
    assert response.status_code == 200
    assert entry.hash in page
    assert "Sở Tư pháp tỉnh Tuyên Quang 0" in page
    assert 'name="_save"' not in page


@pytest.mark.django_db
def test_an_entry_recorded_under_a_savepoint_rolled_back_inside_a_batch_is_not_written() -> None:
    before = head()
    with transaction.atomic(), audit_batch():
        (kept,) = record(1)
        try:
            with transaction.atomic():  # work undone, its error handled: its entry must go with it
                record(1, event="dossier.receive")
                raise RuntimeError("undone")
        except RuntimeError:
            pass
        (after,) = record(1, event="dossier.return")
    assert [e.event for e in AuditEntry.objects.filter(seq__gt=before[0]).order_by("seq")] == [
        kept.event,
        after.event,
    ]
    assert audit_verify() == ok(before[0] + 2)


@pytest.mark.django_db
def test_an_error_leaving_a_batch_marks_its_transaction_for_rollback() -> None:
    with transaction.atomic():
        try:
            with audit_batch():
                record(1)
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
        # A caller that caught the error cannot commit the changes of the batch without their entries.
        assert transaction.get_rollback() is True


@pytest.mark.django_db(transaction=True)
def test_a_batch_outside_a_transaction_is_refused(flushable_audit_log: None) -> None:
    with pytest.raises(AuditBatchError, match="inside a transaction"), audit_batch():
        pass
