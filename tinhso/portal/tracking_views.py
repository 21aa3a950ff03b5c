"""The anonymous dossier look-up page (*Tra cứu hồ sơ*): a POST form (CSRF-protected, so the phone number
or ID number never lands in a URL, a log or the browser's history), rate-limited (`tracking.py`)."""

from __future__ import annotations

import math

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from tinhso.accounts.ratelimit import client_ip, rate_limit_hit, rate_limit_peek
from tinhso.portal.forms import TrackingForm, find_dossier_code
from tinhso.portal.labels import EVENT_LABELS, NEXT_STEPS, name_initials
from tinhso.portal.tracking import dossier_for_lookup, per_code_limit, per_ip_limit


def _limited(request: HttpRequest, form: TrackingForm, retry_after: int) -> HttpResponse:
    minutes = max(1, math.ceil(retry_after / 60))
    response = render(
        request,
        "portal/track.html",
        {
            "form": form,
            "limited": _(
                "Bạn đã tra cứu quá nhiều lần trong thời gian ngắn. Để bảo vệ thông tin của người nộp hồ sơ, "
                "vui lòng thử lại sau %(minutes)s phút."
            )
            % {"minutes": minutes},
        },
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        code = find_dossier_code(request.GET.get("ma", ""))
        return render(request, "portal/track.html", {"form": TrackingForm(initial={"code": code or ""})})

    form = TrackingForm(request.POST)
    ip_limit = per_ip_limit()
    by_ip = rate_limit_hit(
        scope=ip_limit.scope,
        subject=client_ip(request),
        limit=ip_limit.count,
        window_seconds=ip_limit.seconds,
    )
    if not by_ip.allowed:
        return _limited(request, form, by_ip.retry_after)
    if not form.is_valid():
        return render(request, "portal/track.html", {"form": form}, status=400)
    code = form.cleaned_data["code"]
    code_limit = per_code_limit()
    by_code = rate_limit_peek(
        scope=code_limit.scope, subject=code, limit=code_limit.count, window_seconds=code_limit.seconds
    )
    if not by_code.allowed:
        return _limited(request, form, by_code.retry_after)
    d = dossier_for_lookup(code, form.cleaned_data["secret"])
    if d is None:
        rate_limit_hit(
            scope=code_limit.scope, subject=code, limit=code_limit.count, window_seconds=code_limit.seconds
        )
        return render(
            request,
            "portal/track.html",
            {
                "form": form,
                "not_found": _(
                    "Không tìm thấy hồ sơ có mã này với số điện thoại hoặc số định danh đã nhập. Kiểm tra "
                    "lại mã hồ sơ trên Giấy tiếp nhận và số đã khai khi nộp hồ sơ."
                ),
            },
        )
    events = list(d.events.only("seq", "action", "at", "data").order_by("seq"))
    supplement = (
        next((e for e in reversed(events) if e.action == "request_supplement"), None)
        if d.status == "supplement"
        else None
    )
    return render(
        request,
        "portal/track.html",
        {
            "form": TrackingForm(initial={"code": d.code}),
            "d": d,
            "initials": name_initials(d.applicant_name),
            "timeline": [(e, EVENT_LABELS.get(e.action, e.action)) for e in events],
            "next_step": NEXT_STEPS.get(d.status, ""),
            "supplement_count": len(supplement.data.get("items", [])) if supplement else 0,
        },
    )
