"""Relevance of the procedure catalog search: top-1 and top-3 hit rates over a set of real-world queries.

    uv run python -m bench.relevance             # on the database of DATABASE_URL, catalog loaded
    uv run python -m bench.relevance --no-write  # print only
    make bench                                   # also, on the bench database (the procedure_search setup)

`bench/procedure_queries.csv` holds queries as citizens type them (mostly without diacritics, partial
names, colloquial words, acronyms, a typo, codes), each with the national codes of the procedures it is
looking for: a query is a hit at k when one of them is among the first k results. The figures, the misses
and what they got instead are printed and written to `bench/results/procedure_relevance.json`.
Target: at least 90 % of the queries hit in the top 3.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

QUERIES_PATH = Path(__file__).resolve().parent / "procedure_queries.csv"
RESULTS_PATH = Path(__file__).resolve().parent / "results" / "procedure_relevance.json"
TARGET_TOP3 = 0.90
SHOWN = 5  # results kept per query, to show what a miss got instead


@dataclass(frozen=True)
class Query:
    query: str
    expected: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class Outcome:
    query: str
    expected: tuple[str, ...]
    got: list[str]  # the first SHOWN codes
    rank: int | None  # 1-based rank of the first expected code among the first SHOWN, None if absent
    total: int


@dataclass(frozen=True)
class Report:
    outcomes: list[Outcome]
    procedures: int  # the size of the catalog searched

    @property
    def queries(self) -> int:
        return len(self.outcomes)

    def hit_rate(self, k: int) -> float:
        hits = sum(1 for o in self.outcomes if o.rank is not None and o.rank <= k)
        return hits / len(self.outcomes) if self.outcomes else 0.0

    def misses(self, k: int = 3) -> list[Outcome]:
        return [o for o in self.outcomes if o.rank is None or o.rank > k]


def load_queries(path: Path = QUERIES_PATH) -> list[Query]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    queries = [Query(r["query"], tuple(r["expected"].split()), r.get("note") or "") for r in rows]
    if any(not q.query.strip() or not q.expected for q in queries):
        raise ValueError(f"{path}: every row needs a query and at least one expected code")
    return queries


def evaluate(queries: list[Query] | None = None) -> Report:
    """Run every query through `procedure_search` (Django must be set up, the catalog loaded)."""
    from tinhso.procedures.models import Procedure
    from tinhso.procedures.search import procedure_search

    outcomes = []
    for q in queries if queries is not None else load_queries():
        result = procedure_search(q=q.query, limit=SHOWN)
        got = [p.code for p in result.items]
        rank = next((i + 1 for i, code in enumerate(got) if code in q.expected), None)
        outcomes.append(Outcome(q.query, q.expected, got, rank, result.total))
    return Report(outcomes, Procedure.objects.count())


def print_report(report: Report) -> None:
    names = _names({code for o in report.outcomes for code in [*o.got[:3], *o.expected]})
    print(
        f"relevance: procedure search, {report.queries} queries ({QUERIES_PATH.name}), "
        f"{report.procedures} procedures"
    )
    print(f"  top-1 hit rate  {report.hit_rate(1):6.1%}")
    print(f"  top-3 hit rate  {report.hit_rate(3):6.1%}   (target ≥ {TARGET_TOP3:.0%})")
    misses = report.misses(3)
    if misses:
        print(f"  misses ({len(misses)}): query -> expected; first results")
    for o in misses:
        where = f"rank {o.rank}" if o.rank else f"not in the first {SHOWN}"
        print(f"    {o.query!r} -> {' '.join(o.expected)} ({where}, {o.total} matches)")
        for code in o.expected[:1]:
            print(f"        expected {code} {names.get(code, '(not in the catalog)')[:90]}")
        for i, code in enumerate(o.got[:3], 1):
            print(f"        {i}. {code} {names.get(code, '')[:90]}")
    print(flush=True)


def write_json(report: Report, path: Path = RESULTS_PATH) -> Path:
    from bench.run import _git_commit

    document: dict[str, Any] = {
        "name": "procedure_relevance",
        "description": "procedure catalog search: share of real-world queries whose procedure is ranked "
        "first / in the first three",
        "queries_file": QUERIES_PATH.name,
        "commit": _git_commit(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "database": _database_vendor(),
        "procedures": report.procedures,
        "figures": [
            {"figure": "top1_hit_rate", "value": round(report.hit_rate(1), 4), "unit": "share"},
            {"figure": "top3_hit_rate", "value": round(report.hit_rate(3), 4), "unit": "share"},
            {"figure": "queries", "value": report.queries, "unit": "queries"},
        ],
        "target": {"top3_hit_rate": TARGET_TOP3},
        "misses": [asdict(o) for o in report.misses(3)],
        "first_rank_misses": [asdict(o) for o in report.outcomes if o.rank != 1],
    }
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def run(*, write: bool = True) -> Report:
    """Evaluate, print and (by default) write the figures: what `make bench` calls on the bench database."""
    report = evaluate()
    print_report(report)
    if write:
        print(f"written: {write_json(report)}\n", flush=True)
    return report


def _names(codes: set[str]) -> dict[str, str]:
    from tinhso.procedures.models import Procedure

    return dict(Procedure.objects.filter(code__in=codes).values_list("code", "name"))


def _database_vendor() -> str:
    from django.db import connection

    return str(connection.vendor)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.relevance", description=__doc__.split("\n")[0])
    parser.add_argument("--no-write", action="store_true", help=f"do not write {RESULTS_PATH.name}")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    import django

    django.setup()
    from tinhso.procedures.models import Procedure

    if not Procedure.objects.exists():
        print("bench.relevance: the catalog is empty: `manage.py load_catalog` first", file=sys.stderr)
        return 1
    run(write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
