"""The statistics pages (*thống kê*): the report for a period and scope, the dossiers behind each number, and
their CSV and XLSX downloads.

For officials with a role (their agency and the units under it) and system administrators (the province),
as in the backoffice; others get 403. A plain GET form, no JavaScript needed. Thin views: periods and
scopes are read by `periods` and `scope`, numbers come from `stats`, files from `exports`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tinhso.accounts.models import Agency, Commune, User
from tinhso.accounts.selectors import agencies_visible_to, user_sees_everything
from tinhso.core.working_time import CLASSIFY_RULE, VIETNAM_TZ
from tinhso.dossiers.models import Channel
from tinhso.procedures.models import Procedure, ProcedureField
from tinhso.reports import exports
from tinhso.reports.periods import KINDS, ROMAN, Period, PeriodError, period_from_query
from tinhso.reports.scope import Scope, ScopeError, may_see_reports, scope_from_query, small_id
from tinhso.reports.stats import (
    FIGURES,
    GROUPS,
    RATIOS,
    TABLES,
    UNKNOWN_RATIOS,
    Report,
    ReportError,
    Row,
    Table,
    dossier_report,
    dossiers_behind,
)

PAGE_SIZE = 50
DEFAULT_GROUP = "agency"
PROCEDURE_HINTS = 300  # the procedures offered as suggestions in the form (any code can be typed)

PERIOD_KINDS = {
    "month": gettext_lazy("Tháng"),
    "quarter": gettext_lazy("Quý"),
    "year": gettext_lazy("Năm"),
    "custom": gettext_lazy("Tùy chọn (từ ngày … đến ngày …)"),
}

# What each number counts, for people: on the page ("Cách tính") and in the XLSX's last sheet. The
# precise rules, with their sources, are in `stats`' docstring.
DEFINITIONS = (
    (
        gettext_lazy("Kỳ trước chuyển qua"),
        gettext_lazy(
            "Hồ sơ tiếp nhận trước ngày đầu kỳ, chưa giải quyết xong, chưa rút, chưa dừng vào lúc bắt đầu kỳ."
        ),
    ),
    (
        gettext_lazy("Mới tiếp nhận"),
        gettext_lazy(
            "Hồ sơ tiếp nhận trong kỳ (thời điểm tiếp nhận). Trực tuyến: nộp qua Cổng dịch vụ công của tỉnh "
            "hoặc Cổng Dịch vụ công quốc gia."
        ),
    ),
    (
        gettext_lazy("Đã giải quyết"),
        gettext_lazy(
            "Hồ sơ xử lý xong trong kỳ (lãnh đạo phê duyệt kết quả, hoặc từ chối giải quyết có lý do sau "
            "thẩm định). Trước hạn, đúng hạn, quá hạn theo quy tắc punctuality.finished_date.v1 của Tỉnh "
            "Số: so ngày xử lý xong với ngày hẹn trả (ngày hẹn đã gia hạn nếu có) — xong sau giờ hẹn vài "
            "phút nhưng cùng ngày là đúng hạn, sang ngày hôm sau là quá hạn."
        ),
    ),
    (
        gettext_lazy("Đang giải quyết"),
        gettext_lazy(
            "Hồ sơ đã tiếp nhận, chưa xử lý xong, chưa rút, chưa dừng vào cuối kỳ (kỳ chưa kết thúc: đến "
            "thời điểm xem). Quá hạn: giờ hẹn trả trước cuối kỳ; hồ sơ đang chờ bổ sung hoặc chờ thực hiện "
            "nghĩa vụ tài chính từ trước cuối kỳ, khi chưa quá hạn lúc bắt đầu chờ, được tính trong hạn "
            "(thời gian giải quyết tạm dừng)."
        ),
    ),
    (
        gettext_lazy("Cân đối"),
        gettext_lazy("Tổng số tiếp nhận = Đã giải quyết + Đang giải quyết + Rút + Dừng, ở mọi dòng."),
    ),
    (
        gettext_lazy("Bổ sung"),
        gettext_lazy("Hồ sơ được gửi phiếu yêu cầu bổ sung, hoàn thiện (Mẫu 02) trong kỳ."),
    ),
    (
        gettext_lazy("Từ chối"),
        gettext_lazy(
            "Hồ sơ bị từ chối tiếp nhận (Mẫu 03) trong kỳ; không được tiếp nhận nên không nằm trong tổng số."
        ),
    ),
    (
        gettext_lazy("Rút, Dừng"),
        gettext_lazy(
            "Hồ sơ đã tiếp nhận được rút theo đề nghị của người nộp, hoặc dừng giải quyết (Mẫu 05), trong kỳ."
        ),
    ),
    (
        gettext_lazy("Tỷ lệ đúng hạn"),
        gettext_lazy("(Trước hạn + Đúng hạn) / Đã giải quyết."),
    ),
    (
        gettext_lazy("Tỷ lệ trực tuyến"),
        gettext_lazy("Mới tiếp nhận trực tuyến / Mới tiếp nhận."),
    ),
    (
        gettext_lazy("Thanh toán trực tuyến"),
        gettext_lazy(
            "Có phí, lệ phí: hồ sơ mới tiếp nhận có khoản phí, lệ phí hoặc nghĩa vụ tài chính phải nộp "
            "(chưa hủy, không được miễn). Đã thanh toán trực tuyến: trong số đó, hồ sơ có ít nhất một "
            "khoản đã nộp đủ; khoản mới nộp một phần chưa tính. Tiền chỉ được ghi nhận qua chuyển khoản "
            "ngân hàng (VietQR, sao kê). Tỷ lệ = Đã thanh toán trực tuyến / Có phí, lệ phí."
        ),
    ),
    (
        gettext_lazy("Kết quả điện tử"),
        gettext_lazy(
            "Hồ sơ đã giải quyết có kết quả điện tử (còn hiệu lực) trong kho giấy tờ điện tử của người nộp."
        ),
    ),
    (
        gettext_lazy("Số hóa giấy tờ"),
        gettext_lazy("Hồ sơ mới tiếp nhận có ít nhất một giấy tờ, và mọi giấy tờ đã nộp đều có tệp số hóa."),
    ),
    (
        gettext_lazy("Lượt đánh giá"),
        gettext_lazy(
            "Lượt đánh giá chung (Rất hài lòng, Hài lòng, Không hài lòng) người dân gửi trong kỳ về hồ sơ "
            "thuộc phạm vi."
        ),
    ),
)


def official_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Signed in, and an official with a role or a system administrator (`scope.may_see_reports`)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not (isinstance(user, User) and may_see_reports(user)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@dataclass
class Query:
    """What a page asks for, read and checked; `errors` in plain Vietnamese when it cannot be read."""

    period: Period | None
    scope: Scope | None
    group_by: str | None
    errors: list[str]

    def params(self, **extra: str) -> str:
        assert self.period is not None and self.scope is not None
        out = self.period.as_query() | self.scope.as_query() | {"group": self.group_by or ""}
        return urlencode(out | extra)


def _read(request: HttpRequest) -> Query:
    errors: list[str] = []
    params = request.GET
    period = scope = None
    try:
        period = period_from_query(params, today=timezone.localdate(timezone.now(), VIETNAM_TZ))
    except PeriodError as e:
        errors.append(str(e))
    try:
        scope = scope_from_query(params, user=_user(request))
    except ScopeError as e:
        errors.append(str(e))
    group = params.get("group", DEFAULT_GROUP).strip()
    if group and group not in GROUPS:
        errors.append(_("Cách chia dòng của báo cáo không hợp lệ."))
    return Query(period, scope, group or None, errors)


def _number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return formats.number_format(value, force_grouping=True)
    return formats.number_format(value, decimal_pos=1)


@dataclass
class Cell:
    key: str
    value: Any
    text: str  # as people read it (1.234; 83,3)
    href: str  # the dossiers behind a count
    reason: str  # why a share is unknown
    header: str  # the column's name, the label of the cell on a narrow screen's card

    @property
    def raw(self) -> str:
        """The number as the exports write it (1234; 83.3), for tests and scripts reading the page."""
        return "" if self.value is None else str(self.value)


def _cells(row: Row, table: Table, query: Query, dossiers_url: str) -> list[Cell]:
    out = []
    for c in table.columns:
        value = row.value(c.key)
        header = f"{c.group} — {c.header}" if c.group else str(c.header)
        if c.key in UNKNOWN_RATIOS:
            out.append(Cell(c.key, None, "—", "", str(UNKNOWN_RATIOS[c.key]), header))
        elif c.key in RATIOS:
            out.append(Cell(c.key, value, _number(value), "", "", header))
        else:
            href = f"{dossiers_url}?{query.params(figure=c.key, row=row.key)}"
            out.append(Cell(c.key, value, _number(value), href, "", header))
    return out


def _tables(report: Report, query: Query) -> list[dict[str, Any]]:
    dossiers_url = reverse("reports:dossiers")
    out = []
    for table in TABLES.values():
        heads: list[dict[str, Any]] = []  # the first header row: groups spanning their columns
        for c in table.columns:
            if c.group and heads and heads[-1]["group"] and heads[-1]["label"] == str(c.group):
                heads[-1]["span"] += 1
            else:
                heads.append({"label": str(c.group or c.header), "group": bool(c.group), "span": 1})
        out.append(
            {
                "key": table.key,
                "title": table.title,
                "national": table.national,
                "heads": heads,
                "subs": [c for c in table.columns if c.group],
                "rows": [
                    {"n": i, "row": r, "cells": _cells(r, table, query, dossiers_url)}
                    for i, r in enumerate(report.rows, start=1)
                ],
                "total": _cells(report.total, table, query, dossiers_url),
                "csv": f"{reverse('reports:export_csv')}?{query.params(table=table.key)}",
            }
        )
    return out


def _choices(user: User) -> dict[str, Any]:
    """The form's lists, limited to what the user may see."""
    agencies = agencies_visible_to(user).only("code", "name", "path").order_by("path")
    communes = Commune.objects.filter(committee__isnull=False).order_by("name")
    bound = Procedure.objects.filter(bindings__is_active=True)
    if not user_sees_everything(user):
        assert user.agency is not None
        communes = communes.filter(committee__path__startswith=user.agency.path)
        bound = bound.filter(bindings__agency__path__startswith=user.agency.path)
    fields = ProcedureField.objects.filter(pk__in=bound.values("field_id")).order_by("name")
    return {
        "agencies": list(agencies.values_list("code", "name")),
        "communes": list(communes.values_list("code", "name")),
        "fields": list(fields.values_list("pk", "name")),
        "procedures": list(bound.distinct().order_by("code").values_list("code", "name")[:PROCEDURE_HINTS]),
        "channels": Channel.choices,
        "groups": list(GROUPS.items()),
        "kinds": [(k, PERIOD_KINDS[k]) for k in KINDS],
        "months": list(range(1, 13)),
        "quarters": list(enumerate(ROMAN, start=1)),
    }


