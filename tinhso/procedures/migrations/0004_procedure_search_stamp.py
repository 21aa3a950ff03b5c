"""The catalog's stamp: a token that changes with every write the procedure search depends on.

`procedures_search_stamp` holds one row; database triggers give it a new random token whenever a row of
procedures, fields, bindings or agencies is inserted, updated or deleted (and when one of them is
truncated, on PostgreSQL). The search caches its results under the token (tinhso/procedures/search.py),
so a cached result is never served once the catalog changed, in any process. A random token, not a
counter: a rolled-back transaction restores the old token, and a counter would then hand the same value
to the next, different, change.

Triggers, not Django signals: they see every write (the importer, the admin, bulk updates, raw SQL).
SQLite's fire per row, PostgreSQL's once per statement. The one row is a hot spot for concurrent writers
of the catalog, who queue on it until they commit: writes to the catalog are rare (imports, an official's
correction), reads are many.

On SQLite a later migration that rebuilds one of these tables (SQLite alters a table by copying it) drops
its triggers with the old table: such a migration must call `install` again.
"""

from django.db import migrations

from tinhso.core.vendor_sql import run_for_vendor

TABLES = [
    "procedures_procedure",
    "procedures_procedurefield",
    "procedures_procedurebinding",
    "accounts_agency",  # codes and names shown in the agency facet
]

SQLITE_INSTALL = [
    "CREATE TABLE IF NOT EXISTS procedures_search_stamp "
    "(id INTEGER PRIMARY KEY CHECK (id = 1), token INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO procedures_search_stamp (id, token) VALUES (1, random())",
] + [
    statement
    for table in TABLES
    for operation in ("insert", "update", "delete")
    for statement in (
        f"DROP TRIGGER IF EXISTS procedures_search_stamp_{table}_{operation}",
        f"""CREATE TRIGGER procedures_search_stamp_{table}_{operation} AFTER {operation.upper()} ON {table}
        BEGIN UPDATE procedures_search_stamp SET token = random() WHERE id = 1; END""",
    )
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS procedures_search_stamp_{table}_{operation}"
    for table in TABLES
    for operation in ("insert", "update", "delete")
] + ["DROP TABLE IF EXISTS procedures_search_stamp"]

POSTGRESQL_TOKEN = "floor(random() * 9007199254740991)::bigint"
POSTGRESQL_INSTALL = [
    "CREATE TABLE IF NOT EXISTS procedures_search_stamp "
    "(id smallint PRIMARY KEY CHECK (id = 1), token bigint NOT NULL)",
    f"INSERT INTO procedures_search_stamp (id, token) VALUES (1, {POSTGRESQL_TOKEN}) ON CONFLICT DO NOTHING",
    f"""CREATE OR REPLACE FUNCTION procedures_search_stamp_renew() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE procedures_search_stamp SET token = {POSTGRESQL_TOKEN} WHERE id = 1;
        RETURN NULL;
    END
    $$""",
] + [
    statement
    for table in TABLES
    for statement in (
        f"DROP TRIGGER IF EXISTS procedures_search_stamp ON {table}",
        f"""CREATE TRIGGER procedures_search_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION procedures_search_stamp_renew()""",
    )
]
POSTGRESQL_DROP = [f"DROP TRIGGER IF EXISTS procedures_search_stamp ON {table}" for table in TABLES] + [
    "DROP FUNCTION IF EXISTS procedures_search_stamp_renew()",
    "DROP TABLE IF EXISTS procedures_search_stamp",
]



def install(connection):
    run_for_vendor(connection, {"sqlite": SQLITE_INSTALL, "postgresql": POSTGRESQL_INSTALL}, what="procedure search stamp")


def drop(connection):
    run_for_vendor(connection, {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}, what="procedure search stamp")


def forwards(apps, schema_editor):
    install(schema_editor.connection)


def backwards(apps, schema_editor):
    drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0003_channel_rows_currency_copies"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
