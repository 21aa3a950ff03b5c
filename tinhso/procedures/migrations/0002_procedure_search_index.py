"""The full-text index of the procedure catalog search (tinhso/procedures/search.py).

Both databases index the same two folded columns, `name_folded` and `body_folded`, split into the same
words (runs of a-z and 0-9: the text is already folded to ASCII lower case, so diacritics and case play no
part), so that a word matches the same procedures on both:

- PostgreSQL: two `tsvector` columns, `search_name` and `search_body`, with GIN indexes, set by a
  trigger from `to_tsvector('simple', …)` of the folded columns (no stemming, no stop words; the
  `regexp_replace` first turns every non-word character into a space, so the default parser sees nothing
  but plain words and numbers, never a file path, a host name or a hyphenated word). The columns are not
  model fields: only search.py reads them, and Django never writes them. No extension is needed: the
  text is folded in Python before it is stored (no `unaccent`), and trigram similarity is not used
  (SQLite has no equivalent, and the results must be the same on both).
- SQLite: an FTS5 table over the same columns with external content (the index only, no copy of the
  text), kept in step by triggers on `procedures_procedure` — database triggers, not Django signals, so
  every write is covered: the importer, the admin, a bulk update, raw SQL. `detail=column` keeps what the
  search asks (which column holds a word) and drops word positions it never uses.

On SQLite a later migration that rebuilds `procedures_procedure` (SQLite alters a table by copying it)
drops the triggers with the old table: such a migration must call `install` again, which also rebuilds
the index. The functions take a connection, like the audit table's triggers (core 0003).
"""

from django.db import migrations

SQLITE_INSTALL = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS procedures_procedure_fts USING fts5(
        name_folded, body_folded,
        content='procedures_procedure', content_rowid='id',
        tokenize="unicode61 remove_diacritics 0", detail=column, prefix='2 3'
    )""",
    "DROP TRIGGER IF EXISTS procedures_procedure_fts_insert",
    """CREATE TRIGGER procedures_procedure_fts_insert AFTER INSERT ON procedures_procedure BEGIN
        INSERT INTO procedures_procedure_fts(rowid, name_folded, body_folded)
        VALUES (new.id, new.name_folded, new.body_folded);
    END""",
    "DROP TRIGGER IF EXISTS procedures_procedure_fts_delete",
    """CREATE TRIGGER procedures_procedure_fts_delete AFTER DELETE ON procedures_procedure BEGIN
        INSERT INTO procedures_procedure_fts(procedures_procedure_fts, rowid, name_folded, body_folded)
        VALUES ('delete', old.id, old.name_folded, old.body_folded);
    END""",
    "DROP TRIGGER IF EXISTS procedures_procedure_fts_update",
    """CREATE TRIGGER procedures_procedure_fts_update AFTER UPDATE OF name_folded, body_folded
    ON procedures_procedure BEGIN
        INSERT INTO procedures_procedure_fts(procedures_procedure_fts, rowid, name_folded, body_folded)
        VALUES ('delete', old.id, old.name_folded, old.body_folded);
        INSERT INTO procedures_procedure_fts(rowid, name_folded, body_folded)
        VALUES (new.id, new.name_folded, new.body_folded);
    END""",
    # Index the rows that are already there (and repair an index left behind by lost triggers).
    "INSERT INTO procedures_procedure_fts(procedures_procedure_fts) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS procedures_procedure_fts_insert",
    "DROP TRIGGER IF EXISTS procedures_procedure_fts_delete",
    "DROP TRIGGER IF EXISTS procedures_procedure_fts_update",
    "DROP TABLE IF EXISTS procedures_procedure_fts",
]

# Columns, not expression indexes: with an expression index, a plan that scans the table (the planner's
# choice for a word most procedures hold) recomputes the expression for every row, seconds for the bodies.
# Filled by a trigger rather than GENERATED ... STORED: PostgreSQL refuses to change the type of a column a
# generated column reads, and the folded columns' lengths may change; a trigger function does not pin them.
POSTGRESQL_INSTALL = [
    "ALTER TABLE procedures_procedure ADD COLUMN IF NOT EXISTS search_name tsvector",
    "ALTER TABLE procedures_procedure ADD COLUMN IF NOT EXISTS search_body tsvector",
    """CREATE OR REPLACE FUNCTION procedures_procedure_search_vectors() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_name := to_tsvector('simple'::regconfig, regexp_replace(NEW.name_folded, '[^a-z0-9]+', ' ', 'g'));
        NEW.search_body := to_tsvector('simple'::regconfig, regexp_replace(NEW.body_folded, '[^a-z0-9]+', ' ', 'g'));
        RETURN NEW;
    END
    $$""",
    "DROP TRIGGER IF EXISTS procedures_procedure_search_vectors ON procedures_procedure",
    """CREATE TRIGGER procedures_procedure_search_vectors
    BEFORE INSERT OR UPDATE OF name_folded, body_folded ON procedures_procedure
    FOR EACH ROW EXECUTE FUNCTION procedures_procedure_search_vectors()""",
    # Fill the rows that are already there (the trigger computes both columns).
    "UPDATE procedures_procedure SET name_folded = name_folded",
    "CREATE INDEX IF NOT EXISTS procedures_procedure_search_name ON procedures_procedure USING gin (search_name)",
    "CREATE INDEX IF NOT EXISTS procedures_procedure_search_body ON procedures_procedure USING gin (search_body)",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS procedures_procedure_search_vectors ON procedures_procedure",
    "DROP FUNCTION IF EXISTS procedures_procedure_search_vectors()",
    "ALTER TABLE procedures_procedure DROP COLUMN IF EXISTS search_name",
    "ALTER TABLE procedures_procedure DROP COLUMN IF EXISTS search_body",
]


def _run(connection, statements_by_vendor):
    statements = statements_by_vendor.get(connection.vendor)
    if statements is None:
        raise NotImplementedError(f"no procedure search index for the {connection.vendor} database")
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install(connection):
    _run(connection, {"sqlite": SQLITE_INSTALL, "postgresql": POSTGRESQL_INSTALL})


def drop(connection):
    _run(connection, {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP})


def forwards(apps, schema_editor):
    install(schema_editor.connection)


def backwards(apps, schema_editor):
    drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("procedures", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
