"""The applicant's name folded (core.text.fold_name) beside it, for the back office's search by name
without diacritics. The column alone: 0006 fills it, page by page, outside one long transaction."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0004_event_supplement_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="dossier",
            name="applicant_name_folded",
            field=models.CharField(blank=True, db_default="", default="", editable=False, max_length=200),
        ),
    ]
