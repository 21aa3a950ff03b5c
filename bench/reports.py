"""`reports_yearly`: the province's yearly statistics report and its Decision 766 index on a million dossiers,
beside one hand-written SQL query that computes the same on-time figures, in the same run.

The data: the million generated dossiers of `bench/volume.py` (two years ending on the day they were made),
in their own kept database. The period is the last whole calendar year inside them (the year before this
one), the scope the whole province, "now" the moment the benchmark starts (the same for every side).

- **target** `tinhso.reports.stats.dossier_report(year, Scope())`: the statistics page's total row, every
  column (received new and carried over, processed early / on time / late, in process within / past the
  deadline, supplements, refusals, withdrawals, stops, online, fees, electronic results, digitised papers,
  ratings) — the ORM's queries, as the page runs them.
- **target** `tinhso.reports.index766.index766(agency=None, period=year)`: every indicator the data gives.
- **baseline**: `BASELINE_SQL`, a single `SELECT … COUNT(*) FILTER (WHERE …)` over the dossier table, written
  by hand: received new, carried over, processed early / on time / late, in process within / overdue — the
  on-time figures of the report. Before timing, the benchmark checks that it gives the report's numbers.

Each side runs once to warm the caches, then ROUNDS times, the order rotated every round so drift falls on
all three; a figure is the median of its rounds (its minimum is printed too). The issue's target is the
report and the index each within 2 × the query's time.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench import volume
from bench.spec import Check, CpuReport, Figure

ROUNDS = 7
TARGET_RATIO = 2.0

# The on-time figures of `tinhso.reports.stats` (see its module docstring for the definitions) for the
# whole province, by hand: P = [since, until), as_of = min(until, max(now, since)).
BASELINE_SQL = """
SELECT
  COUNT(*) FILTER (WHERE received_at >= %(since)s AND received_at < %(until)s) AS received_new,
  COUNT(*) FILTER (WHERE received_at < %(since)s
                     AND (finished_at IS NULL OR finished_at >= %(since)s)
                     AND (closed_at IS NULL OR closed_at >= %(since)s)) AS carried_over,
  COUNT(*) FILTER (WHERE finished_at >= %(since)s AND finished_at < %(until)s) AS processed,
  COUNT(*) FILTER (WHERE finished_at >= %(since)s AND finished_at < %(until)s
                     AND punctuality = 'early') AS processed_early,
  COUNT(*) FILTER (WHERE finished_at >= %(since)s AND finished_at < %(until)s
                     AND punctuality = 'on_time') AS processed_on_time,
  COUNT(*) FILTER (WHERE finished_at >= %(since)s AND finished_at < %(until)s
                     AND punctuality = 'late') AS processed_late,
  COUNT(*) FILTER (WHERE received_at < %(as_of)s
                     AND (finished_at IS NULL OR finished_at >= %(as_of)s)
                     AND (closed_at IS NULL OR closed_at >= %(as_of)s)) AS in_process,
  COUNT(*) FILTER (WHERE received_at < %(as_of)s
                     AND (finished_at IS NULL OR finished_at >= %(as_of)s)
                     AND (closed_at IS NULL OR closed_at >= %(as_of)s)
                     AND due_at < %(as_of)s
                     AND NOT (paused_at IS NOT NULL AND paused_at < %(as_of)s AND paused_at <= due_at))
    AS in_process_overdue
