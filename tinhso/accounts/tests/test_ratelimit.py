"""Rate limits kept in the database."""

from __future__ import annotations

import datetime as dt

import pytest

from tinhso.accounts.models import RateLimitCounter
from tinhso.accounts.ratelimit import rate_limit_hit, rate_limit_peek

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 8, 0, 10, tzinfo=dt.UTC)


def _hit(subject: str = "10.0.0.1", *, at: dt.datetime = T0, limit: int = 3) -> bool:
    return rate_limit_hit(scope="t", subject=subject, limit=limit, window_seconds=3600, now=at).allowed


def test_the_limit_allows_so_many_an_hour_then_says_how_long_to_wait():
    assert [_hit() for _ in range(4)] == [True, True, True, False]
    refused = rate_limit_hit(scope="t", subject="10.0.0.1", limit=3, window_seconds=3600, now=T0)
    assert refused.retry_after == 3600 - 10
    assert _hit(at=T0 + dt.timedelta(hours=1))  # the next window


def test_subjects_and_scopes_are_counted_apart():
    for _ in range(3):
        _hit("10.0.0.1")
    assert not _hit("10.0.0.1")
    assert _hit("10.0.0.2")
    assert rate_limit_hit(scope="other", subject="10.0.0.1", limit=3, window_seconds=3600, now=T0).allowed


def test_the_table_holds_no_address_and_old_windows_are_deleted():
    _hit("10.0.0.1")
    assert "10.0.0.1" not in RateLimitCounter.objects.get().key
    _hit("10.0.0.1", at=T0 + dt.timedelta(hours=2))
    assert RateLimitCounter.objects.count() == 1


def test_peek_does_not_count_and_zero_turns_the_limit_off():
    for _ in range(3):
        _hit()
    assert not rate_limit_peek(scope="t", subject="10.0.0.1", limit=3, window_seconds=3600, now=T0).allowed
    assert RateLimitCounter.objects.get().count == 3
    assert all(_hit(limit=0) for _ in range(10))
