"""The VNeID OpenID provider's stand-in as a real process (`python -m tinhso.accounts.oidc_standin`), started
once for the test session on a free port and reset before each test that uses it."""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache

from tinhso.core.http import request_json
from tinhso.core.standin import standin_start, standin_stop

CLIENT_ID = "tinhso-thu-nghiem"
CLIENT_SECRET = "bi-mat-thu-nghiem"
REDIRECT_URI = "http://testserver/accounts/vneid/callback/"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Provider:
    """The running stand-in: its issuer, a browser's visit to its pages, and its test controls."""

    issuer: str

    def control(self, **settings: Any) -> dict[str, Any]:
        return dict(request_json("POST", f"{self.issuer}/control", payload=settings).data)

    def visit(self, url: str) -> tuple[int, str]:
        """What a browser gets from the provider's page at `url`: (status, Location)."""
        assert url.startswith(self.issuer + "/"), url
        opener = urllib.request.build_opener(_NoRedirect())
        try:
            with opener.open(url, timeout=10) as response:
                return response.status, response.headers.get("Location", "")
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, exc.headers.get("Location", "")


def start_provider(*args: str) -> tuple[subprocess.Popen[str], str]:
    return standin_start(
        "tinhso.accounts.oidc_standin",
        "--client-id",
        CLIENT_ID,
        "--client-secret",
        CLIENT_SECRET,
        "--redirect-uri",
        REDIRECT_URI,
        "--quiet",
        *args,
        name="the OpenID provider stand-in",
    )


stop_provider = standin_stop


@pytest.fixture(scope="session")
def _provider_process() -> Iterator[str]:
    process, issuer = start_provider()
    yield issuer
    stop_provider(process)


@pytest.fixture
def vneid(_provider_process: str, settings: Any) -> Iterator[Provider]:
    """The stand-in, reset (default identity, no tampering), and the VNeID login pointed at it."""
    provider = Provider(issuer=_provider_process)
    provider.control(reset=True)
    settings.VNEID_OIDC_ISSUER = provider.issuer
    settings.VNEID_OIDC_CLIENT_ID = CLIENT_ID
    settings.VNEID_OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.VNEID_OIDC_TIMEOUT = 5
    cache.clear()  # discovery and keys of an earlier test's settings
    yield provider
    cache.clear()
