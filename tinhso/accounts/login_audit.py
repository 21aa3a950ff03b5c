"""Sign-ins in the audit log: every login, logout and failed login, whoever and however.

Django's `user_logged_in`, `user_logged_out` and `user_login_failed` are received here (connected in
`apps.py`, after django-axes' own receivers), so every way in is covered: the login page (username, phone
or ID number), VNeID, the admin site's own login, and any later view that calls `login()`. Each appends
one entry (`core.audit`, in its own transaction: these views make no other change):

- `user.logged_in`: the account, how (`password` | `vneid`), the client's address and browser;
- `user.logged_out`: the account when the session still had one, and the address;
- `user.login_failed`: the account when the identifier typed names one (never the identifier itself: a
  password typed into the wrong box, or someone else's ID number, must not land in a log kept for ever);
  the address; `locked`: whether the (account, address) pair is locked after this attempt — the attempt
  that reached django-axes' limit, and every attempt refused while the lock lasts (django-axes marks the
  request before this receiver runs).

The address is the one django-axes counts (`ratelimit.client_ip`: `PROXY_COUNT` applies). Two-factor
steps are audited in `two_factor.py`, API tokens in `api_auth.py`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tinhso.accounts.backends import account_for_identifier
from tinhso.accounts.models import User
from tinhso.accounts.ratelimit import client_ip
from tinhso.core.audit import audit_record

TARGET = "accounts.user"
USER_AGENT_MAX = 200
METHOD_ATTRIBUTE = "tinhso_login_method"  # set on the request by a view whose login is not by password


def _address(request: HttpRequest | None) -> str:
    return client_ip(request) if request is not None else "unknown"


def _agency(user: User) -> str:
    return user.agency.code if user.agency_id and user.agency else ""


def logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    agent = request.META.get("HTTP_USER_AGENT", "") if request is not None else ""
    audit_record(
        event="user.logged_in",
        target_type=TARGET,
        target_id=user.pk,
        actor_id=user.pk,
        actor_label=user.get_username(),
        agency_code=_agency(user),
        new={
            "method": getattr(request, METHOD_ATTRIBUTE, "password"),
            "ip": _address(request),
            "user_agent": agent[:USER_AGENT_MAX],
        },
    )


def logged_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is None or not user.is_authenticated:  # the session had expired: nobody to name
        return
    audit_record(
        event="user.logged_out",
        target_type=TARGET,
        target_id=user.pk,
        actor_id=user.pk,
        actor_label=user.get_username(),
        agency_code=_agency(user),
        new={"ip": _address(request)},
    )


def login_failed(
    sender: Any, credentials: dict[str, Any] | None = None, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    typed = str((credentials or {}).get("username") or "")
    account = account_for_identifier(typed) if typed else None
    audit_record(
        event="user.login_failed",
        target_type=TARGET,
        target_id=account.pk if account is not None else "",
        actor_label="anonymous",
        agency_code=_agency(account) if account is not None else "",
        new={
            "ip": _address(request),
            "known_account": account is not None,
            "locked": bool(getattr(request, "axes_locked_out", False)),
        },
    )
