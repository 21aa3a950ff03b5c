"""Working time (*thời gian làm việc*): clock starts, deadlines (*thời hạn giải quyết*), pauses, lateness.

A pure module (no Django, no database): the calendar is a value (`WorkCalendar`) that
`tinhso.core.calendar.work_calendar()` builds from the holidays package and the table of decided days, and
every function here is a computation on it. The rules are those of docs/domain/one-stop.md §5–6; each
deadline comes back as a `Deadline` naming its rule and version and carrying its inputs, so the dossier
module can store it as an event (OS-DL1).

The models, in short (the README of this app gives the examples):

- **Office time** is the union of the day's sessions (*buổi*; default Mon–Fri 07:00–11:30 and 13:30–17:00,
  DL3). A session is a half-day for the half-day rules (DL5).
- **Working days** (*ngày làm việc*) step from day to day, keeping the office time already used on the first
  day: 3 working days from Fri 10:00 end on Wed 10:00. With the default 8-hour day this is exactly TD's hour
  model (8 h = 1 day, DL3); on a shorter day (an agency with other hours) a day stays a day. A half day
  (x.5) then runs to the end of the next session (EPAR, DL5); 0 days ends with the current session.
- **Hours** (*giờ*) count office time only.
- **Calendar days, months and years** (*ngày*, *tháng*, *năm*) count dates from the clock start's date and
  end at the close of office on the last date, moved to the next working day when that date is a day off
  (DL7; Civil Code 2015 Arts. 147–148 **[unverified wording]**: the first day is not counted, a period in
  days ends at the end of its last day, and a last day that is a day off moves to the next working day).
- A deadline is the **earliest** instant at which the time has run: 1 working day from Mon 07:00 is due
  Mon 17:00, not Tue 07:00 (the same amount of office time, but the date matters for `classify`).
"""

from __future__ import annotations

import bisect
import calendar as _calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal
from types import MappingProxyType
from typing import Literal, get_args
from zoneinfo import ZoneInfo

__all__ = [
    "CLASSIFY_RULE",
    "DEFAULT_PAPER_CUTOFF",
    "EXTENSION_RULE",
    "RECEPTION_RULE",
    "RESUME_RULE",
    "SUPPLEMENT_RULE",
    "VIETNAM_TZ",
    "Deadline",
    "ExtensionRefused",
    "OfficeHours",
    "Punctuality",
    "Session",
    "TimeUnit",
    "WorkCalendar",
    "add_working_time",
    "as_time_unit",
    "classify",
    "clock_start",
    "due_rule",
    "due_time",
    "extend",
    "extension_last_day",
    "reception_deadline",
    "resume",
    "supplement_restart",
    "working_time_between",
]

VIETNAM_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

TimeUnit = Literal["working_day", "day", "hour", "month", "year"]
Punctuality = Literal["early", "on_time", "late"]
Session = tuple[time, time]
_UNITS: tuple[TimeUnit, ...] = get_args(TimeUnit)

# ND 61 Art. 18 (DL6): paper dossiers received after 15:00 count from the next working day. Configurable
# per procedure: pass `cutoff=None` to turn it off, or another time.
DEFAULT_PAPER_CUTOFF = time(15, 0)

# Rule names. A rule's meaning never changes under its name: a new behaviour gets a new version, so a
# deadline stored with its rule can be explained (and recomputed) years later.
_DUE_RULES: dict[str, str] = {
    "working_day": "due.working_day.v1",
    "day": "due.day.v1",
    "hour": "due.hour.v1",
    "month": "due.month.v1",
    "year": "due.year.v1",
}
RECEPTION_RULE = "reception.v1"
SUPPLEMENT_RULE = "supplement_restart.v1"
RESUME_RULE = "resume.v1"
EXTENSION_RULE = "extension.v1"
# OS-ET1: the one rule for early / on time / late (see `classify`).
CLASSIFY_RULE = "punctuality.finished_date.v1"

_WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DEFAULT_DAY: tuple[Session, ...] = ((time(7, 0), time(11, 30)), (time(13, 30), time(17, 0)))
# No calendar has ten years without a working day; a longer search means the calendar is wrong.
_MAX_DAYS_SEARCHED = 3660


# --- Office hours ---------------------------------------------------------------------------------------


