"""The registry of benchmarks. To add one, append a `Benchmark` to BENCHMARKS (see bench/README.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True)
class Benchmark:
    """One endpoint (or a rotation of URLs of it) measured against a baseline in the same run.

    `paths` are GET paths with their query strings, driven in rotation; or a function returning them, called
    after `setup`, for paths that name rows `setup` created. `setup`, if given, runs once in the runner with
    Django configured on the bench database (production settings, reference data loaded), before the server
    starts: import models inside it, not at the top of this module.
    """

    name: str
    description: str
    paths: Sequence[str] | Callable[[], Sequence[str]]
    baseline_path: str = "/health"
    setup: Callable[[], None] | None = None

    def resolve_paths(self) -> list[str]:
        paths = list(self.paths() if callable(self.paths) else self.paths)
        if not paths or not all(path.startswith("/") for path in paths):
            raise ValueError(f"benchmark {self.name}: paths must be a non-empty list of absolute paths")
        return paths


# What people type in the agency search box: without diacritics (most phones, old keyboards) and with them,
# whole names, fragments and the common words that match many agencies.
AGENCY_QUERIES = ["tuyen quang", "Hà Giang", "xa yen", "phuong", "tu phap", "ủy ban"]

# The procedure search's examples from its issue (whole and partial names, with and without diacritics, a
# national code), and a common word that matches hundreds of procedures.
PROCEDURE_QUERIES = [
    "dang ky khai sinh",
    "khai sinh",
    "đăng ký tạm trú",
    "tam tru",
    "1.001193",
    "cap ban sao giay khai sinh",
    "thue",
]


def procedure_catalog_setup() -> None:
    """The shipped catalog, as `make run` loads it (1,853 procedures, the seed bindings); statistics for the
    planner, as autovacuum would gather them; then the relevance figures (bench/relevance.py) on it."""
    from django.core.management import call_command
    from django.db import connection

    from bench import relevance

    call_command("load_catalog")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    relevance.run()


BENCHMARKS: list[Benchmark] = [
    Benchmark(
        name="agency_search",
        description="agency search, accent-insensitive, first page",
        paths=[f"/api/agencies?{urlencode({'q': query})}" for query in AGENCY_QUERIES],
    ),
    Benchmark(
        name="procedure_search",
        description="procedure catalog search: ranked, with facets, first page",
        paths=[f"/api/procedures?{urlencode({'q': query})}" for query in PROCEDURE_QUERIES],
        setup=procedure_catalog_setup,
    ),
]


def by_name() -> dict[str, Benchmark]:
    registry = {benchmark.name: benchmark for benchmark in BENCHMARKS}
    if len(registry) != len(BENCHMARKS):
        raise ValueError("two benchmarks share a name")
    return registry
