"""Rows inserted, read and updated by statements written out once per model and shape.

The ORM compiles every query anew: on the province's commonest write (a dossier received at the counter:
some twenty statements) compiling took most of the request's time, more than the database's work. These
helpers build each statement once per process, database and shape (the model, how many rows, which
fields), and pass the values through the fields' own conversions — `pre_save` and `get_db_prep_save` on the
way in, the ORM's database converters on the way out — so what they write and read is what `bulk_create`,
a queryset and `save(update_fields=…)` would write and read, on PostgreSQL and SQLite alike.

What they do not do, on purpose: no signals (`pre_save`/`post_save` receivers are not called — a caller
whose model has one sends it itself), no lookups other than equality and `IN`, joins along forward foreign
keys only. Anything else stays with the ORM.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper

M = TypeVar("M", bound=models.Model)

# (alias, vendor, model, shape…) → the statement and what reading it needs; a handful of shapes per model.
_statements: dict[tuple[Any, ...], Any] = {}


def _connection(model: type[models.Model], *, write: bool) -> BaseDatabaseWrapper:
    alias = router.db_for_write(model) if write else router.db_for_read(model)
    return connections[alias]


_prepared_class: Any = None
# The conversions kept by the prepared cursor (an lru_cache, for tests to read its hits), and the size of
# statement it keeps: a reception's are 10–20 KB; bigger ones (a long IN list) are converted every time.
_kept_conversions: Any = None
MAX_KEPT_STATEMENT = 64 * 1024
MAX_KEPT_PARAMETERS = 2000


def _prepared_cursor_class() -> Any:
    global _prepared_class
    if _prepared_class is None:
        import functools

        import psycopg
        from psycopg import _queries

        # psycopg turns "%s" into "$1…" once per text for short statements only (MAX_CACHED_STATEMENT_LENGTH,
        # 4 KB: an ORM's statements vary too much to be worth keeping). This module's are few and fixed —
        # but reception's `insert_together` is longer than that and was converted on every execution: kept
        # here, a bounded number.
        global _kept_conversions
        convert = _kept_conversions = functools.lru_cache(maxsize=256)(_queries._query2pg_nocache)

        class KeptQuery(_queries.PostgresQuery):
            def convert(self, query: Any, vars: Any) -> None:
                if (
                    vars is None
                    or not isinstance(query, str)
                    or len(query) > MAX_KEPT_STATEMENT
                    or len(vars) > MAX_KEPT_PARAMETERS
                ):
                    super().convert(query, vars)
                    return
                encoding = self._tx.encoding
                self.query, self._want_formats, self._order, self._parts = convert(
                    query.encode(encoding), encoding
                )
                self.dump(vars)

        class PreparedCursor(psycopg.Cursor[Any]):
            """Server-side binding, every statement prepared on first use and kept by the connection."""

            _query_cls = KeptQuery
            django_connection: Any = None

            def execute(self, query: Any, params: Any = None, *, prepare: Any = None, **kw: Any) -> Any:
                try:
                    return super().execute(query, params, prepare=True, **kw)
                except psycopg.errors.FeatureNotSupported:
                    # "cached plan must not change result type": a migration changed a column this
                    # connection's prepared statements read. This request fails; the connection is closed
                    # at its end (as if its age had run out), and the next one prepares them afresh.
                    # (Restarting the servers after such a migration avoids even that.)
                    if self.django_connection is not None:
                        self.django_connection.close_at = 0
                    raise

            def _send_query_prepared(self, name: bytes, pgq: Any, **kw: Any) -> None:
                # psycopg (3.3) records the query of an unprepared execution only: `cursor.query`, which
                # Django's query log reads (CaptureQueriesContext, DEBUG), would be None for these.
                self._query = pgq
                super()._send_query_prepared(name, pgq, **kw)

        _prepared_class = PreparedCursor
    return _prepared_class


def _prepares(connection: BaseDatabaseWrapper) -> bool:
    # Preparing costs a round trip the first time: it pays only on a connection that lives on (a kept
    # connection, DB_CONN_MAX_AGE > 0 or None, or a pool), not on one opened for a single request.
    if not getattr(settings, "DB_PREPARED_STATEMENTS", True):
        return False
    kept = connection.settings_dict.get("CONN_MAX_AGE")
    pooled = bool(connection.settings_dict.get("OPTIONS", {}).get("pool"))
    return pooled or kept is None or kept > 0


def cursor(connection: BaseDatabaseWrapper) -> Any:
    """A cursor for this module's statements (and other hand-written ones run over and over). On PostgreSQL,
    on a kept connection with `DB_PREPARED_STATEMENTS` on (the default), its statements are prepared once
    per connection and their parameters bound by the server: a joined read's planning was most of its cost
    in the database, and the statements here are few and fixed. Otherwise Django's own cursor. Either way
    wrapped as Django wraps its cursors (errors turned into Django's, statements logged when queries are
    captured)."""
    if connection.vendor != "postgresql" or not _prepares(connection):
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns preparing off (for poolers); psycopg then ignores prepare=True too. Its own cursors
        # bind on the client, which never prepares: only this module's statements are prepared (explicitly,
        # the threshold is out of reach).
        raw.prepare_threshold = 2**31 - 1
    made = _prepared_cursor_class()(raw)
    made.django_connection = connection
    with connection.wrap_database_errors:
        return connection._prepare_cursor(made)  # type: ignore[attr-defined]


def _key(connection: BaseDatabaseWrapper, *shape: Any) -> tuple[Any, ...]:
    return (connection.alias, connection.vendor, *shape)


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise ValueError(f"rows: {model.__name__}.{name} is not a column")
    return field


def column(model: type[models.Model], name: str) -> str:
    """The database column of a model's field (by name or attname)."""
    found = _field(model, name).column
    assert found is not None
    return found


