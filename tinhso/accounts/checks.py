"""`manage.py check`: the VNeID login's settings, the one-time codes' limits, and django-axes before this app
(the login audit reads what django-axes' receivers mark on the request)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

_VNEID = ("VNEID_OIDC_ISSUER", "VNEID_OIDC_CLIENT_ID", "VNEID_OIDC_CLIENT_SECRET")


@register()
def vneid_configured(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    values = {name: str(getattr(settings, name, "")) for name in _VNEID}
    given = [name for name, value in values.items() if value]
    if not given:
        return []  # the VNeID login is off
    problems: list[CheckMessage] = []
    if len(given) < len(_VNEID):
        missing = ", ".join(name for name in _VNEID if name not in given)
        problems.append(
            Warning(
                f"The VNeID login is off: {missing} empty while {', '.join(given)} set.",
                id="accounts.W001",
            )
        )
    issuer = urlsplit(values["VNEID_OIDC_ISSUER"])
    if values["VNEID_OIDC_ISSUER"] and (issuer.scheme not in ("http", "https") or not issuer.hostname):
        problems.append(Error("VNEID_OIDC_ISSUER must be an http(s) URL.", id="accounts.E001"))
    elif values["VNEID_OIDC_ISSUER"] and issuer.scheme != "https" and not settings.DEBUG:
        problems.append(
            Error("VNEID_OIDC_ISSUER must use https outside development (DEBUG off).", id="accounts.E002")
        )
    return problems


@register()
def one_time_codes_sane(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    if int(getattr(settings, "ACCOUNT_OTP_TTL_SECONDS", 300)) < 60:
        problems.append(
            Error("ACCOUNT_OTP_TTL_SECONDS must be at least 60 (SMS can be slow).", id="accounts.E003")
        )
    if int(getattr(settings, "ACCOUNT_OTP_MAX_ATTEMPTS", 5)) < 1:
        problems.append(Error("ACCOUNT_OTP_MAX_ATTEMPTS must be at least 1.", id="accounts.E004"))
    return problems


@register()
def axes_before_accounts(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """django-axes' receivers of a failed login must run before `login_audit`'s (connected in this app's
    `ready`): a failure's entry says whether it locked, and attempts refused while locked are left out, by
    what django-axes marks on the request. Receivers run in the order their apps are set up."""
    apps = list(settings.INSTALLED_APPS)
    names = ("tinhso.accounts", "tinhso.accounts.apps.AccountsConfig")
    ours = next((i for i, name in enumerate(apps) if name in names), None)
    axes = next((i for i, name in enumerate(apps) if name == "axes" or name.startswith("axes.")), None)
    if axes is not None and ours is not None and axes > ours:
        return [Error("'axes' must come before 'tinhso.accounts' in INSTALLED_APPS.", id="accounts.E005")]
    return []
