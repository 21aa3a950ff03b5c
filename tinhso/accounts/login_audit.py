"""Sign-ins in the audit log: every login, logout and failed login, whoever and however.

Django's `user_logged_in`, `user_logged_out` and `user_login_failed` are received here (connected in
`apps.py`, after django-axes' own receivers: the system check `accounts.E005` keeps that order), so every
way in is covered: the login page (username, phone or ID number), VNeID, signing up, the admin site's own
login, and any later view that calls `login()`. Each appends one entry (`core.audit`, in its own
transaction: these views make no other change):

- `user.logged_in`: the account, how (`password` | `vneid` | `signup`), the client's address;
- `user.logged_out`: the account when the session still had one, and the address;
- `user.login_failed`: the account when the identifier typed names one (never the identifier itself: a
  password typed into the wrong box, or someone else's ID number, must not land in a log kept for ever);
  the address; `locked`: whether this attempt reached django-axes' limit and locked the (account, address)
  pair (django-axes marks the request before this receiver runs).

Failures are bounded, since every audited write queues on the chain's head and the log is never pruned:
attempts after the one that locks a pair (refused by django-axes without checking the password; it counts
them) are not audited, and at most `FAILURES_AUDITED_PER_HOUR` other failures a client address (`core`
rate limit, so that many made-up identifiers from one address do not fill the log either) — the attempt
that locks is always audited. The browser's user-agent is not kept (django-axes keeps its own, for its
cool-off). The address is the one django-axes counts (`ratelimit.client_ip`: `PROXY_COUNT` applies).
Two-factor steps are audited in `two_factor.py`, the creation of API tokens in `api_auth.py`.
"""

from __future__ import annotations

from typing import Any

from axes.helpers import get_failure_limit
from django.http import HttpRequest

from tinhso.accounts.backends import account_for_identifier
from tinhso.accounts.models import User
from tinhso.accounts.ratelimit import client_ip, rate_limit_hit
from tinhso.core.audit import audit_record

TARGET = "accounts.user"
METHOD_ATTRIBUTE = "tinhso_login_method"  # set on the request by a view whose login is not by password
FAILURES_AUDITED_PER_HOUR = 60  # per client address


def _address(request: HttpRequest | None) -> str:
    return client_ip(request) if request is not None else "unknown"


def _agency(user: User) -> str:
    return user.agency.code if user.agency_id and user.agency else ""


def logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    audit_record(
        event="user.logged_in",
        target_type=TARGET,
        target_id=user.pk,
        actor_id=user.pk,
        actor_label=user.get_username(),
        agency_code=_agency(user),
        new={"method": getattr(request, METHOD_ATTRIBUTE, "password"), "ip": _address(request)},
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


def _refused_while_locked(request: HttpRequest, credentials: dict[str, Any] | None) -> bool:
    """django-axes refused the attempt because the pair was already locked: it recorded the failure and
    counted past its limit, or (with `AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT` off) marked the request
    locked without recording it. The attempt that reaches the limit has a count equal to it."""
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is None:
        return bool(getattr(request, "axes_locked_out", False))
    return bool(failures > get_failure_limit(request, credentials))


def login_failed(
    sender: Any, credentials: dict[str, Any] | None = None, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    if request is not None and _refused_while_locked(request, credentials):
        return  # django-axes counts these; the log has the attempt that locked
    address = _address(request)
    locked = bool(getattr(request, "axes_locked_out", False))
    # The attempt that locks is always audited (at most one per pair and cool-off): spending the address's
    # budget on made-up identifiers must not hide the lockouts that follow.
    if (
        not locked
        and not rate_limit_hit(
            scope="login_audit", subject=address, limit=FAILURES_AUDITED_PER_HOUR, window_seconds=3600
        ).allowed
    ):
        return
    typed = str((credentials or {}).get("username") or "")
    account = account_for_identifier(typed) if typed else None
    audit_record(
        event="user.login_failed",
        target_type=TARGET,
        target_id=account.pk if account is not None else "",
        actor_label="anonymous",
        agency_code=_agency(account) if account is not None else "",
        new={
            "ip": address,
            "known_account": account is not None,
            "locked": locked,
        },
    )
