"""Data the benchmarks' setups share, made through the product's own commands and services.

Called in the runner with Django configured on the benchmark's database; Django is imported inside the
functions so that `bench.benchmarks` imports without it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tinhso.accounts.models import Agency, User

ROOT = Path(__file__).resolve().parent.parent
_catalog_loaded: set[str] = set()


def database_name() -> str:
    from django.db import connection

    return str(connection.settings_dict["NAME"])


def analyze() -> None:
    """What autovacuum does after a bulk load (since PostgreSQL 13 also for inserts alone): statistics for
    the planner, and the visibility map, without which an index-only scan reads the rows anyway. These
    machines' PostgreSQL runs with autovacuum off (bench/README.md)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


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


def history_ensure(count: int, *, seed: int) -> int:
    """At least `count` dossiers in the database, as a province's database holds its past ones: generated
    when missing (`tinhso generate-dossiers`, two years ending today, at every bound commune), then
    ANALYZE. Returns how many it holds.

    Why a benchmark that writes needs them: on an empty table the planner picks a sequential scan for
    the foreign-key checks of the rows pointing at it (a dossier's papers, steps, events, fee request and
    idempotency record each check their dossier), and each connection keeps those plans until the
    table's statistics change. In production autovacuum's ANALYZE changes them as the table grows; on
    these machines autovacuum is off (`/etc/postgresql/*/main/conf.d/90-ci.conf`), so connections opened
    on the empty tables scanned every dossier written so far, eight times a reception (measured:
    6,250,000 rows read for 1,250 receptions), and the first target round of `dossier_intake` was the
    slow one (bench/README.md)."""
    from django.db import connections

    from tinhso.dossiers.models import Dossier

    have = Dossier.objects.count()
    if have < count:
        connections.close_all()  # the generator's processes have the database to themselves
        dossiers_generate(count - have, seed=seed)
        have = Dossier.objects.count()
        analyze()
    return have


def dossiers_generate(count: int, *, seed: int, note: str = "") -> None:
    """`tinhso generate-dossiers` in its own process (it starts one worker per CPU), its progress shown."""
    command = [sys.executable, "manage.py", "generate_dossiers", str(count), "--seed", str(seed)]
    print(f"  {' '.join(command[1:])}{note} …", flush=True)
    process = subprocess.run(command, cwd=ROOT, env=dict(os.environ), check=False, text=True)
    if process.returncode != 0:
        raise RuntimeError(f"generate_dossiers failed (exit {process.returncode})")


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