def keys_reservable(model: type[models.Model]) -> bool:
    """Whether `new_keys_sql` can draw primary keys of `model` ahead of its rows: on PostgreSQL, for an
    integer key filled from a sequence (Django's AutoField family, an identity column)."""
    pk = model._meta.pk
    return _connection(model, write=True).vendor == "postgresql" and isinstance(
        pk, (models.AutoField, models.BigAutoField, models.SmallAutoField)
    )


def _sequence_names(model: type[models.Model]) -> tuple[str, str]:
    meta = model._meta
    assert meta.pk is not None
    table, key = meta.db_table, meta.pk.column or ""
    for name in (table, key):  # they go into string literals: identifiers only
        if not name or not name.replace("_", "").isalnum() or name != name.lower():
            raise ValueError(f"rows: unexpected name {name!r}")
    return table, key


def key_block_lock_sql(model: type[models.Model], *, shared: bool) -> str:
    """An SQL expression (PostgreSQL) taking the transaction-long advisory lock that orders drawing keys
    ahead (`new_keys_sql`, shared) against reserving a block of keys by moving the sequence on
    (`dossiers.volume`, exclusive). An INSERT's own draw is kept out by a table lock instead; a draw ahead
    inserts nothing yet, so it takes no such lock. Take it before the table lock, as volume does."""
    table, _key = _sequence_names(model)
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    return f"{function}(hashtext('tinhso.keys.{table}'))"


def new_keys_sql(model: type[models.Model], count: int) -> str:
    """An SQL expression (PostgreSQL) of an array of `count` new primary keys of `model`, drawn from the
    key's own sequence: rows inserted with these keys set may refer to one another in one statement (a
    dossier and its first step). A key drawn and not used is a gap in the keys, as after any rollback. It
    takes `key_block_lock_sql(model, shared=True)` first, until the transaction ends."""
    if not keys_reservable(model):
        raise ValueError(f"rows.new_keys_sql: {model.__name__}'s keys cannot be drawn ahead")
    if not 0 < count <= 1000:
        raise ValueError("rows.new_keys_sql: 1–1000 keys")
    table, key = _sequence_names(model)
    # The lock's one row is joined before the keys are drawn (they are drawn per row of the join).
    return (
        f"ARRAY(SELECT nextval(pg_get_serial_sequence('{table}', '{key}')) "  # noqa: S608 — checked names
        f"FROM (SELECT {key_block_lock_sql(model, shared=True)}) AS held, generate_series(1, {int(count)}))"
    )


