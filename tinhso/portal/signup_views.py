"""Signing up with a phone number and a national ID number, and resetting a forgotten password, each
confirmed by a code sent by SMS (*đăng ký tài khoản*, *quên mật khẩu*).

The rules (what a code is, how long it lasts, how many tries) are in `tinhso.accounts` (otp.py, services.py);
these pages add what accounts may not do, sending the SMS: the code and its message are written in one
transaction (`notifications.message_enqueue`, the outbox), and the delivery worker sends it.

Rate limits (in the database, so they hold across processes; `accounts.ratelimit`): codes sent per phone
number and per address, codes checked per address; each code also locks after its own wrong tries.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from tinhso.accounts import login_audit, otp, services
from tinhso.accounts.models import OneTimeCode, User
from tinhso.accounts.national_id import parse_national_id
from tinhso.accounts.phone import parse_mobile
from tinhso.accounts.ratelimit import RateDecision, client_ip, rate_limit_hit
from tinhso.notifications.services import message_enqueue

HOUR = 3600
_SIGNUP_KEY = "signup_otp"
_RESET_KEY = "reset_otp"
_NEXT_KEY = "signup_next"
_BACKEND = "tinhso.accounts.backends.IdentifierBackend"


# --- Forms (shape only; the services decide) ----------------------------------------------------------------


class CodeField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            label=gettext_lazy("Mã xác nhận (6 chữ số trong tin nhắn)"),
            min_length=otp.CODE_DIGITS,
            max_length=otp.CODE_DIGITS,
            widget=forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}"}
            ),
            error_messages={
                "required": gettext_lazy("Nhập mã 6 chữ số trong tin nhắn vừa nhận."),
                "min_length": gettext_lazy("Mã xác nhận gồm đúng 6 chữ số."),
                "max_length": gettext_lazy("Mã xác nhận gồm đúng 6 chữ số."),
            },
            **kwargs,
        )

    def clean(self, value: Any) -> str:
        cleaned = str(super().clean(value))
        if not cleaned.isdigit():
            raise ValidationError(_("Mã xác nhận chỉ gồm chữ số (0-9)."))
        return cleaned


class NewPasswordMixin(forms.Form):
    password1 = forms.CharField(
        label=gettext_lazy("Mật khẩu"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("Ít nhất 8 ký tự; không dùng toàn chữ số, ngày sinh hay số điện thoại."),
        error_messages={"required": gettext_lazy("Đặt một mật khẩu để đăng nhập lần sau.")},
    )
    password2 = forms.CharField(
        label=gettext_lazy("Nhập lại mật khẩu"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": gettext_lazy("Nhập lại mật khẩu một lần nữa để chắc chắn.")},
    )

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def password_user(self) -> User:
        """The account as far as known, for the similarity check (a password like one's own name)."""
        return self.user or User()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("Hai lần nhập mật khẩu chưa giống nhau. Hãy nhập lại."))
        elif first:
            try:
                password_validation.validate_password(first, self.password_user())
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class SignupForm(NewPasswordMixin):
    full_name = forms.CharField(
        label=gettext_lazy("Họ và tên"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=gettext_lazy("Như trên thẻ căn cước, có dấu."),
        error_messages={"required": gettext_lazy("Nhập họ và tên của bạn.")},
    )
    phone = forms.CharField(
        label=gettext_lazy("Số điện thoại di động"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
        help_text=gettext_lazy("Mã xác nhận sẽ được gửi qua tin nhắn đến số này."),
        error_messages={"required": gettext_lazy("Nhập số điện thoại di động để nhận mã xác nhận.")},
    )
    national_id = forms.CharField(
        label=gettext_lazy("Số định danh cá nhân (số căn cước)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=gettext_lazy("12 chữ số in trên thẻ căn cước hoặc căn cước công dân."),
        error_messages={"required": gettext_lazy("Nhập 12 chữ số của số định danh cá nhân.")},
    )
    date_of_birth = forms.DateField(
        label=gettext_lazy("Ngày sinh"),
        input_formats=["%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"],
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "bday", "placeholder": "31/12/1960"}
        ),
        help_text=gettext_lazy("Ngày/tháng/năm, ví dụ 05/09/1958."),
        error_messages={
            "required": gettext_lazy("Nhập ngày sinh theo dạng ngày/tháng/năm, ví dụ 05/09/1958."),
            "invalid": gettext_lazy("Ngày sinh chưa đúng dạng ngày/tháng/năm, ví dụ 05/09/1958."),
        },
    )
    field_order = ["full_name", "phone", "national_id", "date_of_birth", "password1", "password2"]

    def clean_full_name(self) -> str:
        return " ".join(self.cleaned_data["full_name"].split())

    def clean_phone(self) -> str:
        return parse_mobile(self.cleaned_data["phone"])

    def clean_national_id(self) -> str:
        return parse_national_id("".join(self.cleaned_data["national_id"].split())).number

    def clean_date_of_birth(self) -> dt.date:
        value: dt.date = self.cleaned_data["date_of_birth"]
        if value > dt.date.today():
            raise ValidationError(_("Ngày sinh không thể sau ngày hôm nay."))
        return value

    def password_user(self) -> User:
        data = self.cleaned_data
        return User(
            username=data.get("national_id", ""),
            full_name=data.get("full_name", ""),
            phone=data.get("phone"),
            national_id=data.get("national_id"),
        )


class CodeForm(forms.Form):
    code = CodeField()


class ResetStartForm(forms.Form):
    identifier = forms.CharField(
        label=gettext_lazy("Số điện thoại hoặc số định danh cá nhân"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
        error_messages={"required": gettext_lazy("Nhập số điện thoại hoặc số định danh của tài khoản.")},
    )


class ResetCodeForm(NewPasswordMixin):
    code = CodeField()
    field_order = ["code", "password1", "password2"]


# --- Helpers ------------------------------------------------------------------------------------------------


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _masked(phone: str) -> str:
    return f"{phone[:3]}•••{phone[-3:]}" if len(phone) >= 6 else "•••"


def _too_many(decision: RateDecision) -> str:
    minutes = max(1, (decision.retry_after + 59) // 60)
    return ngettext(
        "Bạn đã yêu cầu quá nhiều lần. Vì an toàn, vui lòng thử lại sau %(minutes)d phút.",
        "Bạn đã yêu cầu quá nhiều lần. Vì an toàn, vui lòng thử lại sau %(minutes)d phút.",
        minutes,
    ) % {"minutes": minutes}


def _send_allowed(request: HttpRequest, phone: str) -> RateDecision:
    """Counts one code sent: per address, then per phone number (an hour each)."""
    by_ip = rate_limit_hit(
        scope="otp-send-ip",
        subject=client_ip(request),
        limit=settings.ACCOUNT_OTP_SENDS_PER_IP,
        window_seconds=HOUR,
    )
    if not by_ip.allowed:
        return by_ip
    return rate_limit_hit(
        scope="otp-send-phone", subject=phone, limit=settings.ACCOUNT_OTP_SENDS_PER_PHONE, window_seconds=HOUR
    )


def _check_allowed(request: HttpRequest) -> RateDecision:
    return rate_limit_hit(
        scope="otp-check-ip",
        subject=client_ip(request),
        limit=settings.ACCOUNT_OTP_CHECKS_PER_IP,
        window_seconds=HOUR,
    )


def _sms_text(purpose: str, code: str) -> str:
    minutes = max(1, otp.ttl_seconds() // 60)
    if purpose == OneTimeCode.Purpose.RESET:
        text = _("Tỉnh Số: mã đặt lại mật khẩu là %(code)s, dùng trong %(minutes)d phút.")
    else:
        text = _("Tỉnh Số: mã xác nhận đăng ký tài khoản là %(code)s, dùng trong %(minutes)d phút.")
    return (
        (text % {"code": code, "minutes": minutes}) + " " + _("Không đưa mã này cho bất kỳ ai, kể cả cán bộ.")
    )


def _enqueue_code(one_time: OneTimeCode, code: str) -> None:
    """Queue the SMS in the caller's transaction: the code and its message commit or roll back together."""
    message_enqueue(
        channel="sms",
        recipient=one_time.phone,
        body=_sms_text(one_time.purpose, code),
        dedupe_key=f"otp:{one_time.pk}:{one_time.sends}",
        topic=f"account:{one_time.purpose}",
        sensitive=True,  # the code: wiped from the outbox once sent, never shown in the admin
    )


def _pending(request: HttpRequest, key: str, purpose: str) -> OneTimeCode | None:
    pk = request.session.get(key)
    if not isinstance(pk, int):
        return None
    return OneTimeCode.objects.filter(pk=pk, purpose=purpose, used_at__isnull=True).first()


def _resend(request: HttpRequest, key: str, purpose: str, back: str) -> HttpResponse:
    pending = _pending(request, key, purpose)
    if pending is None:
        messages.error(request, otp.OtpError(otp.OtpRefusal.UNKNOWN).message)
        return redirect("signup:start" if purpose == OneTimeCode.Purpose.SIGNUP else "signup:password_reset")
    wait = otp.otp_resend_wait(pending)
    if wait:
        messages.error(request, otp.OtpError(otp.OtpRefusal.COOLDOWN, retry_after=wait).message)
        return redirect(back)
    decision = _send_allowed(request, pending.phone)
    if not decision.allowed:
        messages.error(request, _too_many(decision))
        return redirect(back)
    try:
        with transaction.atomic():
            one_time, code = otp.otp_resend(otp_id=pending.pk, purpose=purpose)
            _enqueue_code(one_time, code)
    except otp.OtpError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(
        request,
        _("Đã gửi mã mới đến số %(phone)s. Mã cũ không dùng được nữa.") % {"phone": _masked(one_time.phone)},
    )
    return redirect(back)


def _code_page_context(pending: OneTimeCode) -> dict[str, Any]:
    return {
        "phone_masked": _masked(pending.phone),
        "resend_wait": otp.otp_resend_wait(pending),
        "ttl_minutes": max(1, otp.ttl_seconds() // 60),
    }


# --- Sign-up ------------------------------------------------------------------------------------------------


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def signup_start(request: HttpRequest) -> HttpResponse:
    """Step 1: name, phone, ID number, date of birth, password → a code by SMS."""
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    form = SignupForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        decision = _send_allowed(request, data["phone"])
        if not decision.allowed:
            form.add_error(None, _too_many(decision))
            status = 429
        else:
            try:
                with transaction.atomic():
                    one_time, code = services.citizen_signup_start(
                        full_name=data["full_name"],
                        phone=data["phone"],
                        national_id=data["national_id"],
                        date_of_birth=data["date_of_birth"],
                        password=data["password1"],
                    )
                    _enqueue_code(one_time, code)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                request.session[_SIGNUP_KEY] = one_time.pk
                request.session[_NEXT_KEY] = _next_url(request)
                return redirect("signup:verify")
    return render(
        request,
        "portal/signup/start.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=status,
    )


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def signup_verify(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the SMS → the account exists, the person is logged in."""
    pending = _pending(request, _SIGNUP_KEY, OneTimeCode.Purpose.SIGNUP)
    if pending is None:
        messages.error(request, otp.OtpError(otp.OtpRefusal.UNKNOWN).message)
        return redirect("signup:start")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        decision = _check_allowed(request)
        if not decision.allowed:
            form.add_error(None, _too_many(decision))
            status = 429
        else:
            try:
                user = services.citizen_signup_complete(otp_id=pending.pk, code=form.cleaned_data["code"])
            except otp.OtpError as exc:
                form.add_error("code", exc.message)
            except ValidationError as exc:
                for errors in exc.message_dict.values():
                    for error in errors:
                        form.add_error(None, error)
            else:
                target = request.session.pop(_NEXT_KEY, None) or reverse(settings.LOGIN_REDIRECT_URL)
                request.session.pop(_SIGNUP_KEY, None)
                setattr(request, login_audit.METHOD_ATTRIBUTE, "signup")  # for its audit entry
                login(request, user, backend=_BACKEND)
                messages.success(
                    request,
                    _("Đã tạo tài khoản. Lần sau, hãy đăng nhập bằng số điện thoại %(phone)s và mật khẩu.")
                    % {"phone": user.phone},
                )
                return redirect(target)
    pending.refresh_from_db()
    context = {"form": form, **_code_page_context(pending)}
    return render(request, "portal/signup/verify.html", context, status=status)


@never_cache
@csrf_protect
@require_POST
def signup_resend(request: HttpRequest) -> HttpResponse:
    return _resend(request, _SIGNUP_KEY, OneTimeCode.Purpose.SIGNUP, "signup:verify")


# --- Forgotten password -------------------------------------------------------------------------------------


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    form = ResetStartForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        identifier = form.cleaned_data["identifier"]
        decision = rate_limit_hit(
            scope="otp-send-ip",
            subject=client_ip(request),
            limit=settings.ACCOUNT_OTP_SENDS_PER_IP,
            window_seconds=HOUR,
        )
        if not decision.allowed:
            form.add_error(None, _too_many(decision))
            status = 429
        else:
            with transaction.atomic():
                issued = services.password_reset_start(identifier=identifier)
                if issued is not None:
                    per_phone = rate_limit_hit(
                        scope="otp-send-phone",
                        subject=issued[0].phone,
                        limit=settings.ACCOUNT_OTP_SENDS_PER_PHONE,
                        window_seconds=HOUR,
                    )
                    if per_phone.allowed:
                        _enqueue_code(*issued)
                    else:
                        transaction.set_rollback(True)
                        form.add_error(None, _too_many(per_phone))
                        status = 429
            if issued is None:
                form.add_error(
                    "identifier",
                    _(
                        "Không có tài khoản công dân nào dùng số này (hoặc tài khoản chưa có số điện thoại). "
                        "Kiểm tra lại số, hoặc đăng ký tài khoản mới. Cán bộ quên mật khẩu: liên hệ quản trị "
                        "hệ thống của cơ quan."
                    ),
                )
            elif status == 200:
                request.session[_RESET_KEY] = issued[0].pk
                return redirect("signup:password_reset_verify")
    return render(request, "portal/signup/reset_start.html", {"form": form}, status=status)


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def password_reset_verify(request: HttpRequest) -> HttpResponse:
    pending = _pending(request, _RESET_KEY, OneTimeCode.Purpose.RESET)
    if pending is None:
        messages.error(request, otp.OtpError(otp.OtpRefusal.UNKNOWN).message)
        return redirect("signup:password_reset")
    form = ResetCodeForm(request.POST or None, user=pending.user)
    status = 200
    if request.method == "POST" and form.is_valid():
        decision = _check_allowed(request)
        if not decision.allowed:
            form.add_error(None, _too_many(decision))
            status = 429
        else:
            try:
                services.password_reset_complete(
                    otp_id=pending.pk,
                    code=form.cleaned_data["code"],
                    new_password=form.cleaned_data["password1"],
                )
            except otp.OtpError as exc:
                form.add_error("code", exc.message)
            else:
                request.session.pop(_RESET_KEY, None)
                messages.success(request, _("Đã đặt mật khẩu mới. Hãy đăng nhập bằng mật khẩu mới."))
                return redirect("accounts:login")
    pending.refresh_from_db()
    context = {"form": form, **_code_page_context(pending)}
    return render(request, "portal/signup/reset_verify.html", context, status=status)


@never_cache
@csrf_protect
@require_POST
def password_reset_resend(request: HttpRequest) -> HttpResponse:
    return _resend(request, _RESET_KEY, OneTimeCode.Purpose.RESET, "signup:password_reset_verify")
