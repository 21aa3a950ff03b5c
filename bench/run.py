"""Run benchmarks: `python -m bench.run [NAME ...] [--clients N] [--seconds T] [--warmup S] [--rounds R]`.

Runs the CPU benchmarks first (in this process, no server). Then, for each database the selected HTTP
benchmarks use (`tinhso_bench`, recreated; `tinhso_bench_volume`, kept while its data is current): the
reference data, each benchmark's setup, gunicorn with production settings; each benchmark drives its
target and its baseline in alternation, prints the figures side by side, checks what it wrote, and
writes its figures to bench/results/<name>.json.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from bench import server
from bench.benchmarks import by_name
from bench.load import Request, drive, send
from bench.spec import Benchmark, Check, CpuBenchmark, CpuReport, Database, Outcome, Workload
from bench.stats import Sample, Summary, summarize

DEFAULT_SECONDS = 10.0

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    registry = by_name()
    args = _parse_args(argv, registry)
    if args.list:
        for benchmark in registry.values():
            print(f"{benchmark.name:24} {benchmark.description}")
        return 0
    selected = [registry[name] for name in args.names] if args.names else list(registry.values())

    # A SIGTERM (CI timeout, `kill`) unwinds like Ctrl-C, so the server is always stopped.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    settings = Settings(
        clients=args.clients, seconds=args.seconds, warmup=args.warmup, rounds=args.rounds, fresh=args.fresh
    )
    try:
        failed = _run(selected, settings)
    except server.BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; server stopped", file=sys.stderr)
        return 130
    if failed:
        print(f"bench: errors in {', '.join(failed)}: figures not written", file=sys.stderr)
        return 1
    return 0


class Settings:
    """The run's settings; `seconds` None: each benchmark's own (`Benchmark.seconds`) or DEFAULT_SECONDS."""

    def __init__(
        self, *, clients: int, seconds: float | None, warmup: float, rounds: int, fresh: bool
    ) -> None:
        self.clients = clients
        self.seconds = seconds
        self.warmup = warmup
        self.rounds = rounds
        self.fresh = fresh

    def seconds_for(self, benchmark: Benchmark) -> float:
        if self.seconds is not None:
            return self.seconds
        return benchmark.seconds if benchmark.seconds is not None else DEFAULT_SECONDS


def _run(selected: list[Benchmark | CpuBenchmark], settings: Settings) -> list[str]:
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="tinhso-bench-") as scratch:
        var = Path(scratch) / "var"
        for cpu in (b for b in selected if isinstance(b, CpuBenchmark) and b.database is None):
            _django(server.production_env(var))  # product modules import; no database is touched
            if not _run_cpu(cpu):
                failed.append(cpu.name)
        for database, group in _by_database(selected):
            env = server.production_env(var, database.name)
            workloads = _prepare(env, database, group, fresh=settings.fresh)
            for cpu in (b for b in group if isinstance(b, CpuBenchmark)):
                _django(env)  # on the database, before its server starts: nothing else loads the machine
                from django.db import connections

                server.checkpoint()
                try:
                    if not _run_cpu(cpu):
                        failed.append(cpu.name)
                finally:
                    connections.close_all()
            http = [b for b in group if isinstance(b, Benchmark)]
            if not http:
                continue
            log = Path(scratch) / f"gunicorn-{database.name}.log"
            with server.gunicorn(env, log) as port:
                for benchmark in http:
                    if not _run_http(port, env, benchmark, workloads[benchmark.name], settings):
                        failed.append(benchmark.name)
    return failed


Grouped = Benchmark | CpuBenchmark


def _by_database(benchmarks: list[Grouped]) -> list[tuple[Database, list[Grouped]]]:
    """The benchmarks that use a database grouped by it, in the registry's order of first use."""
    groups: dict[str, tuple[Database, list[Grouped]]] = {}
    for benchmark in benchmarks:
        if benchmark.database is not None:
            groups.setdefault(benchmark.database.name, (benchmark.database, []))[1].append(benchmark)
    return list(groups.values())


def _prepare(
    env: dict[str, str], database: Database, group: list[Grouped], *, fresh: bool
) -> dict[str, Workload]:
    """Database, static files, reference data, each benchmark's setup; each benchmark's workload."""
    started = time.monotonic()
    server.ensure_postgres()
    server.ensure_redis()
    version = database.version() if database.version is not None else None
    stamp = None if version is None or fresh else server.database_stamp(database.name)
    kept = _current(stamp, version, database)
    if kept:
        print(
            f"database {database.name}: kept (data {version}, made {stamp and stamp.get('made')})", flush=True
        )
    else:
        print(f"database {database.name}: recreated", flush=True)
        server.recreate_database(database.name)
    server.manage(env, "migrate", "--noinput")
    server.manage(env, "collectstatic", "--noinput")
    server.manage(env, "load_reference_data")
    if any(benchmark.needs_django for benchmark in group):
        workloads = _django_setup(env, group)
    else:
        workloads = {b.name: b.resolve_workload() for b in group if isinstance(b, Benchmark)}
    if version is not None and not kept:
        server.record_stamp(database.name, {"version": version, "made": datetime.date.today().isoformat()})
    print(f"set up in {time.monotonic() - started:.1f} s", flush=True)
    return workloads