# --- Values prepared for the database -----------------------------------------------------------------------
#
# `field.get_db_prep_save(field.pre_save(obj, add), connection)` is five to eight calls per value (the
# Promise check, `to_python`, the backend's adapter); a counter reception prepares 223 values. For the field
# classes below, Django's own and not subclassed, whose chain is known, a value of the type the chain leaves
# alone (exactly; any str for text) goes straight to what the chain ends with (the backend's adapter, where
# there is one); any other value — a lazy string, a bool in an integer field, an expression, a naive
# datetime, None where the chain does more than pass it on — takes the chain itself. Measured on a
# reception's rows: 0.32 ms instead of 0.43 (about 1 % of the reception). `test_rows` compares both paths on
# every column of every model and values of every kind; `test_reception_statements` on a reception.

_TEXT_FIELDS = (models.CharField, models.TextField, models.SlugField, models.EmailField, models.URLField)
_INTEGER_FIELDS = (
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
)
_AUTO_FIELDS = (models.AutoField, models.BigAutoField, models.SmallAutoField)
_MISSING = object()

# A preparer takes the instance and the connection of the statement (the calling thread's: nothing of one
# thread's connection is kept in the preparers, which are shared by the process's threads).
Preparer = Callable[[models.Model, BaseDatabaseWrapper], Any]


def _slow_preparer(field: models.Field[Any, Any], add: bool) -> Preparer:
    def prepare(obj: models.Model, connection: BaseDatabaseWrapper) -> Any:
        return field.get_db_prep_save(field.pre_save(obj, add), connection)

    prepare.chain = True  # type: ignore[attr-defined]  # the field's own chain for every value (tests)
    return prepare


def _key_preparer(field: models.Field[Any, Any]) -> Callable[[int, BaseDatabaseWrapper], Any] | None:
    """What the chain makes of an int in this integer or key field, or None when it is not one of those."""
    kind = type(field)
    if kind in _AUTO_FIELDS:
        return lambda value, connection: connection.ops.validate_autopk_value(value)
    if kind in _INTEGER_FIELDS:
        internal = field.get_internal_type()
        return lambda value, connection: connection.ops.adapt_integerfield_value(value, internal)
    return None


def _preparer(field: models.Field[Any, Any], add: bool) -> Preparer:
    """The value of `field` on an instance, prepared as `get_db_prep_save(pre_save(obj, add))` prepares it."""
    slow = _slow_preparer(field, add)
    attname, kind = field.attname, type(field)

    if kind in _TEXT_FIELDS:

        def text(obj: models.Model, connection: BaseDatabaseWrapper) -> Any:
            value = obj.__dict__.get(attname, _MISSING)
            # A str subclass (a TextChoices member) is left as it is by the chain too (`to_python`).
            return value if value is None or isinstance(value, str) else slow(obj, connection)

        return text
    if kind is models.BooleanField:

        def boolean(obj: models.Model, connection: BaseDatabaseWrapper) -> Any:
            value = obj.__dict__.get(attname, _MISSING)
            return value if type(value) is bool else slow(obj, connection)

        return boolean
    if kind is models.DateTimeField and not (field.auto_now or field.auto_now_add):  # type: ignore[attr-defined]

        def moment(obj: models.Model, connection: BaseDatabaseWrapper) -> Any:
            value = obj.__dict__.get(attname, _MISSING)
            if type(value) is dt.datetime and value.utcoffset() is not None:
                return connection.ops.adapt_datetimefield_value(value)
            return slow(obj, connection)

        return moment
    if kind in (models.ForeignKey, models.OneToOneField):
        target = _key_preparer(field.target_field)  # type: ignore[attr-defined]
        if target is None:
            return slow

        def key(obj: models.Model, connection: BaseDatabaseWrapper) -> Any:
            value = obj.__dict__.get(attname, _MISSING)
            if value is None:
                return None
            return target(value, connection) if type(value) is int else slow(obj, connection)

        return key
    integer = _key_preparer(field)
    if integer is not None:

        def number(obj: models.Model, connection: BaseDatabaseWrapper) -> Any:
            value = obj.__dict__.get(attname, _MISSING)
            return integer(value, connection) if type(value) is int else slow(obj, connection)

        return number
    return slow