def _form_values(request: HttpRequest, query: Query) -> dict[str, str]:
    """The values the form shows: what was asked, with the period's defaults filled in."""
    values: dict[str, str] = {k: str(request.GET.get(k, "")) for k in request.GET}
    if query.period is not None:
        values = query.period.as_query() | values
        values.setdefault("year", str(query.period.start.year))
        values.setdefault("month", str(query.period.start.month))
        values.setdefault("quarter", str((query.period.start.month - 1) // 3 + 1))
        values.setdefault("start", query.period.start.isoformat())
        values.setdefault("end", query.period.end.isoformat())
    values.setdefault("group", DEFAULT_GROUP)
    return values


@official_required
def report_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    query = _read(request)
    context: dict[str, Any] = {
        "query": query,
        "values": _form_values(request, query),
        "choices": _choices(user),
        "definitions": DEFINITIONS,
        "rule": CLASSIFY_RULE,
        "sees_province": user_sees_everything(user),
    }
    if not query.errors:
        assert query.period is not None and query.scope is not None
        try:
            report = dossier_report(query.period, query.scope, group_by=query.group_by)
        except ReportError as e:
            query.errors.append(str(e))
        else:
            context |= {
                "report": report,
                "tables": _tables(report, query),
                "xlsx": f"{reverse('reports:export_xlsx')}?{query.params()}",
                "as_of": timezone.localtime(report.as_of, VIETNAM_TZ),
            }
    return render(request, "reports/report_page.html", context, status=400 if query.errors else 200)


def _behind(request: HttpRequest) -> tuple[Query, str, str, QuerySet[Any] | None]:
    query = _read(request)
    figure = request.GET.get("figure", "").strip()
    row = request.GET.get("row", "").strip()
    qs = None
    if not query.errors:
        assert query.period is not None and query.scope is not None
        try:
            qs = dossiers_behind(query.period, query.scope, figure, group_by=query.group_by, row=row)
        except ReportError as e:
            query.errors.append(str(e))
    return query, figure, row, qs


def _row_label(query: Query, row: str) -> str:
    """The name of the report's row a list was opened from ("" for the total)."""
    if not row or query.group_by is None:
        return ""
    if query.group_by == "agency":
        return Agency.objects.filter(code=row).values_list("name", flat=True).first() or row
    if query.group_by == "field" and small_id(row):
        return ProcedureField.objects.filter(pk=int(row)).values_list("name", flat=True).first() or row
    if query.group_by == "procedure":
        name = Procedure.objects.filter(code=row).values_list("name", flat=True).first()
        return f"{row} {name}" if name else row
    if query.group_by == "channel" and row in Channel.values:
        return str(Channel(row).label)
    if query.group_by == "month" and query.period is not None:
        for m in query.period.months():
            if f"{m.start:%Y-%m}" == row:
                return m.label
    return row


def _list_title(query: Query, figure: str, row: str) -> str:
    assert query.period is not None and query.scope is not None
    parts = [str(FIGURES[figure].label), _row_label(query, row), query.period.label, query.scope.label]
    return " — ".join(p for p in parts if p)


@official_required
def report_dossiers(request: HttpRequest) -> HttpResponse:
    query, figure, row, qs = _behind(request)
    context: dict[str, Any] = {"query": query}
    if qs is not None:
        page = Paginator(qs.select_related("agency", "procedure").order_by("received_at", "code"), PAGE_SIZE)
        context |= {
            "title": _list_title(query, figure, row),
            "page": page.get_page(request.GET.get("page")),
            "back": f"{reverse('reports:report')}?{query.params()}",
            "here": query.params(figure=figure, row=row),
            "csv": f"{reverse('reports:dossiers_csv')}?{query.params(figure=figure, row=row)}",
            "xlsx": f"{reverse('reports:dossiers_xlsx')}?{query.params(figure=figure, row=row)}",
        }
    return render(request, "reports/report_dossiers.html", context, status=400 if query.errors else 200)


def _bad_request(query: Query) -> HttpResponse:
    return HttpResponse(
        "\n".join(query.errors).encode("utf-8"), status=400, content_type="text/plain; charset=utf-8"
    )


def _report_or_errors(request: HttpRequest) -> tuple[Query, Report | None]:
    query = _read(request)
    if query.errors:
        return query, None
    assert query.period is not None and query.scope is not None
    try:
        return query, dossier_report(query.period, query.scope, group_by=query.group_by)
    except ReportError as e:
        query.errors.append(str(e))
        return query, None


@official_required
def export_csv(request: HttpRequest) -> HttpResponse:
    table = request.GET.get("table", "ket-qua")
    query, report = _report_or_errors(request)
    if table not in TABLES:
        query.errors.append(_("Bảng cần tải không có trong báo cáo."))
    if report is None or query.errors:
        return _bad_request(query)
    return exports.report_csv(report, table)


@official_required
def export_xlsx(request: HttpRequest) -> HttpResponse:
    query, report = _report_or_errors(request)
    if report is None:
        return _bad_request(query)
    return exports.report_xlsx(report, [(str(t), str(m)) for t, m in DEFINITIONS])


def _list_filename(query: Query, figure: str) -> str:
    assert query.period is not None
    return f"ho-so-{figure.replace('_', '-')}-{query.period.slug}"


@official_required
def dossiers_csv(request: HttpRequest) -> HttpResponseBase:
    query, figure, _row, qs = _behind(request)
    if qs is None:
        return _bad_request(query)
    return exports.dossiers_csv(qs.select_related(None), _list_filename(query, figure))


@official_required
def dossiers_xlsx(request: HttpRequest) -> HttpResponseBase:
    query, figure, row, qs = _behind(request)
    if qs is None:
        return _bad_request(query)
    return exports.dossiers_xlsx(qs, _list_filename(query, figure), _list_title(query, figure, row))
