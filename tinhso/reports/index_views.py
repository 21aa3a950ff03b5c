"""The Decision 766 index pages (`index766.py` computes; these show).

- `/chi-so-766/`: a GET form (period: month, quarter or year; agency among those the user may see), the
  index by group with each indicator's numerator, denominator, ratio, points, maximum and state, and the
  total "points computed / points possible".
- `/chi-so-766/ho-so/?indicator=…&part=numerator|denominator&<the same period and agency>`: the dossiers
  (or the feedback) behind one number, 50 a page.

Who: officials with a role see their agency and the units under it; system administrators the province
and every agency. Anyone else gets 403 (anonymous visitors go to the login page); an agency outside the
user's subtree is 403 too. Both pages work without JavaScript.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tinhso.accounts.models import Agency, User
from tinhso.accounts.selectors import agencies_visible_to, user_sees_everything
from tinhso.core import working_time as wt
from tinhso.reports import index766 as ix

PAGE_SIZE = 50
PROVINCE = ""  # the agency field's value for the whole province

PERIOD_KINDS = [
    ("month", gettext_lazy("Tháng")),
    ("quarter", gettext_lazy("Quý")),
    ("year", gettext_lazy("Năm")),
]
PART_LABELS = {
    ix.NUMERATOR: gettext_lazy("Tử số"),
    ix.DENOMINATOR: gettext_lazy("Mẫu số"),
}


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _require_viewer(user: User) -> None:
    """System administrators, and officials with an agency and a role (a kiosk account has no role)."""
    if user_sees_everything(user):
        return
    if not (user.is_active and user.is_official and user.agency_id and user.roles):
        raise PermissionDenied


def _visible_agencies(user: User) -> QuerySet[Agency]:
    return agencies_visible_to(user).order_by("path")


class IndexForm(forms.Form):
    """The period and the agency; every field has a default, so the bare address shows the current
    quarter for the user's agency (the province for a system administrator)."""

    period = forms.ChoiceField(label=gettext_lazy("Kỳ báo cáo"), choices=PERIOD_KINDS)
    year = forms.IntegerField(label=gettext_lazy("Năm"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label=gettext_lazy("Quý (nếu kỳ theo quý)"),
        choices=[(q, str(q)) for q in range(1, 5)],
        coerce=int,
    )
    month = forms.TypedChoiceField(
        label=gettext_lazy("Tháng (nếu kỳ theo tháng)"),
        choices=[(m, str(m)) for m in range(1, 13)],
        coerce=int,
    )
    agency = forms.ChoiceField(label=gettext_lazy("Cơ quan, đơn vị"), required=False)

    def __init__(self, *args: Any, agencies: list[Agency], province: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str]] = [(PROVINCE, _("Toàn tỉnh"))] if province else []
        top = min((a.depth for a in agencies), default=0)
        choices += [(a.code, "— " * (a.depth - top) + a.name) for a in agencies]
        field = self.fields["agency"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def period_value(self) -> ix.Period:
        data = self.cleaned_data
        year = data["year"]
        if data["period"] == "year":
            return ix.Period(dt.date(year, 1, 1), dt.date(year, 12, 31))
        if data["period"] == "quarter":
            return ix.Period.quarter_of(dt.date(year, 3 * data["quarter"] - 2, 1))
        start = dt.date(year, data["month"], 1)
        following = dt.date(year + (start.month == 12), start.month % 12 + 1, 1)
        return ix.Period(start, following - dt.timedelta(days=1))


def _selection(request: HttpRequest) -> tuple[IndexForm, list[Agency], Agency | None]:
    """The form bound to the query (defaults filled in), the agencies offered, and the chosen agency.
    An agency the user may not see is refused (403), not silently replaced."""
    user = _user(request)
    _require_viewer(user)
    agencies = list(_visible_agencies(user))
    province = user_sees_everything(user)
    today = timezone.localtime(timezone.now(), wt.VIETNAM_TZ).date()
    default_agency = PROVINCE if province or user.agency is None else user.agency.code
    data = {
        "period": "quarter",
        "year": str(today.year),
        "quarter": str((today.month + 2) // 3),
        "month": str(today.month),
        "agency": default_agency,
    }
    for name in data:
        value = request.GET.get(name)
        if value is not None and (value.strip() or name == "agency"):
            data[name] = value.strip()  # an empty agency is the province: refused below unless allowed
    by_code = {a.code: a for a in agencies}
    code = data["agency"]
    if (code == PROVINCE and not province) or (code != PROVINCE and code not in by_code):
        raise PermissionDenied
    form = IndexForm(data, agencies=agencies, province=province)
    return form, agencies, by_code.get(code)


def _query(form: IndexForm, **extra: str) -> str:
    """The period and agency as a query string (for links between the two pages)."""
    data = form.cleaned_data
    params = {"period": data["period"], "year": str(data["year"])}
    if data["period"] == "quarter":
        params["quarter"] = str(data["quarter"])
    if data["period"] == "month":
        params["month"] = str(data["month"])
    params["agency"] = data["agency"]
    params.update(extra)
    return urlencode(params)


def _period_label(form: IndexForm) -> str:
    data = form.cleaned_data
    if data["period"] == "year":
        return _("năm %(y)s") % {"y": data["year"]}
    if data["period"] == "quarter":
        return _("quý %(q)s năm %(y)s") % {"q": data["quarter"], "y": data["year"]}
    return _("tháng %(m)s năm %(y)s") % {"m": data["month"], "y": data["year"]}


@login_required
def index_page(request: HttpRequest) -> HttpResponse:
    form, _agencies, agency = _selection(request)
    if not form.is_valid():
        return render(request, "reports/index766_page.html", {"form": form, "result": None}, status=400)
    result = ix.index766(agency=agency, period=form.period_value())
    # Each group with its rows, and each drillable row with the query strings of its two lists.
    groups = [
        (
            g,
            [
                (
                    r,
                    {part: _query(form, indicator=r.indicator.code, part=part) for part in ix.PARTS}
                    if r.drillable
                    else {},
                )
                for r in g.rows
            ],
        )
        for g in result.groups
    ]
    return render(
        request,
        "reports/index766_page.html",
        {
            "form": form,
            "result": result,
            "groups": groups,
            "agency": agency,
            "period_label": _period_label(form),
        },
    )


@login_required
def index_list_page(request: HttpRequest) -> HttpResponse:
    form, _agencies, agency = _selection(request)
    code = request.GET.get("indicator", "")
    part = request.GET.get("part", "")
    if not form.is_valid():
        return render(request, "reports/index766_page.html", {"form": form, "result": None}, status=400)
    try:
        indicator = ix.indicator_get(code)
        rows = ix.index_dossiers(code, part, agency=agency, period=form.period_value())
    except ix.IndicatorUnavailable:
        raise Http404(_("Chỉ tiêu này không có danh sách hồ sơ.")) from None
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    other = ix.DENOMINATOR if part == ix.NUMERATOR else ix.NUMERATOR
    return render(
        request,
        "reports/index766_list.html",
        {
            "form": form,
            "indicator": indicator,
            "part": part,
            "part_label": PART_LABELS[part],
            "other_label": PART_LABELS[other],
            "other_query": _query(form, indicator=code, part=other),
            "page": page,
            "page_query": _query(form, indicator=code, part=part),
            "back_query": _query(form),
            "agency": agency,
            "period_label": _period_label(form),
            "feedback": indicator.kind == "feedback",
        },
    )
