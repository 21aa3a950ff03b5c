"""The shared outbound HTTP helper against a real local HTTP server (a thread on a loopback port): JSON in
and out, timeouts and the deadline, and which failures a retry can help."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tinhso.core.http import USER_AGENT, OutboundError, request_json


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        payload = json.loads(self.rfile.read(length)) if length else None
        self._json(
            200,
            {
                "method": "POST",
                "user_agent": self.headers.get("User-Agent"),
                "content_type": self.headers.get("Content-Type"),
                "api_key": self.headers.get("X-API-Key"),
                "json": payload,
            },
        )

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path.startswith("/status/"):
            self._json(int(path.rsplit("/", 1)[1]), {"error": f"status {path}"})
        elif path == "/sleep":
            time.sleep(1.0)
            self._json(200, {"late": True})
        elif path == "/drip":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "40")
            self.end_headers()
            try:
                for _ in range(40):  # 4 s in all, but never 0.5 s without a byte
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.1)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, as it should
        elif path == "/text":
            body = b"<html>maintenance</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/status/200")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/big":
            self._json(200, "x" * 200_000)
        elif path == "/empty":
            self.send_response(204)
            self.end_headers()
        else:
            self._json(404, {"error": "no such path"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def _fails(*args: Any, **kwargs: Any) -> OutboundError:
    with pytest.raises(OutboundError) as caught:
        request_json(*args, **kwargs)
    return caught.value


def test_a_json_request_gets_the_json_answer_and_says_who_is_calling(server: str) -> None:
    res = request_json(
        "POST", f"{server}/send", payload={"text": "Hồ sơ đã tiếp nhận"}, headers={"X-API-Key": "k"}
    )
    assert res.status == 200
    assert res.data["json"] == {"text": "Hồ sơ đã tiếp nhận"}
    assert res.data["user_agent"] == USER_AGENT and USER_AGENT.startswith("TinhSo/")
    assert res.data["content_type"] == "application/json; charset=utf-8"
    assert res.data["api_key"] == "k"


def test_an_empty_answer_is_none(server: str) -> None:
    res = request_json("GET", f"{server}/empty")
    assert (res.status, res.data) == (204, None)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 429])
def test_server_errors_and_throttling_are_worth_a_retry(server: str, status: int) -> None:
    error = _fails("GET", f"{server}/status/{status}")
    assert (error.retryable, error.status) == (True, status)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_client_errors_are_not_worth_a_retry_and_keep_the_servers_reason(server: str, status: int) -> None:
    error = _fails("GET", f"{server}/status/{status}")
    assert (error.retryable, error.status) == (False, status)
    assert json.loads(error.body) == {"error": f"status /status/{status}"}


def test_a_server_slower_than_the_timeout_is_a_retryable_timeout(server: str) -> None:
    started = time.monotonic()
    error = _fails("GET", f"{server}/sleep", timeout=0.2)
    assert time.monotonic() - started < 0.8
    assert (error.retryable, error.status) == (True, None)
    assert "timed out" in str(error)


def test_a_server_that_trickles_its_answer_is_cut_off_at_the_deadline(server: str) -> None:
    # Each byte comes within the 0.5 s read timeout, so only the overall deadline can stop it.
    started = time.monotonic()
    error = _fails("GET", f"{server}/drip", timeout=0.5, deadline=0.6)
    assert time.monotonic() - started < 1.5
    assert error.retryable


def test_a_refused_connection_is_worth_a_retry() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    error = _fails("GET", f"http://127.0.0.1:{port}/", timeout=2)
    assert (error.retryable, error.status) == (True, None)


def test_a_redirect_is_reported_not_followed(server: str) -> None:
    error = _fails("GET", f"{server}/redirect")
    assert (error.retryable, error.status) == (False, 302)


def test_a_success_whose_body_is_not_json_is_not_worth_a_retry(server: str) -> None:
    error = _fails("GET", f"{server}/text")
    assert (error.retryable, error.status) == (False, 200)
    assert "maintenance" in error.body


def test_an_answer_larger_than_the_limit_is_refused(server: str) -> None:
    error = _fails("GET", f"{server}/big", max_bytes=10_000)
    assert not error.retryable and "larger than" in str(error)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.vn/x", "http:///nohost"])
def test_only_http_and_https_urls_are_opened(url: str) -> None:
    assert not _fails("GET", url).retryable


def test_failures_are_logged_without_the_api_key_or_the_query(
    server: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="tinhso.core.http"):
        error = _fails("GET", f"{server}/status/503?token=secret-123", headers={"X-API-Key": "secret-456"})
    assert "secret" not in str(error)
    assert "127.0.0.1" in caplog.text and "503" in caplog.text
    assert "secret" not in caplog.text
