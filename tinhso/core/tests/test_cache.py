"""The cache's configuration (`CACHE_URL`), its deployment check, and the Redis cache the server processes
share: what the pages keep there (the dashboard's figures and main part) goes through it and back.

The Redis tests use the `redis_cache` fixture (tinhso/conftest.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import ConnectionError as RedisConnectionError

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
    config = cache_config(url)
    assert config["local"] == LOCAL
    shared = config["default"]
    assert (shared["BACKEND"], shared["LOCATION"], shared["KEY_PREFIX"]) == (REDIS_CACHE, url, "tinhso")
    # A cache that does not answer fails fast: one retry, sub-second timeouts.
    assert shared["OPTIONS"]["socket_connect_timeout"] <= 0.5 and shared["OPTIONS"]["socket_timeout"] <= 0.5
    assert shared["OPTIONS"]["retry"].get_retries() == 1


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


@dataclass(frozen=True)
class _Row:  # as the pages keep them: frozen dataclasses, pickled
    code: str
    procedure: str
    due_at: dt.datetime


def test_the_redis_cache_keeps_and_locks_as_the_pages_need(redis_cache: dict[str, Any]) -> None:
    cache = caches["default"]
    assert cache.__class__.__module__ + "." + cache.__class__.__name__ == REDIS_CACHE
    row = _Row("000.00.30.H60-260309-0001", "Chứng thực bản sao", dt.datetime(2026, 3, 9, tzinfo=dt.UTC))
    cache.set("figures", [row], 60)
    assert cache.get("figures") == [row]
    # The recomputation's lock: only the first of two takes it.
    assert cache.add("figures:computing", 1, 60) is True
    assert cache.add("figures:computing", 1, 60) is False
    cache.delete("figures:computing")
    assert cache.add("figures:computing", 1, 60) is True


@pytest.mark.django_db
def test_sessions_fall_back_to_the_database_when_the_cache_does_not_answer(
    redis_down: dict[str, Any],
) -> None:
    from tinhso.core.sessions import SessionStore

    store = SessionStore()
    store["who"] = "cán bộ"
    store.save(must_create=True)  # the database row is written; the cache write fails and is logged
    key = store.session_key
    assert key is not None
    again = SessionStore(key)
    assert again["who"] == "cán bộ"  # read from the database
    assert again.exists(key)
    assert not again.exists("khong-co-phien-nay")
    # Signing out while the cache does not answer fails before anything is deleted: the session stays whole
    # (in the database), never deleted there but left in a cache that comes back.
    with pytest.raises(RedisConnectionError):
        again.delete()
    assert SessionStore(key)["who"] == "cán bộ"


def test_kept_values_are_recomputed_when_the_cache_does_not_answer(redis_down: dict[str, Any]) -> None:
    from tinhso.core.cache import kept_add, kept_delete, kept_get, kept_set, kept_set_many

    assert kept_get("a") is None
    kept_set("a", 1, 60)
    kept_set_many({"a": 1, "b": 2}, 60)
    assert kept_add("a", 1, 60) is False
    kept_delete("a")


@pytest.mark.django_db
def test_sessions_are_read_from_the_shared_cache_first(redis_cache: dict[str, Any]) -> None:
    from django.contrib.sessions.models import Session

    from tinhso.core.sessions import SessionStore

    store = SessionStore()
    store["who"] = "lãnh đạo"
    store.save(must_create=True)
    key = store.session_key
    assert key is not None and Session.objects.filter(session_key=key).exists()  # written to both
    Session.objects.filter(session_key=key).delete()  # the row alone: the cache still has the session
    assert SessionStore(key)["who"] == "lãnh đạo"
    SessionStore(key).delete()  # sign out: gone from the cache as well
    assert SessionStore(key).load() == {}