def _current(stamp: dict[str, str] | None, version: str | None, database: Database) -> bool:
    if stamp is None or version is None or stamp.get("version") != version:
        return False
    try:
        made = datetime.date.fromisoformat(stamp.get("made", ""))
    except ValueError:
        return False
    return datetime.date.today() - made <= database.max_age


def _django(env: dict[str, str]) -> None:
    """Django configured in this process with production settings on env's database (switched on later
    calls: the settings are read once, the connection's database name is changed between groups)."""
    os.environ.update(env)
    import django
    from django.apps import apps
    from django.db import connections

    if not apps.ready:
        django.setup()
    connections.close_all()
    name = env["DATABASE_URL"].rsplit("/", 1)[-1]
    if connections["default"].settings_dict["NAME"] != name:
        connections["default"].settings_dict["NAME"] = name
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()  # ids differ from one database to the other


def _django_setup(env: dict[str, str], group: list[Grouped]) -> dict[str, Workload]:
    """Run the setups and resolve the workloads in this process, with Django on the group's database."""
    _django(env)
    from django.db import connections

    try:
        for benchmark in group:
            if benchmark.setup is not None:
                print(f"setup: {benchmark.name}", flush=True)
                benchmark.setup()
        return {b.name: b.resolve_workload() for b in group if isinstance(b, Benchmark)}
    finally:
        connections.close_all()  # hold no connection while the server is measured


def _run_http(
    port: int, env: dict[str, str], benchmark: Benchmark, workload: Workload, settings: Settings
) -> bool:
    """Measure one HTTP benchmark, print it, check it; write its JSON and return True when all went well."""
    seconds = settings.seconds_for(benchmark)
    server.checkpoint()  # no timed checkpoint, nor the setup's writes, inside the phases
    preflight = _preflight(port, benchmark, workload)
    result = _measure(
        port,
        benchmark,
        workload,
        clients=settings.clients,
        seconds=seconds,
        warmup=settings.warmup,
        rounds=settings.rounds,
    )
    checks: list[Check] = []
    if benchmark.check is not None:
        _django(env)
        from django.db import connections

        try:
            checks = benchmark.check(Outcome(preflight[0], preflight[1], result.target_samples))
        finally:
            connections.close_all()
    _print_table(
        benchmark, workload, result, clients=settings.clients, seconds=seconds, rounds=settings.rounds
    )
    _print_checks(checks)
    if result.target.errors or result.baseline.errors or not all(check.ok for check in checks):
        return False
    path = _write_json(
        benchmark,
        workload,
        result,
        checks,
        database=benchmark.database.name,
        clients=settings.clients,
        seconds=seconds,
        warmup=settings.warmup,
        rounds=settings.rounds,
    )
    print(f"written: {path}\n", flush=True)
    return True


def _preflight(port: int, benchmark: Benchmark, workload: Workload) -> tuple[dict[int, int], list[str]]:
    """One request to the baseline and each of the workload's preflight requests (every URL of a GET
    rotation) before measuring, so a broken endpoint fails in a second, not after a minute. Returns the
    target's answers by status and their kept headers: a write benchmark's check counts them too."""
    statuses: dict[int, int] = {}
    kept: list[str] = []
    for request, is_target in [
        (Request(benchmark.baseline_path), False),
        *((request, True) for request in workload.preflight),
    ]:
        status, body, header = _send_once(port, request, workload.keep_header)
        if not 200 <= status < 300:
            raise server.BenchError(
                f"{benchmark.name}: {request} answered {status or 'nothing'}, not 2xx: {body[:300]!r}"
            )
        if is_target:
            statuses[status] = statuses.get(status, 0) + 1
            if workload.keep_header:
                kept.append(header)
    return statuses, kept


