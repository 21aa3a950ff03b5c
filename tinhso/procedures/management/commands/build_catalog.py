from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tinhso.procedures import services
from tinhso.procedures.importing import parse_files, record_files, summary_lines, write_report


class Command(BaseCommand):
    help = (
        "Parse the raw national records and write the normalized catalog the project ships "
        f"({services.CATALOG_PATH.name}, loaded by `load_catalog`). Touches no database."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("paths", nargs="*", default=["../shared/data/procedures/dvcqg"])
        parser.add_argument("--output", default=str(services.CATALOG_PATH))
        parser.add_argument("--report", default="var/build-catalog-report.json", help="failure list (JSON)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            files = record_files(options["paths"])
        except FileNotFoundError as exc:
            raise CommandError(f"no such file or directory: {exc}") from exc
        run = parse_files(files)
        n = services.catalog_write(run.parsed, Path(options["output"]))
        write_report(run, Path(options["report"]))
        for line in summary_lines(run):
            self.stdout.write(line)
        self.stdout.write(
            f"Catalog: {n} procedures written to {options['output']}; failures: {options['report']}"
        )