def _parse_sessions(text: str) -> tuple[Session, ...]:
    sessions = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        start, sep, end = part.partition("-")
        if not sep:
            raise ValueError(f"office hours: {part!r} is not a session like 07:00-11:30")
        sessions.append((time.fromisoformat(start), time.fromisoformat(end)))
    return tuple(sessions)


def _format_sessions(sessions: tuple[Session, ...]) -> str:
    return ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in sessions)


def _check_sessions(sessions: tuple[Session, ...], what: str) -> None:
    previous_end: time | None = None
    for start, end in sessions:
        if not (isinstance(start, time) and isinstance(end, time)):
            raise TypeError(f"office hours: {what} sessions must be (time, time) pairs")
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError(f"office hours: {what} sessions are local times, without a time zone")
        if not start < end:
            raise ValueError(f"office hours: {what} session {start:%H:%M}-{end:%H:%M} ends before it starts")
        if previous_end is not None and start < previous_end:
            raise ValueError(f"office hours: {what} sessions overlap or are not in order")
        previous_end = end


@dataclass(frozen=True)
class OfficeHours:
    """Office hours (*giờ làm việc*) per weekday (0 = Monday): the sessions (*buổi*) of each day, in order.

    `makeup_sessions` are the hours of a weekend day the government made a working day (a make-up
    Saturday, *ngày làm bù*): by default a normal weekday's.
    """

    sessions: Mapping[int, tuple[Session, ...]]
    makeup_sessions: tuple[Session, ...] = _DEFAULT_DAY

    def __post_init__(self) -> None:
        unknown = set(self.sessions) - set(range(7))
        if unknown:
            raise ValueError(f"office hours: weekdays are 0 (Monday) to 6 (Sunday), not {sorted(unknown)}")
        normalised = {day: tuple(self.sessions.get(day, ())) for day in range(7)}
        for day, sessions in normalised.items():
            _check_sessions(sessions, _WEEKDAY_NAMES[day])
        makeup = tuple(self.makeup_sessions)
        _check_sessions(makeup, "make-up day")
        if not makeup:
            raise ValueError("office hours: a make-up working day needs at least one session")
        object.__setattr__(self, "sessions", MappingProxyType(normalised))
        object.__setattr__(self, "makeup_sessions", makeup)
        # Stored with every deadline: formatted once (strftime per session cost a third of due_time).
        days = [f"{_WEEKDAY_NAMES[d]}={_format_sessions(s)}" for d, s in normalised.items() if s]
        object.__setattr__(self, "_description", ";".join([*days, f"makeup={_format_sessions(makeup)}"]))

    def __hash__(self) -> int:
        return hash((tuple(self.sessions.items()), self.makeup_sessions))

    @classmethod
    def default(cls) -> OfficeHours:
        """Mon–Fri 07:00–11:30 and 13:30–17:00 (TD, OpenCPS; DL3)."""
        return cls(dict.fromkeys(range(5), _DEFAULT_DAY))

    @classmethod
    def parse(
        cls,
        spec: Mapping[int, str] | Mapping[str, str] | Mapping[int | str, str],
        *,
        makeup: str | None = None,
    ) -> OfficeHours:
        """From text, as in settings: `{0: "07:00-11:30,13:30-17:00", …}` (keys 0–6 or mon…sun)."""
        sessions: dict[int, tuple[Session, ...]] = {}
        for key, text in spec.items():
            named = isinstance(key, str) and not key.isdigit()
            day = _WEEKDAY_NAMES.index(str(key).lower()) if named else int(key)
            sessions[day] = _parse_sessions(text)
        if makeup is None:
            return cls(sessions)
        return cls(sessions, _parse_sessions(makeup))

    def describe(self) -> str:
        """`mon=07:00-11:30,13:30-17:00;…;makeup=…`: stored with each deadline."""
        description: str = self.__dict__["_description"]
        return description