def preparers(
    model: type[models.Model],
    fields: Sequence[models.Field[Any, Any]],
    connection: BaseDatabaseWrapper,
    add: bool,
) -> list[Preparer]:
    """Each field's preparer (`_preparer`), kept per process, database, model, fields and `add`; call each
    with the instance and `connection`."""
    key = _key(connection, "prepare", model, tuple(f.attname for f in fields), add)
    found = _statements.get(key)
    if found is None:
        found = _statements[key] = [_preparer(f, add) for f in fields]
    return found


def _insert_fields(model: type[models.Model], with_pk: bool) -> list[models.Field[Any, Any]]:
    pk = model._meta.pk
    return [f for f in model._meta.concrete_fields if with_pk or f is not pk]


@dataclass
class _Insert:
    model: type[models.Model]
    connection: BaseDatabaseWrapper
    sql: str
    params: list[Any]
    returning: bool
    ignore_conflicts: bool


def _insert_plan(
    objs: Sequence[models.Model],
    ignore_conflicts: bool,
    conflict_fields: Sequence[str],
    *,
    single_returns: bool,
) -> _Insert:
    model = type(objs[0])
    if any(type(obj) is not model for obj in objs):
        raise TypeError("rows.insert: instances of one model only")
    connection = _connection(model, write=True)
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    with_pk = all(obj.pk is not None for obj in objs)
    if not with_pk and any(obj.pk is not None for obj in objs):
        raise ValueError("rows.insert: either every instance has its primary key or none has")
    fields = _insert_fields(model, with_pk)
    returning = not with_pk and (not ignore_conflicts or (single_returns and len(objs) == 1))
    shape = ("insert", model, len(objs), with_pk, ignore_conflicts, tuple(conflict_fields), returning)
    key = _key(connection, *shape)
    sql = _statements.get(key)
    if sql is None:
        qn = connection.ops.quote_name
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = (
            f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608
            f"VALUES {', '.join([row] * len(objs))}"
        )
        if ignore_conflicts:
            target = ", ".join(qn(column(model, name)) for name in conflict_fields)
            sql += f" ON CONFLICT ({target}) DO NOTHING" if target else " ON CONFLICT DO NOTHING"
        if returning:
            sql += f" RETURNING {qn(pk.column)}"
        _statements[key] = sql
    params: list[Any] = []
    prepare = preparers(model, fields, connection, True)
    for obj in objs:
        # A relation to an instance saved since it was set (a step's dossier, inserted just before) takes
        # its key now; one to an unsaved instance is refused — as `bulk_create` does.
        obj._prepare_related_fields_for_save(operation_name="rows.insert")  # type: ignore[attr-defined]
        params.extend(p(obj, connection) for p in prepare)
    return _Insert(model, connection, sql, params, returning, ignore_conflicts)


def _inserted(plan: _Insert, objs: Sequence[models.Model], keys: Sequence[Any]) -> None:
    """Set the keys read back and mark the instances saved."""
    pk = plan.model._meta.pk
    assert pk is not None
    if plan.returning:
        if len(keys) != len(objs):
            raise RuntimeError(f"rows.insert: {len(keys)} keys returned for {len(objs)} rows")
        # The rows come back in the order of the VALUES list (PostgreSQL and SQLite both insert a VALUES
        # list in order; Django's bulk_create relies on the same).
        for obj, value in zip(objs, keys, strict=True):
            setattr(obj, pk.attname, pk.to_python(value))
    if plan.returning or not plan.ignore_conflicts:
        for obj in objs:
            obj._state.adding = False
            obj._state.db = plan.connection.alias


