from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tinhso.accounts.services import reference_data_load


class Command(BaseCommand):
    help = "Load provinces, communes, the old→new commune table, the agency tree and roles. Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        s = reference_data_load()
        self.stdout.write(
            f"Reference data: {s.provinces} provinces, {s.communes} communes, "
            f"{s.former_communes} former-commune rows, agencies created {s.agencies_created}, "
            f"updated {s.agencies_updated}, {s.roles} roles."
        )