FROM dossiers_dossier
"""

_STATE: dict[str, Any] = {}


def setup() -> None:
    _STATE["dossiers"] = volume.ensure()


def _year(today: dt.date) -> int:
    """The last whole calendar year of the generated data (it spans the two years before `today`)."""
    return today.year - 1


def _baseline(since: dt.datetime, until: dt.datetime, as_of: dt.datetime) -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL, {"since": since, "until": until, "as_of": as_of})
        names = [c.name for c in cursor.description or ()]
        row = cursor.fetchone()
    return dict(zip(names, row or (), strict=True))


def run() -> CpuReport:
    from django.db import connection
    from django.utils import timezone

    from tinhso.core.working_time import VIETNAM_TZ
    from tinhso.reports.index766 import index766
    from tinhso.reports.periods import Period
    from tinhso.reports.scope import Scope
    from tinhso.reports.stats import Window, dossier_report

    now = timezone.now()
    year = _year(timezone.localdate(now, VIETNAM_TZ))
    period = Period.year(year)
    w = Window.of(period, now)

    sides: dict[str, Callable[[], Any]] = {
        "sql": lambda: _baseline(w.since, w.until, w.as_of),
        "report": lambda: dossier_report(period, Scope(), now=now),
        "index766": lambda: index766(agency=None, period=period, now=now),
    }
    first = {name: side() for name, side in sides.items()}  # warm-up, and what is checked below
    times: dict[str, list[float]] = {name: [] for name in sides}
    order = list(sides)
    for round_ in range(ROUNDS):
        rotated = order[round_ % len(order) :] + order[: round_ % len(order)]
        for name in rotated:
            started = time.perf_counter()
            sides[name]()
            times[name].append((time.perf_counter() - started) * 1000)

    sql_counts: dict[str, int] = first["sql"]
    report_counts = first["report"].total.counts
    differing = {k: (v, report_counts.get(k)) for k, v in sql_counts.items() if report_counts.get(k) != v}
    index = first["index766"]
    total = volume_total(connection)
    median = {name: statistics.median(values) for name, values in times.items()}
    figures = [
        Figure("report median", median["report"], "ms", median["sql"]),
        Figure("report best", min(times["report"]), "ms", min(times["sql"])),
        Figure("index766 median", median["index766"], "ms", median["sql"]),
        Figure("index766 best", min(times["index766"]), "ms", min(times["sql"])),
    ]
    report_ratio = median["report"] / median["sql"]
    index_ratio = median["index766"] / median["sql"]
    c = sql_counts
    local_now = timezone.localtime(now, VIETNAM_TZ)
    notes = [
        f"year {year}, whole province, {total:,} dossiers; now {local_now:%Y-%m-%d %H:%M}",
        f"received new {c['received_new']:,}, carried over {c['carried_over']:,}, processed "
        f"{c['processed']:,} (early {c['processed_early']:,}, on time {c['processed_on_time']:,}, late "
        f"{c['processed_late']:,}), in process at the end {c['in_process']:,} ({c['in_process_overdue']:,} "
        "overdue)",
        f"index 766: {index.points} of {index.applicable} points ({len(index.rows)} indicators)",
        f"target ≤ {TARGET_RATIO:g} × the query: report {report_ratio:.2f} × "
        f"({'met' if report_ratio <= TARGET_RATIO else 'NOT met'}), index 766 {index_ratio:.2f} × "
        f"({'met' if index_ratio <= TARGET_RATIO else 'NOT met'})",
        f"{ROUNDS} rounds after one warm-up each, order rotated; medians and minima in ms",
    ]
    checks = [
        Check("dossiers in database", total, f"≥ {volume.DOSSIERS:,}", total >= volume.DOSSIERS),
        Check("figures differing from the query", len(differing), "= 0", not differing),
        Check("processed in the year", sql_counts["processed"], "> 0", sql_counts["processed"] > 0),
    ]
    if differing:
        notes.append(f"differing (query, report): {differing}")
    return CpuReport(
        target="dossier_report(year, province) and index766(province, year)",
        baseline="one hand-written SQL query of the on-time figures",
        figures=figures,
        checks=checks,
        settings={"database": volume.DATABASE.name, "year": year, "rounds": ROUNDS},
        notes=notes,
    )


def volume_total(connection: Any) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM dossiers_dossier")
        row = cursor.fetchone()
    return int(row[0]) if row else 0
