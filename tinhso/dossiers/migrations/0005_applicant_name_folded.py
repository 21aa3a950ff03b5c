"""The applicant's name folded (core.text.fold) beside it, for the back office's search by name without
diacritics; filled for the dossiers already there."""

from django.db import migrations, models

BATCH = 2000


def fill(apps, schema_editor):
    from tinhso.core.text import fold

    Dossier = apps.get_model("dossiers", "Dossier")
    manager = Dossier.objects.using(schema_editor.connection.alias)
    last = 0
    while True:  # by pages of keys: no cursor held open over the rows being written
        page = list(manager.filter(pk__gt=last).order_by("pk").values_list("pk", "applicant_name")[:BATCH])
        if not page:
            return
        manager.bulk_update(
            [Dossier(pk=pk, applicant_name_folded=fold(name)) for pk, name in page], ["applicant_name_folded"]
        )
        last = page[-1][0]


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0004_event_supplement_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="dossier",
            name="applicant_name_folded",
            field=models.CharField(blank=True, default="", editable=False, max_length=200),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
