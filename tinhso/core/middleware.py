from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from tinhso.core.logging import request_id_var

# Accept a caller's id only if it looks like one: it ends up in logs.
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = rid  # type: ignore[attr-defined]
        token = request_id_var.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = rid
        return response


class SecurityHeadersMiddleware:
    """A content security policy on every answer that has none of its own (a download sets its own
    sandbox), and a permissions policy.

    Pages load scripts, styles, fonts and images from the site alone: no inline script runs (htmx is
    configured without eval or script tags), no page can be framed, forms post to the site — and to the
    VNeID issuer when that login is on (its button's form is answered by a redirect there, which
    `form-action` also governs). The admin's templates carry a few inline styles: its pages allow them.
    `CONTENT_SECURITY_POLICY` in settings replaces the policy (the admin's included).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from django.conf import settings

        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY or _default_policy(settings.VNEID_OIDC_ISSUER)
        self.admin_policy = settings.CONTENT_SECURITY_POLICY or self.policy.replace(
            "style-src 'self'", "style-src 'self' 'unsafe-inline'"
        )
        self.admin_prefix = "/admin/"
        self.permissions = settings.PERMISSIONS_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            admin = request.path.startswith(self.admin_prefix)
            response["Content-Security-Policy"] = self.admin_policy if admin else self.policy
        if self.permissions and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.permissions
        return response


def _default_policy(vneid_issuer: str) -> str:
    from urllib.parse import urlsplit

    form_action = "'self'"
    if vneid_issuer:
        parts = urlsplit(vneid_issuer)
        form_action += f" {parts.scheme}://{parts.netloc}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            f"form-action {form_action}",
            "frame-ancestors 'none'",
        ]
    )