def insert(
    objs: Sequence[models.Model], *, ignore_conflicts: bool = False, conflict_fields: Sequence[str] = ()
) -> int:
    """Insert unsaved instances of one model in one statement, as `bulk_create` would: each field's
    `pre_save` (auto_now, defaults already set on the instance) and database preparation. Returns how many
    rows were inserted.

    Without `ignore_conflicts` the new primary keys are read back (RETURNING: PostgreSQL, SQLite ≥ 3.35)
    and set, and the instances are marked saved. With it, a row that clashes with a unique constraint —
    with the one on `conflict_fields` only, when they are given — is skipped (as
    `bulk_create(ignore_conflicts=True)`); a single instance then gets its key and is marked saved when it
    was inserted, so that a caller can retry a clash without a savepoint."""
    if not objs:
        return 0
    plan = _insert_plan(objs, ignore_conflicts, conflict_fields, single_returns=True)
    with cursor(plan.connection) as c:
        c.execute(plan.sql, plan.params)
        if plan.returning:
            keys = [value for (value,) in c.fetchall()]
            inserted = len(keys)
        else:
            keys, inserted = [], c.rowcount
    if plan.returning and ignore_conflicts and not keys:
        return 0  # the one row clashed: nothing was written
    _inserted(plan, objs, keys)
    return int(inserted)


def insert_together(
    *groups: Sequence[models.Model],
    skip_conflicts: Sequence[bool] = (),
    then_update: Sequence[tuple[models.Model, Sequence[str]]] = (),
) -> list[int]:
    """Several groups of unsaved instances, each of one model, each written as `insert` writes it — on
    PostgreSQL in one statement (each group's INSERT a data-modifying WITH query; one round trip instead of
    one per group), elsewhere one statement per group. `skip_conflicts[i]`: group i skips rows that clash
    with a unique constraint (no keys are set for it). Every group sees the database as it was before the
    statement: a group must not refer to another group's new rows, unless their keys were set beforehand
    (`new_keys_sql`: Django's foreign keys are checked at commit); a foreign key to a row inserted earlier
    is fine. Keys are integers (every model here has one).

    `then_update`: saved instances and the fields of each to write (as `update`), in the same statement on
    PostgreSQL, after the inserts elsewhere; each a different row, none of those the groups insert. Returns
    the number of rows each of them changed (0: the row is gone)."""
    flags = list(skip_conflicts) + [False] * (len(groups) - len(skip_conflicts))
    todo = [(objs, flag) for objs, flag in zip(groups, flags, strict=True) if objs]
    plans = [_insert_plan(objs, flag, (), single_returns=False) for objs, flag in todo]
    if len({(type(obj), obj.pk) for obj, _fields in then_update}) < len(then_update):
        # In one statement PostgreSQL would change such a row once only.
        raise ValueError("rows.insert_together: a row updated twice")
    updates = [_update_plan(obj, fields) for obj, fields in then_update]
    statements = len(plans) + len(updates)
    if not statements:
        return []
    connection = plans[0].connection if plans else updates[0][0]
    if (
        connection.vendor != "postgresql"
        or statements == 1
        or any(p.connection is not connection for p in plans)
        or any(u[0] is not connection for u in updates)
    ):
        for (objs, _flag), plan in zip(todo, plans, strict=True):
            with cursor(plan.connection) as c:
                c.execute(plan.sql, plan.params)
                returned = [value for (value,) in c.fetchall()] if plan.returning else []
            _inserted(plan, objs, returned)
        changed = []
        for update_connection, sql, params in updates:
            with cursor(update_connection) as c:
                c.execute(sql, params)
                changed.append(int(c.rowcount))
        return changed
    qn = connection.ops.quote_name
    parts = [f"g{i} AS ({plan.sql})" for i, plan in enumerate(plans)]
    parts += [f"u{j} AS ({sql} RETURNING 1)" for j, (_c, sql, _p) in enumerate(updates)]
    returned = []
    for i, plan in enumerate(plans):
        if plan.returning:
            pk = plan.model._meta.pk
            assert pk is not None and pk.column
            returned.append(f"SELECT {i} AS g, {qn(pk.column)}::bigint AS k FROM g{i}")  # noqa: S608
    # An update's count as a row of group -1 - j.
    returned += [f"SELECT {-1 - j}, count(*)::bigint FROM u{j}" for j in range(len(updates))]  # noqa: S608
    # The main query reads the groups' keys in group order (a group left unread still runs: PostgreSQL runs
    # every data-modifying WITH query exactly once).
    sql = f"WITH {', '.join(parts)} " + (
        " UNION ALL ".join(returned) if returned else "SELECT 0, 0 WHERE FALSE"
    )
    params = [value for plan in plans for value in plan.params]
    params += [value for _c, _sql, update_params in updates for value in update_params]
    with cursor(connection) as c:
        c.execute(sql, params)
        found = c.fetchall()
    keys: list[list[Any]] = [[] for _ in plans]
    counts = [0] * len(updates)
    for group, value in found:
        if group < 0:
            counts[-1 - group] = int(value)
        else:
            keys[group].append(value)
    for (objs, _flag), plan, group_keys in zip(todo, plans, keys, strict=True):
        _inserted(plan, objs, group_keys)
    return counts


