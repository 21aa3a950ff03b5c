"""`due_time`: the due-time computation (`tinhso.core.working_time.due_time`) beside `numpy.busday_offset`.

Inputs: N clock starts at 07:00 (the opening of office) on random working days of 2026–2027, each with a
whole number of working days from 1 to 30, on the province's real calendar: the holidays package's days
off and swapped weekend days of 2026–2028 (a deadline from late 2027 runs into 2028), no table rows
(`CalendarDay`), the default office hours, built once as `work_calendar()` builds it.

The baseline computes the same due DATES with `numpy.busday_offset(start, n - 1, roll="forward")` on a
`busdaycalendar` with the same days off and the Mon–Fri weekmask: n working days from the opening of a
day end with the close of the n-th working day counting that day (`due_time`'s rule), i.e. on the date
n - 1 working days later. numpy takes its inputs as it naturally would (datetime64[D] and int arrays),
the project's function as the product calls it (an aware datetime, an int, the calendar); each is timed
over all N inputs, REPETITIONS times, the sides interleaved in mirrored order (project, numpy; numpy,
project; …) so that the machine's drift falls on both; the figure is the median.

Where the two differ by definition: a weekend day the government made a working day (Saturday 22/8/2026,
worked for Monday 31/8/2026 off) is a working day for the project and can never be one for
`busday_offset` (a weekmask is per weekday). Inputs whose span from start to numpy's due date includes
such a day are left out of the comparison (counted and printed); every other input must agree on the
date. The rate is over all N.

`BENCH_DUE_TIME_CANDIDATE=path/to/working_time.py` also times a candidate version of the module (a
proposed fast path, bench/proposals/; or the previous commit's, to see what a change gained) on the same
inputs, interleaved with the others, and checks that it returns a Deadline equal to the product's for
every input (due, start, rule and every recorded input).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.spec import Check, CpuReport, Figure

N = 200_000
SEED = 20260101
START_YEARS = (2026, 2027)
CALENDAR_YEARS = (2026, 2027, 2028)
MAX_DAYS = 30
TARGET_PER_S = 100_000
# Each side is timed over all N, REPETITIONS times, interleaved: about 2 s a repetition for the project's
# function at 100,000/s (20 s at the 10,000/s it ran at before), milliseconds for numpy.
REPETITIONS = 5


def _calendar(module: Any) -> Any:
    """`work_calendar(years=CALENDAR_YEARS)` with no table rows, built with `module`'s WorkCalendar."""
    from tinhso.core.calendar import _package_year, office_hours

    days_off: set[dt.date] = set()
    worked: set[dt.date] = set()
    for year in CALENDAR_YEARS:
        # The product's own per-year reading of the holidays package (what work_calendar() unions).
        package_off, package_worked = _package_year(year)
        days_off.update(package_off)
        worked.update(package_worked)
    hours = office_hours()
    if module.__name__ != "tinhso.core.working_time":
        hours = module.OfficeHours(dict(hours.sessions), hours.makeup_sessions)
    return module.WorkCalendar(
        days_off=frozenset(days_off),
        working_days=frozenset(worked),
        hours=hours,
        tz=module.VIETNAM_TZ,
        years=frozenset(CALENDAR_YEARS),
    )


def _inputs(cal: Any, n: int) -> list[tuple[dt.datetime, int]]:
    from tinhso.core.working_time import VIETNAM_TZ

    first, last = dt.date(START_YEARS[0], 1, 1), dt.date(START_YEARS[-1], 12, 31)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    working = [day for day in days if cal.is_working_day(day)]
    rng = random.Random(SEED)
    opening = dt.time(7, 0)
    return [
        (dt.datetime.combine(rng.choice(working), opening, tzinfo=VIETNAM_TZ), rng.randint(1, MAX_DAYS))
        for _ in range(n)
    ]