# --- The calendar ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkCalendar:
    """Which dates are working days, and the office hours of each.

    A date is a working day when it is in `working_days` (a decided make-up day), or when it is not in
    `days_off` and its weekday has office hours. `years`, when given, are the years the day sets were built
    for: asking about another year raises ValueError instead of silently treating its holidays as
    working days.
    """

    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()
    hours: OfficeHours = field(default_factory=OfficeHours.default)
    tz: dt.tzinfo = VIETNAM_TZ
    years: frozenset[int] | None = None

    def __post_init__(self) -> None:
        both = self.days_off & self.working_days
        if both:
            listed = ", ".join(d.isoformat() for d in sorted(both))
            raise ValueError(f"work calendar: {listed} both a day off and a working day")
        # Caches of pure functions of this (frozen) value, filled on demand: a deadline steps over up to a
        # few dozen days, each once built its sessions and tested its date, and that was most of its cost.
        # Kept outside the fields, so equality, hashing and repr are those of the value.
        object.__setattr__(self, "_intervals_memo", {})
        object.__setattr__(self, "_working_memo", {})

    def is_working_day(self, day: date) -> bool:
        if self.years is not None and day.year not in self.years:
            covered = ", ".join(str(y) for y in sorted(self.years))
            raise ValueError(
                f"work calendar: {day.isoformat()} is outside the years it was built for ({covered}); "
                "build it with work_calendar(years=…) including that year"
            )
        if day in self.working_days:
            return True
        return day not in self.days_off and bool(self.hours.sessions[day.weekday()])

    def sessions_on(self, day: date) -> tuple[Session, ...]:
        """The day's sessions; none on a day off."""
        if not self.is_working_day(day):
            return ()
        return self.hours.sessions[day.weekday()] or self.hours.makeup_sessions

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        return self._working_day_after(day, 1)

    def _working_day_after(self, day: date, n: int) -> date:
        """The n-th working day after `day` (n ≥ 1): `next_working_day` n times, by position in the sorted
        working days of each year instead of testing every date."""
        if self.years is not None and day.year not in self.years:
            # From outside the calendar's years, date by date as ever: the first date tested raises unless
            # it is in a year the calendar covers (31 December of the year before).
            for _ in range(n):
                day = self._next_by_testing(day)
            return day
        year = day.year
        days = self._working_days_of(year)
        i = bisect.bisect_right(days, day) + n - 1
        for _ in range(_MAX_DAYS_SEARCHED // 365 + 1):
            if i < len(days):
                return days[i]
            i -= len(days)
            year += 1
            days = self._working_days_of(year)
        raise ValueError(f"work calendar: no working day within ten years after {day.isoformat()}")

    def _next_by_testing(self, day: date) -> date:
        for _ in range(_MAX_DAYS_SEARCHED):
            day += timedelta(days=1)
            if self.is_working_day(day):
                return day
        raise ValueError(f"work calendar: no working day within ten years after {day.isoformat()}")

    def _working_days_of(self, year: int) -> tuple[date, ...]:
        memo: dict[int, tuple[date, ...]] = self.__dict__["_working_memo"]
        days = memo.get(year)
        if days is None:
            first = date(year, 1, 1)
            self.is_working_day(first)  # a year the calendar was not built for raises, as before
            with_hours = [bool(self.hours.sessions[d]) for d in range(7)]
            start, weekday = first.toordinal(), first.weekday()
            length = 366 if _calendar.isleap(year) else 365
            # is_working_day for every date of the year, by weekday, then the decided days of the year.
            usual = {date.fromordinal(start + i) for i in range(length) if with_hours[(weekday + i) % 7]}
            decided = {d for d in self.working_days if d.year == year}
            days = memo[year] = tuple(sorted((usual - self.days_off) | decided))
        return days

    def _intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        memo: dict[date, tuple[tuple[datetime, datetime], ...]] = self.__dict__["_intervals_memo"]
        intervals = memo.get(day)
        if intervals is None:
            # Vietnam has kept UTC+7 without daylight saving since 1975, so a local wall time is one instant.
            intervals = memo[day] = tuple(
                (datetime.combine(day, a, tzinfo=self.tz), datetime.combine(day, b, tzinfo=self.tz))
                for a, b in self.sessions_on(day)
            )
        return intervals

    def _decided_between(self, first: date, last: date) -> tuple[list[date], list[date]]:
        """The weekdays off and the weekend days worked from `first` to `last` (both included), sorted."""
        memo = self.__dict__.get("_decided")
        if memo is None:
            with_hours = self.hours.sessions
            off = sorted(d for d in self.days_off if with_hours[d.weekday()] and d not in self.working_days)
            worked = sorted(d for d in self.working_days if not with_hours[d.weekday()])
            memo = self.__dict__["_decided"] = (off, worked)
        off, worked = memo
        return (
            off[bisect.bisect_left(off, first) : bisect.bisect_right(off, last)],
            worked[bisect.bisect_left(worked, first) : bisect.bisect_right(worked, last)],
        )

    def _first_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the next."""
        return day if self.is_working_day(day) else self.next_working_day(day)


# --- The result -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """A computed deadline (*hạn giải quyết*): when it is due, from which clock start, by which rule
    (name and version) and from which inputs (all strings, ready to store with the event, OS-DL1)."""

    due: datetime
    start: datetime
    rule: str
    inputs: dict[str, str]

    def as_record(self) -> dict[str, str]:
        """Everything as strings: the event row's payload."""
        return {
            "due": self.due.isoformat(),
            "start": self.start.isoformat(),
            "rule": self.rule,
            **self.inputs,
        }


# --- Helpers --------------------------------------------------------------------------------------------


def _aware(value: datetime, name: str, tz: dt.tzinfo) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{name} is a naive datetime ({value.isoformat()}): pass an aware one, for example "
            "datetime(…, tzinfo=ZoneInfo('Asia/Ho_Chi_Minh')) or django.utils.timezone.now()"
        )
    return value.astimezone(tz)


