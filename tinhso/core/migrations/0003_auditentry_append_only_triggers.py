"""Database triggers that refuse UPDATE and DELETE on the audit table.

The model and its QuerySet already refuse both; these stop raw SQL, a database console or another program
sharing the database. Someone with DDL rights can still drop them, which is why the hash chain exists.

On SQLite, a later migration that rebuilds `core_auditentry` (SQLite alters a table by copying it) drops
these triggers with the old table: such a migration must call `install_triggers` again.

The functions take a connection, not a schema editor, so tests can drop and restore the triggers inside a
transaction (SQLite's schema editor refuses to run inside one).
"""

from django.db import migrations

from tinhso.core.vendor_sql import run_for_vendor

MESSAGE = "core_auditentry is append-only"

SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS core_auditentry_no_update BEFORE UPDATE ON core_auditentry
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE refused'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS core_auditentry_no_delete BEFORE DELETE ON core_auditentry
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE refused'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS core_auditentry_no_update",
    "DROP TRIGGER IF EXISTS core_auditentry_no_delete",
]

# ERRCODE restrict_violation (23001) so that Django raises IntegrityError, as it does for SQLite's
# RAISE(ABORT); no `%` in the body, which a driver could take for a parameter.
POSTGRESQL_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION USING MESSAGE = '{MESSAGE}: ' || TG_OP || ' refused', ERRCODE = 'restrict_violation';
    END
    $$""",
    "DROP TRIGGER IF EXISTS core_auditentry_no_update ON core_auditentry",
    """CREATE TRIGGER core_auditentry_no_update BEFORE UPDATE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION core_auditentry_append_only()""",
    "DROP TRIGGER IF EXISTS core_auditentry_no_delete ON core_auditentry",
    """CREATE TRIGGER core_auditentry_no_delete BEFORE DELETE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION core_auditentry_append_only()""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS core_auditentry_no_update ON core_auditentry",
    "DROP TRIGGER IF EXISTS core_auditentry_no_delete ON core_auditentry",
    "DROP FUNCTION IF EXISTS core_auditentry_append_only()",
]



def install_triggers(connection):
    run_for_vendor(connection, {"sqlite": SQLITE_INSTALL, "postgresql": POSTGRESQL_INSTALL}, what="append-only triggers")


def drop_triggers(connection):
    run_for_vendor(connection, {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}, what="append-only triggers")


def forwards(apps, schema_editor):
    install_triggers(schema_editor.connection)


def backwards(apps, schema_editor):
    drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_chain_genesis")]

    operations = [migrations.RunPython(forwards, backwards)]
