"""What a benchmark is: the types the registry (`bench/benchmarks.py`) and the runner share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from bench.load import Request, RequestFactory, rotation
from bench.stats import Sample


@dataclass(frozen=True)
class Database:
    """The PostgreSQL database an HTTP benchmark runs on.

    By default the runner drops and recreates it at every run. A database whose data is slow to make (a
    million dossiers) gives `version`: the runner keeps it when the version recorded in it by an earlier
    run (its `COMMENT ON DATABASE`) is this one and is younger than `max_age`, recreates it otherwise, and
    records the version once every setup on it succeeded. `--fresh` (`BENCH_FRESH=1`) recreates it anyway.
    """

    name: str = "tinhso_bench"
    version: Callable[[], str] | None = None
    max_age: dt.timedelta = dt.timedelta(days=7)


DEFAULT_DATABASE = Database()


@dataclass(frozen=True)
class Workload:
    """What the target side of an HTTP benchmark sends, known once `setup` has run."""

    label: str  # the table's heading: "GET /api/agencies?q=… (6 URLs in rotation)"
    requests: RequestFactory
    preflight: Sequence[Request]  # sent once each before measuring: any non-2xx stops the run at once
    targets: Sequence[str]  # what results/<name>.json names as the target
    keep_header: str | None = None  # kept from every 2xx answer, for `check` (Sample.kept)


@dataclass(frozen=True)
class Check:
    """A figure a benchmark checks once measured (rows written, duplicates …): `ok` False fails the run."""

    figure: str
    value: int | float
    expected: str  # as printed: "= 0", "= 201 answers"
    ok: bool


@dataclass(frozen=True)
class Outcome:
    """Everything the target side did, for `check`: the preflight's answers and every phase's."""

    preflight_statuses: Mapping[int, int]
    preflight_kept: Sequence[str]
    target: Sequence[Sample]

    def statuses(self) -> dict[int, int]:
        total = dict(self.preflight_statuses)
        for sample in self.target:
            for status, count in sample.statuses.items():
                total[status] = total.get(status, 0) + count
        return total

    def kept(self) -> list[str]:
        return [*self.preflight_kept, *(value for sample in self.target for value in sample.kept)]


@dataclass(frozen=True)
class Benchmark:
    """One endpoint (or a rotation of URLs of it) measured against a baseline in the same run.

    `paths` are GET paths with their query strings, driven in rotation; or a function returning them, called
    after `setup`, for paths that name rows `setup` created. A benchmark that sends anything else (a POST, a
    header, a body, one token per client) gives `workload` instead: a function, called after `setup`,
    returning the `Workload`. `setup`, if given, runs once in the runner with Django configured on the
    benchmark's database (production settings, reference data loaded), before the server starts: import
    models inside it, not at the top of this module. `check`, if given, runs in the runner after the
    measurement, with Django on the same database, and returns figures that fail the run when not `ok`.
    `seconds` is this benchmark's measured time per phase when the run does not set one (flag or env).
    """

    name: str
    description: str
    paths: Sequence[str] | Callable[[], Sequence[str]] = ()
    baseline_path: str = "/health"
    setup: Callable[[], None] | None = None
    workload: Callable[[], Workload] | None = None
    check: Callable[[Outcome], list[Check]] | None = None
    seconds: float | None = None
    database: Database = DEFAULT_DATABASE

    def resolve_paths(self) -> list[str]:
        paths = list(self.paths() if callable(self.paths) else self.paths)
        if not paths or not all(path.startswith("/") for path in paths):
            raise ValueError(f"benchmark {self.name}: paths must be a non-empty list of absolute paths")
        return paths

    def resolve_workload(self) -> Workload:
        if self.workload is not None:
            return self.workload()
        paths = self.resolve_paths()
        label = f"GET {paths[0]}" if len(paths) == 1 else f"GET {paths[0]} … ({len(paths)} URLs in rotation)"
        return Workload(
            label=label, requests=rotation(paths), preflight=[Request(p) for p in paths], targets=paths
        )

    @property
    def needs_django(self) -> bool:
        return (
            self.setup is not None
            or callable(self.paths)
            or self.workload is not None
            or self.check is not None
        )


@dataclass(frozen=True)
class Figure:
    """One line of a CPU benchmark's table: the target's value beside the baseline's."""

    figure: str
    value: float
    unit: str
    baseline: float | None = None


@dataclass(frozen=True)
class CpuReport:
    target: str  # what was measured: "tinhso.core.working_time.due_time"
    baseline: str  # beside what: "numpy.busday_offset"
    figures: list[Figure]
    checks: list[Check]
    settings: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # printed under the table and kept in the JSON


@dataclass(frozen=True)
class CpuBenchmark:
    """A computation measured in the runner's process beside a baseline computing the same thing, with no
    server; Django is configured (production settings) so product modules import.

    Without `database` no database is touched. With one, the computation reads that database: the runner
    prepares it as for an HTTP benchmark (kept or recreated, migrations, reference data, `setup`), then runs
    `run` in its own process before the database's server starts, so nothing else loads the machine.
    """

    name: str
    description: str
    run: Callable[[], CpuReport]
    database: Database | None = None
    setup: Callable[[], None] | None = None

    @property
    def needs_django(self) -> bool:
        return self.setup is not None
