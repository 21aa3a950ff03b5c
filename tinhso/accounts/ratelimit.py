"""Rate limits in the database: how often one address or one phone number may do something.

DESIGN.md: nothing may assume one process, and the default cache is per process, so counters live in a
table (`RateLimitCounter`): one row per (scope, subject, fixed window), incremented with one conditional
UPDATE (an INSERT the first time). Fixed windows let a burst of up to twice the limit straddle a window's
edge; for SMS codes and anonymous look-ups that is acceptable and costs one row a window.

Subjects are stored as a keyed hash (HMAC-SHA256 under SECRET_KEY): the table holds no address or phone
number. Logins are throttled separately by django-axes (settings AXES_*).

Usage::

    decision = rate_limit_hit(scope="signup-ip", subject=ip, limit=10, window_seconds=3600)
    if not decision.allowed:
        ...  # tell the person to come back in decision.retry_after seconds
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.helpers import get_client_ip_address
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from tinhso.accounts.models import RateLimitCounter

_HMAC_SALT = "tinhso.accounts.ratelimit"


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    count: int
    limit: int
    retry_after: int  # seconds until the window ends (0 when allowed)


def _key(scope: str, subject: str) -> str:
    return salted_hmac(_HMAC_SALT, f"{scope}\x00{subject}", algorithm="sha256").hexdigest()


def _window(now: datetime, window_seconds: int) -> tuple[datetime, datetime]:
    epoch = int(now.timestamp())
    start = epoch - epoch % window_seconds
    begins = datetime.fromtimestamp(start, tz=now.tzinfo or timezone.get_current_timezone())
    return begins, begins + timedelta(seconds=window_seconds)


def _decision(count: int, limit: int, ends: datetime, now: datetime) -> RateDecision:
    allowed = count <= limit
    retry = 0 if allowed else max(1, int((ends - now).total_seconds()))
    return RateDecision(allowed=allowed, count=count, limit=limit, retry_after=retry)


def rate_limit_hit(
    *, scope: str, subject: str, limit: int, window_seconds: int, now: datetime | None = None
) -> RateDecision:
    """Count one more for (scope, subject) in the current window; `allowed` is whether this one is within
    `limit`. A limit of 0 or less turns the check off."""
    now = now or timezone.now()
    if limit <= 0:
        return RateDecision(allowed=True, count=0, limit=limit, retry_after=0)
    key = _key(scope, subject)
    begins, ends = _window(now, window_seconds)
    row = RateLimitCounter.objects.filter(key=key, window_start=begins)
    with transaction.atomic():
        if not row.update(count=F("count") + 1):
            RateLimitCounter.objects.filter(expires_at__lt=now).delete()
            try:
                with transaction.atomic():
                    RateLimitCounter.objects.create(key=key, window_start=begins, count=1, expires_at=ends)
            except IntegrityError:  # another process created it between our UPDATE and INSERT
                row.update(count=F("count") + 1)
        count = row.values_list("count", flat=True).first() or 1
    return _decision(count, limit, ends, now)


def rate_limit_peek(
    *, scope: str, subject: str, limit: int, window_seconds: int, now: datetime | None = None
) -> RateDecision:
    """Whether one more would be allowed, without counting it."""
    now = now or timezone.now()
    if limit <= 0:
        return RateDecision(allowed=True, count=0, limit=limit, retry_after=0)
    begins, ends = _window(now, window_seconds)
    count = (
        RateLimitCounter.objects.filter(key=_key(scope, subject), window_start=begins)
        .values_list("count", flat=True)
        .first()
        or 0
    )
    return _decision(count + 1, limit, ends, now)


def client_ip(request: HttpRequest) -> str:
    """The client's address as django-axes sees it (so `PROXY_COUNT` applies to both)."""
    return get_client_ip_address(request) or "unknown"
