from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

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
