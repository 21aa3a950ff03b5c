"""The citizen's rating and feedback pages (*Đánh giá*, *Phản ánh, kiến nghị*).

Thin views over `tinhso.dossiers.ratings` and `tinhso.dossiers.feedback`: the forms check shape and say in
plain Vietnamese what to fix; the services decide. Every page works without JavaScript (plain forms,
redirect after a successful POST) and every form carries Django's CSRF token.

Who reaches what: a dossier's rating and feedback pages load the dossier through `access.own_dossier`
(its applicant only; anyone else gets 404, as on every "my dossiers" page); a feedback's page loads it
through `feedback.feedback_get_for_author` (its author only, 404 otherwise). Feedback about a procedure may
be sent without an account, with a phone number or an e-mail address, and is rate-limited in the database
(`accounts.ratelimit`): per client address without an account, per account with one.
"""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from tinhso.accounts.models import User
from tinhso.accounts.ratelimit import client_ip, rate_limit_hit
from tinhso.dossiers import feedback as fb
from tinhso.dossiers import ratings
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import (
    AgenciesScore,
    AnswerSatisfaction,
    AttitudeScore,
    ContactsScore,
    DossierRating,
    Feedback,
    FeedbackKind,
    FeedbackStatus,
    RatingChannel,
    Satisfaction,
    TimeScore,
)
from tinhso.portal.access import citizen_required, citizens_only, current_user, own_dossier
from tinhso.portal.plain import plain
from tinhso.procedures.models import Procedure

# --- Forms ----------------------------------------------------------------------------------------------


def _choose(question: str) -> dict[str, str]:
    message = _("Chọn một câu trả lời cho câu hỏi “%(q)s”.") % {"q": question}
    return {"required": message, "invalid_choice": message}