class _Reader:
    def __init__(
        self,
        connection: BaseDatabaseWrapper,
        model: type[models.Model],
        where: Sequence[tuple[str, int | None]],
        order_by: Sequence[str],
        for_update: bool,
        related: Sequence[str],
    ) -> None:
        qn = connection.ops.quote_name
        meta = model._meta
        self.model = model
        # The base model, then each related path's model (a LEFT JOIN each: a null relation reads as None).
        # parts: (path, model, fields, names, alias, parent part index or -1, the relation's field).
        self.parts: list[tuple[str, type[models.Model], list[Any], list[str], str, int, Any]] = []
        base_fields = list(meta.concrete_fields)
        self.parts.append(("", model, base_fields, [f.attname for f in base_fields], "t0", -1, None))
        joins = []
        for path in related:
            parent_path, _, name = path.rpartition("__")
            parent = next(i for i, part in enumerate(self.parts) if part[0] == parent_path)
            relation = self.parts[parent][1]._meta.get_field(name)
            if not isinstance(relation, models.ForeignKey):  # OneToOneField is one
                raise ValueError(f"rows.select: {path} is not a forward foreign key")
            target = relation.related_model
            assert isinstance(target, type) and issubclass(target, models.Model)
            fields = list(target._meta.concrete_fields)
            alias = f"t{len(self.parts)}"
            self.parts.append((path, target, fields, [f.attname for f in fields], alias, parent, relation))
            joins.append(
                f" LEFT JOIN {qn(target._meta.db_table)} {alias} ON {alias}."
                f"{qn(relation.target_field.column)} = {self.parts[parent][4]}.{qn(relation.column)}"
            )
        columns = [f"{part[4]}.{qn(f.column)}" for part in self.parts for f in part[2]]
        conditions = []
        for name, many in where:
            where_column = "t0." + qn(column(model, name))
            if many is None:
                conditions.append(f"{where_column} = %s")
            else:
                conditions.append(f"{where_column} IN ({', '.join(['%s'] * many)})")
        order = []
        for name in order_by:
            descending = name.startswith("-")
            order_column = "t0." + qn(column(model, name.lstrip("-")))
            order.append(f"{order_column} DESC" if descending else order_column)
        lock = ""
        if for_update and connection.features.has_select_for_update:
            lock = " FOR UPDATE OF t0" if joins else " FOR UPDATE"
        self.sql = (
            f"SELECT {', '.join(columns)} FROM {qn(meta.db_table)} t0{''.join(joins)}"  # noqa: S608
            + (f" WHERE {' AND '.join(conditions)}" if conditions else "")
            + (f" ORDER BY {', '.join(order)}" if order else "")
            + lock
        )
        self.converters = []
        at = 0
        for part in self.parts:
            table = part[1]._meta.db_table
            for field in part[2]:
                col = field.get_col(table)
                found = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
                if found:
                    self.converters.append((at, col, found))
                at += 1

    def read(self, connection: BaseDatabaseWrapper, params: list[Any]) -> list[Any]:
        with cursor(connection) as c:
            c.execute(self.sql, params)
            rows = c.fetchall()
        objs = []
        for row in rows:
            values = list(row)
            for i, col, converters in self.converters:
                for converter in converters:
                    values[i] = converter(values[i], col, connection)
            made: list[Any] = []
            at = 0
            for _path, model, fields, names, _alias, parent, relation in self.parts:
                chunk = values[at : at + len(fields)]
                at += len(fields)
                obj = None
                if parent < 0 or chunk[0] is not None:  # the primary key comes first: None, no row
                    obj = model.from_db(connection.alias, names, chunk)
                if parent >= 0 and made[parent] is not None:
                    relation.set_cached_value(made[parent], obj)
                made.append(obj)
            objs.append(made[0])
        return objs


