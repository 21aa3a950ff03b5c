"""Reading raw national records from files, shared by `import_procedures` and `build_catalog`."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tinhso.procedures.parsed import ParsedProcedure
from tinhso.procedures.parsing import RecordError, parse_record


@dataclass
class ParseRun:
    files: int = 0
    parsed: list[ParsedProcedure] = field(default_factory=list)
    # One row per record that could not be imported at all ("*") or per field not fully parsed.
    failures: list[dict[str, str]] = field(default_factory=list)
    problems_per_field: Counter[str] = field(default_factory=Counter)
    failed_records: int = 0


def record_files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(path.rglob("*.json")))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(raw)
    return files


def parse_files(files: list[Path]) -> ParseRun:
    run = ParseRun(files=len(files))
    for path in files:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(raw, dict):
                raise RecordError(str(path), "the file does not hold one JSON object")
            parsed = parse_record(raw)
        except (RecordError, ValueError, UnicodeDecodeError) as exc:
            run.failed_records += 1
            run.failures.append({"file": str(path), "code": "", "field": "*", "message": str(exc), "raw": ""})
            continue
        run.parsed.append(parsed)
        for problem in parsed.problems:
            run.problems_per_field[problem.field] += 1
            run.failures.append(
                {
                    "file": str(path),
                    "code": parsed.code,
                    "field": problem.field,
                    "message": problem.message,
                    "raw": problem.raw[:500],
                }
            )
    return run


def write_report(run: ParseRun, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run.failures, ensure_ascii=False, indent=1), encoding="utf-8")


def summary_lines(run: ParseRun) -> list[str]:
    lines = [
        f"Records: {run.files} files, {len(run.parsed)} parsed, {run.failed_records} failed (not imported)."
    ]
    if run.problems_per_field:
        lines.append(
            "Problems per field (not fully parsed): "
            + ", ".join(f"{name} {n}" for name, n in run.problems_per_field.most_common())
        )
    return lines
