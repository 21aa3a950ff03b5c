"""`tinhso generate-dossiers N [--seed S] [--start YYYY-MM-DD] [--end YYYY-MM-DD] [--batch B]`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from tinhso.dossiers.models import Dossier, DossierEvent, DossierStep, Status
from tinhso.dossiers.volume import DEFAULT_BATCH, HISTORIES, Progress, VolumeError, dossiers_generate


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{text!r} is not a date like 2026-03-02") from exc


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "    –"


class Command(BaseCommand):
    help = (
        "Generate N realistic dossiers at the province's bound procedures, received over the two years "
        "ending today (or --start/--end), as the lifecycle would have left them now: codes continue each "
        "unit's daily counter, so running it again adds N more. COPY on PostgreSQL, bulk_create on SQLite."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("count", type=int, help="how many dossiers")
        parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        parser.add_argument("--start", type=_date, help="first day (default: two years before --end)")
        parser.add_argument("--end", type=_date, help="last day (default: today)")
        parser.add_argument(
            "--batch",
            type=int,
            default=DEFAULT_BATCH,
            help=f"dossiers per transaction (default {DEFAULT_BATCH})",
        )
        parser.add_argument(
            "--history",
            choices=HISTORIES,
            default="compact",
            help="returned dossiers: compact (no steps, no hand-over events; default) or full",
        )
        parser.add_argument(
            "--workers", type=int, help="processes on PostgreSQL (default: one per CPU; SQLite: always one)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(p: Progress) -> None:
            rate = p.dossiers / p.seconds if p.seconds else 0.0
            self.stdout.write(
                f"  {p.done}/{p.batches} batches (last: {p.last.first_day}..{p.last.last_day}, "
                f"{p.last.dossiers:,} dossiers): {p.dossiers:,}/{p.total:,} dossiers, {p.seconds:.1f} s, "
                f"{rate:,.0f} dossiers/s"
            )
            self.stdout.flush()

        self.stdout.write(f"Generating {options['count']:,} dossiers on {connection.vendor}…")
        try:
            s = dossiers_generate(
                count=options["count"],
                seed=options["seed"],
                start=options["start"],
                end=options["end"],
                batch=options["batch"],
                workers=options["workers"],
                history=options["history"],
                progress=progress,
                log=self.stdout.write,
            )
        except VolumeError as exc:
            raise CommandError(str(exc)) from exc

        out = self.stdout.write
        rows = s.dossiers + s.steps + s.events
        out(
            f"\nGenerated {s.dossiers:,} dossiers received {s.start}..{s.end} in {s.seconds:.1f} s with "
            f"{s.workers} worker(s): {s.per_second:,.0f} dossiers/s, {rows / s.seconds:,.0f} rows/s."
        )
        out("Rows added:")
        out(f"  dossiers_dossier       {s.dossiers:>12,}")
        out(f"  dossiers_dossierstep   {s.steps:>12,}")
        out(f"  dossiers_dossierevent  {s.events:>12,}")
        out("Status (national code):")
        for status in Status:
            n = s.status.get(status, 0)
            out(f"  {status.value:<11} {n:>10,}  {_share(n, s.dossiers)}")
        out(f"  open past their due time: {s.overdue_open:,}")
        out("Channel:")
        for channel, n in s.channel.most_common():
            out(f"  {channel:<16} {n:>10,}  {_share(n, s.dossiers)}")
        finished = sum(s.punctuality.values())
        out(f"Punctuality of the {finished:,} processed (classify, by date):")
        for name in ("early", "on_time", "late"):
            n = s.punctuality.get(name, 0)
            out(f"  {name:<8} {n:>10,}  {_share(n, finished)}")
        out("Outcome: " + ", ".join(f"{k} {v:,}" for k, v in s.outcome.most_common()))
        counts = [m.objects.count() for m in (Dossier, DossierStep, DossierEvent)]
        out("The database now holds {:,} dossiers, {:,} steps, {:,} events.".format(*counts))
