"""Fill `applicant_name_folded` for the dossiers written before 0005, by pages of keys, each page in a
transaction of its own (`atomic = False`): the table is never locked for the whole fill, and an interrupted
fill resumes where it stopped — it picks up only rows whose copy is still empty (so a dossier written by a
server still running the previous code during a deploy is filled by running it again: `migrate dossiers
0005` then `migrate`). On PostgreSQL each page is one UPDATE … FROM (VALUES …)."""

from django.db import migrations, transaction

PAGE = 5000


def fill(apps, schema_editor):
    from tinhso.core.text import fold_name

    Dossier = apps.get_model("dossiers", "Dossier")
    connection = schema_editor.connection
    manager = Dossier.objects.using(connection.alias)
    table = connection.ops.quote_name(Dossier._meta.db_table)
    last = 0
    while True:
        page = list(
            manager.filter(pk__gt=last, applicant_name_folded="")
            .exclude(applicant_name="")
            .order_by("pk")
            .values_list("pk", "applicant_name")[:PAGE]
        )
        if not page:
            return
        with transaction.atomic(using=connection.alias):
            if connection.vendor == "postgresql":
                values = ", ".join(["(%s, %s)"] * len(page))
                params = [v for pk, name in page for v in (pk, fold_name(name))]
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"UPDATE {table} AS d SET applicant_name_folded = v.folded "  # noqa: S608
                        f"FROM (VALUES {values}) AS v(id, folded) WHERE d.id = v.id::bigint "
                        "AND d.applicant_name_folded = ''",
                        params,
                    )
            else:  # SQLite: the page's rows still empty (a name changed meanwhile has its own copy)
                still = set(
                    manager.filter(pk__in=[pk for pk, _ in page], applicant_name_folded="").values_list(
                        "pk", flat=True
                    )
                )
                manager.bulk_update(
                    [Dossier(pk=pk, applicant_name_folded=fold_name(name)) for pk, name in page if pk in still],
                    ["applicant_name_folded"],
                )
        last = page[-1][0]


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("dossiers", "0005_applicant_name_folded"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
