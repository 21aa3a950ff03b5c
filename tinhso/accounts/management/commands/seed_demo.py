from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tinhso.accounts.demo import DEMO_PASSWORD, demo_accounts_ensure
from tinhso.accounts.models import Role


class Command(BaseCommand):
    help = "Create one demo account per role (development only). Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            accounts = demo_accounts_ensure()
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for acc, created in accounts:
            label = Role(acc.role).label
            self.stdout.write(f"  {acc.username:<12} {label}{'' if created else ' (already there)'}")