def select(
    model: type[M],
    where: Mapping[str, Any],
    *,
    order_by: Sequence[str] = (),
    for_update: bool = False,
    related: Sequence[str] = (),
) -> list[M]:
    """The instances whose fields equal `where`'s values (a list or tuple value: `IN`; an empty one
    matches nothing), in `order_by`'s order ("-name" descending), every concrete field loaded, as a
    queryset would give them. `related`: forward foreign keys to read in the same statement and cache on
    the instances, as `select_related` does ("procedure", "procedure__current_version"; a parent path
    before its children). `for_update`: the rows (of `model` only) are locked until the transaction ends
    (PostgreSQL; SQLite's writers queue on the whole database already)."""
    connection = _connection(model, write=for_update)
    shape: list[tuple[str, int | None]] = []
    params: list[Any] = []
    for name, value in where.items():
        if isinstance(value, list | tuple | set | frozenset):
            if not value:
                return []
            values = list(value)
            shape.append((name, len(values)))
            params.extend(values)
        elif value is None:
            raise ValueError(f"rows.select: {name} = None matches nothing (the ORM's isnull is not here)")
        else:
            shape.append((name, None))
            params.append(value)
    key = _key(connection, "select", model, tuple(shape), tuple(order_by), for_update, tuple(related))
    reader = _statements.get(key)
    if reader is None:
        reader = _statements[key] = _Reader(connection, model, shape, order_by, for_update, related)
    # Parameters through the fields' preparation, as a lookup would (dates and datetimes on SQLite).
    meta = model._meta
    prepared = []
    at = 0
    for name, many in shape:
        field = meta.get_field(name)
        assert isinstance(field, models.Field)
        target = field.target_field if field.is_relation else field  # type: ignore[attr-defined]
        for value in params[at : at + (many or 1)]:
            prepared.append(target.get_db_prep_value(value, connection, prepared=False))
        at += many or 1
    objs: list[M] = reader.read(connection, prepared)
    return objs


def _update_plan(obj: models.Model, fields: Sequence[str]) -> tuple[BaseDatabaseWrapper, str, list[Any]]:
    model = type(obj)
    connection = _connection(model, write=True)
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    if obj.pk is None:
        raise ValueError("rows.update: the instance has no primary key (not saved)")
    targets = [_field(model, name) for name in fields]
    key = _key(connection, "update", model, tuple(fields))
    sql = _statements.get(key)
    if sql is None:
        qn = connection.ops.quote_name
        sets = ", ".join(f"{qn(column(model, f.name))} = %s" for f in targets)
        sql = _statements[key] = f"UPDATE {qn(meta.db_table)} SET {sets} WHERE {qn(pk.column)} = %s"  # noqa: S608
    obj._prepare_related_fields_for_save(operation_name="rows.update", fields=targets)  # type: ignore[attr-defined]
    params = [prepare(obj, connection) for prepare in preparers(model, targets, connection, False)]
    params.append(pk.get_db_prep_value(obj.pk, connection))
    return connection, sql, params


def update(obj: models.Model, fields: Sequence[str]) -> int:
    """Write these fields of a saved instance (`save(update_fields=…)` without its signals): one UPDATE
    by primary key. Returns the number of rows changed (0: the row is gone)."""
    connection, sql, params = _update_plan(obj, fields)
    with cursor(connection) as c:
        c.execute(sql, params)
        return int(c.rowcount)
