"""The counter's rating screen (*màn hình đánh giá tại quầy*): a tablet or screen at the one-stop counter,
logged in as the counter's kiosk account (an official account of the unit holding the permission
`dossiers.operate_rating_kiosk` and no role) or as a counter officer.

1. Scan screen: one text field with the focus. A USB or camera QR reader types what the receipt's QR holds
   (Mẫu 01 prints the bare dossier code; a link with `?ma=<code>` works too) and presses Enter; nobody
   types. Scans are rate-limited per kiosk account (`FEEDBACK_KIOSK_SCANS`).
2. Rating screen: the procedure's name and the applicant's initials only (the screen faces the public),
   the overall rating and TT 01/2018's four questions as large buttons. It carries a signed token naming
   the dossier and the kiosk account (`ratings.kiosk_token_issue`), valid a few minutes; it goes back to
   the scan screen by itself after 3 minutes.
3. Thank-you screen, back to the scan screen after a few seconds (a meta refresh: no JavaScript).

Only dossiers of the kiosk's unit and the units under it are found; another unit's and an unknown code get
the same answer (404). The pages are their own small documents (no site menu: the screen faces the public).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tinhso.accounts.ratelimit import rate_limit_hit
from tinhso.dossiers import ratings
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier, RatingChannel
from tinhso.portal.access import current_user
from tinhso.portal.forms import find_dossier_code
from tinhso.portal.labels import name_initials
from tinhso.portal.plain import plain
from tinhso.portal.rating_views import KioskRatingForm

# Seconds before the thank-you screen, and an abandoned rating screen, go back to the scan screen.
THANKS_SECONDS = 6
ABANDONED_SECONDS = 180


def kiosk_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Logged in (else the login page) as a kiosk account or a counter officer; anyone else 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not ratings.kiosk_may_operate(current_user(request)):
            return render(request, "portal/kiosk/not_a_kiosk.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _scan_screen(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    return render(request, "portal/kiosk/scan.html", {"error": error}, status=status)


def _rating_screen(
    request: HttpRequest, d: Dossier, form: KioskRatingForm, *, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "portal/kiosk/rate.html",
        {
            "procedure_name": d.procedure_version.name,
            "initials": name_initials(d.applicant_name),
            "form": form,
            "abandoned_seconds": ABANDONED_SECONDS,
        },
        status=status,
    )


@never_cache
@kiosk_required
@require_http_methods(["GET", "POST"])
def kiosk_scan(request: HttpRequest) -> HttpResponse:
    """GET: the scan screen. POST `ma` (what the QR reader typed): the rating screen, or the scan screen
    again with what went wrong in large plain words."""
    if request.method != "POST":
        return _scan_screen(request)
    user = current_user(request)
    count, seconds = settings.FEEDBACK_KIOSK_SCANS
    limit = rate_limit_hit(
        scope="kiosk-scan", subject=str(user.pk), limit=int(count), window_seconds=int(seconds)
    )
    if not limit.allowed:
        minutes = max(1, math.ceil(limit.retry_after / 60))
        response = _scan_screen(
            request,
            error=_("Màn hình đã quét quá nhiều lần. Vui lòng chờ %(minutes)s phút hoặc gọi cán bộ tại quầy.")
            % {"minutes": minutes},
            status=429,
        )
        response["Retry-After"] = str(limit.retry_after)
        return response
    code = find_dossier_code(request.POST.get("ma", ""))
    if code is None:
        return _scan_screen(
            request,
            error=_("Không đọc được mã. Đưa mã QR trên Giấy tiếp nhận hồ sơ vào máy quét một lần nữa."),
            status=400,
        )
    try:
        d = ratings.kiosk_dossier_for_scan(user, code)
    except ratings.KioskScanError as exc:
        return _scan_screen(request, error=plain(exc.message), status=exc.status_code)
    form = KioskRatingForm(initial={"token": ratings.kiosk_token_issue(user, d)})
    return _rating_screen(request, d, form)


@never_cache
@kiosk_required
@require_POST
def kiosk_submit(request: HttpRequest) -> HttpResponse:
    """The rating screen's answers, with the token of the scan."""
    user = current_user(request)
    token = request.POST.get("token", "")
    try:
        d = ratings.kiosk_token_dossier(token, user)
    except tr.DossierError as exc:
        return _scan_screen(request, error=plain(exc.message), status=exc.status_code)
    form = KioskRatingForm(request.POST)
    if not form.is_valid():
        return _rating_screen(request, d, form, status=400)
    try:
        ratings.rating_submit(
            dossier=d, actor=user, answers=form.answers(), channel=RatingChannel.KIOSK, kiosk_token=token
        )
    except tr.DossierError as exc:
        return _scan_screen(request, error=plain(exc.message), status=exc.status_code)
    return redirect("rating:kiosk_thanks")


@never_cache
@kiosk_required
@require_GET
def kiosk_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/kiosk/thanks.html", {"seconds": THANKS_SECONDS})
