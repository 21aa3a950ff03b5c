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
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from tinhso.accounts.models import User
from tinhso.accounts.selectors import agencies_visible_to
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


def figures_key(period: Period, scope: Scope) -> str:
    raw = f"{sorted(period.as_query().items())}|{sorted(scope.as_query().items())}"
    return "reports:dashboard:v1:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def _figures(ask: Ask) -> tuple[str, dt.datetime, Any, Any, Any, Any]:
    """The computed figures of a period and scope (trend, units, procedures, workload) and when they were
    computed: from the dossiers, at most once every `DASHBOARD_CACHE_SECONDS` per period and scope — a
    province-wide year reads a million dossiers, and every leader who opens the page would read them again.
    When they are due, the one request that takes the recomputation (`cache.add` of a lock key) computes
    them; requests meanwhile get the previous ones, whose time the page shows. They do not depend on who
    asks: the scope is already what the asker may see (`scope_from_query`). Returns the key too, for the
    page's sections drawn from them (kept with them, template `cache`)."""
    assert ask.period is not None and ask.scope is not None
    seconds = settings.DASHBOARD_CACHE_SECONDS
    key = figures_key(ask.period, ask.scope)
    kept = cache.get(key) if seconds > 0 else None
    due = kept is None or (timezone.now() - kept[0]).total_seconds() >= seconds
    if due and (kept is None or cache.add(f"{key}:computing", 1, seconds)):
        now = timezone.now()
        kept = (
            now,
            dashboard.monthly_trend(ask.period, ask.scope, now=now),
            dashboard.late_units(ask.period, ask.scope, now=now),
            dashboard.late_procedures(ask.period, ask.scope, now=now),
            dashboard.workload(ask.scope, now=now),
        )
        if seconds > 0:
            cache.set(key, kept, seconds * STALE_FACTOR)
            cache.delete(f"{key}:computing")
    assert kept is not None
    return (key, *kept)


def _tables(request: HttpRequest, ask: Ask, *, soon_limit: int = DUE_SOON_LIMIT) -> dict[str, Any]:
    """Every table of the page, computed once (the page and the downloads read the same); the page reads
    only the `soon_limit` most urgent dossiers due soon, and how many there are."""
    assert ask.period is not None and ask.scope is not None
    key, computed_at, trend, units, procedures, loads = _figures(ask)
    due = dashboard.due_soon(_user(request), ask.scope, now=timezone.now())
    soon = list(
        due.select_related(None)  # the worklist's procedure version (kilobytes a row) is not shown here
        .select_related("procedure", "agency", "holder")
        .only("code", "due_at", "procedure__name", "agency__name", "holder__full_name", "holder__username")[
            :soon_limit
        ]
    )
    return {
        "computed_at": computed_at,
        "figures_key": f"{key}:{computed_at.timestamp()}",
        "trend": trend,
        "units": units,
        "procedures": procedures,
        "loads": loads,
        "soon": soon,
        "soon_total": due.count() if len(soon) == soon_limit else len(soon),
        # Built when a download asks for one, not for every page.
        "tables": {
            "xu-huong": lambda: files.trend_table(trend),
            "don-vi": lambda: files.units_table(units),
            "thu-tuc": lambda: files.procedures_table(procedures),
            "can-bo": lambda: files.workload_table(loads),
            "sap-den-han": lambda: files.due_soon_table(soon),
        },
    }


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


@official_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    ask = _read(request)
    values = {k: str(v) for k, v in request.GET.items()}
    context: dict[str, Any] = {
        "ask": ask,
        "kinds": DASHBOARD_KINDS,
        "months": list(range(1, 13)),
        "quarters": list(enumerate(ROMAN, start=1)),
        "agencies": list(agencies_visible_to(user).order_by("path").values_list("code", "name")),
    }
    if not ask.errors:
        assert ask.period is not None and ask.scope is not None
        data = _tables(request, ask, soon_limit=DUE_SOON_SHOWN)
        values = ask.period.as_query() | ask.scope.as_query() | values
        downloads = {
            key.replace("-", "_"): {
                "csv": reverse("dashboard:csv", args=[key]) + f"?{ask.params()}",
                "xlsx": reverse("dashboard:xlsx", args=[key]) + f"?{ask.params()}",
            }
            for key in files.TABLE_KEYS
        }
        context |= data | {
            "downloads": downloads,
            "charts": _trend_charts(data["trend"])
            | {
                "units": svg.bar_chart(
                    [(r.label, r.late) for r in data["units"]],
                    title=_("Số hồ sơ giải quyết quá hạn theo đơn vị"),
                ),
            },
            "loads_shown": data["loads"][:WORKLOAD_SHOWN],
            "loads_more": len(data["loads"]) > WORKLOAD_SHOWN,
            "unit_rows": [(r, _late_href(ask, "agency", r.key)) for r in data["units"]],
            "procedure_rows": [(r, _late_href(ask, "procedure", r.key)) for r in data["procedures"]],
            "statistics": f"{reverse('reports:report')}?{ask.params(group='agency')}",
            "now": timezone.localtime(data["computed_at"], VIETNAM_TZ),
            "refresh_seconds": settings.DASHBOARD_CACHE_SECONDS,
        }
    values.setdefault("period", "year")
    context["values"] = values
    return render(request, "reports/dashboard_page.html", context, status=400 if ask.errors else 200)


def _download(request: HttpRequest, key: str) -> tuple[Ask, files.DashTable | None]:
    if key not in files.TABLE_KEYS:
        raise Http404
    ask = _read(request)
    if ask.errors:
        return ask, None
    return ask, _tables(request, ask)["tables"][key]()


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
    cached = cache.get(key) if settings.PUBLIC_FIGURES_CACHE_SECONDS > 0 else None
    if cached is None:
        now = timezone.now()
        figures = dashboard.headline(now=now)
        trend = dashboard.monthly_trend(Period.year(figures.year), Scope(), now=now)
        cached = (now, figures, trend)
        if settings.PUBLIC_FIGURES_CACHE_SECONDS > 0:
            cache.set(key, cached, settings.PUBLIC_FIGURES_CACHE_SECONDS)
    now, figures, trend = cached
    context = {
        "figures": figures,
        "trend": trend,
        "charts": _trend_charts(trend),
        "now": timezone.localtime(now, VIETNAM_TZ),
    }
    return render(request, "reports/dashboard_public.html", context)
