from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.accounts.api_auth import api_token_create
from tinhso.accounts.models import User


class Command(BaseCommand):
    help = "Tạo khóa API cho một tài khoản (hiển thị một lần) / Create an API token for a user (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("name", help="what the token is for, e.g. 'kiosk quầy 1'")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['username']!r}")
        _token, raw = api_token_create(user=user, name=options["name"], actor=None)
        self.stdout.write(raw)
