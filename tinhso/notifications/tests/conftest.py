"""The SMS gateway's stand-in as a real process (`python -m tinhso.notifications.sms_standin`), started once
for the test session on a free port, and emptied before each test that uses it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tinhso.core.http import request_json
from tinhso.core.standin import standin_start, standin_stop

STANDIN_KEY = "khoa-thu-nghiem"
BRANDNAME = "TINHSO"


@dataclass
class Standin:
    """The running stand-in: its send URL, and what it was told and what it accepted."""

    send_url: str
    base_url: str

    def messages(self) -> list[dict[str, Any]]:
        return list(request_json("GET", f"{self.base_url}/messages").data["messages"])

    def control(self, **settings: Any) -> None:
        request_json("POST", f"{self.base_url}/control", payload=settings)


def start_standin(*args: str) -> tuple[subprocess.Popen[str], str]:
    """Start the stand-in on a port the OS picks (`tinhso.core.standin`)."""
    return standin_start(
        "tinhso.notifications.sms_standin",
        "--key",
        STANDIN_KEY,
        "--brandname",
        BRANDNAME,
        "--quiet",
        *args,
        name="the SMS stand-in",
    )


stop_standin = standin_stop


@pytest.fixture(scope="session")
def _standin_process() -> Iterator[str]:
    process, send_url = start_standin()
    yield send_url
    stop_standin(process)


@pytest.fixture
def standin(_standin_process: str, settings: Any) -> Standin:
    """The stand-in, emptied, and the HTTP gateway pointed at it."""
    send_url = _standin_process
    running = Standin(send_url=send_url, base_url=send_url.rsplit("/sms/send", 1)[0])
    running.control(reset=True)
    settings.SMS_GATEWAY = "http"
    settings.SMS_GATEWAY_URL = send_url
    settings.SMS_GATEWAY_KEY = STANDIN_KEY
    settings.SMS_BRANDNAME = BRANDNAME
    settings.SMS_GATEWAY_TIMEOUT = 5
    return running
