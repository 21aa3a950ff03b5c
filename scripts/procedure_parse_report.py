"""Parse every raw national procedure record and report what was read and what was not.

Run from the project root: `uv run python scripts/procedure_parse_report.py [DIR] [--report PATH]`
(DIR defaults to ../shared/data/procedures/dvcqg). Prints the number of records, then per measured field
parsed / stated / rate (definitions: the docstring of tinhso/procedures/parsing.py), then the problems per
record field with three examples each. `--report` writes every failure (code, field, message, raw
excerpt) as JSON, or as CSV when PATH ends in .csv.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tinhso.procedures.parsing import (  # noqa: E402  (the path above makes the package importable)
    COVERAGE_FIELDS,
    RecordError,
    coverage,
    parse_record,
    read_record,
)

DEFAULT_DIR = ROOT.parent / "shared" / "data" / "procedures" / "dvcqg"
# Which channel-table problems explain an unparsed time or fee.
CAUSES = {
    "time": lambda message: message.startswith("the time"),
    "fee": lambda message: message.startswith("the fee"),
}
EXCERPT = 300


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", default=str(DEFAULT_DIR))
    ap.add_argument("--report", help="write the full failure list here (.json or .csv)")
    args = ap.parse_args(argv)

    files = sorted(Path(args.dir).rglob("*.json"))
    if not files:
        print(f"no *.json under {args.dir}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    failures: list[dict[str, str]] = []
    stated: Counter[str] = Counter()
    parsed_ok: Counter[str] = Counter()
    problems: dict[str, list[dict[str, str]]] = defaultdict(list)
    records_with_problem: Counter[str] = Counter()
    causes: dict[str, Counter[str]] = defaultdict(Counter)
    n_parsed = 0
    regulated = 0
    for path in files:
        try:
            record = parse_record(read_record(path))
        except RecordError as exc:
            failures.append({"code": exc.where, "field": "*", "message": exc.message, "raw": str(path)})
            continue
        n_parsed += 1
        regulated += any(c.fee_kind == "regulated" for c in record.channels)
        for name, (is_stated, is_parsed) in coverage(record).items():
            stated[name] += is_stated
            parsed_ok[name] += is_parsed
            if is_stated and not is_parsed and name in CAUSES:
                channel_problems = [p.message for p in record.problems if p.field == "cach_thuc_thuc_hien"]
                for cause in {_kind(m) for m in channel_problems if CAUSES[name](m)}:
                    causes[name][cause] += 1
        for fld in {p.field for p in record.problems}:
            records_with_problem[fld] += 1
        for p in record.problems:
            row = {"code": record.code, "field": p.field, "message": p.message, "raw": p.raw[:EXCERPT]}
            problems[p.field].append(row)
            failures.append(row)
    elapsed = time.perf_counter() - started

    print(
        f"Records: {len(files)} files, {n_parsed} parsed, {len(files) - n_parsed} not importable "
        f"({elapsed:.1f} s)"
    )
    print()
    print(f"{'field':<20}{'parsed':>8}{'stated':>8}{'rate':>9}")
    for name in COVERAGE_FIELDS:
        rate = parsed_ok[name] / stated[name] if stated[name] else 1.0
        print(f"{name:<20}{parsed_ok[name]:>8}{stated[name]:>8}{rate:>9.1%}")
    print(f"  records with a fee the page leaves to another regulation (regulated): {regulated}")
    for name in CAUSES:
        print(f"  {name} not parsed, records by cause:")
        for cause, n in causes[name].most_common():
            print(f"    {n:>5}  {cause}")
    print()
    print("Problems per record field (records affected / problems), three examples each:")
    for fld, found in sorted(problems.items(), key=lambda kv: -len(kv[1])):
        print(f"- {fld}: {records_with_problem[fld]} records / {len(found)} problems")
        by_message: Counter[str] = Counter(_kind(r["message"]) for r in found)
        for message, n in by_message.most_common(6):
            print(f"    {n:>5}  {message}")
        for r in found[:: max(1, len(found) // 3)][:3]:
            print(f"    e.g. {r['code']}: {r['message'][:120]}")
            print(f"         raw: {r['raw'][:160]!r}")
    for f in failures:
        if f["field"] == "*":
            print(f"- not importable: {f['code']}: {f['message']}")

    if args.report:
        _write(Path(args.report), failures)
        print(f"\nFailure list ({len(failures)} rows): {args.report}")
    return 0


def _kind(message: str) -> str:
    """A message without its quoted specifics, to count problems by kind."""
    return re.sub(r"'[^']*'|\"[^\"]*\"|\d[\d,.]*", "…", message)[:90]


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=["code", "field", "message", "raw"])
            writer.writeheader()
            writer.writerows(rows)
    else:
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
