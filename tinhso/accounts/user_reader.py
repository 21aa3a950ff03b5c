"""A user with their agency and their roles, in one statement written out once per database.

Every request of an official reads the three (the session's user, or an API token's): one row per role,
one row with no role for a user without any, turned into model instances with the fields' own database
converters — what the ORM's `select_related` gives, without compiling the query again for every request
(it was two thirds of a kept worklist page's time). By primary key (`IdentifierBackend.get_user`) or by an
API token's hash (`api_auth.TokenAuth`, which also reads the token's id and last use).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from tinhso.accounts.models import Agency, ApiToken, User
from tinhso.core.rows import cursor as prepared_cursor


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column, name
    return field.column


class UserReader:
    def __init__(self, connection: BaseDatabaseWrapper, *, by_token: bool) -> None:
        qn = connection.ops.quote_name
        self.user_fields = list(User._meta.concrete_fields)
        self.agency_fields = list(Agency._meta.concrete_fields)
        self.user_names = [f.attname for f in self.user_fields]
        self.agency_names = [f.attname for f in self.agency_fields]
        token_table, user_table = ApiToken._meta.db_table, User._meta.db_table
        agency_table, group_table = Agency._meta.db_table, Group._meta.db_table
        through = User.groups.through._meta
        fields: list[tuple[Any, str]] = []
        columns: list[str] = []
        if by_token:
            fields += [(ApiToken._meta.get_field(name), token_table) for name in ("id", "last_used_at")]
            columns += [f"t.{qn(field.column)}" for field, _table in fields]
        self.extra = len(columns)
        fields += [(f, user_table) for f in self.user_fields]
        fields += [(f, agency_table) for f in self.agency_fields]
        columns += [f"u.{qn(f.column)}" for f in self.user_fields]
        columns += [f"a.{qn(f.column)}" for f in self.agency_fields]
        columns.append(f"g.{qn(Group._meta.get_field('name').column)}")
        user_fk, group_fk = through.get_field("user").column, through.get_field("group").column
        token_meta, user_pk = ApiToken._meta, qn(User._meta.pk.column)
        agency_pk, group_pk = qn(Agency._meta.pk.column), qn(Group._meta.pk.column)
        user_agency = qn(User._meta.get_field("agency").column)
        if by_token:
            token_user = qn(token_meta.get_field("user").column)
            source = f"{qn(token_table)} t JOIN {qn(user_table)} u ON u.{user_pk} = t.{token_user}"
            key_hash, revoked_at = qn(_column(ApiToken, "key_hash")), qn(_column(ApiToken, "revoked_at"))
            where = f"t.{key_hash} = %s AND t.{revoked_at} IS NULL"
        else:
            source = f"{qn(user_table)} u"
            where = f"u.{user_pk} = %s"
        # Table and column names from the models; the one value (a hash or a primary key) is a parameter.
        self.sql = (
            f"SELECT {', '.join(columns)} FROM {source} "  # noqa: S608
            f"LEFT JOIN {qn(agency_table)} a ON a.{agency_pk} = u.{user_agency} "
            f"LEFT JOIN {qn(through.db_table)} ug ON ug.{qn(user_fk)} = u.{user_pk} "
            f"LEFT JOIN {qn(group_table)} g ON g.{group_pk} = ug.{qn(group_fk)} "
            f"WHERE {where}"
        )
        # Per column: the converters the ORM would apply (SQLite's datetimes and booleans, JSON, …).
        self.converters = []
        for i, (field, table) in enumerate(fields):
            col = field.get_col(table)
            found = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
            if found:
                self.converters.append((i, col, found))

    def read(self, connection: BaseDatabaseWrapper, value: Any) -> tuple[tuple[Any, ...], User] | None:
        """(the token's id and last use, or nothing), the user — or None when no row matches."""
        with prepared_cursor(connection) as cursor:  # prepared once per connection on PostgreSQL
            cursor.execute(self.sql, [value])
            rows = cursor.fetchall()
        if not rows:
            return None
        first = list(rows[0])
        for i, col, converters in self.converters:
            for converter in converters:
                first[i] = converter(first[i], col, connection)
        at = self.extra
        user = User.from_db(connection.alias, self.user_names, first[at : at + len(self.user_fields)])
        at += len(self.user_fields)
        agency_values = first[at : at + len(self.agency_fields)]
        agency = None
        if agency_values[0] is not None:
            agency = Agency.from_db(connection.alias, self.agency_names, agency_values)
        User.agency.field.set_cached_value(user, agency)
        user._roles_cache = frozenset(row[-1] for row in rows if row[-1] is not None)
        return tuple(first[: self.extra]), user


_readers: dict[tuple[str, str, bool], UserReader] = {}


def user_reader(connection: BaseDatabaseWrapper, *, by_token: bool) -> UserReader:
    """The reader of this database connection (built once per process and database)."""
    key = (connection.alias, connection.vendor, by_token)
    reader = _readers.get(key)
    if reader is None:
        reader = _readers[key] = UserReader(connection, by_token=by_token)
    return reader
