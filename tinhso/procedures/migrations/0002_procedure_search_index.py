"""The full-text index of the procedure catalog search (tinhso/procedures/search.py).

The search asks the database one thing: which procedures hold a word (or a word starting with some
letters) in their name or their body. Both databases answer it from a side index kept in step with
`procedures_procedure` by database triggers — not Django signals, so every write is covered: the importer,
the admin, a bulk update, raw SQL — over the same text split into the same words: runs of a-z and 0-9 of
the folded columns `name_folded` and `body_folded` (already ASCII lower case, so diacritics and case play
no part). The side indexes are not models: only search.py reads them, and Django never writes them.

- SQLite: an FTS5 table with external content (the index only, no copy of the text). `detail=none`: the
  search never asks which column or where in it a word stands (names are ranked in Python), so the index
  keeps only which rows hold a word; prefix indexes of 2 and 3 letters for as-you-type queries.
- PostgreSQL: a narrow table of one `tsvector` per procedure (name and body together), with a GIN index.
  `to_tsvector('simple', …)`: no stemming, no stop words; `regexp_replace` first turns every non-word
  character into a space, so the parser sees nothing but plain words and numbers (never a file path, a
  host name or a hyphenated word, which it would keep whole). `strip` drops the word positions the search
  does not use, which keeps the vector small enough to stay in the row uncompressed (`toast_tuple_target`):
  a scan testing a word against every procedure then costs microseconds per row, where a vector
  compressed or moved out of the row (as a column of `procedures_procedure` would be, beside the body)
  costs a decompression each time and made a common word's scan take seconds. No foreign key, so that
  Django's TRUNCATE of `procedures_procedure` (the test database's flush) goes through; a statement
  trigger empties the index with it. No extension is needed: the text is folded in Python before it is
  stored (no `unaccent`), and trigram similarity is not used (SQLite has no equivalent, and the results
  must be the same on both).

On SQLite a later migration that rebuilds `procedures_procedure` (SQLite alters a table by copying it)
drops the triggers with the old table: such a migration must call `install` again, which also rebuilds
the index. The functions take a connection, like the audit table's triggers (core 0003).
"""

from django.db import migrations

from tinhso.core.vendor_sql import run_for_vendor

SQLITE_INSTALL = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS procedures_procedure_fts USING fts5(
        name_folded, body_folded,
        content='procedures_procedure', content_rowid='id',
        tokenize="unicode61 remove_diacritics 0", detail=none, prefix='2 3'
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

POSTGRESQL_WORDS = (
    "strip(to_tsvector('simple'::regconfig, "
    "regexp_replace({row}.name_folded || ' ' || {row}.body_folded, '[^a-z0-9]+', ' ', 'g')))"
)
POSTGRESQL_INSTALL = [
    """CREATE TABLE IF NOT EXISTS procedures_procedure_search (
        id bigint PRIMARY KEY,
        words tsvector NOT NULL
    ) WITH (toast_tuple_target = 8160)""",
    "CREATE INDEX IF NOT EXISTS procedures_procedure_search_words ON procedures_procedure_search USING gin (words)",
    f"""CREATE OR REPLACE FUNCTION procedures_procedure_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM procedures_procedure_search WHERE id = OLD.id;
            RETURN OLD;
        END IF;
        INSERT INTO procedures_procedure_search (id, words) VALUES (NEW.id, {POSTGRESQL_WORDS.format(row="NEW")})
        ON CONFLICT (id) DO UPDATE SET words = EXCLUDED.words;
        RETURN NEW;
    END
    $$""",
    """CREATE OR REPLACE FUNCTION procedures_procedure_search_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE procedures_procedure_search;
        RETURN NULL;
    END
    $$""",
    "DROP TRIGGER IF EXISTS procedures_procedure_search_sync ON procedures_procedure",
    """CREATE TRIGGER procedures_procedure_search_sync
    AFTER INSERT OR UPDATE OF name_folded, body_folded OR DELETE ON procedures_procedure
    FOR EACH ROW EXECUTE FUNCTION procedures_procedure_search_sync()""",
    "DROP TRIGGER IF EXISTS procedures_procedure_search_truncate ON procedures_procedure",
    """CREATE TRIGGER procedures_procedure_search_truncate AFTER TRUNCATE ON procedures_procedure
    FOR EACH STATEMENT EXECUTE FUNCTION procedures_procedure_search_truncate()""",
    # Index the rows that are already there (and repair an index that missed some).
    "DELETE FROM procedures_procedure_search",
    f"""INSERT INTO procedures_procedure_search (id, words)
    SELECT p.id, {POSTGRESQL_WORDS.format(row="p")} FROM procedures_procedure p""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS procedures_procedure_search_sync ON procedures_procedure",
    "DROP TRIGGER IF EXISTS procedures_procedure_search_truncate ON procedures_procedure",
    "DROP FUNCTION IF EXISTS procedures_procedure_search_sync()",
    "DROP FUNCTION IF EXISTS procedures_procedure_search_truncate()",
    "DROP TABLE IF EXISTS procedures_procedure_search",
]



def install(connection):
    run_for_vendor(connection, {"sqlite": SQLITE_INSTALL, "postgresql": POSTGRESQL_INSTALL}, what="procedure search index")


def drop(connection):
    run_for_vendor(connection, {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}, what="procedure search index")


def forwards(apps, schema_editor):
    install(schema_editor.connection)


def backwards(apps, schema_editor):
    drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("procedures", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
