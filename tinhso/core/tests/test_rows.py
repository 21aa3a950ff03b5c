"""core.rows: hand-built statements write and read what the ORM writes and reads, on either database."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import pytest
from django.db import IntegrityError, NotSupportedError, OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tinhso.core import rows
from tinhso.core.models import AuditChainHead, AuditEntry, CalendarDay

pytestmark = pytest.mark.django_db


def _day(date: str, kind: str = CalendarDay.Kind.DAY_OFF, name: str = "Nghỉ bù") -> CalendarDay:
    return CalendarDay(date=dt.date.fromisoformat(date), kind=kind, name_vi=name)


def _stored(day: CalendarDay) -> tuple[object, ...]:
    return tuple(CalendarDay.objects.filter(pk=day.pk).values_list("date", "kind", "name_vi").get())


def test_insert_sets_keys_in_order_runs_pre_save_and_writes_what_bulk_create_writes() -> None:
    before = timezone.now()
    made = [_day("2031-01-02"), _day("2031-01-03", CalendarDay.Kind.WORKING_DAY, "Làm bù thứ Bảy")]
    with CaptureQueriesContext(connection) as queries:
        assert rows.insert(made) == 2
    assert len(queries.captured_queries) == 1  # one statement for both rows
    assert all(d.pk is not None and not d._state.adding for d in made)
    assert made[0].pk < made[1].pk  # the keys come back in the order of the rows
    # auto_now_add and auto_now ran (pre_save), as a save would run them
    assert made[0].created_at is not None and made[0].created_at >= before
    assert made[0].updated_at is not None
    by_orm = CalendarDay.objects.bulk_create(
        [_day("2031-01-06"), _day("2031-01-07", CalendarDay.Kind.WORKING_DAY, "Làm bù thứ Bảy")]
    )
    assert [_stored(d)[1:] for d in made] == [_stored(d)[1:] for d in by_orm]
    assert _stored(made[0]) == (dt.date(2031, 1, 2), "day_off", "Nghỉ bù")
    assert _stored(made[1]) == (dt.date(2031, 1, 3), "working_day", "Làm bù thứ Bảy")


def test_insert_refuses_mixed_models_and_mixed_keys() -> None:
    with pytest.raises(TypeError):
        rows.insert([_day("2031-02-02"), AuditChainHead()])
    with_key = _day("2031-02-03")
    with_key.pk = 987_654
    with pytest.raises(ValueError, match="primary key"):
        rows.insert([with_key, _day("2031-02-04")])
    assert rows.insert([]) == 0


def test_a_clash_is_skipped_only_when_asked_and_only_on_the_named_fields() -> None:
    rows.insert([_day("2031-03-02")])
    again = _day("2031-03-02", name="Trùng ngày")
    # Skipped: nothing written, no key, no error, and the transaction goes on (no savepoint was needed).
    assert rows.insert([again], ignore_conflicts=True, conflict_fields=["date"]) == 0
    assert again.pk is None and again._state.adding
    assert CalendarDay.objects.filter(date="2031-03-02").values_list("name_vi", flat=True).get() == "Nghỉ bù"
    fresh = _day("2031-03-03")
    assert rows.insert([fresh], ignore_conflicts=True, conflict_fields=["date"]) == 1
    assert fresh.pk is not None and not fresh._state.adding
    # Without ignore_conflicts the database's refusal reaches the caller.
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.insert([_day("2031-03-02")])


def test_select_reads_what_a_queryset_reads_with_in_order_and_an_empty_list() -> None:
    days = [_day("2031-04-01"), _day("2031-04-02"), _day("2031-04-03", "working_day", "Làm bù")]
    rows.insert(days)
    found = rows.select(CalendarDay, {"date": [d.date for d in days], "kind": "day_off"}, order_by=("-date",))
    assert [d.date for d in found] == [dt.date(2031, 4, 2), dt.date(2031, 4, 1)]
    orm = CalendarDay.objects.get(pk=found[0].pk)
    for field in CalendarDay._meta.concrete_fields:  # every field converted as the ORM converts it
        assert getattr(found[0], field.attname) == getattr(orm, field.attname), field.name
    assert isinstance(found[0].date, dt.date) and timezone.is_aware(found[0].created_at)
    assert not found[0]._state.adding
    with CaptureQueriesContext(connection) as queries:
        assert rows.select(CalendarDay, {"date": []}) == []
    assert queries.captured_queries == []  # an empty IN matches nothing, without asking


def test_json_fields_round_trip_and_update_writes_only_the_fields_named() -> None:
    head = AuditChainHead.objects.get_or_create(pk=1)[0]
    entry = AuditEntry(
        seq=10**9,
        created_at=timezone.now(),
        event="test.rows",
        target_type="test",
        target_id="1",
        old=None,
        new={"trạng thái": "đã tiếp nhận", "n": [1, 2]},
        prev_hash="0" * 64,
        hash="1" * 64,
    )
    rows.insert([entry])
    (read,) = rows.select(AuditEntry, {"id": entry.pk})
    assert read.new == {"trạng thái": "đã tiếp nhận", "n": [1, 2]} and read.old is None
    head.last_seq, head.last_hash = 41, "a" * 64
    assert rows.update(head, ["last_seq"]) == 1
    stored = AuditChainHead.objects.get(pk=1)
    assert stored.last_seq == 41 and stored.last_hash != "a" * 64  # last_hash was not named
    gone = AuditChainHead(pk=2)
    assert rows.update(gone, ["last_seq"]) == 0


def _entry(seq: int) -> AuditEntry:
    return AuditEntry(
        seq=seq,
        created_at=timezone.now(),
        event="test.rows",
        target_type="test",
        target_id=str(seq),
        new={"n": seq},
        prev_hash="0" * 64,
        hash="1" * 64,
    )


def test_insert_together_writes_every_group_in_one_statement_on_postgresql() -> None:
    rows.insert([_day("2031-05-01")])
    days = [_day("2031-05-02"), _day("2031-05-03")]
    entries = [_entry(2 * 10**9), _entry(2 * 10**9 + 1), _entry(2 * 10**9 + 2)]
    clashing = [_day("2031-05-01", name="Trùng"), _day("2031-05-04", name="Mới")]
    with CaptureQueriesContext(connection) as queries:
        rows.insert_together(days, entries, clashing, [], skip_conflicts=(False, False, True))
    expected = 1 if connection.vendor == "postgresql" else 3  # an empty group is no statement
    assert len(queries.captured_queries) == expected
    # Keys in each group's order, each instance marked saved, as `insert` leaves them.
    assert days[0].pk < days[1].pk and entries[0].pk < entries[1].pk < entries[2].pk
    assert not days[0]._state.adding and not entries[2]._state.adding
    assert list(
        AuditEntry.objects.filter(pk__in=[e.pk for e in entries]).order_by("pk").values_list("seq", flat=True)
    ) == [e.seq for e in entries]
    # The skipping group wrote its new row and left the clash alone, with no key set (as `insert` does).
    stored = dict(CalendarDay.objects.filter(date__gte="2031-05-01").values_list("date", "name_vi"))
    assert stored == {
        dt.date(2031, 5, 1): "Nghỉ bù",
        dt.date(2031, 5, 2): "Nghỉ bù",
        dt.date(2031, 5, 3): "Nghỉ bù",
        dt.date(2031, 5, 4): "Mới",
    }
    assert clashing[0].pk is None


def test_insert_together_fails_as_a_whole() -> None:
    rows.insert([_day("2031-06-01")])
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.insert_together([_entry(3 * 10**9)], [_day("2031-06-01")])  # the day clashes, not skipped
    assert not AuditEntry.objects.filter(seq=3 * 10**9).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_on_a_kept_connection_statements_are_prepared_and_a_changed_column_retires_it(
    flushable_audit_log: None, settings: Any
) -> None:
    def prepared() -> int:
        with connection.cursor() as c:
            c.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%core_calendarday%'")
            return int(c.fetchone()[0])

    # Another process's connection (a migration run beside the servers); psycopg forgets its own prepared
    # statements when its own connection runs an ALTER, so the change must come from elsewhere.
    other = connection.get_new_connection(connection.get_connection_params())
    other.autocommit = True
    kept = connection.settings_dict["CONN_MAX_AGE"]
    connection.close()  # a connection of this test's own, closed again at the end
    connection.settings_dict["CONN_MAX_AGE"] = 60
    try:
        rows.select(CalendarDay, {"kind": "day_off"})
        rows.select(CalendarDay, {"kind": "working_day"})  # the same statement, prepared once
        assert prepared() == 1
        with rows.cursor(connection) as c:
            assert type(c.cursor).__name__ == "PreparedCursor"
        settings.DB_PREPARED_STATEMENTS = False
        with rows.cursor(connection) as c:
            assert type(c.cursor).__name__ != "PreparedCursor"  # Django's own: bound on the client
        settings.DB_PREPARED_STATEMENTS = True
        # A migration changes a column the prepared statement reads: the statement fails once, and the
        # connection is retired at the end of the request (as if its age had run out).
        other.execute("ALTER TABLE core_calendarday ALTER COLUMN name_vi TYPE text")  # the migration
        assert connection.close_at is not None and connection.close_at > 0
        with pytest.raises(NotSupportedError, match="cached plan"):
            rows.select(CalendarDay, {"kind": "day_off"})
        assert connection.close_at == 0
        connection.close_if_unusable_or_obsolete()  # what the end of a request does
        assert connection.connection is None
        assert rows.select(CalendarDay, {"kind": "day_off"}) == []  # a new connection prepares afresh
    finally:
        other.execute("ALTER TABLE core_calendarday ALTER COLUMN name_vi TYPE varchar(200)")
        other.close()
        connection.settings_dict["CONN_MAX_AGE"] = kept
        connection.close()


def test_select_refuses_none_and_update_refuses_an_unsaved_instance() -> None:
    with pytest.raises(ValueError, match="None"):
        rows.select(CalendarDay, {"decision": None})
    with pytest.raises(ValueError, match="primary key"):
        rows.update(_day("2031-07-01"), ["name_vi"])


def test_insert_together_updates_saved_rows_in_the_same_statement_on_postgresql() -> None:
    kept, gone = _day("2031-08-01"), _day("2031-08-02")
    rows.insert([kept, gone])
    CalendarDay.objects.filter(pk=gone.pk).delete()
    kept.name_vi = gone.name_vi = "Nghỉ lễ (sửa)"
    new = [_day("2031-08-03")]
    with CaptureQueriesContext(connection) as queries:
        counts = rows.insert_together(new, then_update=[(kept, ["name_vi"]), (gone, ["name_vi"])])
    assert len(queries.captured_queries) == (1 if connection.vendor == "postgresql" else 3)
    assert counts == [1, 0]  # the deleted row: nothing changed, as `update` reports it
    assert new[0].pk is not None and not new[0]._state.adding
    assert _stored(kept) == (dt.date(2031, 8, 1), "day_off", "Nghỉ lễ (sửa)")
    assert not CalendarDay.objects.filter(pk=gone.pk).exists()
    # Updates alone are one statement too (two here), and nothing at all is none.
    other = new[0]
    other.name_vi = "Nghỉ bù (sửa)"
    with CaptureQueriesContext(connection) as queries:
        assert rows.insert_together([], then_update=[(kept, ["kind"]), (other, ["name_vi"])]) == [1, 1]
        assert rows.insert_together([]) == []
    assert len(queries.captured_queries) == (1 if connection.vendor == "postgresql" else 2)
    assert _stored(other)[2] == "Nghỉ bù (sửa)"
    # One statement would change a row named twice only once: refused.
    with pytest.raises(ValueError, match="twice"):
        rows.insert_together([], then_update=[(kept, ["kind"]), (kept, ["name_vi"])])


def test_a_statement_longer_than_psycopgs_cached_ones_binds_each_executions_own_values() -> None:
    # psycopg keeps the conversion of statements of up to 4 KB and 50 parameters only; this module keeps its
    # bigger ones too (PreparedCursor, on a kept PostgreSQL connection): the second execution must not reuse
    # the first's values.
    def batch(year: int) -> list[CalendarDay]:
        return [
            _day(f"{year}-{month:02d}-{day:02d}", name=f"Ngày {day}/{month}/{year}")
            for month in (1, 2)
            for day in range(1, 29)
        ]

    first, second = batch(2032), batch(2033)
    prepared = connection.vendor == "postgresql" and rows._prepares(connection)
    with CaptureQueriesContext(connection) as queries:
        rows.insert_together(first, [_entry(4 * 10**9)])
        hits = rows._kept_conversions.cache_info().hits if prepared else 0
        rows.insert_together(second, [_entry(4 * 10**9 + 1)])
    if prepared:  # the second execution's conversion was the one kept
        assert rows._kept_conversions.cache_info().hits == hits + 1
    assert len(queries.captured_queries) == (1 if connection.vendor == "postgresql" else 2) * 2
    assert len(first) * (len(CalendarDay._meta.concrete_fields) - 1) > 50  # parameters of one statement
    assert [_stored(d) for d in second] == [
        (dt.date(2033, month, day), "day_off", f"Ngày {day}/{month}/2033")
        for month in (1, 2)
        for day in range(1, 29)
    ]
    assert _stored(first[-1]) == (dt.date(2032, 2, 28), "day_off", "Ngày 28/2/2032")


def test_keys_are_drawn_ahead_on_postgresql_only() -> None:
    if connection.vendor != "postgresql":
        assert not rows.keys_reservable(CalendarDay)
        with pytest.raises(ValueError, match="cannot be drawn ahead"):
            rows.new_keys_sql(CalendarDay, 2)
        return
    assert rows.keys_reservable(CalendarDay)
    with connection.cursor() as c:
        c.execute(f"SELECT {rows.new_keys_sql(CalendarDay, 3)}")
        (keys,) = c.fetchone()
    assert len(keys) == 3 and keys == sorted(set(keys))
    days = [_day("2031-09-01"), _day("2031-09-02")]
    days[0].pk, days[1].pk = keys[0], keys[2]
    assert rows.insert(days) == 2
    assert _stored(days[1]) == (dt.date(2031, 9, 2), "day_off", "Nghỉ bù")
    # The next key the table draws by itself comes after them.
    (drawn,) = [_day("2031-09-03")]
    rows.insert([drawn])
    assert drawn.pk > keys[2]
    with pytest.raises(ValueError, match="1–1000"):
        rows.new_keys_sql(CalendarDay, 0)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="keys drawn ahead: PostgreSQL")
def test_keys_drawn_ahead_wait_while_a_block_of_keys_is_being_reserved() -> None:
    # dossiers.volume reserves a block by moving the sequence on, holding the exclusive lock; a draw ahead
    # inserts nothing (no table lock), so it must wait for that lock instead of landing inside the block.
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        other.execute("BEGIN")
        other.execute(f"SELECT {rows.key_block_lock_sql(CalendarDay, shared=False)}")
        with (
            pytest.raises(OperationalError, match="lock timeout"),
            transaction.atomic(),
            connection.cursor() as c,
        ):
            c.execute("SET LOCAL lock_timeout = '300ms'")
            c.execute(f"SELECT {rows.new_keys_sql(CalendarDay, 2)}")
        other.execute("COMMIT")  # the block is reserved: drawing goes on
        with connection.cursor() as c:
            c.execute(f"SELECT {rows.new_keys_sql(CalendarDay, 2)}")
            assert len(c.fetchone()[0]) == 2
    finally:
        other.close()


# --- Values prepared the short way (rows.preparers) -------------------------------------------------------


def _candidates() -> list[Any]:
    from decimal import Decimal

    from django.db.models import IntegerChoices, TextChoices
    from django.utils.translation import gettext_lazy

    class Kind(TextChoices):
        PAPER = "paper", "Giấy"

    class Level(IntegerChoices):
        TWO = 2, "Hai"

    aware = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    return [
        Kind.PAPER,
        Level.TWO,
        "abc",
        "",
        "Hồ sơ",
        gettext_lazy("Hồ sơ"),
        None,
        0,
        7,
        -3,
        2**40,
        True,
        False,
        "12",
        Decimal("1.5"),
        1.25,
        aware,
        aware.astimezone(dt.timezone(dt.timedelta(hours=7))),
        dt.datetime(2026, 3, 2, 9, 30),  # naive: the chain makes it aware (with a warning)
        dt.date(2026, 3, 2),
        [1, "a"],
        {"a": 1},
    ]


def _chain_or_error(call: Any) -> tuple[str, Any]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return "value", call()
        except Exception as exc:  # any refusal: the other path must refuse alike
            return "error", type(exc)


def _chain(field: Any, obj: Any, add: bool) -> Any:
    return field.get_db_prep_save(field.pre_save(obj, add), connection)


def _same(mine: tuple[str, Any], theirs: tuple[str, Any]) -> bool:
    if mine[0] != theirs[0]:
        return False
    a, b = mine[1], theirs[1]
    if mine[0] == "error":
        return a is b
    if type(a) is not type(b):
        return False
    if hasattr(a, "obj") and hasattr(b, "obj"):  # psycopg's Jsonb wrapper: no __eq__ of its own
        return bool(a.obj == b.obj)
    return bool(a == b)


@pytest.mark.parametrize("add", [True, False])
def test_every_fields_short_preparation_equals_its_own_chain_for_values_of_every_kind(add: bool) -> None:
    """For every column of every model of the project and values of every kind (right, wrong, lazy,
    naive, expressions aside): the preparer answers what `get_db_prep_save(pre_save(obj, add))` answers, or
    refuses as it refuses. The short way is taken for most columns (it is not the chain under a new name)."""
    from django.apps import apps

    short = chain = 0
    for model in apps.get_models():
        if not model.__module__.startswith("tinhso."):
            continue
        fields = list(model._meta.concrete_fields)
        for field, prepare in zip(fields, rows.preparers(model, fields, connection, add), strict=True):
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                # Its pre_save sets the time: only the chain does that.
                assert getattr(prepare, "chain", False), (model.__name__, field.name)
                continue
            if getattr(prepare, "chain", False):
                chain += 1
                continue
            short += 1
            for value in _candidates():
                obj = model()
                obj.__dict__[field.attname] = value
                theirs = _chain_or_error(functools.partial(_chain, field, obj, add))
                obj.__dict__[field.attname] = value
                mine = _chain_or_error(functools.partial(prepare, obj, connection))
                assert _same(mine, theirs), (model.__name__, field.name, value, mine, theirs)
    assert short > 4 * chain  # text, flags, moments, numbers and keys: most columns
