"""The public verification page of signed papers (*xác thực văn bản*), reached from a paper's QR code.

No login: anyone holding a paper can see who issued it, when, and whether it was revoked, and can upload the
PDF they hold to have its signatures and hash checked against the register (so many checks an address,
`throttle.py`). The issuing agency's leader (or
a system administrator), when logged in, also sees a form to revoke it. Pages work without JavaScript and
carry no inline script or style (the site's CSP).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tinhso.accounts.models import User
from tinhso.edocs import register
from tinhso.edocs.forms import RevokeSignedForm, VerifyUploadForm
from tinhso.edocs.responses import no_store
from tinhso.edocs.services import EDocError, EDocNotFound
from tinhso.edocs.throttle import limited_message, verify_check_hit


def _headers(response: HttpResponse) -> HttpResponse:
    # The site's `same-origin` referrer policy stays: the page has forms, and with `no-referrer` browsers send
    # `Origin: null`, which Django's CSRF check refuses. No link on it leaves the site, so the address
    # (with its token) is never sent elsewhere.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return no_store(response)


def _check(request: HttpRequest, form: VerifyUploadForm, token: str | None) -> register.CheckResult | None:
    if not form.is_valid():
        return None
    return register.signed_document_check(content=form.cleaned_data["content"], token=token)


def _limited(request: HttpRequest, context: dict[str, object], retry_after: int) -> HttpResponse:
    """Too many checks from this address: the page again, with the form and a message, and no check."""
    context = {**context, "form": VerifyUploadForm(), "check": None, "limited": limited_message(retry_after)}
    response = render(request, "edocs/verify.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return _headers(response)


@require_http_methods(["GET", "POST"])
def verify_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        doc = register.signed_document_by_token(token)
    except EDocNotFound as exc:
        response = render(request, "edocs/verify_unknown.html", {"message": exc.message}, status=404)
        return _headers(response)
    context: dict[str, object] = {
        "doc": doc,
        "token": token,
        "can_revoke": register.can_revoke(request.user, doc) and doc.revoked_at is None,
        "revoke_form": RevokeSignedForm(),
    }
    check = None
    status = 200
    if request.method == "POST":
        decision = verify_check_hit(request)
        if not decision.allowed:
            return _limited(request, context, decision.retry_after)
        form = VerifyUploadForm(request.POST, request.FILES)
        check = _check(request, form, token)
        if check is None:
            status = form.status_code()
    else:
        form = VerifyUploadForm()
    context.update(form=form, check=check)
    return _headers(render(request, "edocs/verify.html", context, status=status))


@require_http_methods(["GET", "POST"])
def verify_any(request: HttpRequest) -> HttpResponse:
    """Upload a PDF without its address: it is looked up in the register by its hash."""
    check = None
    status = 200
    if request.method == "POST":
        decision = verify_check_hit(request)
        if not decision.allowed:
            return _limited(request, {"doc": None}, decision.retry_after)
        form = VerifyUploadForm(request.POST, request.FILES)
        check = _check(request, form, None)
        if check is None:
            status = form.status_code()
    else:
        form = VerifyUploadForm()
    return _headers(
        render(request, "edocs/verify.html", {"doc": None, "form": form, "check": check}, status=status)
    )


@require_POST
def revoke(request: HttpRequest, token: str) -> HttpResponse:
    try:
        doc = register.signed_document_by_token(token)
    except EDocNotFound as exc:
        return _headers(render(request, "edocs/verify_unknown.html", {"message": exc.message}, status=404))
    user = request.user
    form = RevokeSignedForm(request.POST)
    if not isinstance(user, User) or not register.can_revoke(user, doc):
        return _headers(
            render(
                request,
                "edocs/verify_unknown.html",
                {"message": _("Bạn không có quyền thu hồi văn bản này.")},
                status=403,
            )
        )
    if not form.is_valid():
        messages.error(request, _("Hãy ghi lý do thu hồi."))
        return redirect("edocs:verify", token=token)
    try:
        register.signed_document_revoke(document=doc, actor=user, reason=form.cleaned_data["reason"])
    except EDocError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã thu hồi văn bản. Trang xác thực từ nay ghi văn bản đã bị thu hồi."))
    return redirect("edocs:verify", token=token)