def _send_once(port: int, request: Request, keep_header: str | None) -> tuple[int, bytes, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        response = send(conn, request)
        return (
            response.status,
            response.read(),
            response.getheader(keep_header or "", "") if keep_header else "",
        )
    except (OSError, http.client.HTTPException) as exc:
        return 0, str(exc).encode(), ""
    finally:
        conn.close()


class Result:
    def __init__(self, target: list[Sample], baseline: list[Sample]) -> None:
        self.target_samples = target
        self.baseline_samples = baseline
        self.target: Summary = summarize(target)
        self.baseline: Summary = summarize(baseline)


def _measure(
    port: int,
    benchmark: Benchmark,
    workload: Workload,
    *,
    clients: int,
    seconds: float,
    warmup: float,
    rounds: int,
) -> Result:
    """Alternate baseline and target phases in the order B T T B B T …, each with its own warm-up.

    The mirrored order cancels a drift that is linear in time (a neighbour's job starting, the CPU
    warming up): over two rounds both sides see the same average moment of the run.
    """
    target: list[Sample] = []
    baseline: list[Sample] = []
    for round_ in range(rounds):
        order = ("baseline", "target") if round_ % 2 == 0 else ("target", "baseline")
        for side in order:
            print(f"  round {round_ + 1}/{rounds}: {side} …", end=" ", flush=True)
            if side == "target":
                sample = drive(
                    host="127.0.0.1",
                    port=port,
                    requests=workload.requests,
                    keep_header=workload.keep_header,
                    clients=clients,
                    warmup=warmup,
                    seconds=seconds,
                )
            else:
                sample = drive(
                    host="127.0.0.1",
                    port=port,
                    paths=[benchmark.baseline_path],
                    clients=clients,
                    warmup=warmup,
                    seconds=seconds,
                )
            (target if side == "target" else baseline).append(sample)
            rate = len(sample.latencies) / sample.elapsed if sample.elapsed else 0.0
            print(f"{rate:.1f} requests/s, {sample.errors} errors", flush=True)
    return Result(target, baseline)


# (figure, unit, table label, Summary attribute)
FIGURES = [
    ("throughput", "requests/s", "requests/s", "requests_per_s"),
    ("p50", "ms", "p50 ms", "p50_ms"),
    ("p95", "ms", "p95 ms", "p95_ms"),
    ("p99", "ms", "p99 ms", "p99_ms"),
    ("errors", "requests", "errors", "errors"),
]


def _ratio(value: float, baseline: float | None) -> float | None:
    if not baseline or math.isnan(baseline) or math.isnan(value):
        return None
    return value / baseline


def _shown(value: float | None, places: int) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:,.{places}f}"


def _print_table(
    benchmark: Benchmark, workload: Workload, result: Result, *, clients: int, seconds: float, rounds: int
) -> None:
    print(
        f"\nbenchmark: {benchmark.name} — {workload.label} "
        f"vs GET {benchmark.baseline_path} (baseline), {clients} clients, {seconds:g} s × {rounds} rounds"
    )
    print(f"{'figure':<14}{'target':>12}{'baseline':>12}{'ratio':>10}")
    for _figure, _unit, label, attribute in FIGURES:
        value = getattr(result.target, attribute)
        base = getattr(result.baseline, attribute)
        places = 0 if attribute == "errors" else (1 if attribute == "requests_per_s" else 2)
        ratio = _shown(_ratio(value, base), 3)
        print(f"{label:<14}{_shown(value, places):>12}{_shown(base, places):>12}{ratio:>10}")
    print(f"{'requests':<14}{result.target.requests:>12}{result.baseline.requests:>12}")
    print(flush=True)


def _print_checks(checks: list[Check]) -> None:
    if not checks:
        return
    print(f"{'check':<22}{'value':>10}  {'expected':<28}")
    for check in checks:
        verdict = "" if check.ok else "FAILED"
        print(f"{check.figure:<22}{_shown(check.value, 0):>10}  {check.expected:<28}{verdict}")
    print(flush=True)


def _checks_json(checks: list[Check]) -> list[dict[str, Any]]:
    return [{"figure": c.figure, "value": c.value, "expected": c.expected, "ok": c.ok} for c in checks]


def _document(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "commit": _git_commit(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average": [round(load, 2) for load in os.getloadavg()],
        },
    }


def _write_json(
    benchmark: Benchmark,
    workload: Workload,
    result: Result,
    checks: list[Check],
    *,
    database: str,
    clients: int,
    seconds: float,
    warmup: float,
    rounds: int,
) -> Path:
    figures: list[dict[str, Any]] = []
    for figure, unit, _label, attribute in FIGURES:
        value = getattr(result.target, attribute)
        base = getattr(result.baseline, attribute)
        ratio = _ratio(value, base)
        figures.append(
            {
                "figure": figure,
                "value": _json_number(value),
                "unit": unit,
                "baseline": _json_number(base),
                "ratio": None if ratio is None else round(ratio, 3),
            }
        )
    document = _document(benchmark.name, benchmark.description)
    document.update(
        {
            "target": list(workload.targets),
            "baseline": benchmark.baseline_path,
            "settings": {
                "clients": clients,
                "seconds": seconds,
                "warmup": warmup,
                "rounds": rounds,
                "server": " ".join(["gunicorn", *server.GUNICORN_ARGS]),
                "database": database,
            },
            "figures": figures,
            "requests": {"target": result.target.requests, "baseline": result.baseline.requests},
            "rounds_requests_per_s": {
                "target": [_rate(sample) for sample in result.target_samples],
                "baseline": [_rate(sample) for sample in result.baseline_samples],
            },
        }
    )
    if checks:
        document["checks"] = _checks_json(checks)
    return _save(benchmark.name, document)