class RatingForm(forms.Form):
    """The questions of TT 01/2018 Art. 13 (1, 3, 4, 7) and the overall rating, in plain words. The kiosk
    asks the same questions (`KioskRatingForm`), without ease of use and the comment."""

    overall = forms.ChoiceField(
        label=gettext_lazy("Nhìn chung, ông/bà có hài lòng với việc giải quyết hồ sơ này không?"),
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
    )
    time = forms.TypedChoiceField(
        label=gettext_lazy("Hồ sơ được giải quyết so với ngày hẹn trả thế nào?"),
        choices=TimeScore.choices,
        coerce=int,
        widget=forms.RadioSelect,
    )
    contacts = forms.TypedChoiceField(
        label=gettext_lazy(
            "Ông/bà phải liên hệ nơi nộp hồ sơ mấy lần để hoàn thiện hồ sơ (kể cả liên hệ qua mạng)?"
        ),
        choices=ContactsScore.choices,
        coerce=int,
        widget=forms.RadioSelect,
    )
    agencies = forms.TypedChoiceField(
        label=gettext_lazy("Ông/bà phải đến hoặc liên hệ bao nhiêu cơ quan, đơn vị cho hồ sơ này?"),
        choices=AgenciesScore.choices,
        coerce=int,
        widget=forms.RadioSelect,
    )
    attitude = forms.TypedChoiceField(
        label=gettext_lazy("Thái độ của cán bộ khi hướng dẫn, tiếp nhận và giải quyết hồ sơ?"),
        choices=AttitudeScore.choices,
        coerce=int,
        widget=forms.RadioSelect,
    )
    ease_of_use = forms.ChoiceField(
        label=gettext_lazy("Nộp và theo dõi hồ sơ trên Tỉnh Số có dễ dùng không?"),
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    comment = forms.CharField(
        label=gettext_lazy("Ý kiến khác (không bắt buộc)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        error_messages={"max_length": gettext_lazy("Ý kiến khác dài tối đa 2.000 ký tự: hãy viết ngắn lại.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.RadioSelect) and field.required:
                field.error_messages.update(_choose(str(field.label)))
            if name != "comment":
                field.widget.attrs.setdefault("class", "choice-input")

    def answers(self) -> ratings.RatingAnswers:
        data = self.cleaned_data
        return ratings.RatingAnswers(
            time=data["time"],
            contacts=data["contacts"],
            agencies=data["agencies"],
            attitude=data["attitude"],
            overall=data["overall"],
            ease_of_use=data.get("ease_of_use") or "",
            comment=data.get("comment") or "",
        )


class KioskRatingForm(RatingForm):
    token = forms.CharField(widget=forms.HiddenInput, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["ease_of_use"]
        del self.fields["comment"]


_TEXT_ERRORS = {
    "title": {
        "required": gettext_lazy("Nhập tiêu đề ngắn, ví dụ “Phải đi lại nhiều lần”."),
        "max_length": gettext_lazy("Tiêu đề dài tối đa 200 ký tự: hãy viết ngắn lại."),
    },
    "content": {
        "required": gettext_lazy("Nhập nội dung: việc gì đã xảy ra và ông/bà đề nghị gì."),
        "max_length": gettext_lazy("Nội dung dài tối đa 5.000 ký tự: hãy viết ngắn lại."),
    },
}


class FeedbackForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Ông/bà muốn gửi"),
        choices=FeedbackKind.choices,
        widget=forms.RadioSelect(attrs={"class": "choice-input"}),
        error_messages={"required": gettext_lazy("Chọn loại: phản ánh, kiến nghị hoặc khiếu nại.")},
    )
    title = forms.CharField(
        label=gettext_lazy("Tiêu đề"), max_length=fb.TITLE_MAX, error_messages=_TEXT_ERRORS["title"]
    )
    content = forms.CharField(
        label=gettext_lazy("Nội dung"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=fb.CONTENT_MAX,
        error_messages=_TEXT_ERRORS["content"],
    )


class ProcedureFeedbackForm(FeedbackForm):
    """About a procedure: a complaint is not offered (it is about one's own dossier); the agency to answer
    when several receive the procedure; a contact when the person has no account."""

    agency = forms.TypedChoiceField(
        label=gettext_lazy("Cơ quan trả lời"),
        coerce=int,
        error_messages={
            "required": gettext_lazy("Chọn cơ quan cần trả lời."),
            "invalid_choice": gettext_lazy("Chọn cơ quan cần trả lời trong danh sách."),
        },
    )
    contact_name = forms.CharField(
        label=gettext_lazy("Họ và tên (không bắt buộc)"), max_length=200, required=False
    )
    contact_phone = forms.CharField(label=gettext_lazy("Số điện thoại"), max_length=20, required=False)
    contact_email = forms.EmailField(
        label=gettext_lazy("Thư điện tử"),
        required=False,
        error_messages={"invalid": gettext_lazy("Địa chỉ thư điện tử chưa đúng, ví dụ ten@example.vn.")},
    )

    def __init__(self, *args: Any, procedure: Procedure, anonymous: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = [(k, label) for k, label in FeedbackKind.choices if k != FeedbackKind.COMPLAINT]
        agencies = list(fb.feedback_agencies_for(procedure))
        self.agencies = {a.pk: a for a in agencies}
        field = self.fields["agency"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(a.pk, a.name) for a in agencies]
        if len(agencies) == 1:
            # One agency receives it: nothing to choose (the service takes it).
            field.widget = forms.HiddenInput()
            field.initial = agencies[0].pk
            field.required = False
        else:
            field.choices = [("", _("— Chọn cơ quan —")), *field.choices]
        self.anonymous = anonymous
        if not anonymous:
            for name in ("contact_name", "contact_phone", "contact_email"):
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.anonymous and not (data.get("contact_phone") or data.get("contact_email")):
            self.add_error(
                "contact_phone",
                _("Để lại số điện thoại hoặc thư điện tử để cơ quan gửi câu trả lời cho ông/bà."),
            )
        return data


class AnswerViewForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=gettext_lazy("Ông/bà thấy câu trả lời thế nào?"),
        choices=AnswerSatisfaction.choices,
        widget=forms.RadioSelect(attrs={"class": "choice-input"}),
        error_messages={"required": gettext_lazy("Chọn một ý kiến về câu trả lời.")},
    )
    content = forms.CharField(
        label=gettext_lazy("Nếu phản ánh tiếp: điều ông/bà chưa đồng ý"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=fb.CONTENT_MAX,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("satisfaction") == AnswerSatisfaction.RE_COMPLAINED
            and not (data.get("content") or "").strip()
        ):
            self.add_error("content", _("Ghi rõ điều ông/bà chưa đồng ý để gửi phản ánh tiếp."))
        return data


# --- Helpers --------------------------------------------------------------------------------------------


def _limited(request: HttpRequest, template: str, context: dict[str, Any], retry_after: int) -> HttpResponse:
    minutes = max(1, math.ceil(retry_after / 60))
    context["limited"] = _(
        "Ông/bà đã gửi nhiều phản ánh, kiến nghị trong thời gian ngắn. Vui lòng thử lại sau "
        "%(minutes)s phút, hoặc gọi điện cho cơ quan giải quyết."
    ) % {"minutes": minutes}
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def _feedback_limit(request: HttpRequest) -> Any:
    user = request.user
    if user.is_authenticated:
        count, seconds = settings.FEEDBACK_PER_USER
        return rate_limit_hit(
            scope="feedback-user", subject=str(user.pk), limit=int(count), window_seconds=int(seconds)
        )
    count, seconds = settings.FEEDBACK_ANONYMOUS_PER_IP
    return rate_limit_hit(
        scope="feedback-ip", subject=client_ip(request), limit=int(count), window_seconds=int(seconds)
    )


# --- Rating a dossier -----------------------------------------------------------------------------------


@never_cache
@citizen_required
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, code: str) -> HttpResponse:
    """*Đánh giá* of the applicant's dossier: the form, or the rating already given, or why not yet."""
    user = current_user(request)
    d = own_dossier(request, code)
    existing = DossierRating.objects.filter(dossier=d).first()
    refusal = None if existing else ratings.rating_refusal(d)
    context: dict[str, Any] = {"d": d, "rating": existing}
    if existing is not None or refusal is not None:
        if refusal:
            context["refusal"] = plain(refusal)
        status = 409 if request.method == "POST" else 200
        return render(request, "portal/rating/rate.html", context, status=status)
    form = RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ratings.rating_submit(dossier=d, actor=user, answers=form.answers(), channel=RatingChannel.ONLINE)
        except tr.DossierError as exc:
            form.add_error(None, plain(exc.message))
        else:
            messages.success(
                request, _("Cảm ơn ông/bà đã đánh giá việc giải quyết hồ sơ %(code)s.") % {"code": d.code}
            )
            return redirect("rating:rate", code=d.code)
    context["form"] = form
    return render(request, "portal/rating/rate.html", context, status=400 if form.errors else 200)


# --- Feedback -------------------------------------------------------------------------------------------


@never_cache
@citizen_required
@require_http_methods(["GET", "POST"])
def feedback_dossier(request: HttpRequest, code: str) -> HttpResponse:
    """Feedback or a complaint about the applicant's own dossier."""
    user = current_user(request)
    d = own_dossier(request, code)
    form = FeedbackForm(request.POST or None)
    context: dict[str, Any] = {"d": d, "form": form}
    if request.method == "POST":
        limit = _feedback_limit(request)
        if not limit.allowed:
            return _limited(request, "portal/rating/feedback_form.html", context, limit.retry_after)
        if form.is_valid():
            data = form.cleaned_data
            try:
                f = fb.feedback_submit(
                    kind=data["kind"], title=data["title"], content=data["content"], actor=user, dossier=d
                )
            except tr.DossierError as exc:
                form.add_error(None, plain(exc.message))
            else:
                messages.success(request, _sent_message(f))
                return redirect("rating:my_feedback_detail", pk=f.pk)
        return render(request, "portal/rating/feedback_form.html", context, status=400)
    return render(request, "portal/rating/feedback_form.html", context)


def _sent_message(f: Feedback) -> str:
    return _(
        "Đã gửi phản ánh, kiến nghị số %(n)s. %(agency)s sẽ trả lời trước ngày %(due)s; câu trả lời được gửi "
        "qua tin nhắn hoặc thư điện tử."
    ) % {"n": f.pk, "agency": f.agency.name, "due": timezone.localtime(f.due_at).strftime("%d/%m/%Y")}


@never_cache
@require_http_methods(["GET", "POST"])
def feedback_new(request: HttpRequest) -> HttpResponse:
    """Feedback about a procedure (`?thu-tuc=<procedure code>`), with or without an account."""
    user = request.user
    if isinstance(user, User) and user.is_authenticated and user.is_official:
        return citizens_only(request)
    anonymous = not user.is_authenticated
    wanted = (request.POST.get("thu-tuc") or request.GET.get("thu-tuc") or "").strip()
    procedure = Procedure.objects.filter(code=wanted).first() if wanted else None
    if procedure is None:
        status = 404 if wanted else 200
        return render(
            request,
            "portal/rating/feedback_choose.html",
            {"wanted": wanted, "unknown": bool(wanted)},
            status=status,
        )
    form = ProcedureFeedbackForm(request.POST or None, procedure=procedure, anonymous=anonymous)
    context: dict[str, Any] = {"procedure": procedure, "form": form, "anonymous": anonymous}
    if not form.agencies:
        context["no_agency"] = True
        return render(request, "portal/rating/feedback_form.html", context)
    if request.method == "POST":
        limit = _feedback_limit(request)
        if not limit.allowed:
            return _limited(request, "portal/rating/feedback_form.html", context, limit.retry_after)
        if form.is_valid():
            data = form.cleaned_data
            try:
                f = fb.feedback_submit(
                    kind=data["kind"],
                    title=data["title"],
                    content=data["content"],
                    actor=None if anonymous else current_user(request),
                    procedure=procedure,
                    agency=form.agencies.get(data["agency"]) if data.get("agency") else None,
                    contact_name=data.get("contact_name", ""),
                    contact_phone=data.get("contact_phone", ""),
                    contact_email=data.get("contact_email", ""),
                )
            except tr.DossierError as exc:
                form.add_error(None, plain(exc.message))
            else:
                if anonymous:
                    request.session["rating_feedback_sent"] = f.pk
                    return redirect("rating:feedback_sent")
                messages.success(request, _sent_message(f))
                return redirect("rating:my_feedback_detail", pk=f.pk)
        return render(request, "portal/rating/feedback_form.html", context, status=400)
    return render(request, "portal/rating/feedback_form.html", context)


@never_cache
def feedback_sent(request: HttpRequest) -> HttpResponse:
    """The confirmation after feedback sent without an account: its number and due date, once."""
    pk = request.session.pop("rating_feedback_sent", None)
    f = Feedback.objects.select_related("agency").filter(pk=pk, author=None).first() if pk else None
    if f is None:
        return redirect("rating:feedback_new")
    return render(request, "portal/rating/feedback_sent.html", {"f": f})


@never_cache
@login_required
def my_feedback(request: HttpRequest) -> HttpResponse:
    """*Phản ánh, kiến nghị của tôi*."""
    user = current_user(request)
    if user.is_official:
        return citizens_only(request)
    items = list(fb.feedback_of_author(user)[:200])
    return render(request, "portal/rating/my_feedback.html", {"items": items})


def _own_feedback(request: HttpRequest, pk: int) -> Feedback:
    try:
        return fb.feedback_get_for_author(current_user(request), pk)
    except fb.FeedbackNotFound:
        raise Http404(_("Không tìm thấy phản ánh, kiến nghị")) from None


@never_cache
@citizen_required
def my_feedback_detail(request: HttpRequest, pk: int) -> HttpResponse:
    f = _own_feedback(request, pk)
    form = AnswerViewForm() if f.status == FeedbackStatus.ANSWERED and not f.author_satisfaction else None
    return render(
        request,
        "portal/rating/my_feedback_detail.html",
        {"f": f, "form": form, "follow_ups": list(f.follow_ups.all())},
    )


@never_cache
@citizen_required
@require_POST
def my_feedback_rate(request: HttpRequest, pk: int) -> HttpResponse:
    """The author's view of the answer (POST from the feedback's page)."""
    user = current_user(request)
    f = _own_feedback(request, pk)
    form = AnswerViewForm(request.POST)
    if form.is_valid():
        try:
            follow = fb.feedback_rate_answer(
                feedback=f,
                actor=user,
                satisfaction=form.cleaned_data["satisfaction"],
                content=form.cleaned_data["content"],
            )
        except tr.DossierError as exc:
            form.add_error(None, plain(exc.message))
            status = exc.status_code
        else:
            if follow is not None:
                messages.success(request, _sent_message(follow))
                return redirect("rating:my_feedback_detail", pk=follow.pk)
            messages.success(request, _("Cảm ơn ông/bà đã cho biết ý kiến về câu trả lời."))
            return redirect("rating:my_feedback_detail", pk=f.pk)
    else:
        status = 400
    return render(
        request,
        "portal/rating/my_feedback_detail.html",
        {"f": f, "form": form, "follow_ups": list(f.follow_ups.all())},
        status=status,
    )
