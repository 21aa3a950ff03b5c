"""The Django side of working time: the province's calendar, built from the holidays package and the table
of decided days (`CalendarDay`), and the two services that edit that table.

`tinhso.core.working_time` computes on the `WorkCalendar` returned here and never touches the database. The
rules for combining the two sources:

- the holidays package (Vietnam) gives the Labour Code's holidays (Art. 112: 1/1, five Tết days moved off
  weekends, Hùng Kings' day, 30/4, 1/5, 2/9 with an adjacent day, 24/11 from 2026) and the swaps it has
  recorded: a weekday off and the weekend day worked for it (`weekend_workdays`, e.g. 31/8/2026 off for
  Saturday 22/8/2026 worked);
- a `day_off` row adds a day off (a decided swap the package lacks: 2/1/2026);
- a `working_day` row makes its date a working day: a make-up Saturday (10/1/2026), or a holiday the
  government moved;
- a row always wins over the package.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping
from datetime import date, time
from types import MappingProxyType
from typing import Any

import holidays
from django.conf import settings
from django.db import connections, router, transaction
from django.utils import timezone

from tinhso.core import rows
from tinhso.core.audit import audit_diff, audit_record
from tinhso.core.models import CalendarDay
from tinhso.core.working_time import (
    DEFAULT_PAPER_CUTOFF,
    VIETNAM_TZ,
    OfficeHours,
    WorkCalendar,
)

__all__ = [
    "calendar_day_delete",
    "calendar_day_set",
    "office_hours",
    "package_holidays",
    "paper_cutoff",
    "work_calendar",
]

logger = logging.getLogger(__name__)

TARGET_TYPE = "core.calendarday"


# --- Reading --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=128)
def _package_year(year: int) -> tuple[Mapping[date, str], frozenset[date]]:
    # The costly part (about 7 ms a year: lunar calendar), and a pure function of the year and the package
    # version, so each process keeps it; nothing here can go stale but by upgrading the package.
    calendar = holidays.Vietnam(years=year, language="vi")
    days_off = MappingProxyType({day: name for day, name in sorted(calendar.items()) if day.year == year})
    # `weekend_workdays` is the package's public list of weekend days worked in exchange for a weekday off;
    # it spans every year the package knows, hence the filter.
    worked = frozenset(day for day in calendar.weekend_workdays if day.year == year)
    return days_off, worked


def package_holidays(year: int) -> Mapping[date, str]:
    """The holidays package's days off for the year, with their Vietnamese names."""
    return dict(_package_year(year)[0])


def _default_years() -> list[int]:
    # Deadlines run forward from today, a year-long one into the next year and beyond; a year back covers
    # dossiers still open from last year.
    this_year = timezone.localdate().year
    return list(range(this_year - 1, this_year + 3))


def office_hours() -> OfficeHours:
    """The office hours from settings (`TINHSO_OFFICE_HOURS`: `{weekday: "07:00-11:30,13:30-17:00"}`, with
    an optional `"makeup"` key), else the default Mon–Fri 07:00–11:30 and 13:30–17:00 (DL3). Per-agency
    hours come later, from the agency; callers can already pass their own `OfficeHours`."""
    spec: Mapping[Any, str] | None = getattr(settings, "TINHSO_OFFICE_HOURS", None)
    if not spec:
        return OfficeHours.default()
    days = {k: v for k, v in spec.items() if k != "makeup"}
    return OfficeHours.parse(days, makeup=spec.get("makeup"))


def paper_cutoff() -> time | None:
    """The cut-off for paper dossiers (DL6) from settings (`TINHSO_PAPER_CUTOFF`, "HH:MM"; "" for none),
    else 15:00 (ND 61 Art. 18). A procedure's own cut-off, when it has one, takes precedence."""
    value: str | None = getattr(settings, "TINHSO_PAPER_CUTOFF", None)
    if value is None:
        return DEFAULT_PAPER_CUTOFF
    return time.fromisoformat(value) if value else None


def work_calendar(years: Iterable[int] | None = None, *, hours: OfficeHours | None = None) -> WorkCalendar:
    """The province's working calendar for these years (default: last year to two years ahead).

    One query: the decided days of those years. The table holds a handful of rows a year, so it is read
    each time rather than cached: every process sees a change the moment it commits, with no stamp to
    keep in step. The package's part is kept per year and per process (`_package_year`), and the calendar
    made from the package's days and the rows read is kept per process for the same rows (`_made`): a
    request reads the rows and finds its calendar made. Build the calendar once per request or task and
    pass it to every computation: it is a plain value.
    """
    wanted = tuple(sorted(set(years))) if years is not None else tuple(_default_years())
    if not wanted:
        raise ValueError("work_calendar: no years given")
    return _made(
        wanted, _decided_days(date(wanted[0], 1, 1), date(wanted[-1], 12, 31)), hours or office_hours()
    )