def _decimal(value: Decimal | int, name: str = "value") -> Decimal:
    # Floats are refused: 0.1 + 0.2 working days is not a question anyone should have to answer.
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{name} must be a Decimal or an int, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite() or number < 0:
        raise ValueError(f"{name} must be a finite number ≥ 0, not {value}")
    return number


def as_time_unit(value: str) -> TimeUnit:
    """Check a unit read from the catalog (`procedures.TimeUnit` values) and narrow its type."""
    for unit in _UNITS:
        if value == unit:
            return unit
    raise ValueError(f"unknown time unit {value!r}: one of {', '.join(_UNITS)}")


def due_rule(unit: TimeUnit) -> str:
    """The name and version of the rule `due_time` applies to this unit."""
    try:
        return _DUE_RULES[unit]
    except KeyError:
        raise ValueError(f"unknown time unit {unit!r}: one of {', '.join(_DUE_RULES)}") from None


def _next_open(t: datetime, cal: WorkCalendar) -> datetime:
    """The earliest instant ≥ t at which the office is open: t itself during a session, else the start of
    the next session (at lunch, 13:30; after closing or on a day off, the next working morning: DL4)."""
    day = t.date()
    if cal.is_working_day(day):
        for a, b in cal._intervals(day):
            if t < b:
                return max(t, a)
    return cal._intervals(cal.next_working_day(day))[0][0]


def _worked_before(t: datetime, cal: WorkCalendar) -> timedelta:
    """Office time on t's date before t."""
    total = timedelta()
    for a, b in cal._intervals(t.date()):
        if a < t:
            total += min(t, b) - a
    return total


def _after_work_on(day: date, amount: timedelta, cal: WorkCalendar) -> datetime:
    """The earliest instant on `day` by which `amount` (> 0) of its office time has passed; the close of
    office when the day is shorter than that."""
    intervals = cal._intervals(day)
    for a, b in intervals:
        if amount <= b - a:
            return a + amount
        amount -= b - a
    return intervals[-1][1]


def _add_months(day: date, months: int) -> date:
    """The same day `months` later, or the last day of that month when it is shorter (31/1 + 1 month =
    28/2 or 29/2), as Civil Code Art. 148 ends a period in months. (The stdlib's calendar does it in three
    lines; python-dateutil is only a transitive dependency here.)"""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def _end_of_day(day: date, cal: WorkCalendar) -> datetime:
    return cal._intervals(day)[-1][1]


