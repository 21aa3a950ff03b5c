"""Login (password, or VNeID through OpenID Connect), logout and two-factor (TOTP) pages."""

from __future__ import annotations

import base64
import logging
import time
from typing import Any

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST, require_safe
from django_otp import login as otp_login

from tinhso.accounts import login_audit, oidc, services, two_factor
from tinhso.accounts.models import User

logger = logging.getLogger(__name__)


class LoginForm(AuthenticationForm):
    """One box for a username, a mobile number or a national ID number (backends.IdentifierBackend)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy(
            "Số điện thoại, số định danh hoặc mật khẩu chưa đúng. Hãy nhập mật khẩu chính xác (phân biệt chữ "
            "hoa, chữ thường), hoặc chọn “Quên mật khẩu”."
        ),
    }


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "vneid_enabled": oidc.vneid_enabled()}


class LogoutView(auth_views.LogoutView):
    template_name = "accounts/logged_out.html"


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Mã xác thực 6 chữ số"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}"}
        ),
        error_messages={
            "required": gettext_lazy("Nhập mã 6 chữ số hiện trong ứng dụng xác thực."),
            "min_length": gettext_lazy("Mã xác thực gồm đúng 6 chữ số."),
            "max_length": gettext_lazy("Mã xác thực gồm đúng 6 chữ số."),
        },
    )


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@never_cache
@csrf_protect
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol a TOTP device: show the QR code, confirm with a first code."""
    user: User = request.user  # type: ignore[assignment]
    if not user.is_official:
        return redirect("portal:home")
    if two_factor.has_device(user) and not user.is_verified():  # type: ignore[attr-defined]
        # Re-enrolling must not bypass an existing device.
        return redirect("accounts:two_factor_verify")
    device = two_factor.pending_device(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.confirm_device(device=device, token=form.cleaned_data["token"], actor=user):
            otp_login(request, device)
            messages.success(request, _("Đã bật xác thực hai lớp."))
            return redirect(_next_url(request))
        form.add_error(
            "token", _("Mã không đúng hoặc đã hết hạn. Kiểm tra giờ trên điện thoại rồi nhập mã mới.")
        )
    uri = device.config_url
    qr_svg = segno.make(uri, error="m").svg_inline(
        scale=5, omitsize=True, title=_("Mã QR cài đặt ứng dụng xác thực")
    )
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/two_factor_setup.html",
        {"form": form, "qr_svg": qr_svg, "secret": secret, "next": _next_url(request)},
    )


@never_cache
@csrf_protect
@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not two_factor.has_device(user):
        return redirect(f"{reverse('accounts:two_factor_setup')}?next={_next_url(request)}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.verify(user=user, token=form.cleaned_data["token"], request=request)
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error("token", _("Mã không đúng hoặc đã hết hạn. Nhập mã mới trên ứng dụng xác thực."))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _next_url(request)})


# --- VNeID (OpenID Connect) -------------------------------------------------------------------------------

_PENDING_KEY = "vneid_pending"
# A login not finished within this time is started again (the provider's own pages may take a while).
_PENDING_SECONDS = 600
_PENDING_MAX = 5  # logins started in several tabs at once


def _vneid_error(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    return render(request, "accounts/vneid_error.html", {"message": message}, status=status)


@never_cache
@csrf_protect
@require_POST
def vneid_start(request: HttpRequest) -> HttpResponse:
    """The "Đăng nhập bằng VNeID" button: send the browser to the provider with a fresh state, nonce and
    PKCE verifier remembered in this session."""
    if not oidc.vneid_enabled():
        raise Http404
    redirect_uri = request.build_absolute_uri(reverse("accounts:vneid_callback"))
    try:
        auth = oidc.authorization_request(redirect_uri=redirect_uri)
    except oidc.OidcError as exc:
        logger.warning("VNeID login could not start: %s", exc.reason)
        return _vneid_error(
            request,
            _("Hiện không kết nối được với VNeID. Vui lòng thử lại sau, hoặc đăng nhập bằng mật khẩu."),
            status=503,
        )
    now = time.time()
    pending = {
        state: entry
        for state, entry in request.session.get(_PENDING_KEY, {}).items()
        if now - entry["at"] < _PENDING_SECONDS
    }
    pending[auth.state] = {
        "nonce": auth.nonce,
        "verifier": auth.code_verifier,
        "redirect_uri": redirect_uri,
        "next": _next_url(request),
        "at": now,
    }
    request.session[_PENDING_KEY] = dict(sorted(pending.items(), key=lambda kv: kv[1]["at"])[-_PENDING_MAX:])
    return redirect(auth.url)


@never_cache
@require_safe
def vneid_callback(request: HttpRequest) -> HttpResponse:
    """Where the provider sends the browser back: check the state (once), trade the code, verify the ID
    token, then log in the linked or matching citizen account (made on first login)."""
    if not oidc.vneid_enabled():
        raise Http404
    pending = dict(request.session.get(_PENDING_KEY, {}))
    entry = pending.pop(request.GET.get("state", ""), None)
    if entry is not None:
        request.session[_PENDING_KEY] = pending  # each state is good for one return only
    start_again = _("Hãy quay lại trang đăng nhập và bấm “Đăng nhập bằng VNeID” lần nữa.")
    if entry is None or time.time() - entry["at"] > _PENDING_SECONDS:
        return _vneid_error(
            request,
            _("Lượt đăng nhập bằng VNeID này đã hết hạn hoặc đã dùng.") + " " + start_again,
            status=400,
        )
    if request.GET.get("error"):
        message = (
            _("Bạn đã không đồng ý chia sẻ thông tin với Tỉnh Số nên chưa đăng nhập.")
            if request.GET["error"] == "access_denied"
            else _("VNeID không hoàn tất việc đăng nhập.")
        )
        return _vneid_error(request, message + " " + start_again, status=400)
    code = request.GET.get("code", "")
    if not code:
        return _vneid_error(request, _("VNeID không gửi kết quả đăng nhập.") + " " + start_again, status=400)
    try:
        tokens = oidc.code_exchange(
            code=code, redirect_uri=entry["redirect_uri"], code_verifier=entry["verifier"]
        )
        person = oidc.person_from_tokens(tokens, nonce=entry["nonce"])
    except oidc.OidcError as exc:
        logger.warning("VNeID login refused: %s", exc.reason)
        if exc.retryable:
            return _vneid_error(
                request, _("Hiện không kết nối được với VNeID. Vui lòng thử lại sau ít phút."), status=503
            )
        return _vneid_error(
            request, _("Không xác minh được kết quả đăng nhập từ VNeID.") + " " + start_again, status=400
        )
    try:
        user = services.citizen_login_external(
            provider=oidc.PROVIDER,
            subject=person.subject,
            national_id=person.national_id,
            full_name=person.full_name,
            phone=person.phone,
            birthdate=person.birthdate,
        )
    except services.ExternalLoginRefused as exc:
        return _vneid_error(request, exc.message, status=403)
    setattr(request, login_audit.METHOD_ATTRIBUTE, "vneid")  # the audit entry says how (login_audit.py)
    login(request, user, backend="tinhso.accounts.backends.IdentifierBackend")
    return redirect(entry["next"])
