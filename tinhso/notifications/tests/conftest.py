"""The SMS gateway's stand-in as a real process (`python -m tinhso.notifications.sms_standin`), started once
for the test session on a free port, and emptied before each test that uses it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tinhso.core.http import request_json

ROOT = Path(__file__).resolve().parents[3]
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
    """Start the stand-in; `--port 0` lets the OS pick a free port, which its first line announces (no
    window between finding a free port and binding it)."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tinhso.notifications.sms_standin",
            "--port",
            "0",
            "--key",
            STANDIN_KEY,
            "--brandname",
            BRANDNAME,
            "--quiet",
            *args,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if "listening on " not in line:
        process.kill()
        raise RuntimeError(f"the SMS stand-in did not start: {line!r}")
    return process, line.split("listening on ", 1)[1].strip()


def stop_standin(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


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
