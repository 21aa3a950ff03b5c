"""Fixtures shared by every app's tests."""

from __future__ import annotations

import importlib
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import override_settings

from tinhso.core.tests.signing_support import _dev_ca_dir, signing_dir  # noqa: F401 (fixtures)
from tinhso.env import cache_config

# ======================================================================================================
# Reference data and browser fixtures (written with the public pages; tinhso/accounts/tests/test_pages.py
# and test_browser.py are their first users)
# ======================================================================================================

_audit_triggers = importlib.import_module("tinhso.core.migrations.0003_auditentry_append_only_triggers")


class _ReferenceDataState:
    """The session's `django_db_blocker`, kept once the reference data has been loaded for the first time."""

    blocker: Any = None


def _reference_data_ensure() -> None:
    from tinhso.accounts.models import Province
    from tinhso.accounts.services import reference_data_load

    if not Province.objects.exists():
        reference_data_load()


@pytest.fixture(scope="session")
def _reference_data_committed(django_db_setup: None, django_db_blocker: Any) -> None:
    # Loaded once, committed, outside any test's transaction: each test's own changes roll back over it.
    with django_db_blocker.unblock():
        _reference_data_ensure()
    _ReferenceDataState.blocker = django_db_blocker


@pytest.fixture
def reference_data(_reference_data_committed: None, db: None) -> None:
    """The shipped reference data (34 provinces, 3,321 communes, the old-commune table, Tuyên Quang's
    agencies, the role groups), loaded once per session rather than once per test (about 2 s each)."""
    # A transactional test that ran in between flushed the database; reload (the hook below normally
    # already has).
    _reference_data_ensure()


def _flushes_database(item: pytest.Item) -> bool:
    fixturenames = getattr(item, "fixturenames", ())
    if "transactional_db" in fixturenames or "live_server" in fixturenames:
        return True
    marker = item.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After a transactional test has flushed the database, put the reference data (and the audit table's
    append-only triggers, which the flush needed gone on SQLite) back for the tests after it."""
    result = yield
    blocker = _ReferenceDataState.blocker
    if blocker is not None and nextitem is not None and _flushes_database(item):
        with blocker.unblock():
            _audit_triggers.install_triggers(connection)
            _reference_data_ensure()
    return result


@pytest.fixture
def flushable_audit_log(transactional_db: None) -> Iterator[None]:
    """For tests whose writes really commit (the live server's): SQLite's flush after the test deletes
    audit rows one by one, which the append-only triggers refuse, so they are dropped just before it (the
    teardown hook above puts them back)."""
    _audit_triggers.install_triggers(connection)
    yield
    _audit_triggers.drop_triggers(connection)


CHROMIUM = Path(os.environ.get("TINHSO_CHROMIUM", "/usr/bin/chromium"))
# No network beyond the live server: no updates, sync, QUIC or first-run pings.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser). Skipped when it is not
    installed, unless TINHSO_REQUIRE_BROWSER=1 (CI), where its absence is a failure."""
    if not CHROMIUM.exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set TINHSO_CHROMIUM)"
        if os.environ.get("TINHSO_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}; TINHSO_REQUIRE_BROWSER=1 requires it")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; Django then refuses ORM calls from
    # it unless told this synchronous use is deliberate.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def site(live_server: Any, flushable_audit_log: None, reference_data: None) -> str:
    """The live server's base URL, with the reference data in its database."""
    return str(live_server.url)


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """Open pages in fresh browser contexts (own cookies): `new_page(width=360, height=740, js=True)`.
    The browser asks for Vietnamese, as most users' phones do."""
    contexts = []

    def make(*, width: int = 1280, height: int = 800, js: bool = True) -> Any:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale="vi-VN",
            java_script_enabled=js,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot() -> Any:
    """Save a screenshot under test-artifacts/screenshots/ for people to look at: the first screen, or the
    whole page with `full_page=True`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str, *, full_page: bool = False) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


# ======================================================================================================


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Uploaded files go to a temporary directory, never to the developer's var/media."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache (the process's local-memory cache outlives a test otherwise:
    answers cached by an earlier test's data would be served to the next one)."""
    from tinhso.reports.dashboard_views import _drawn

    caches["default"].clear()
    caches["local"].clear()
    _drawn.clear()


@pytest.fixture(autouse=True)
def _signing(request: pytest.FixtureRequest) -> None:
    """Every test signs as development does, with the test CA of a temporary directory
    (`signing_support.signing_dir`): results and forms are signed whether or not the developer's
    var/signing exists, so a run on a fresh clone and one on a developer's machine test the same thing."""
    request.getfixturevalue("signing_dir")


REDIS_URL = os.environ.get("CACHE_TEST_URL", "redis://127.0.0.1:6379/15")


def _redis_reachable() -> bool:
    parts = urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_cache() -> Iterator[dict[str, Any]]:
    """The settings' CACHES on the Redis server of `CACHE_TEST_URL` (database 15 of 127.0.0.1:6379 by
    default), under a key prefix of this test alone. Skips without a server; fails instead with
    TINHSO_REQUIRE_REDIS=1, as CI sets."""
    if not _redis_reachable():
        if os.environ.get("TINHSO_REQUIRE_REDIS") == "1":
            pytest.fail(f"no Redis server at {REDIS_URL}; TINHSO_REQUIRE_REDIS=1 requires one")
        pytest.skip(f"no Redis server at {REDIS_URL}")
    config = cache_config(REDIS_URL)
    config["default"]["KEY_PREFIX"] = f"tinhso-test-{uuid.uuid4().hex}"
    with override_settings(CACHES=config):
        yield config
        # This test's keys only (FLUSHDB would empty the database under another run's feet).
        client = caches["default"]._cache.get_client(write=True)  # type: ignore[attr-defined]
        for key in client.scan_iter(f"{config['default']['KEY_PREFIX']}:*"):
            client.delete(key)


@pytest.fixture
def redis_down() -> Iterator[dict[str, Any]]:
    """The settings' CACHES on a Redis address where nothing answers (port 1): what a Redis outage looks
    like to the application."""
    config = cache_config("redis://127.0.0.1:1/0")
    with override_settings(CACHES=config):
        yield config
