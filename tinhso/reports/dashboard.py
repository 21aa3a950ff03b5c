"""Dashboards (*bảng điều khiển*): what a leader watches, and the province's headline figures for everyone.

Every number comes from the dossiers at the time of the request, through the statistics' own definitions
(`stats.dossier_report` / `stats.FIGURES`: received = `received_new`, processed, early / on time / late by
the stored `punctuality`) and the worklists' rules (`dossiers.selectors`): nothing here defines early, on
time or late again.

- **Trend** (`monthly_trend`): the 12 calendar months ending with the month of the period's end (or this
  month, while the period runs): received in the month, processed in it, and its on-time share — the rows of
  `dossier_report(…, group_by="month")`.
- **Units** (`late_units`) and **procedures** (`late_procedures`): the report's rows by receiving unit and by
  procedure, ranked by `processed_late` (then by processed, then by name), only rows with a late dossier;
  each late count is the statistics' `processed_late` of that row, so its list is `dossiers_behind(…,
  "processed_late", group_by=…, row=key)`.
- **Workload** (`workload`): per official of the scope holding dossiers, the dossiers they hold that are
  open — the worklist "Tôi đang xử lý" (`mine`: held, received / in process / processed, awaiting return) —
  and of those, the ones past their due time while running (the worklist "Quá hạn": running and `due_at`
  before now).
- **Due soon** (`due_soon`): the worklist "Đến hạn trong 2 ngày làm việc" of the user, narrowed to the scope.
- **Headline figures** (`headline`, public): procedures in the catalog (with a current version, as the home
  page counts them), the share of them whose online level is toàn trình (`OnlineLevel.FULL`), dossiers
  received this year (`received_new` over the year) and this year's on-time share (`on_time_ratio`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from tinhso.accounts.models import User
from tinhso.core.working_time import VIETNAM_TZ
from tinhso.dossiers.models import Dossier, Status
from tinhso.dossiers.selectors import RUNNING, worklist
from tinhso.procedures.models import OnlineLevel, Procedure
from tinhso.reports.periods import Period
from tinhso.reports.scope import Scope
from tinhso.reports.stats import Report, Row, dossier_report

__all__ = [
    "TOP",
    "TREND_MONTHS",
    "DueSoonRow",
    "Headline",
    "Load",
    "Ranked",
    "TrendPoint",
    "due_soon",
    "due_soon_rows",
    "headline",
    "late_procedures",
    "late_units",
    "monthly_trend",
    "trend_period",
    "workload",
]

TREND_MONTHS = 12
TOP = 10  # rows of a ranking shown and exported: the units and procedures a leader should look at first
# The worklist "Tôi đang xử lý" (`selectors._conditions["mine"]`): held, and not yet returned.
HELD_STATES = (*RUNNING, Status.PROCESSED)


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


# --- Trend ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    key: str  # "2026-03", the report's month row
    label: str  # "3/2026"
    received: int
    processed: int
    on_time_ratio: Decimal | None  # percent, one decimal; None when nothing was processed


def trend_period(period: Period, *, now: dt.datetime | None = None) -> Period:
    """The `TREND_MONTHS` whole months ending with the month of the period's last day, or of today while
    the period runs."""
    today = timezone.localdate(_now(now), VIETNAM_TZ)
    last = min(period.end, today)
    year, month = last.year, last.month - (TREND_MONTHS - 1)
    while month < 1:
        year, month = year - 1, month + 12
    first = Period.month(year, month)
    return Period.custom(first.start, Period.month(last.year, last.month).end)


# The figures each part shows (the statistics compute only these: `dossier_report(figures=…)`).
ON_TIME_FIGURES = ("processed", "processed_early", "processed_on_time")
TREND_FIGURES = ("received_new", *ON_TIME_FIGURES)
RANKED_FIGURES = (*ON_TIME_FIGURES, "processed_late", "in_process_overdue")


def monthly_trend(period: Period, scope: Scope, *, now: dt.datetime | None = None) -> list[TrendPoint]:
    report = dossier_report(
        trend_period(period, now=now), scope, now=_now(now), group_by="month", figures=TREND_FIGURES
    )
    return [
        TrendPoint(
            key=r.key,
            label=f"{int(r.key[5:])}/{r.key[:4]}",
            received=r.counts["received_new"],
            processed=r.counts["processed"],
            on_time_ratio=r.ratios["on_time_ratio"],
        )
        for r in report.rows
    ]


# --- Rankings -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    """A unit or a procedure with late dossiers: `key` is its row in the statistics (agency or procedure
    code), so `dossiers_behind(…, "processed_late", group_by=…, row=key)` lists exactly the `late` ones."""

    key: str
    label: str
    processed: int
    late: int
    on_time_ratio: Decimal | None
    overdue: int  # in process past the deadline at the period's end (or now)


def _ranked(report: Report, limit: int | None) -> list[Ranked]:
    rows: list[Row] = [r for r in report.rows if r.counts["processed_late"]]
    rows.sort(key=lambda r: (-r.counts["processed_late"], -r.counts["processed"], r.label))
    return [
        Ranked(
            key=r.key,
            label=r.label,
            processed=r.counts["processed"],
            late=r.counts["processed_late"],
            on_time_ratio=r.ratios["on_time_ratio"],
            overdue=r.counts["in_process_overdue"],
        )
        for r in rows[:limit]
    ]


def late_units(
    period: Period, scope: Scope, *, now: dt.datetime | None = None, limit: int | None = TOP
) -> list[Ranked]:
    """The receiving units of the scope most often late in the period (statistics rows by `agency`)."""
    report = dossier_report(period, scope, now=_now(now), group_by="agency", figures=RANKED_FIGURES)
    return _ranked(report, limit)


def late_procedures(
    period: Period, scope: Scope, *, now: dt.datetime | None = None, limit: int | None = TOP
) -> list[Ranked]:
    """The procedures of the scope most often late in the period (statistics rows by `procedure`)."""
    report = dossier_report(period, scope, now=_now(now), group_by="procedure", figures=RANKED_FIGURES)
    return _ranked(report, limit)


# --- Officials' workload and the dossiers about to go late -----------------------------------------------


@dataclass(frozen=True)
class Load:
    official_id: int
    name: str
    agency: str
    held: int  # open dossiers they hold (the worklist "Tôi đang xử lý")
    overdue: int  # of them, running past their due time (the worklist "Quá hạn")


def workload(scope: Scope, *, now: dt.datetime | None = None) -> list[Load]:
    """Officials holding open dossiers of the scope, most held first; one query. An instant, not a period:
    who holds what now."""
    now = _now(now)
    overdue = Q(status__in=RUNNING, due_at__lt=now)
    rows = (
        Dossier.objects.filter(scope.q())
        .filter(holder__isnull=False, status__in=HELD_STATES)
        .values("holder_id", "holder__full_name", "holder__username", "holder__agency__name")
        .annotate(held=Count("pk"), overdue=Count("pk", filter=overdue))
        .order_by()
    )
    out = [
        Load(
            official_id=r["holder_id"],
            name=r["holder__full_name"] or r["holder__username"],
            agency=r["holder__agency__name"] or "",
            held=r["held"],
            overdue=r["overdue"],
        )
        for r in rows
    ]
    out.sort(key=lambda x: (-x.held, -x.overdue, x.name))
    return out


def due_soon(user: User, scope: Scope, *, now: dt.datetime | None = None) -> QuerySet[Dossier]:
    """The dossiers of the scope due within 2 working days: the user's worklist of that name (its bounds,
    its visibility), narrowed to the scope; most urgent first."""
    return worklist(user, "due_soon", now=_now(now)).filter(scope.q())


@dataclass(frozen=True)
class DueSoonRow:
    """A dossier due soon as the page and its download show it."""

    code: str
    procedure: str
    agency: str
    holder: str  # full name, else user name; "" when nobody holds it
    due_at: dt.datetime | None  # never None here: the list is of dossiers due soon


def due_soon_rows(
    user: User, scope: Scope, *, limit: int, now: dt.datetime | None = None
) -> tuple[list[DueSoonRow], int]:
    """The `limit` most urgent of `due_soon` (only the shown columns: a procedure version's texts run to
    kilobytes a row) and how many there are in all."""
    due = due_soon(user, scope, now=now)
    rows = [
        DueSoonRow(
            code=r["code"],
            procedure=r["procedure__name"],
            agency=r["agency__name"],
            holder=r["holder__full_name"] or r["holder__username"] or "",
            due_at=r["due_at"],
        )
        for r in due.values(
            "code", "due_at", "procedure__name", "agency__name", "holder__full_name", "holder__username"
        )[:limit]
    ]
    return rows, due.count() if len(rows) == limit else len(rows)


# --- The public headline figures -----------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    year: int
    procedures: int  # in the catalog (with a current version)
    full_online: int  # of them, toàn trình
    received: int  # dossiers received this year
    processed: int  # processed this year
    on_time_ratio: Decimal | None  # (early + on time) / processed this year, percent

    @property
    def full_online_ratio(self) -> Decimal | None:
        if not self.procedures:
            return None
        share = Decimal(100 * self.full_online) / Decimal(self.procedures)
        return share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def headline(*, now: dt.datetime | None = None) -> Headline:
    """The province's figures for this year (two queries)."""
    now = _now(now)
    year = timezone.localdate(now, VIETNAM_TZ).year
    catalog = Procedure.objects.filter(current_version__isnull=False).aggregate(
        n=Count("pk"), full=Count("pk", filter=Q(online_level=OnlineLevel.FULL))
    )
    total = dossier_report(Period.year(year), Scope(), now=now, figures=TREND_FIGURES).total
    return Headline(
        year=year,
        procedures=catalog["n"],
        full_online=catalog["full"],
        received=total.counts["received_new"],
        processed=total.counts["processed"],
        on_time_ratio=total.ratios["on_time_ratio"],
    )