def _session_end_after(t: datetime, cal: WorkCalendar, *, sessions_later: int, t_is_an_end: bool) -> datetime:
    """The end of the session `sessions_later` sessions after the one holding t (DL5's half-days).

    The session holding t is the one t falls in (a ≤ t < b) when t is where the clock starts, or the one t
    closes (a < t ≤ b) when t is where some time has run out: 1 working day from 07:00 runs out at 17:00,
    and half a day more is then the next morning, not the afternoon again.
    """
    day = t.date()
    intervals = cal._intervals(day)
    index = next(i for i, (a, b) in enumerate(intervals) if (a < t <= b if t_is_an_end else a <= t < b))
    for _ in range(sessions_later):
        index += 1
        if index == len(intervals):
            day = cal.next_working_day(day)
            intervals = cal._intervals(day)
            index = 0
    return intervals[index][1]


def _calendar_days_between(first: date, last: date, cal: WorkCalendar) -> dict[str, str]:
    """The decided days between two dates that made a difference: weekdays off and weekend days worked."""
    off, worked = cal._decided_between(first, last)
    if not off and not worked:
        return {"days_off": "", "makeup_days": ""}  # most spans: no join, no generator
    return {
        "days_off": ",".join(d.isoformat() for d in off),
        "makeup_days": ",".join(d.isoformat() for d in worked),
    }


# --- Operations -----------------------------------------------------------------------------------------


def add_working_time(t: datetime, amount: timedelta, cal: WorkCalendar) -> datetime:
    """The earliest instant by which `amount` of office time has passed since t (t itself for zero)."""
    t = _aware(t, "t", cal.tz)
    if amount < timedelta():
        raise ValueError("amount of working time must be ≥ 0")
    if amount == timedelta():
        return t
    day = t.date()
    lower = t
    for _ in range(_MAX_DAYS_SEARCHED * 2):
        if cal.is_working_day(day):
            for a, b in cal._intervals(day):
                start = max(a, lower)
                if start >= b:
                    continue
                if amount <= b - start:
                    return start + amount
                amount -= b - start
        day = cal.next_working_day(day)
    raise ValueError("working time: amount too large for the calendar")  # pragma: no cover


def working_time_between(a: datetime, b: datetime, cal: WorkCalendar) -> timedelta:
    """Office time from a to b (negative when b is before a): lunch, nights and days off do not count."""
    a = _aware(a, "a", cal.tz)
    b = _aware(b, "b", cal.tz)
    if b < a:
        return -working_time_between(b, a, cal)
    total = timedelta()
    day, last = a.date(), b.date()
    while day <= last:
        for start, end in cal._intervals(day):
            overlap = min(b, end) - max(a, start)
            if overlap > timedelta():
                total += overlap
        day += timedelta(days=1)
    return total


def clock_start(
    received_at: datetime,
    cal: WorkCalendar,
    *,
    paper: bool,
    cutoff: time | None = DEFAULT_PAPER_CUTOFF,
) -> datetime:
    """When the clock starts for a dossier received at `received_at` (*thời điểm bắt đầu tính thời hạn*).

    During a session: at once. At lunch: 13:30; after closing, before opening or on a day off: the next
    working morning (DL4). A paper dossier (`paper=True`, received at the counter or by post) received
    after the cut-off (default 15:00, strictly after) on a working day: the start of the next working day
    (DL6, ND 61 Art. 18; per procedure, `cutoff=None` turns it off). Online dossiers have no cut-off.
    """
    t = _aware(received_at, "received_at", cal.tz)
    if paper and cutoff is not None and cal.is_working_day(t.date()) and t.time() > cutoff:
        return cal._intervals(cal.next_working_day(t.date()))[0][0]
    return _next_open(t, cal)


