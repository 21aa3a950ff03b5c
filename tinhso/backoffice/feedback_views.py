"""The officials' pages for feedback (*phản ánh, kiến nghị*) and ratings.

- The feedback queue of the official's agency and the units under it, with due dates and overdue flags;
  a feedback's page with the answer form (CSRF, answered once: `feedback.feedback_answer`).
- The paper rating form typed in at the counter (TT 01/2018 Art. 12: the form handed out with the
  receipt), for a dossier of the unit.
- The unit's ratings and feedback over a quarter, from the statistics selectors.

Who: officials whose role answers feedback (`feedback.ANSWER_ROLES`: counter officer, head of department,
agency leader) and system administrators; the paper rating form, counter officers. Others get 403; a
feedback or a dossier of another unit is 404 (it does not exist for them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tinhso.accounts.models import Role, User
from tinhso.accounts.selectors import user_sees_everything
from tinhso.backoffice.views import official_required
from tinhso.dossiers import feedback as fb
from tinhso.dossiers import ratings, selectors
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import (
    AgenciesScore,
    AttitudeScore,
    ContactsScore,
    Dossier,
    DossierRating,
    FeedbackStatus,
    RatingChannel,
    Satisfaction,
    TimeScore,
)

# The queue's tabs: key in the address → (label, condition at `now`).
TABS: dict[str, Any] = {
    "cho-tra-loi": gettext_lazy("Chờ trả lời"),
    "qua-han": gettext_lazy("Quá hạn chưa trả lời"),
    "da-tra-loi": gettext_lazy("Đã trả lời"),
    "da-ket-thuc": gettext_lazy("Đã kết thúc"),
    "tat-ca": gettext_lazy("Tất cả"),
}


def _tab_conditions(now: dt.datetime) -> dict[str, Q]:
    return {
        "cho-tra-loi": Q(status=FeedbackStatus.NEW),
        "qua-han": Q(status=FeedbackStatus.NEW, due_at__lt=now),
        "da-tra-loi": Q(status=FeedbackStatus.ANSWERED),
        "da-ket-thuc": Q(status=FeedbackStatus.CLOSED),
        "tat-ca": Q(),
    }


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _require_feedback_role(user: User) -> None:
    if not (user_sees_everything(user) or user.has_role(*fb.ANSWER_ROLES)):
        raise PermissionDenied


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=gettext_lazy("Nội dung trả lời"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=fb.ANSWER_MAX,
        error_messages={"required": gettext_lazy("Nhập nội dung trả lời trước khi gửi.")},
    )


@official_required
def feedback_queue(request: HttpRequest) -> HttpResponse:
    """The unit's feedback, most urgent first (by due time); counts per tab in one query."""
    user = _user(request)
    _require_feedback_role(user)
    now = timezone.now()
    conditions = _tab_conditions(now)
    tab = request.GET.get("trang-thai") or "cho-tra-loi"
    if tab not in TABS:
        tab = "cho-tra-loi"
    visible = fb.feedback_visible_to_official(user)
    counts = visible.aggregate(
        **{key.replace("-", "_"): Count("pk", filter=q) for key, q in conditions.items()}
    )
    order = ["due_at", "pk"] if tab in ("cho-tra-loi", "qua-han") else ["-received_at", "-pk"]
    page = Paginator(visible.filter(conditions[tab]).order_by(*order), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/feedback/queue.html",
        {
            "tabs": [(key, label, counts[key.replace("-", "_")]) for key, label in TABS.items()],
            "current": tab,
            "page_keep": urlencode({"trang-thai": tab}) + "&",
            "current_label": TABS[tab],
            "page": page,
            "now": now,
        },
    )


