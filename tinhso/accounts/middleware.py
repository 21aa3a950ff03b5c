from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device

from tinhso.core.cache import kept_delete, kept_get, kept_set

# Paths an official may reach before passing the second factor.
_OPEN_PREFIXES = ("/static/", "/health", "/i18n/")


class OfficialTwoFactorMiddleware:
    """When `TINHSO_REQUIRE_OFFICIAL_2FA` is on, an official whose session has not passed TOTP reaches
    only the two-factor pages and logout (the admin and the API included)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.TINHSO_REQUIRE_OFFICIAL_2FA
            and user.is_authenticated
            and getattr(user, "kind", None) == "official"
            and not getattr(user, "is_verified", lambda: False)()
        ):
            allowed = (
                reverse("accounts:two_factor_verify"),
                reverse("accounts:two_factor_setup"),
                reverse("accounts:logout"),
            )
            if not (request.path in allowed or request.path.startswith(_OPEN_PREFIXES)):
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {"detail": "Cần xác thực hai lớp / two-factor authentication required"}, status=403
                    )
                return redirect(f"{reverse('accounts:two_factor_verify')}?next={request.get_full_path()}")
        return self.get_response(request)


# How long a signed-in session's second-factor device is kept in the shared cache. Saving or deleting the
# device removes it at once (`otp_device_changed`); this bounds what a change the signals miss would leave.
OTP_DEVICE_CACHE_SECONDS = 60


def _otp_device_key(persistent_id: str) -> str:
    return "accounts:otp-device:" + hashlib.sha256(persistent_id.encode()).hexdigest()[:32]


class CachedOTPMiddleware(OTPMiddleware):
    """django-otp's middleware, reading the session's second-factor device from the shared cache (only with
    `CACHE_URL`): every signed-in official's request otherwise reads it from the database. The device is
    still checked as django-otp does (its user, confirmed); saving or deleting any device removes it from the
    cache, at once and again after the commit (`otp_device_changed`)."""

    def _device_from_persistent_id(self, persistent_id: str) -> Any:
        if not settings.CACHE_URL:
            return super()._device_from_persistent_id(persistent_id)
        key = _otp_device_key(self._normalize_persistent_id(persistent_id))
        device = kept_get(key)
        if isinstance(device, Device):
            return device
        device = super()._device_from_persistent_id(persistent_id)
        if device is not None:
            kept_set(key, device, OTP_DEVICE_CACHE_SECONDS)
        return device


def otp_device_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    """`post_save` / `post_delete` of any model (connected in `AccountsConfig.ready`): a second-factor
    device's kept copy is removed, at once and after the commit (a request reading the device in between
    would put the old one back)."""
    if not isinstance(instance, Device) or instance.pk is None:
        return
    key = _otp_device_key(instance.persistent_id)
    kept_delete(key)
    transaction.on_commit(lambda: kept_delete(key), robust=True)
