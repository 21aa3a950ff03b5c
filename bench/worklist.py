"""`worklist_due_soon`: a counter officer's worklist "due within 2 working days" on a million dossiers.

GET /api/dossiers?list=due_soon&page=1 with the bearer token of a counter officer of the ward that holds
the most dossiers in the database, the worst case among the province's communes: the answer is the first
page of that list and the size of every worklist (`selectors.worklist_counts`, one aggregate over the
ward's dossiers), as the counter's screen asks for it.

The data: DOSSIERS dossiers over the two years ending on the day they were generated, made by the product's
generator (`tinhso generate-dossiers`, COPY on PostgreSQL: every lifecycle as the transitions would have
left it, open ones included, some due soon and some overdue), then ANALYZE. Making them takes about ten
minutes here, so they live in a database of their own, `tinhso_bench_volume`, kept between runs: the
runner reuses it while the data's version (`data_version`: the generator's code, the count, the seed) is
the one recorded in it and it is at most a week old (open dossiers age: after a week fewer are due soon
and more overdue than on a real day), and recreates it otherwise or with `--fresh` / `BENCH_FRESH=1`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.load import Request
from bench.spec import Check, Outcome, Workload

DOSSIERS = 1_000_000
SEED = 4  # generate-dossiers --seed
MIN_WARD_DOSSIERS = 1_000
PATH = "/api/dossiers?list=due_soon&page=1"
ROOT = Path(__file__).resolve().parent.parent
# What the data depends on, besides the count and the seed: the generator and the dossiers' schema.
GENERATOR_FILES = ("tinhso/dossiers/volume.py", "tinhso/dossiers/management/commands/generate_dossiers.py")
MIGRATIONS = "tinhso/dossiers/migrations"


@dataclass(frozen=True)
class _Ward:
    token: str
    code: str
    name: str
    dossiers: int
    open: int
    due_soon: int


_STATE: dict[str, _Ward] = {}


def data_version() -> str:
    """The generator's code, the dossiers' migrations, the count and the seed, as one short hash."""
    digest = hashlib.sha256(f"{DOSSIERS}:{SEED}".encode())
    for name in GENERATOR_FILES:
        digest.update((ROOT / name).read_bytes())
    digest.update(",".join(sorted(p.name for p in (ROOT / MIGRATIONS).glob("*.py"))).encode())
    return f"generate-dossiers {DOSSIERS} --seed {SEED} @ {digest.hexdigest()[:12]}"


def setup() -> None:
    from django.db import connections
    from django.db.models import Count

    from bench.fixtures import analyze, bearer_token, catalog_ensure, official_ensure
    from tinhso.accounts.models import Agency, Role
    from tinhso.dossiers import selectors
    from tinhso.dossiers.models import Dossier

    catalog_ensure()
    have = Dossier.objects.count()
    if have < DOSSIERS:
        connections.close_all()  # the generator's processes have the database to themselves
        _generate(DOSSIERS - have)
        analyze()
    counts = (
        Dossier.objects.filter(agency__commune__isnull=False)
        .values("agency_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "agency_id")
    )
    largest = counts.first()
    if largest is None:
        raise RuntimeError("worklist_due_soon: no dossier at a commune")
    ward = Agency.objects.get(pk=largest["agency_id"])
    user = official_ensure(
        username=f"bench_worklist_{ward.code}",
        agency=ward,
        roles=[Role.COUNTER_OFFICER],
        full_name="Cán bộ một cửa (bench)",
    )
    lists = selectors.worklist_counts(user)
    open_ = Dossier.objects.filter(agency=ward, status__in=selectors.RUNNING).count()
    _STATE["ward"] = _Ward(
        token=bearer_token(user, "bench worklist"),
        code=ward.code,
        name=ward.name,
        dossiers=largest["n"],
        open=open_,
        due_soon=lists["due_soon"],
    )
    print(
        f"  worklist_due_soon: {max(have, DOSSIERS):,}+ dossiers; {ward.code} {ward.name}: "
        f"{largest['n']:,} dossiers, {open_} being processed, {lists['due_soon']} due soon, "
        f"{lists['overdue']} overdue",
        flush=True,
    )


def _generate(count: int) -> None:
    """`tinhso generate-dossiers` in its own process (it starts one worker per CPU), its progress shown."""
    command = [sys.executable, "manage.py", "generate_dossiers", str(count), "--seed", str(SEED)]
    print(f"  {' '.join(command[1:])} (about ten minutes) …", flush=True)
    process = subprocess.run(command, cwd=ROOT, env=dict(os.environ), check=False, text=True)
    if process.returncode != 0:
        raise RuntimeError(f"generate_dossiers failed (exit {process.returncode})")


def workload() -> Workload:
    ward = _STATE["ward"]
    request = Request(PATH, headers={"Authorization": f"Bearer {ward.token}"})
    return Workload(
        label=f"GET {PATH} (counter officer of {ward.code}, {ward.dossiers:,} dossiers)",
        requests=lambda client, n: request,
        preflight=[request],
        targets=[f"{PATH} as a counter officer of {ward.code} {ward.name}"],
    )


def check(outcome: Outcome) -> list[Check]:
    """Not what was measured but what it was measured on, recorded with the figures."""
    from tinhso.dossiers.models import Dossier

    ward = _STATE["ward"]
    total = Dossier.objects.count()
    return [
        Check("dossiers in database", total, f"≥ {DOSSIERS:,}", total >= DOSSIERS),
        Check(
            "ward's dossiers", ward.dossiers, f"≥ {MIN_WARD_DOSSIERS:,}", ward.dossiers >= MIN_WARD_DOSSIERS
        ),
        Check("ward's being processed", ward.open, "> 0", ward.open > 0),
        Check("ward's due soon", ward.due_soon, "> 0", ward.due_soon > 0),
    ]