@official_required
@require_http_methods(["GET", "POST"])
def feedback_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A feedback with its dossier, its history of follow-ups, and the answer form while it waits."""
    user = _user(request)
    _require_feedback_role(user)
    try:
        f = fb.feedback_get_for_official(user, pk)
    except fb.FeedbackNotFound:
        raise Http404(_("Không tìm thấy phản ánh, kiến nghị")) from None
    form = AnswerForm(request.POST or None) if f.status == FeedbackStatus.NEW else None
    status = 200
    if request.method == "POST":
        if form is None:
            messages.error(request, _("Phản ánh, kiến nghị số %(n)s đã được trả lời.") % {"n": f.pk})
            return redirect("backoffice_feedback:detail", pk=f.pk)
        if form.is_valid():
            try:
                fb.feedback_answer(feedback=f, official=user, answer=form.cleaned_data["answer"])
            except tr.DossierError as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                messages.success(
                    request,
                    _(
                        "Đã gửi câu trả lời cho phản ánh, kiến nghị số %(n)s; người gửi nhận được qua "
                        "tin nhắn, thư điện tử."
                    )
                    % {"n": f.pk},
                )
                return redirect("backoffice_feedback:detail", pk=f.pk)
        else:
            status = 400
    return render(
        request,
        "backoffice/feedback/detail.html",
        {
            "f": f,
            "form": form,
            "now": timezone.now(),
            "parent": f.parent,
            "follow_ups": list(f.follow_ups.all()),
        },
        status=status,
    )


# --- The paper rating form typed in at the counter ------------------------------------------------------


def _indicator(label: str, choices: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Chọn câu trả lời ghi trên phiếu cho “%(q)s”.") % {"q": label}},
    )


class PaperRatingForm(forms.Form):
    """The applicant's paper form, question by question (the indicators' numbers are those of TT 01/2018
    Art. 13, printed on the form)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time"] = _indicator(_("Chỉ số 1 — Thời gian giải quyết so với hẹn"), TimeScore.choices)
        self.fields["contacts"] = _indicator(_("Chỉ số 3 — Số lần phải liên hệ"), ContactsScore.choices)
        self.fields["agencies"] = _indicator(_("Chỉ số 4 — Số cơ quan phải liên hệ"), AgenciesScore.choices)
        self.fields["attitude"] = _indicator(_("Chỉ số 7 — Thái độ của cán bộ"), AttitudeScore.choices)
        self.fields["overall"] = forms.ChoiceField(
            label=_("Đánh giá chung"),
            choices=Satisfaction.choices,
            widget=forms.RadioSelect,
            error_messages={"required": _("Chọn đánh giá chung ghi trên phiếu.")},
        )
        self.fields["comment"] = forms.CharField(
            label=_("Ý kiến khác ghi trên phiếu"), widget=forms.Textarea(attrs={"rows": 3}), required=False
        )

    def answers(self) -> ratings.RatingAnswers:
        data = self.cleaned_data
        return ratings.RatingAnswers(
            time=data["time"],
            contacts=data["contacts"],
            agencies=data["agencies"],
            attitude=data["attitude"],
            overall=data["overall"],
            comment=data["comment"],
        )


def _dossier(request: HttpRequest, code: str) -> Dossier:
    try:
        return selectors.dossier_get_for_user(_user(request), code)
    except (selectors.DossierNotFound, PermissionDenied):
        raise Http404(_("Không tìm thấy hồ sơ")) from None


@official_required
@require_http_methods(["GET", "POST"])
def rating_paper_form(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    if not user.has_role(Role.COUNTER_OFFICER):
        raise PermissionDenied
    d = _dossier(request, code)
    existing = DossierRating.objects.filter(dossier=d).first()
    refusal = None if existing else ratings.rating_refusal(d)
    form = PaperRatingForm(request.POST or None) if existing is None and refusal is None else None
    status = 200
    if request.method == "POST":
        if form is None:
            status = 409
        elif form.is_valid():
            try:
                ratings.rating_submit(
                    dossier=d, actor=user, answers=form.answers(), channel=RatingChannel.COUNTER_FORM
                )
            except tr.DossierError as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                messages.success(request, _("Đã lưu phiếu đánh giá của hồ sơ %(code)s.") % {"code": d.code})
                return redirect("backoffice_feedback:rating_paper", code=d.code)
        else:
            status = 400
    return render(
        request,
        "backoffice/feedback/paper_rating.html",
        {"d": d, "form": form, "rating": existing, "refusal": refusal},
        status=status,
    )


# --- The unit's ratings and feedback over a quarter -----------------------------------------------------


def _quarter(request: HttpRequest) -> ratings.Period:
    """`?quy=2026-1` (year-quarter), else the current quarter."""
    raw = request.GET.get("quy", "")
    year, sep, quarter = raw.partition("-")
    if sep and year.isdigit() and quarter in {"1", "2", "3", "4"} and 2000 <= int(year) <= 2100:
        return ratings.Period.quarter_of(dt.date(int(year), 3 * int(quarter) - 2, 1))
    return ratings.Period.quarter_of(timezone.localdate())


@official_required
def ratings_overview(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_feedback_role(user)
    period = _quarter(request)
    agency = None if user_sees_everything(user) else user.agency
    since, until = period.bounds()
    recent = (
        ratings.ratings_visible_to(user)
        .filter(rated_at__gte=since, rated_at__lt=until)
        .select_related("dossier", "procedure")[:50]
    )
    previous = period.start - dt.timedelta(days=1)
    following = period.end + dt.timedelta(days=1)
    return render(
        request,
        "backoffice/feedback/ratings.html",
        {
            "period": period,
            "quarter": (period.start.month + 2) // 3,
            "previous": f"{previous.year}-{(previous.month + 2) // 3}",
            "following": f"{following.year}-{(following.month + 2) // 3}",
            "summary": ratings.rating_summary(agency=agency, period=period),
            "feedback": fb.feedback_summary(agency=agency, period=period),
            "receiving": ratings.receiving_satisfaction(agency=agency, period=period),
            "recent": list(recent),
            "satisfaction_labels": dict(Satisfaction.choices),
            "channel_labels": dict(RatingChannel.choices),
        },
    )