def _save(name: str, document: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _run_cpu(benchmark: CpuBenchmark) -> bool:
    """Run a CPU benchmark in this process; print its table and checks; write its JSON when all passed."""
    print(f"running: {benchmark.name}", flush=True)
    report = benchmark.run()
    _print_cpu(benchmark, report)
    _print_checks(report.checks)
    if not all(check.ok for check in report.checks):
        return False
    document = _document(benchmark.name, benchmark.description)
    document.update(
        {
            "target": report.target,
            "baseline": report.baseline,
            "settings": report.settings,
            "figures": [
                {
                    "figure": f.figure,
                    "value": _json_number(f.value),
                    "unit": f.unit,
                    "baseline": None if f.baseline is None else _json_number(f.baseline),
                    "ratio": None if (r := _ratio(f.value, f.baseline)) is None else round(r, 4),
                }
                for f in report.figures
            ],
            "checks": _checks_json(report.checks),
            "notes": report.notes,
        }
    )
    print(f"written: {_save(benchmark.name, document)}\n", flush=True)
    return True


def _print_cpu(benchmark: CpuBenchmark, report: CpuReport) -> None:
    print(f"\nbenchmark: {benchmark.name} — {report.target} vs {report.baseline} (baseline)")
    print(f"{'figure':<24}{'target':>14}{'baseline':>14}{'ratio':>12}")
    for f in report.figures:
        ratio = _ratio(f.value, f.baseline)
        print(
            f"{f.figure:<24}{_significant(f.value):>14}{_significant(f.baseline):>14}"
            f"{_significant(ratio):>12}"
        )
    for note in report.notes:
        print(f"  {note}")
    print(flush=True)


def _significant(value: float | None) -> str:
    """Whole numbers from 100 up, else three or four significant digits."""
    if value is None or math.isnan(value):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _rate(sample: Sample) -> float | None:
    return round(len(sample.latencies) / sample.elapsed, 1) if sample.elapsed else None


def _json_number(value: float) -> float | int | None:
    if isinstance(value, int):
        return value
    if math.isnan(value):
        return None
    return round(value, 2)


def _git_commit() -> str | None:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # read only: never refresh the index
    result = subprocess.run(
        ["git", "rev-parse", "--verify", "HEAD"],
        cwd=server.ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return None
    commit = result.stdout.strip()
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--"], cwd=server.ROOT, env=env, check=False)
    return f"{commit}-dirty" if dirty.returncode == 1 else commit


def _env_optional(name: str, kind: Callable[[str], float]) -> float | None:
    raw = os.environ.get(name, "").strip()
    return _env_number(name, 0, kind) if raw else None


def _env_number(name: str, default: float, kind: Callable[[str], float]) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        raise SystemExit(f"bench: {name} must be a number, got {raw!r}") from None


def _parse_args(argv: list[str] | None, registry: dict[str, Benchmark | CpuBenchmark]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.split("\n")[0] if __doc__ else None
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all): {', '.join(registry)}"
    )
    parser.add_argument(
        "--clients",
        type=int,
        default=int(_env_number("BENCH_CLIENTS", 8, int)),
        help="concurrent clients (env BENCH_CLIENTS, default 8)",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=_env_optional("BENCH_SECONDS", float),
        help=f"measured seconds per phase (env BENCH_SECONDS; default: the benchmark's own, else "
        f"{DEFAULT_SECONDS:g})",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=_env_number("BENCH_WARMUP", 2, float),
        help="unrecorded seconds before each phase (env BENCH_WARMUP, default 2)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=int(_env_number("BENCH_ROUNDS", 2, int)),
        help="rounds of baseline + target (env BENCH_ROUNDS, default 2)",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        default=os.environ.get("BENCH_FRESH", "").strip() not in ("", "0"),
        help="recreate kept databases (tinhso_bench_volume) and their data (env BENCH_FRESH=1)",
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in registry]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(registry)}")
    if (
        args.clients < 1
        or (args.seconds is not None and args.seconds <= 0)
        or args.warmup < 0
        or args.rounds < 1
    ):
        parser.error("--clients and --rounds must be ≥ 1, --seconds > 0, --warmup ≥ 0")
    return args


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
