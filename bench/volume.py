"""The million generated dossiers that the volume benchmarks share, in a database of their own.

DOSSIERS dossiers over the two years ending on the day they were generated, made by the product's generator
(`tinhso generate-dossiers`, COPY on PostgreSQL: every lifecycle as the transitions would have left it, open
ones included, some due soon and some overdue), then ANALYZE. Making them takes 4–13 minutes here, so they
live in `tinhso_bench_volume`, kept between runs: the runner reuses it while the data's version
(`data_version`: the generator's code, the dossiers' migrations, the count, the seed) is the one recorded in
it and it is at most a week old (open dossiers age: after a week fewer are due soon and more overdue than on
a real day), and recreates it otherwise or with `--fresh` / `BENCH_FRESH=1`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from bench.spec import Database

DOSSIERS = 1_000_000
SEED = 4  # generate-dossiers --seed
ROOT = Path(__file__).resolve().parent.parent
# What the data depends on, besides the count and the seed: the generator and the dossiers' schema.
GENERATOR_FILES = (
    "tinhso/dossiers/volume.py",
    "tinhso/dossiers/management/commands/generate_dossiers.py",
    "tinhso/core/text.py",  # the names' search copy (fold_name)
)
MIGRATIONS = "tinhso/dossiers/migrations"


def data_version() -> str:
    """The generator's code, the dossiers' migrations, the count and the seed, as one short hash."""
    digest = hashlib.sha256(f"{DOSSIERS}:{SEED}".encode())
    for name in GENERATOR_FILES:
        digest.update((ROOT / name).read_bytes())
    digest.update(",".join(sorted(p.name for p in (ROOT / MIGRATIONS).glob("*.py"))).encode())
    return f"generate-dossiers {DOSSIERS} --seed {SEED} @ {digest.hexdigest()[:12]}"


DATABASE = Database(name="tinhso_bench_volume", version=data_version)


def ensure() -> int:
    """The catalog and at least DOSSIERS dossiers in the database (generated when missing); their count."""
    from django.db import connections

    from bench.fixtures import analyze, catalog_ensure
    from tinhso.dossiers.models import Dossier

    catalog_ensure()
    have = Dossier.objects.count()
    if have < DOSSIERS:
        connections.close_all()  # the generator's processes have the database to themselves
        _generate(DOSSIERS - have)
        analyze()
    return max(have, DOSSIERS)


def _generate(count: int) -> None:
    from bench.fixtures import dossiers_generate

    dossiers_generate(count, seed=SEED, note=" (about ten minutes)")
