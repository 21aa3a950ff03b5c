from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tinhso.procedures import services
from tinhso.procedures.importing import parse_files, record_files, summary_lines, write_report


class Command(BaseCommand):
    help = (
        "Import raw national procedure records (files or folders of *.json). Idempotent: the same content "
        "changes nothing, changed content makes a new version. Each record is imported whole or not at all."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("paths", nargs="+")
        parser.add_argument(
            "--report", default="var/import-procedures-report.json", help="failure list (JSON)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            files = record_files(options["paths"])
        except FileNotFoundError as exc:
            raise CommandError(f"no such file or directory: {exc}") from exc
        run = parse_files(files)
        outcomes: Counter[str] = Counter()
        for parsed in run.parsed:
            outcomes[services.procedure_import(parsed=parsed).outcome] += 1
        write_report(run, Path(options["report"]))
        for line in summary_lines(run):
            self.stdout.write(line)
        self.stdout.write(
            f"Imported: created {outcomes['created']}, updated {outcomes['updated']}, "
            f"unchanged {outcomes['unchanged']}. Failure list: {options['report']}"
        )