def _load_candidate(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_candidate_working_time", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"bench: BENCH_DUE_TIME_CANDIDATE: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def run(n: int = N, repetitions: int = REPETITIONS) -> CpuReport:
    import numpy as np

    from tinhso.core import working_time as wt

    cal = _calendar(wt)
    inputs = _inputs(cal, n)

    def project() -> list[dt.datetime]:
        # Only the due instant is kept: holding N Deadlines (each with its dict) alive would make the
        # cyclic GC rescan them all again and again, a cost no caller of due_time has.
        due_time = wt.due_time
        return [due_time(start, days, "working_day", cal).due for start, days in inputs]

    weekmask = "".join("1" if cal.hours.sessions[d] else "0" for d in range(7))
    busdays = np.busdaycalendar(weekmask=weekmask, holidays=sorted(cal.days_off))
    starts = np.array([start.date() for start, _ in inputs], dtype="datetime64[D]")
    offsets = np.array([days - 1 for _, days in inputs], dtype=np.int64)

    def baseline() -> Any:
        return np.busday_offset(starts, offsets, roll="forward", busdaycal=busdays)

    sides: dict[str, Callable[[], Any]] = {"project": project, "numpy": baseline}
    candidate_path = os.environ.get("BENCH_DUE_TIME_CANDIDATE", "").strip()
    candidate_module = _load_candidate(candidate_path) if candidate_path else None
    if candidate_module is not None:
        candidate_cal = _calendar(candidate_module)

        def candidate() -> list[dt.datetime]:
            due_time = candidate_module.due_time
            return [due_time(start, days, "working_day", candidate_cal).due for start, days in inputs]

        sides["candidate"] = candidate
    seconds, results = _alternating(sides, repetitions)
    project_dates = [due.date() for due in results["project"]]
    numpy_due = results["numpy"]

    # Weekend days worked (make-up days): working days for the project, never for a weekmask.
    makeup = np.array(
        sorted(day for day in cal.working_days if not cal.hours.sessions[day.weekday()]),
        dtype="datetime64[D]",
    )
    spans_makeup = np.zeros(n, dtype=bool)
    for day in makeup:
        spans_makeup |= (starts <= day) & (day <= numpy_due)
    project_due = np.array(project_dates, dtype="datetime64[D]")
    differ = project_due != numpy_due
    compared = int((~spans_makeup).sum())
    mismatches = int((differ & ~spans_makeup).sum())
    left_out_differing = int((differ & spans_makeup).sum())

    project_rate = n / statistics.median(seconds["project"])
    numpy_rate = n / statistics.median(seconds["numpy"])
    figures = [
        Figure("due times per second", project_rate, "per s", numpy_rate),
        Figure("µs per due time", 1e6 / project_rate, "µs", 1e6 / numpy_rate),
    ]
    checks = [
        Check("inputs compared", compared, f"> {n // 2} of {n}", compared > n // 2),
        Check("date mismatches", mismatches, "= 0", mismatches == 0),
    ]
    notes = [
        f"{n:,} inputs; median of {repetitions} repetitions each, interleaved (project "
        f"{', '.join(f'{s:.2f}' for s in seconds['project'])} s)",
        f"target: ≥ {TARGET_PER_S:,} due times per second — "
        + ("met" if project_rate >= TARGET_PER_S else f"NOT met ({project_rate / TARGET_PER_S:.1%} of it)"),
        f"left out of the comparison: {n - compared:,} inputs spanning a weekend day worked "
        f"({', '.join(str(d) for d in makeup)}), of which {left_out_differing:,} differ as they must",
    ]
    settings: dict[str, object] = {
        "n": n,
        "repetitions": repetitions,
        "seed": SEED,
        "unit": "working_day",
        "days": f"1-{MAX_DAYS}",
        "starts": f"07:00 on working days of {START_YEARS[0]}-{START_YEARS[-1]}",
        "calendar_years": list(CALENDAR_YEARS),
        "numpy": np.__version__,
        "seconds": {side: [round(s, 5) for s in values] for side, values in seconds.items()},
    }
    if candidate_module is not None:
        rate = n / statistics.median(seconds["candidate"])
        same = _same_deadlines(candidate_module, candidate_cal, inputs, cal)
        figures.append(Figure("candidate per second", rate, "per s", numpy_rate))
        figures.append(Figure("candidate ÷ project", rate / project_rate, "×"))
        checks.append(Check("candidate ≠ project", n - same, "= 0 (whole Deadline)", same == n))
        notes.append(f"candidate: {Path(candidate_path).resolve()}")
        settings["candidate"] = candidate_path
    return CpuReport(
        target="tinhso.core.working_time.due_time",
        baseline="numpy.busday_offset",
        figures=figures,
        checks=checks,
        settings=settings,
        notes=notes,
    )


def _alternating(
    sides: dict[str, Callable[[], Any]], repetitions: int
) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Time every side `repetitions` times, in turn and in mirrored order (A B C, C B A, …) as the HTTP
    phases are, so that a drift of the machine falls on every side alike; the last result of each."""
    seconds: dict[str, list[float]] = {side: [] for side in sides}
    results: dict[str, Any] = {}
    names = list(sides)
    for repetition in range(repetitions):
        for side in names if repetition % 2 == 0 else reversed(names):
            began = time.perf_counter()
            results[side] = sides[side]()
            seconds[side].append(time.perf_counter() - began)
    return seconds, results


def _same_deadlines(
    module: ModuleType, module_cal: Any, inputs: Sequence[tuple[dt.datetime, int]], cal: Any
) -> int:
    """For how many inputs the candidate returns a Deadline equal to the product's (due, start, rule and
    every input recorded with it)."""
    from tinhso.core import working_time as wt

    same = 0
    for start, days in inputs:
        got = module.due_time(start, days, "working_day", module_cal)
        want = wt.due_time(start, days, "working_day", cal)
        same += (got.due, got.start, got.rule, dict(got.inputs)) == (
            want.due,
            want.start,
            want.rule,
            want.inputs,
        )
    return same
