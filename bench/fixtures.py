"""Data the benchmarks' setups share, made through the product's own commands and services.

Called in the runner with Django configured on the benchmark's database; Django is imported inside the
functions so that `bench.benchmarks` imports without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tinhso.accounts.models import Agency, User

_catalog_loaded: set[str] = set()


def database_name() -> str:
    from django.db import connection

    return str(connection.settings_dict["NAME"])


def analyze() -> None:
    """Statistics for the planner, as autovacuum would gather them after a bulk load."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def catalog_ensure() -> None:
    """The shipped catalog as `make run` loads it (1,853 procedures; the seed procedures bound to every
    commune with an internal process), once per database and run, then ANALYZE."""
    from django.core.management import call_command

    name = database_name()
    if name in _catalog_loaded:
        return
    call_command("load_catalog")
    analyze()
    _catalog_loaded.add(name)


def official_ensure(*, username: str, agency: Agency, roles: list[str], full_name: str) -> User:
    """An official of the agency with these roles, created through the accounts service the first time."""
    from tinhso.accounts import services
    from tinhso.accounts.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        user = services.user_create_official(
            username=username, password=None, full_name=full_name, agency=agency, roles=roles, actor=None
        )
    return user


def bearer_token(user: User, name: str) -> str:
    """A new API token for the user (`api_token_create`, as `tinhso create-api-token` makes them)."""
    from tinhso.accounts.api_auth import api_token_create

    _token, raw = api_token_create(user=user, name=name, actor=None)
    return raw
