"""The shared Redis cache (`CACHE_URL`), as Django's, less one cost; and reads and writes of kept pages that
a cache outage does not turn into errors.

Django's Redis client makes a new `redis.Redis` for every call, and each builds its table of some 300
response callbacks: about 0.1 ms a call, twice on a kept dashboard page. A `redis.Redis` is safe to share
between threads (each command takes a connection from the pool), so one per pool is kept.

What pages keep (the dashboard's figures and drawn part, worklist pages, their stamps) can always be
computed again: `kept_get`, `kept_set` and `kept_set_many` log a cache that does not answer and carry on,
so that Redis down makes those pages slower, not broken. Sessions are the cache's other user
(`sessions.SessionStore`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.cache import cache
from django.core.cache.backends import redis as django_redis

logger = logging.getLogger(__name__)


class _Client(django_redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        django_client: Any = self  # Django's private helpers, which its type stubs leave out
        index = django_client._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = django_client._get_connection_pool(write)
            client = self._clients[index] = django_client._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _Client


def kept_get(key: str) -> Any:
    """The value kept under `key`, or None when there is none or the cache does not answer."""
    try:
        return cache.get(key)
    except Exception:  # the cache's own errors (redis.RedisError, OSError): recompute instead
        logger.warning("cache read failed for %s", key, exc_info=True)
        return None


def kept_add(key: str, value: Any, timeout: float | None) -> bool:
    """`cache.add`; False (not added) when the cache does not answer."""
    try:
        return bool(cache.add(key, value, timeout))
    except Exception:
        logger.warning("cache add failed for %s", key, exc_info=True)
        return False


def kept_set(key: str, value: Any, timeout: float | None) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception:
        logger.warning("cache write failed for %s", key, exc_info=True)


def kept_set_many(values: Mapping[str, Any], timeout: float | None) -> None:
    try:
        cache.set_many(dict(values), timeout)
    except Exception:
        logger.warning("cache write failed for %s", ", ".join(values), exc_info=True)


def kept_delete(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        logger.warning("cache delete failed for %s", key, exc_info=True)