def due_time(start: datetime, value: Decimal | int, unit: TimeUnit, cal: WorkCalendar) -> Deadline:
    """When a time of `value` `unit`s that starts at `start` runs out (the rules are in the module's
    docstring). `start` is a clock start; an instant outside office hours is first moved to the next one.

    Working days take whole or half values (2, 2.5; DL5); calendar days, months and years whole values;
    hours any value (rounded up to the microsecond).
    """
    start = _aware(start, "start", cal.tz)
    number = _decimal(value)
    rule = due_rule(unit)
    s = _next_open(start, cal)

    if unit == "working_day":
        if (number * 2) % 1:
            raise ValueError(
                f"working days come in whole or half days, not {number}: give the time in hours instead"
            )
        whole = int(number)
        half = number % 1 != 0
        if number == 0:
            # DL5: a 0-day procedure is done within the half-day it was received in.
            due = _session_end_after(s, cal, sessions_later=0, t_is_an_end=False)
        else:
            offset = _worked_before(s, cal)
            t = s
            if whole and offset:
                t = _after_work_on(cal._working_day_after(s.date(), whole), offset, cal)
            elif whole:
                # The clock started at the opening of a day: n days end with the close of the n-th day
                # (that day included), not at the opening of the next.
                day = cal._working_day_after(s.date(), whole - 1) if whole > 1 else s.date()
                t = _end_of_day(day, cal)
            due = _session_end_after(t, cal, sessions_later=1, t_is_an_end=whole > 0) if half else t
    elif unit == "hour":
        micros = (number * 3_600_000_000).to_integral_value(rounding=ROUND_CEILING)
        due = add_working_time(s, timedelta(microseconds=int(micros)), cal)
    else:
        if number % 1:
            raise ValueError(f"{unit}s come in whole numbers, not {number}")
        n = int(number)
        first = s.date()
        if unit == "day":
            last = first + timedelta(days=n)
        else:
            last = _add_months(first, n if unit == "month" else 12 * n)
        due = _end_of_day(cal._first_working_day(last), cal)

    inputs = {
        "effective_start": s.isoformat(),
        "value": str(number),
        "unit": unit,
        "office_hours": cal.hours.describe(),
        "tz": str(cal.tz),
        **_calendar_days_between(s.date(), due.date(), cal),
    }
    return Deadline(due=due, start=start, rule=rule, inputs=inputs)


def reception_deadline(
    received_at: datetime,
    value: Decimal | int,
    unit: TimeUnit,
    cal: WorkCalendar,
    *,
    paper: bool,
    cutoff: time | None = DEFAULT_PAPER_CUTOFF,
) -> Deadline:
    """The deadline of a dossier received at `received_at`: `clock_start`, then `due_time`."""
    return _from_reception(received_at, value, unit, cal, paper=paper, cutoff=cutoff, rule=RECEPTION_RULE)


def supplement_restart(
    completed_at: datetime,
    value: Decimal | int,
    unit: TimeUnit,
    cal: WorkCalendar,
    *,
    paper: bool,
    cutoff: time | None = DEFAULT_PAPER_CUTOFF,
) -> Deadline:
    """The deadline once a supplement (*bổ sung hồ sơ*) is complete: the **full** statutory time again,
    counted from the completion as from a new reception (DL9, ND 61 Art. 19(4)). Carrying the remaining
    time over (TD) or adding the paused days (EPAR) are per-procedure overrides, not this rule."""
    return _from_reception(completed_at, value, unit, cal, paper=paper, cutoff=cutoff, rule=SUPPLEMENT_RULE)


def _from_reception(
    received_at: datetime,
    value: Decimal | int,
    unit: TimeUnit,
    cal: WorkCalendar,
    *,
    paper: bool,
    cutoff: time | None,
    rule: str,
) -> Deadline:
    received = _aware(received_at, "received_at", cal.tz)
    start = clock_start(received, cal, paper=paper, cutoff=cutoff)
    inner = due_time(start, value, unit, cal)
    inputs = {
        "received_at": received.isoformat(),
        "paper": "true" if paper else "false",
        "cutoff": cutoff.strftime("%H:%M") if cutoff is not None else "",
        "due_rule": inner.rule,
        **inner.inputs,
    }
    return Deadline(due=inner.due, start=start, rule=rule, inputs=inputs)


def resume(deadline: Deadline, paused_at: datetime, resumed_at: datetime, cal: WorkCalendar) -> Deadline:
    """The deadline after a pause (*tạm dừng*, e.g. waiting for the applicant's financial obligation, status
    6): the due time moves later by the office time the pause lasted (DL10). Pause again, resume again:
    each resume moves it by its own pause."""
    paused = _aware(paused_at, "paused_at", cal.tz)
    resumed = _aware(resumed_at, "resumed_at", cal.tz)
    if resumed < paused:
        raise ValueError("resumed_at is before paused_at")
    lost = working_time_between(paused, resumed, cal)
    due = add_working_time(deadline.due.astimezone(cal.tz), lost, cal)
    inputs = {
        "previous_due": deadline.due.isoformat(),
        "previous_rule": deadline.rule,
        "paused_at": paused.isoformat(),
        "resumed_at": resumed.isoformat(),
        "paused_working_seconds": str(int(lost.total_seconds())),
        "office_hours": cal.hours.describe(),
        "tz": str(cal.tz),
        **_calendar_days_between(min(paused.date(), deadline.due.date()), due.date(), cal),
    }
    return Deadline(due=due, start=deadline.start, rule=RESUME_RULE, inputs=inputs)


