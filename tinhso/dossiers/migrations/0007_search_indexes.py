"""The indexes of the dossiers' search (`selectors.search`) at a province's scale: the applicant's ID number;
(agency, the name's search copy) with the order's columns included (PostgreSQL), which a search by name
within a unit reads alone (an index-only scan) instead of the unit's dossiers, one to a page across the
table; (submitted_at, id) with the unit and the copy included, which a search over many units reads newest
first, stopping at the first SEARCH_LIMIT of a common name; and on PostgreSQL the GIN index of the copy's
words (`models._NameWordsStart`), for a rarer name over many units. On PostgreSQL they are built with CREATE
INDEX CONCURRENTLY, outside a transaction (`atomic = False`): a province's million dossiers stay open to
writes meanwhile. An interrupted build leaves an invalid index: running the migration again drops it and
builds it anew, and keeps a valid one an earlier run built."""

from django.db import migrations, models
from django.db.migrations.operations import AddIndex
from django.db.migrations.operations.base import Operation


def _valid_or_dropped(cursor, name):
    """Drop the index `name` if an interrupted build left it invalid; whether a valid one is there."""
    cursor.execute(
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname = %s AND pg_table_is_visible(c.oid)",
        [name],
    )
    found = cursor.fetchone()
    if found is not None and not found[0]:
        cursor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')
        return False
    return found is not None


class AddIndexWithoutLock(AddIndex):
    """`AddIndex`, built CONCURRENTLY on PostgreSQL (the migration is not atomic); as usual elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            if not schema_editor.collect_sql:  # `sqlmigrate` prints the statement, and changes nothing
                with schema_editor.connection.cursor() as cursor:
                    if _valid_or_dropped(cursor, self.index.name):
                        return  # built by an earlier run of this migration, interrupted after it
            schema_editor.add_index(model, self.index, concurrently=True)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, concurrently=True)


WORDS = "dossier_name_words"
WORDS_SQL = (
    "CREATE INDEX CONCURRENTLY {name} ON {table} "
    "USING gin (to_tsvector('simple'::regconfig, applicant_name_folded))"
)


class AddWordsIndex(Operation):
    """PostgreSQL: the GIN index of the name's words (`models._NameWordsStart`), which a search by name
    over many units reads for a rare name. Not in the model's state: SQLite has no such index. Written
    through the schema editor, so that `sqlmigrate` prints it."""

    reversible = True

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        if not schema_editor.collect_sql:
            with schema_editor.connection.cursor() as cursor:
                if _valid_or_dropped(cursor, WORDS):
                    return
        table = schema_editor.quote_name(to_state.apps.get_model(app_label, "Dossier")._meta.db_table)
        schema_editor.execute(WORDS_SQL.format(name=WORDS, table=table))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {WORDS}")

    def describe(self):
        return "Create the GIN index of the applicants' names' words (PostgreSQL)"


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("dossiers", "0006_fill_applicant_name_folded")]

    operations = [
        AddIndexWithoutLock(
            model_name="dossier",
            index=models.Index(fields=["applicant_id_number"], name="dossier_applicant_id"),
        ),
        AddIndexWithoutLock(
            model_name="dossier",
            index=models.Index(
                fields=["agency", "applicant_name_folded"],
                include=["submitted_at", "id"],
                name="dossier_agency_name",
            ),
        ),
        AddIndexWithoutLock(
            model_name="dossier",
            index=models.Index(
                fields=["submitted_at", "id"],
                include=["agency", "applicant_name_folded"],
                name="dossier_newest_name",
            ),
        ),
        AddWordsIndex(),
    ]
