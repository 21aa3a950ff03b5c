"""Run benchmarks: `python -m bench.run [NAME ...] [--clients N] [--seconds T] [--warmup S] [--rounds R]`.

Sets up PostgreSQL with a fresh `tinhso_bench` database and the reference data, starts gunicorn with
production settings, then for each benchmark drives its target and its baseline in alternation, prints
the figures side by side and writes them to bench/results/<name>.json.
"""

from __future__ import annotations

import argparse
import datetime
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
from bench.benchmarks import Benchmark, by_name
from bench.load import drive
from bench.stats import Sample, Summary, summarize

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    registry = by_name()
    args = _parse_args(argv, registry)
    if args.list:
        for benchmark in registry.values():
            print(f"{benchmark.name:20} {benchmark.description}")
        return 0
    selected = [registry[name] for name in args.names] if args.names else list(registry.values())

    # A SIGTERM (CI timeout, `kill`) unwinds like Ctrl-C, so the server is always stopped.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        failed = _run(
            selected, clients=args.clients, seconds=args.seconds, warmup=args.warmup, rounds=args.rounds
        )
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


def _run(selected: list[Benchmark], *, clients: int, seconds: float, warmup: float, rounds: int) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="tinhso-bench-") as scratch:
        env, all_paths = _prepare(Path(scratch), selected)
        failed = []
        with server.gunicorn(env, Path(scratch) / "gunicorn.log") as port:
            for benchmark in selected:
                paths = all_paths[benchmark.name]
                _preflight(port, benchmark, paths)
                result = _measure(
                    port, benchmark, paths, clients=clients, seconds=seconds, warmup=warmup, rounds=rounds
                )
                _print_table(benchmark, paths, result, clients=clients, seconds=seconds, rounds=rounds)
                if result.target.errors or result.baseline.errors:
                    failed.append(benchmark.name)
                else:
                    path = _write_json(
                        benchmark,
                        paths,
                        result,
                        clients=clients,
                        seconds=seconds,
                        warmup=warmup,
                        rounds=rounds,
                    )
                    print(f"written: {path}\n", flush=True)
        return failed


def _prepare(scratch: Path, selected: list[Benchmark]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Database, static files, reference data, each benchmark's setup; the environment and the paths."""
    started = time.monotonic()
    server.ensure_postgres()
    server.recreate_database()
    env = server.production_env(scratch / "var")
    server.manage(env, "migrate", "--noinput")
    server.manage(env, "collectstatic", "--noinput")
    server.manage(env, "load_reference_data")
    if any(benchmark.setup is not None or callable(benchmark.paths) for benchmark in selected):
        paths = _django_setup(env, selected)
    else:
        paths = {benchmark.name: benchmark.resolve_paths() for benchmark in selected}
    print(f"set up in {time.monotonic() - started:.1f} s", flush=True)
    return env, paths


def _django_setup(env: dict[str, str], selected: list[Benchmark]) -> dict[str, list[str]]:
    """Run the setups and resolve the paths in this process, with Django on the bench database."""
    os.environ.update(env)
    import django
    from django.db import connections

    django.setup()
    try:
        for benchmark in selected:
            if benchmark.setup is not None:
                print(f"setup: {benchmark.name}", flush=True)
                benchmark.setup()
        return {benchmark.name: benchmark.resolve_paths() for benchmark in selected}
    finally:
        connections.close_all()  # hold no connection while the server is measured


def _preflight(port: int, benchmark: Benchmark, paths: list[str]) -> None:
    """One request per URL before measuring, so a broken endpoint fails in a second, not after a minute."""
    for path in [benchmark.baseline_path, *paths]:
        status, body = server.get("127.0.0.1", port, path)
        if not 200 <= status < 300:
            raise server.BenchError(
                f"{benchmark.name}: GET {path} answered {status or 'nothing'}, not 2xx: {body[:300]!r}"
            )


class Result:
    def __init__(self, target: list[Sample], baseline: list[Sample]) -> None:
        self.target_samples = target
        self.baseline_samples = baseline
        self.target: Summary = summarize(target)
        self.baseline: Summary = summarize(baseline)


def _measure(
    port: int,
    benchmark: Benchmark,
    paths: list[str],
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
            side_paths = paths if side == "target" else [benchmark.baseline_path]
            print(f"  round {round_ + 1}/{rounds}: {side} …", end=" ", flush=True)
            sample = drive(
                host="127.0.0.1", port=port, paths=side_paths, clients=clients, warmup=warmup, seconds=seconds
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


def _ratio(value: float, baseline: float) -> float | None:
    if not baseline or math.isnan(baseline) or math.isnan(value):
        return None
    return value / baseline


def _shown(value: float | None, places: int) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.{places}f}"


def _target_label(paths: list[str]) -> str:
    if len(paths) == 1:
        return f"GET {paths[0]}"
    return f"GET {paths[0]} … ({len(paths)} URLs in rotation)"


def _print_table(
    benchmark: Benchmark, paths: list[str], result: Result, *, clients: int, seconds: float, rounds: int
) -> None:
    print(
        f"\nbenchmark: {benchmark.name} — {_target_label(paths)} "
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


def _write_json(
    benchmark: Benchmark,
    paths: list[str],
    result: Result,
    *,
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
    document = {
        "name": benchmark.name,
        "description": benchmark.description,
        "target": paths,
        "baseline": benchmark.baseline_path,
        "commit": _git_commit(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average": [round(load, 2) for load in os.getloadavg()],
        },
        "settings": {
            "clients": clients,
            "seconds": seconds,
            "warmup": warmup,
            "rounds": rounds,
            "server": " ".join(["gunicorn", *server.GUNICORN_ARGS]),
        },
        "figures": figures,
        "requests": {"target": result.target.requests, "baseline": result.baseline.requests},
        "rounds_requests_per_s": {
            "target": [_rate(sample) for sample in result.target_samples],
            "baseline": [_rate(sample) for sample in result.baseline_samples],
        },
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{benchmark.name}.json"
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


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


def _env_number(name: str, default: float, kind: Callable[[str], float]) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        raise SystemExit(f"bench: {name} must be a number, got {raw!r}") from None


def _parse_args(argv: list[str] | None, registry: dict[str, Benchmark]) -> argparse.Namespace:
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
        default=_env_number("BENCH_SECONDS", 10, float),
        help="measured seconds per phase (env BENCH_SECONDS, default 10)",
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
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in registry]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(registry)}")
    if args.clients < 1 or args.seconds <= 0 or args.warmup < 0 or args.rounds < 1:
        parser.error("--clients and --rounds must be ≥ 1, --seconds > 0, --warmup ≥ 0")
    return args


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
