"""`manage.py check`: a worker must not start with an SMS gateway it cannot use."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from tinhso.notifications.adapters import SMS_GATEWAYS
from tinhso.notifications.delivery import LEASE_MARGIN_SECONDS, lease_seconds, max_attempts


@register()
def sms_gateway_configured(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    kind = getattr(settings, "SMS_GATEWAY", "console")
    if kind not in SMS_GATEWAYS:
        return [
            Error(
                f"SMS_GATEWAY must be one of {', '.join(SMS_GATEWAYS)}, got {kind!r}.",
                id="notifications.E001",
            )
        ]
    if kind == "http" and not (
        getattr(settings, "SMS_GATEWAY_URL", "") and getattr(settings, "SMS_GATEWAY_KEY", "")
    ):
        return [
            Error(
                "SMS_GATEWAY is 'http' but SMS_GATEWAY_URL or SMS_GATEWAY_KEY is empty.",
                id="notifications.E002",
            )
        ]
    return []


@register()
def delivery_settings_sane(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if lease_seconds() < 2 * LEASE_MARGIN_SECONDS:
        # The worker stops sending LEASE_MARGIN_SECONDS before its lease ends: a shorter lease sends nothing.
        errors.append(
            Error(
                f"NOTIFY_LEASE_SECONDS must be at least {2 * LEASE_MARGIN_SECONDS}, got {lease_seconds()}.",
                id="notifications.E003",
            )
        )
    if max_attempts() < 1:
        errors.append(Error("NOTIFY_MAX_ATTEMPTS must be at least 1.", id="notifications.E004"))
    return errors
