"""Typed readers for environment variables (healthchecks `hc/settings.py` style).

Every reader fails loudly on a value it cannot parse, so a typo in production configuration stops the
process at start-up instead of silently falling back to a default.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from redis.backoff import NoBackoff
from redis.retry import Retry

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false, yes/no), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, *, debug: bool, dev_default: str) -> str:
    """A secret: required when DEBUG is off, a fixed development value otherwise."""
    raw = os.environ.get(name, "")
    if raw:
        return raw
    if debug:
        return dev_default
    raise ImproperlyConfigured(
        f"{name} must be set when DEBUG is off (production refuses to start without it)"
    )


LOCMEM_CACHE = "django.core.cache.backends.locmem.LocMemCache"
REDIS_CACHE = "tinhso.core.cache.RedisCache"  # Django's, sharing its Redis client between calls


def cache_config(url: str) -> dict[str, dict[str, Any]]:
    """Django's CACHES from `CACHE_URL`: empty for each process's own memory (development, tests), else a
    Redis address (`redis://host:6379/0`, `rediss://…`, `unix:///run/redis.sock?db=0`) that every server
    process shares."""
    # "local": each process's own memory, for what is the same in every process and never goes stale (the
    # site's navigation drawn per language and kind of user): read without a trip to Redis.
    local = {"BACKEND": LOCMEM_CACHE, "LOCATION": "tinhso-local"}
    if not url.strip():
        return {"default": {"BACKEND": LOCMEM_CACHE}, "local": local}
    scheme = urlsplit(url.strip()).scheme
    if scheme not in ("redis", "rediss", "unix"):
        raise ImproperlyConfigured(f"CACHE_URL must be a redis://, rediss:// or unix:// address, got {url!r}")
    return {
        "default": {
            "BACKEND": REDIS_CACHE,
            "LOCATION": url.strip(),
            "KEY_PREFIX": "tinhso",
            # A cache that does not answer costs a request a fraction of a second, not redis-py's default
            # of seconds with retries: what pages keep is recomputed instead (tinhso/core/cache.py).
            "OPTIONS": {
                "socket_connect_timeout": 0.25,
                "socket_timeout": 0.5,
                "retry": Retry(NoBackoff(), 1),
            },
        },
        "local": local,
    }
