from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tinhso.dossiers.demo import demo_dossiers_ensure


class Command(BaseCommand):
    help = "Create demo dossiers at the demo ward at every stage (development only). Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            made = demo_dossiers_ensure()
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        if not made:
            self.stdout.write("Demo dossiers: already there.")
            return
        self.stdout.write(f"Demo dossiers: {len(made)} created at {made[0].agency.name}:")
        for d in made:
            d.refresh_from_db()
            self.stdout.write(f"  {d.code}  {d.get_status_display()}")
