"""The registry of benchmarks. To add one, append to BENCHMARKS (see bench/README.md)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from bench import dashboard, due_time, intake, intake_cost, reports, search, signing, volume, worklist
from bench.spec import DEFAULT_DATABASE, Benchmark, CpuBenchmark

__all__ = ["BENCHMARKS", "Benchmark", "CpuBenchmark", "by_name"]


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
    from bench import relevance
    from bench.fixtures import catalog_ensure

    catalog_ensure()
    relevance.run()


def _intake(
    name: str, description: str, *, one_ward: bool, after: int = 0, portal: bool = False
) -> Benchmark:
    return Benchmark(
        name=name,
        description=description,
        setup=lambda: intake.setup(name, one_ward=one_ward, after=after, portal=portal),
        workload=lambda: intake.workload(name),
        check=lambda outcome: intake.check(name, outcome),
        seconds=intake.SECONDS,
    )


def _intake_cost() -> CpuBenchmark:
    return CpuBenchmark(
        name=intake_cost.NAME,
        description=(
            "CPU per counter reception (Python and PostgreSQL), in-process, beside /health and beside the "
            "cheapest authenticated one-row write: where dossier_intake's ratio stands and what it is made "
            "of; and per submission as the national portal adapter sends one"
        ),
        run=intake_cost.run,
        setup=intake_cost.setup,
        database=DEFAULT_DATABASE,
    )


def _worklist() -> Benchmark:
    return Benchmark(
        name="worklist_due_soon",
        description=(
            "worklist 'due within 2 working days', first page with the counts of every list, as one "
            f"ward's counter officer, on {worklist.DOSSIERS:,} generated dossiers across the province"
        ),
        setup=worklist.setup,
        workload=worklist.workload,
        check=worklist.check,
        database=volume.DATABASE,
    )


def _search(name: str, description: str, setup: Callable[[], None]) -> Benchmark:
    return Benchmark(
        name=name,
        description=description,
        setup=setup,
        workload=lambda: search.workload(name),
        check=lambda outcome: search.check(name, outcome),
        database=volume.DATABASE,
    )


def _due_time() -> CpuBenchmark:
    return CpuBenchmark(
        name="due_time",
        description=(
            "due time of a whole number of working days (1–30) from 07:00 on working days of 2026–2027, "
            "real calendar, vs numpy.busday_offset on the same days"
        ),
        run=due_time.run,
    )


def _dashboard() -> Benchmark:
    return Benchmark(
        name="dashboard_leader",
        description=(
            "the leaders' dashboard page (this year, the whole province) as a leader of the province, on "
            f"{volume.DOSSIERS:,} generated dossiers"
        ),
        setup=dashboard.setup,
        workload=dashboard.workload,
        check=dashboard.check,
        database=volume.DATABASE,
    )


def _reports_yearly() -> CpuBenchmark:
    return CpuBenchmark(
        name="reports_yearly",
        description=(
            f"the yearly province-wide statistics report and Decision 766 index on {volume.DOSSIERS:,} "
            "generated dossiers, vs one hand-written SQL query of the same on-time figures"
        ),
        run=reports.run,
        setup=reports.setup,
        database=volume.DATABASE,
    )


def _signing() -> CpuBenchmark:
    return CpuBenchmark(
        name="signing",
        description=(
            "result notices rendered and signed (PAdES B-B, an agency certificate of an in-memory CA) vs "
            "the same notices rendered without signing"
        ),
        run=signing.run,
    )


BENCHMARKS: list[Benchmark | CpuBenchmark] = [
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
    _intake(
        "dossier_intake",
        "counter reception over the API (POST /api/dossiers, receive, Idempotency-Key), "
        "each client a counter officer of its own commune: 8 communes",
        one_ward=False,
    ),
    _intake(
        "dossier_intake_one_ward",
        "counter reception over the API as dossier_intake, every client a counter officer of the same "
        "ward: the worst case, all creations take that ward's daily code counter in turn",
        one_ward=True,
    ),
    _intake(
        "dossier_intake_portal",
        "the online channels' intake over the API: dossiers arrived at the national portal sent by its "
        "adapter (POST /api/dossiers, channel national_portal, awaiting reception, Idempotency-Key), one "
        "client per commune: 8 more communes",
        one_ward=False,
        after=2 * intake.COMMUNES,  # past dossier_intake's and intake_cost's communes: one run may hold all
        portal=True,
    ),
    _intake_cost(),
    _worklist(),
    _search(
        "dossier_search",
        "dossiers' search (GET /api/dossiers?q=…: ID numbers, names without diacritics, given names, code "
        f"days) as the counter officer of the largest ward, on {volume.DOSSIERS:,} generated dossiers",
        search.setup_ward,
    ),
    _search(
        "dossier_search_province",
        "the same search as the leader of the provincial People's Committee: over every dossier of the "
        f"province ({volume.DOSSIERS:,} generated)",
        search.setup_province,
    ),
    _reports_yearly(),
    _dashboard(),
    _due_time(),
    _signing(),
]


def by_name() -> dict[str, Benchmark | CpuBenchmark]:
    registry = {benchmark.name: benchmark for benchmark in BENCHMARKS}
    if len(registry) != len(BENCHMARKS):
        raise ValueError("two benchmarks share a name")
    return registry
