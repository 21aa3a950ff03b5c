"""The dashboards' pages: the leaders' (`/bang-dieu-khien/`) with its tables' downloads, and the public
headline figures (`/so-lieu/`).

The leaders' page is for officials with a role (their agency and the units under it) and system
administrators (the province) — the statistics' rule (`scope.may_see_reports`); its period and scope are
read by the statistics' own `period_from_query` (a year by default here) and `scope_from_query`. Each late
count links to the statistics' list of its dossiers (`reports:dossiers` with `figure=processed_late`, the
row's `group` and key), so the list is the very one the statistics page opens. Thin views: numbers from
`dashboard`, charts from `svg`, files from `dashboard_exports`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from tinhso.accounts.models import User
from tinhso.accounts.selectors import agencies_visible_to, user_sees_everything
from tinhso.core.cache import kept_add, kept_delete, kept_get, kept_set
from tinhso.core.working_time import VIETNAM_TZ
from tinhso.reports import dashboard, svg
from tinhso.reports import dashboard_exports as files
from tinhso.reports.periods import ROMAN, Period, PeriodError, period_from_query
from tinhso.reports.report_views import official_required
from tinhso.reports.scope import Scope, ScopeError, scope_from_query

DASHBOARD_KINDS = (
    ("year", gettext_lazy("Năm")),
    ("quarter", gettext_lazy("Quý")),
    ("month", gettext_lazy("Tháng")),
)
# The dossiers due soon exported: a unit's two days of work, not a whole province's backlog.
DUE_SOON_LIMIT = 200
# Rows the page shows of the two long tables (the most urgent dossiers, the officials holding the most);
# their downloads have every row. A province's page would otherwise list hundreds of each.
DUE_SOON_SHOWN = 20
WORKLOAD_SHOWN = 30


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@dataclass
class Ask:
    period: Period | None
    scope: Scope | None
    errors: list[str]

    def params(self, **extra: str) -> str:
        assert self.period is not None and self.scope is not None
        return urlencode(self.period.as_query() | self.scope.as_query() | extra)


def _read(request: HttpRequest) -> Ask:
    params = {k: str(v) for k, v in request.GET.items()}
    params.setdefault("period", "year")
    errors: list[str] = []
    period = scope = None
    try:
        period = period_from_query(params, today=timezone.localdate(timezone.now(), VIETNAM_TZ))
    except PeriodError as e:
        errors.append(str(e))
    try:
        scope = scope_from_query(params, user=_user(request))
    except ScopeError as e:
        errors.append(str(e))
    return Ask(period, scope, errors)


# Kept figures older than DASHBOARD_CACHE_SECONDS are still served, up to this many times that age, while one
# request recomputes them: the others do not all read the million dossiers at the same moment.
STALE_FACTOR = 10


def _seen(user: User) -> str:
    """Whose dossiers the user may see, as a key: the due-soon list is the user's worklist (its visibility)
    narrowed to the scope, so kept figures are shared only by users who see the same dossiers."""
    if user_sees_everything(user):
        return "*"
    return user.agency.path if user.agency is not None else "-"


def figures_key(period: Period, scope: Scope, seen: str = "*") -> str:
    raw = f"{sorted(period.as_query().items())}|{sorted(scope.as_query().items())}|{seen}"
    return "reports:dashboard:v2:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Figures:
    """What the page shows, computed together at `computed_at` from the dossiers."""

    key: str
    computed_at: dt.datetime
    trend: list[dashboard.TrendPoint]
    units: list[Any]
    procedures: list[Any]
    loads: list[Any]
    soon: list[dashboard.DueSoonRow]  # the DUE_SOON_LIMIT most urgent dossiers due within 2 working days
    soon_total: int  # how many are due within 2 working days


def _figures(user: User, ask: Ask) -> Figures:
    """The figures of a period and scope (trend, units, procedures, workload, the dossiers due soon) and when
    they were computed: from the dossiers, at most once every `DASHBOARD_CACHE_SECONDS` per period, scope and
    visibility — a province-wide year reads a million dossiers, and every leader who opens the page would
    read them again. When they are due, the one request that takes the recomputation (`cache.add` of a lock
    key) computes them; requests meanwhile get the previous ones, whose time the page shows. The scope is
    already what the asker may see (`scope_from_query`)."""
    assert ask.period is not None and ask.scope is not None
    seconds = settings.DASHBOARD_CACHE_SECONDS
    key = figures_key(ask.period, ask.scope, _seen(user))
    kept = kept_get(key) if seconds > 0 else None
    if kept is not None and not isinstance(kept, Figures):
        kept = None  # kept by another version of this code
    due = kept is None or (timezone.now() - kept.computed_at).total_seconds() >= seconds
    if due and (kept is None or kept_add(f"{key}:computing", 1, seconds)):
        now = timezone.now()
        soon, soon_total = dashboard.due_soon_rows(user, ask.scope, limit=DUE_SOON_LIMIT, now=now)
        kept = Figures(
            key=key,
            computed_at=now,
            trend=dashboard.monthly_trend(ask.period, ask.scope, now=now),
            units=dashboard.late_units(ask.period, ask.scope, now=now),
            procedures=dashboard.late_procedures(ask.period, ask.scope, now=now),
            loads=dashboard.workload(ask.scope, now=now),
            soon=soon,
            soon_total=soon_total,
        )
        if seconds > 0:
            kept_set(key, kept, seconds * STALE_FACTOR)
            # Their moment alone, small: what a page kept with them is looked up by (`_kept_main`).
            kept_set(f"{key}:at", now, seconds * STALE_FACTOR)
            kept_delete(f"{key}:computing")
    assert kept is not None
    return kept


def _table(figures: Figures, key: str) -> files.DashTable:
    """One table of the page, for its download: from the same kept figures as the page."""
    build: dict[str, Callable[[], files.DashTable]] = {
        "xu-huong": lambda: files.trend_table(figures.trend),
        "don-vi": lambda: files.units_table(figures.units),
        "thu-tuc": lambda: files.procedures_table(figures.procedures),
        "can-bo": lambda: files.workload_table(figures.loads),
        "sap-den-han": lambda: files.due_soon_table(figures.soon),
    }
    return build[key]()


def _late_href(ask: Ask, group: str, row: str) -> str:
    return f"{reverse('reports:dossiers')}?{ask.params(group=group, figure='processed_late', row=row)}"


def _trend_charts(trend: list[dashboard.TrendPoint]) -> dict[str, Any]:
    labels = [p.label for p in trend]
    return {
        "volume": svg.line_chart(
            labels,
            [
                svg.Series(_("Mới tiếp nhận"), [p.received for p in trend]),
                svg.Series(_("Đã giải quyết"), [p.processed for p in trend]),
            ],
            title=_("Hồ sơ mới tiếp nhận và đã giải quyết theo tháng"),
        ),
        "on_time": svg.bar_chart(
            [(p.label, p.on_time_ratio) for p in trend],
            title=_("Tỷ lệ giải quyết đúng hạn theo tháng"),
            unit="%",
            decimals=1,
            maximum=100,
        ),
    }


# What the filter form shows selected: part of the kept page's key.
FORM_FIELDS = ("period", "year", "quarter", "month", "agency")


def _form_values(ask: Ask, asked: dict[str, str]) -> dict[str, str]:
    """What the filter form shows: the period and scope read, and for the fields that period does not use
    (a year's month, say) what was asked when it is one of the form's choices — nothing else of the query
    reaches the page or its key, so a made-up parameter cannot make a new page to keep."""
    assert ask.period is not None and ask.scope is not None
    values = ask.period.as_query() | ask.scope.as_query()
    choices = {"quarter": {str(n) for n in range(1, 5)}, "month": {str(n) for n in range(1, 13)}}
    for name, allowed in choices.items():
        if name not in values and asked.get(name) in allowed:
            values[name] = asked[name]
    return values


def _main_key(key: str, computed_at: dt.datetime, shown: str, seen: str) -> str:
    """The page's main part drawn from the figures kept under `key` at `computed_at`: per language, form
    values and visibility (the agencies the form offers)."""
    extra = hashlib.sha256(f"{shown}|{seen}".encode()).hexdigest()[:24]
    return f"{key}:{computed_at.timestamp()}:main:{get_language()}:{extra}"


def _kept_main(user: User, ask: Ask, shown: str) -> str | None:
    """The main part kept with figures that are not yet due, from two small reads of the cache (the figures'
    moment, then the part): the figures themselves are not read back."""
    seconds = settings.DASHBOARD_CACHE_SECONDS
    if seconds <= 0:
        return None
    assert ask.period is not None and ask.scope is not None
    seen = _seen(user)
    key = figures_key(ask.period, ask.scope, seen)
    at = kept_get(f"{key}:at")
    if not isinstance(at, dt.datetime) or (timezone.now() - at).total_seconds() >= seconds:
        return None
    main_key = _main_key(key, at, shown, seen)
    main = _drawn.get(main_key)
    if main is None:
        main = kept_get(main_key)
        if not isinstance(main, str):
            return None
        _drawn.put(main_key, main)
    return main


class _Drawn:
    """The main parts this process drew or read last, by key. A key names figures computed at one moment,
    so what it holds never changes: kept here, a page is not read back from the shared cache (75 kB) on
    every request. A few dozen entries: the periods and scopes asked for within a minute."""

    SIZE = 64

    def __init__(self) -> None:
        self._parts: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            part = self._parts.get(key)
            if part is not None:
                self._parts.move_to_end(key)
            return part

    def put(self, key: str, part: str) -> None:
        with self._lock:
            self._parts[key] = part
            self._parts.move_to_end(key)
            while len(self._parts) > self.SIZE:
                self._parts.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._parts.clear()


_drawn = _Drawn()


@official_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """The page. Its main part is drawn once per kept figures (and language, form values and visibility) and
    kept with them: a leader's page is then the site's frame around a kept string — without it, drawing
    the tables and charts cost ten times what the request around it did."""
    user = _user(request)
    ask = _read(request)
    values = {k: str(v) for k, v in request.GET.items()}
    context: dict[str, Any] = {
        "ask": ask,
        "kinds": DASHBOARD_KINDS,
        "months": list(range(1, 13)),
        "quarters": list(enumerate(ROMAN, start=1)),
        # Lazy: read only when the main part is drawn.
        "agencies": agencies_visible_to(user).order_by("path").values_list("code", "name"),
    }
    if ask.errors:
        values.setdefault("period", "year")
        context["values"] = values
        return render(request, "reports/dashboard_page.html", context, status=400)

    assert ask.period is not None and ask.scope is not None
    values = _form_values(ask, values)
    shown = "|".join(values.get(name, "") for name in FORM_FIELDS)
    seconds = settings.DASHBOARD_CACHE_SECONDS
    main = _kept_main(user, ask, shown)
    if main is not None:
        return render(request, "reports/dashboard_page.html", {"ask": ask, "main": main})

    figures = _figures(user, ask)
    page_key = _main_key(figures.key, figures.computed_at, shown, _seen(user))
    main = kept_get(page_key) if seconds > 0 else None
    if not isinstance(main, str):
        downloads = {
            key.replace("-", "_"): {
                "csv": reverse("dashboard:csv", args=[key]) + f"?{ask.params()}",
                "xlsx": reverse("dashboard:xlsx", args=[key]) + f"?{ask.params()}",
            }
            for key in files.TABLE_KEYS
        }
        context |= {
            "values": values,
            "trend": figures.trend,
            "units": figures.units,
            "procedures": figures.procedures,
            "loads": figures.loads,
            "soon": figures.soon[:DUE_SOON_SHOWN],
            "soon_total": figures.soon_total,
            "downloads": downloads,
            "charts": _trend_charts(figures.trend)
            | {
                "units": svg.bar_chart(
                    [(r.label, r.late) for r in figures.units],
                    title=_("Số hồ sơ giải quyết quá hạn theo đơn vị"),
                ),
            },
            "loads_shown": figures.loads[:WORKLOAD_SHOWN],
            "loads_more": len(figures.loads) > WORKLOAD_SHOWN,
            "unit_rows": [(r, _late_href(ask, "agency", r.key)) for r in figures.units],
            "procedure_rows": [(r, _late_href(ask, "procedure", r.key)) for r in figures.procedures],
            "statistics": f"{reverse('reports:report')}?{ask.params(group='agency')}",
            "now": timezone.localtime(figures.computed_at, VIETNAM_TZ),
            "refresh_seconds": seconds,
        }
        main = render_to_string("reports/dashboard_main.html", context, request)
        if seconds > 0:
            kept_set(page_key, main, seconds * STALE_FACTOR)
            _drawn.put(page_key, main)
    return render(request, "reports/dashboard_page.html", {"ask": ask, "main": main})


def _download(request: HttpRequest, key: str) -> tuple[Ask, files.DashTable | None]:
    if key not in files.TABLE_KEYS:
        raise Http404
    ask = _read(request)
    if ask.errors:
        return ask, None
    return ask, _table(_figures(_user(request), ask), key)


def _bad_request(ask: Ask) -> HttpResponse:
    return HttpResponse(
        "\n".join(ask.errors).encode("utf-8"), status=400, content_type="text/plain; charset=utf-8"
    )


def _filename(ask: Ask, key: str) -> str:
    assert ask.period is not None
    return f"bang-dieu-khien-{key}-{ask.period.slug}"


@official_required
def dashboard_csv(request: HttpRequest, key: str) -> HttpResponse:
    ask, table = _download(request, key)
    if table is None:
        return _bad_request(ask)
    return files.table_csv(table, _filename(ask, key))


@official_required
def dashboard_xlsx(request: HttpRequest, key: str) -> HttpResponse:
    ask, table = _download(request, key)
    if table is None:
        return _bad_request(ask)
    assert ask.period is not None and ask.scope is not None
    context = _("Kỳ: %(period)s. Phạm vi: %(scope)s.") % {
        "period": ask.period.label,
        "scope": ask.scope.label,
    }
    return files.table_xlsx(table, context, _filename(ask, key))


@require_safe
def public_figures(request: HttpRequest) -> HttpResponse:
    """The province's headline figures and the last 12 months, for everyone (no sign-in). Computed from the
    dossiers at most once every `PUBLIC_FIGURES_CACHE_SECONDS` per cache (the page says when): a public
    page must not run its fifteen queries for every visitor."""
    key = "reports:public-figures:v1"
    cached = kept_get(key) if settings.PUBLIC_FIGURES_CACHE_SECONDS > 0 else None
    if not isinstance(cached, tuple):
        now = timezone.now()
        figures = dashboard.headline(now=now)
        trend = dashboard.monthly_trend(Period.year(figures.year), Scope(), now=now)
        cached = (now, figures, trend)
        if settings.PUBLIC_FIGURES_CACHE_SECONDS > 0:
            kept_set(key, cached, settings.PUBLIC_FIGURES_CACHE_SECONDS)
    now, figures, trend = cached
    context = {
        "figures": figures,
        "trend": trend,
        "charts": _trend_charts(trend),
        "now": timezone.localtime(now, VIETNAM_TZ),
    }
    return render(request, "reports/dashboard_public.html", context)
