"""The cache's configuration (`CACHE_URL`), its deployment check, and the Redis cache the server processes
share: what the pages keep there (the dashboard's figures and main part) goes through it and back.

The Redis tests use the `redis_cache` fixture (tinhso/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured

from tinhso.core.checks import shared_cache
from tinhso.env import LOCMEM_CACHE, REDIS_CACHE, cache_config

LOCAL = {"BACKEND": LOCMEM_CACHE, "LOCATION": "tinhso-local"}


def test_no_address_is_each_process_own_memory() -> None:
    assert cache_config("") == {"default": {"BACKEND": LOCMEM_CACHE}, "local": LOCAL}
    assert cache_config("  ") == {"default": {"BACKEND": LOCMEM_CACHE}, "local": LOCAL}


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://cache.tinhso.example:6380/1", "unix:///run/redis.sock?db=2"]
)
def test_a_redis_address_is_the_shared_redis_cache(url: str) -> None:
    assert cache_config(url) == {
        "default": {"BACKEND": REDIS_CACHE, "LOCATION": url, "KEY_PREFIX": "tinhso"},
        "local": LOCAL,
    }


@pytest.mark.parametrize("url", ["memcached://127.0.0.1:11211", "127.0.0.1:6379", "http://redis"])
def test_another_address_stops_the_start(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL must be a redis://"):
        cache_config(url)


def test_the_deploy_check_warns_of_a_cache_per_process(settings: Any) -> None:
    settings.DEBUG = False
    settings.CACHES = cache_config("")
    assert [m.id for m in shared_cache()] == ["core.W001"]
    settings.CACHES = cache_config("redis://127.0.0.1:6379/0")
    assert shared_cache() == []
    settings.DEBUG = True  # development: one process
    settings.CACHES = cache_config("")
    assert shared_cache() == []


def test_the_redis_cache_keeps_and_locks_as_the_pages_need(redis_cache: dict[str, Any]) -> None:
    import datetime as dt

    from tinhso.reports.dashboard import DueSoonRow

    cache = caches["default"]
    assert cache.__class__.__module__ + "." + cache.__class__.__name__ == REDIS_CACHE
    row = DueSoonRow(
        "000.00.30.H60-260309-0001",
        "Chứng thực bản sao",
        "UBND phường Minh Xuân",
        "",
        dt.datetime(2026, 3, 9, tzinfo=dt.UTC),
    )
    cache.set("figures", [row], 60)
    assert cache.get("figures") == [row]
    # The recomputation's lock: only the first of two takes it.
    assert cache.add("figures:computing", 1, 60) is True
    assert cache.add("figures:computing", 1, 60) is False
    cache.delete("figures:computing")
    assert cache.add("figures:computing", 1, 60) is True
