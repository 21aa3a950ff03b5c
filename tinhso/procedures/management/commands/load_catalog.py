from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tinhso.procedures import services
from tinhso.procedures.seed import seed_bindings


class Command(BaseCommand):
    help = "Load the shipped normalized catalog and bind the seed procedures to the commune committees."

    def handle(self, *args: Any, **options: Any) -> None:
        outcomes = services.catalog_load(services.catalog_read())
        total = sum(outcomes.values())
        self.stdout.write(
            f"Catalog: {total} procedures (created {outcomes['created']}, updated {outcomes['updated']}, "
            f"unchanged {outcomes['unchanged']})."
        )
        s = seed_bindings()
        self.stdout.write(
            f"Seed bindings: {s.bindings_created} created, {s.processes_created} internal processes created, "
            f"{s.corrected} seed procedures given their legal time (a catalog correction)."
        )
        for code in s.missing_procedures or []:
            self.stderr.write(f"  seed procedure {code} is not in the catalog")
        for code in s.without_legal_time or []:
            self.stderr.write(f"  seed procedure {code} has no readable legal time: no demo process")
