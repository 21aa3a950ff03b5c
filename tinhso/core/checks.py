"""`manage.py check --deploy`: the cache every server process should share."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

from tinhso.env import LOCMEM_CACHE


@register(Tags.caches, deploy=True)
def shared_cache(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Each process's own memory as the cache, in production: with several server processes, sessions are
    read from the database on every request, worklist pages are not kept, the catalog's search answers and
    the dashboard's figures are computed by every process for itself."""
    if settings.CACHES["default"]["BACKEND"] == LOCMEM_CACHE and not settings.DEBUG:
        return [
            Warning(
                "CACHE_URL is empty: each server process keeps its own cache, so sessions are read from the "
                "database on every request, worklist pages are not kept and each process computes the "
                "dashboard's figures. Set CACHE_URL to a Redis address.",
                id="core.W001",
            )
        ]
    return []