class ExtensionRefused(ValueError):
    """DL11: an extension asked for a second time, or signed later than the day before the due date."""


def extension_last_day(due: datetime, cal: WorkCalendar) -> date:
    """The last day on which an extension may be signed: the working day before the due date (DL11, ND 61
    Art. 19: Mẫu 04 at least one working day before the due time)."""
    day = _aware(due, "due", cal.tz).astimezone(cal.tz).date() - timedelta(days=1)
    for _ in range(_MAX_DAYS_SEARCHED):
        if cal.is_working_day(day):
            return day
        day -= timedelta(days=1)
    raise ValueError(f"work calendar: no working day within ten years before {due.date().isoformat()}")


def extend(
    deadline: Deadline,
    *,
    signed_at: datetime,
    new_due: datetime,
    cal: WorkCalendar,
    already_extended: bool,
) -> Deadline:
    """An extension (*gia hạn*): the new return date of a Mẫu 04 letter (*phiếu xin lỗi và hẹn lại ngày trả
    kết quả*) signed by the head of the agency at `signed_at`.

    Refused (`ExtensionRefused`) when the dossier was already extended once, or when the letter is signed
    after `extension_last_day` (DL11, ND 61 Art. 19: "at least one working day before", read as dates in
    Vietnam: signed on the due date, or on the weekend before a Monday due date, is too late). The caller
    knows whether the dossier was extended before: its events say so.
    """
    signed = _aware(signed_at, "signed_at", cal.tz)
    new = _aware(new_due, "new_due", cal.tz)
    due = deadline.due.astimezone(cal.tz)
    if already_extended:
        raise ExtensionRefused("a dossier's deadline is extended once only (DL11, ND 61 Art. 19)")
    last_day = extension_last_day(due, cal)
    if signed.date() > last_day:
        raise ExtensionRefused(
            f"an extension is signed at least one day before the due date {due.date().isoformat()}: one "
            f"working day, by {last_day.isoformat()} (DL11, ND 61 Art. 19), not on {signed.date():%Y-%m-%d}"
        )
    if new <= due:
        raise ValueError("an extension moves the due time later")
    inputs = {
        "previous_due": deadline.due.isoformat(),
        "previous_rule": deadline.rule,
        "last_day_to_extend": last_day.isoformat(),
        "signed_at": signed.isoformat(),
        "tz": str(cal.tz),
    }
    return Deadline(due=new, start=deadline.start, rule=EXTENSION_RULE, inputs=inputs)


def classify(
    finished_at: datetime,
    due: datetime,
    rule: str = CLASSIFY_RULE,
    *,
    tz: dt.tzinfo = VIETNAM_TZ,
) -> Punctuality:
    """Early (*trước hạn*), on time (*đúng hạn*) or late (*quá hạn*), by the project's one rule (OS-ET1):

    `punctuality.finished_date.v1` compares the **local date** on which processing finished with the
    due date: an earlier date is early, the same date on time, a later date late. It is the rule of a
    production Decision 766 implementation (TD) and the one docs/domain/one-stop.md §6 recommends — a
    project choice, not law (TT 01/2018 Art. 13 only says shorter, equal or longer than the statutory
    time). Pass the time processing finished (*hoàn thành xử lý*), not the return; the dossier stores
    finish, return and due times so statistics can be recomputed under another rule (OS-ET2).
    """
    if rule != CLASSIFY_RULE:
        raise ValueError(f"unknown punctuality rule {rule!r}: the one rule is {CLASSIFY_RULE!r}")
    finished_day = _aware(finished_at, "finished_at", tz).date()
    due_day = _aware(due, "due", tz).date()
    if finished_day < due_day:
        return "early"
    if finished_day == due_day:
        return "on_time"
    return "late"
