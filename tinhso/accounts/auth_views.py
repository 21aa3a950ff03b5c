"""Login, logout and two-factor (TOTP) pages."""

from __future__ import annotations

import base64

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_otp import login as otp_login

from tinhso.accounts import two_factor
from tinhso.accounts.models import User


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


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
