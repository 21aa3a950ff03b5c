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

from collections.abc import Mapping, Sequence
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


def _prepared_cursor_class() -> Any:
    global _prepared_class
    if _prepared_class is None:
        import psycopg

        class PreparedCursor(psycopg.Cursor[Any]):
            """Server-side binding, every statement prepared on first use and kept by the connection."""

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
    for obj in objs:
        # A relation to an instance saved since it was set (a step's dossier, inserted just before) takes
        # its key now; one to an unsaved instance is refused — as `bulk_create` does.
        obj._prepare_related_fields_for_save(operation_name="rows.insert")  # type: ignore[attr-defined]
        for field in fields:
            params.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
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


def insert_together(*groups: Sequence[models.Model], skip_conflicts: Sequence[bool] = ()) -> None:
    """Several groups of unsaved instances, each of one model, each written as `insert` writes it — on
    PostgreSQL in one statement (each group's INSERT a data-modifying WITH query; one round trip instead of
    one per group), elsewhere one statement per group. `skip_conflicts[i]`: group i skips rows that clash
    with a unique constraint (no keys are set for it). Every group sees the database as it was before the
    statement: a group must not refer to another group's new rows (a foreign key to a row inserted
    earlier is fine). Keys are integers (every model here has one)."""
    flags = list(skip_conflicts) + [False] * (len(groups) - len(skip_conflicts))
    todo = [(objs, flag) for objs, flag in zip(groups, flags, strict=True) if objs]
    if not todo:
        return
    plans = [_insert_plan(objs, flag, (), single_returns=False) for objs, flag in todo]
    connection = plans[0].connection
    if (
        connection.vendor != "postgresql"
        or len(plans) == 1
        or any(p.connection is not connection for p in plans)
    ):
        for (objs, _flag), plan in zip(todo, plans, strict=True):
            with cursor(plan.connection) as c:
                c.execute(plan.sql, plan.params)
                returned = [value for (value,) in c.fetchall()] if plan.returning else []
            _inserted(plan, objs, returned)
        return
    qn = connection.ops.quote_name
    parts = [f"g{i} AS ({plan.sql})" for i, plan in enumerate(plans)]
    returned = []
    for i, plan in enumerate(plans):
        if plan.returning:
            pk = plan.model._meta.pk
            assert pk is not None and pk.column
            returned.append(f"SELECT {i} AS g, {qn(pk.column)}::bigint AS k FROM g{i}")  # noqa: S608
    # The main query reads the groups' keys in group order (a group left unread still runs: PostgreSQL runs
    # every data-modifying WITH query exactly once).
    sql = f"WITH {', '.join(parts)} " + (
        " UNION ALL ".join(returned) if returned else "SELECT 0, 0 WHERE FALSE"
    )
    params = [value for plan in plans for value in plan.params]
    with cursor(connection) as c:
        c.execute(sql, params)
        found = c.fetchall()
    keys: list[list[Any]] = [[] for _ in plans]
    for group, value in found:
        keys[group].append(value)
    for (objs, _flag), plan, group_keys in zip(todo, plans, keys, strict=True):
        _inserted(plan, objs, group_keys)


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


def update(obj: models.Model, fields: Sequence[str]) -> int:
    """Write these fields of a saved instance (`save(update_fields=…)` without its signals): one UPDATE
    by primary key. Returns the number of rows changed (0: the row is gone)."""
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
    params = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in targets]
    params.append(pk.get_db_prep_value(obj.pk, connection))
    with cursor(connection) as c:
        c.execute(sql, params)
        return int(c.rowcount)