def _decided_days(first: date, last: date) -> tuple[tuple[date, str], ...]:
    """The decided days between `first` and `last`, in date order: one hand-built statement (prepared on
    PostgreSQL: core.rows.cursor), every request of the province that computes a deadline runs it."""
    connection = connections[router.db_for_read(CalendarDay)]
    qn = connection.ops.quote_name
    table = qn(CalendarDay._meta.db_table)
    day, kind = (qn(rows.column(CalendarDay, name)) for name in ("date", "kind"))
    sql = f"SELECT {day}, {kind} FROM {table} WHERE {day} >= %s AND {day} <= %s ORDER BY {day}"  # noqa: S608
    params = [connection.ops.adapt_datefield_value(first), connection.ops.adapt_datefield_value(last)]
    with rows.cursor(connection) as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    # SQLite may hand the date back as text; PostgreSQL as a date.
    return tuple((d if isinstance(d, date) else date.fromisoformat(str(d)), k) for d, k in found)


@functools.lru_cache(maxsize=32)
def _made(wanted: tuple[int, ...], decided: tuple[tuple[date, str], ...], hours: OfficeHours) -> WorkCalendar:
    # A pure function of the years, the decided days read and the hours: the same rows make the same
    # calendar, kept; a changed row is another key.
    days_off: set[date] = set()
    worked: set[date] = set()
    for year in wanted:
        package_off, package_worked = _package_year(year)
        days_off.update(package_off)
        worked.update(package_worked)
    for day, kind in decided:
        if day.year not in wanted:
            continue
        if kind == CalendarDay.Kind.DAY_OFF:
            days_off.add(day)
            worked.discard(day)
        else:
            worked.add(day)
            days_off.discard(day)
    return _calendar(frozenset(days_off), frozenset(worked), hours, frozenset(wanted))


@functools.lru_cache(maxsize=16)
def _calendar(
    days_off: frozenset[date], worked: frozenset[date], hours: OfficeHours, years: frozenset[int]
) -> WorkCalendar:
    # The same value for the same days, hours and years: the calendar fills its caches (each year's working
    # days, each date's sessions) as deadlines are computed, and a process keeps them from one request to
    # the next until a decided day changes (the rows are still read every time).
    return WorkCalendar(days_off=days_off, working_days=worked, hours=hours, tz=VIETNAM_TZ, years=years)


# --- Writing --------------------------------------------------------------------------------------------


def _snapshot(row: CalendarDay) -> dict[str, object]:
    return {"date": row.date, "kind": row.kind, "name_vi": row.name_vi, "decision": row.decision}


def _actor_fields(actor: Any) -> dict[str, Any]:
    # Typed loosely on purpose: core imports no app, so it cannot name accounts.User.
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor_id": None, "actor_label": "system"}
    return {"actor_id": actor.pk, "actor_label": actor.get_username()}


@transaction.atomic
def calendar_day_set(*, day: date, kind: str, name_vi: str, decision: str, actor: Any = None) -> CalendarDay:
    """Record a decided day off or make-up working day (*ngày nghỉ / ngày làm bù*), or change the one
    recorded for that date. Audited as `calendar_day.created` or `calendar_day.updated`; an unchanged row
    is neither saved nor audited."""
    row = CalendarDay.objects.select_for_update().filter(date=day).first()
    before = _snapshot(row) if row is not None else None
    if row is None:
        row = CalendarDay(date=day)
    row.kind = kind
    row.name_vi = name_vi.strip()
    row.decision = decision.strip()
    if before is not None and _snapshot(row) == before:
        return row
    row.full_clean()
    row.save()
    old, new = audit_diff(before or {}, _snapshot(row))
    audit_record(
        event="calendar_day.created" if before is None else "calendar_day.updated",
        target_type=TARGET_TYPE,
        target_id=day.isoformat(),
        old=old or None,
        new=new,
        **_actor_fields(actor),
    )
    return row


@transaction.atomic
def calendar_day_delete(*, day: date, actor: Any = None) -> bool:
    """Remove the decision recorded for a date (the package's view of it applies again). Audited as
    `calendar_day.deleted` with the row as it was; False when there was none."""
    row = CalendarDay.objects.select_for_update().filter(date=day).first()
    if row is None:
        return False
    before = _snapshot(row)
    row.delete()
    audit_record(
        event="calendar_day.deleted",
        target_type=TARGET_TYPE,
        target_id=day.isoformat(),
        old=audit_diff(before, {})[0],
        **_actor_fields(actor),
    )
    return True
