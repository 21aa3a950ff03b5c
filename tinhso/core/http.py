"""The one outbound HTTP helper: every adapter to an outside system (SMS gateway, LGSP, payment bank,
national portal) calls `request_json` and handles one error type, `OutboundError`, which says whether a
retry can help (STYLE.md rule 7).

Standard library only (urllib): httpx is a development dependency, not a runtime one.

- **Timeouts, always.** `timeout` bounds the connection and every single read; `deadline` (default: three
  times `timeout`) bounds the whole exchange, so a server that trickles a byte every few seconds cannot
  hold a worker for ever. A response is read in chunks and the deadline checked between them, so the
  worst case is `deadline + timeout`.
- **No redirects.** urllib would replay a redirected POST as a GET without its body; an API that redirects
  is misconfigured, and that is reported (3xx, not retryable) rather than hidden.
- **Only http and https** (urllib also opens `file:` and `ftp:` URLs).
- **Retryable** means the same request may succeed later: 5xx, 408, 425 and 429, timeouts, refused or
  reset connections, name resolution failures. Not retryable: other 4xx, 3xx, a certificate that does not
  verify, a malformed URL, a 2xx whose body is not JSON, a response larger than `max_bytes`.
- Logs the method, host, status and duration, never headers, query strings or bodies (they carry keys and
  personal data).
"""

from __future__ import annotations

import json
import logging
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.client import HTTPException
from importlib import metadata
from typing import Any
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
MAX_RESPONSE_BYTES = 1024 * 1024
# How much of an error response's body is kept on the error (providers explain a refusal there).
ERROR_BODY_CHARS = 500
_CHUNK = 64 * 1024

# 408 Request Timeout, 425 Too Early, 429 Too Many Requests: the server asks to be asked again later.
_RETRYABLE_4XX = frozenset({408, 425, 429})


def _user_agent() -> str:
    try:
        version = metadata.version("tinhso")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        version = "0"
    return f"TinhSo/{version} (+urllib; digital government platform)"


USER_AGENT = _user_agent()


class OutboundError(Exception):
    """A call to an outside system failed. `retryable`: whether the same request may succeed later;
    `status`: the HTTP status when the server answered, None when it did not (timeout, refused, DNS);
    `body`: the start of the server's answer, for the adapter to read the provider's reason."""

    def __init__(self, message: str, *, retryable: bool, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.body = body

    def __repr__(self) -> str:
        return f"OutboundError({str(self)!r}, retryable={self.retryable}, status={self.status})"


@dataclass(frozen=True)
class OutboundResponse:
    status: int
    data: Any
    headers: Mapping[str, str] = field(default_factory=dict)


def is_retryable_status(status: int) -> bool:
    return status >= 500 or status in _RETRYABLE_4XX


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


# Environment proxies (HTTPS_PROXY, NO_PROXY) are honoured, as an operator behind a provincial proxy expects.
_OPENER = urllib.request.build_opener(_NoRedirect())


def request_json(
    method: str,
    url: str,
    *,
    payload: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    deadline: float | None = None,
    max_bytes: int = MAX_RESPONSE_BYTES,
) -> OutboundResponse:
    """Send `payload` as JSON (when not None) and return the decoded JSON answer of a 2xx response (`data`
    is None for an empty body). Anything else raises `OutboundError`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundError(f"not an http(s) URL: {parts.scheme or '?'}://…", retryable=False)
    host = parts.hostname
    total = deadline if deadline is not None else 3 * timeout
    body = None if payload is None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, method=method.upper())  # noqa: S310 - scheme checked
    request.add_header("User-Agent", USER_AGENT)
    request.add_header("Accept", "application/json")
    if body is not None:
        request.add_header("Content-Type", "application/json; charset=utf-8")
    for name, value in (headers or {}).items():
        request.add_header(name, value)

    started = time.monotonic()
    status: int | None = None
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status = response.status
            raw = _read_bounded(response, started + total, max_bytes)
            response_headers = dict(response.headers.items())
    except urllib.error.HTTPError as exc:
        error = _from_http_error(exc)
        _log(method, host, started, error.status, error)
        raise error from exc
    except OutboundError as exc:
        exc.status = status
        _log(method, host, started, status, exc)
        raise
    except (urllib.error.URLError, OSError, HTTPException, ValueError) as exc:
        error = _from_transport_error(exc)
        _log(method, host, started, None, error)
        raise error from exc

    _log(method, host, started, status, None)
    if not raw.strip():
        return OutboundResponse(status=status, data=None, headers=response_headers)
    try:
        data = json.loads(raw)
    except ValueError:
        raise OutboundError(
            f"{host} answered {status} with a body that is not JSON",
            retryable=False,
            status=status,
            body=raw[:ERROR_BODY_CHARS].decode("utf-8", "replace"),
        ) from None
    return OutboundResponse(status=status, data=data, headers=response_headers)


def _read_bounded(response: Any, deadline_at: float, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline_at:
            raise OutboundError("the response took longer than the deadline", retryable=True)
        chunk = response.read1(_CHUNK) if hasattr(response, "read1") else response.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise OutboundError(f"the response is larger than {max_bytes} bytes", retryable=False)
        chunks.append(chunk)


def _from_http_error(exc: urllib.error.HTTPError) -> OutboundError:
    try:
        text = exc.read(ERROR_BODY_CHARS * 4).decode("utf-8", "replace")[:ERROR_BODY_CHARS]
    except (OSError, HTTPException):
        text = ""
    finally:
        exc.close()
    return OutboundError(
        f"HTTP {exc.code} {exc.reason}", retryable=is_retryable_status(exc.code), status=exc.code, body=text
    )


def _from_transport_error(exc: BaseException) -> OutboundError:
    reason: Any = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, ssl.SSLCertVerificationError):
        # A certificate that does not verify will not verify on the next try either: an operator must act.
        return OutboundError(f"TLS certificate not trusted: {reason}", retryable=False)
    if isinstance(reason, TimeoutError):  # socket.timeout is TimeoutError since Python 3.10
        return OutboundError("timed out", retryable=True)
    if isinstance(reason, ValueError):  # a malformed URL or header
        return OutboundError(f"bad request: {reason}", retryable=False)
    # Refused, reset, unreachable, DNS failure, a server that hung up mid-answer: the next try may work.
    return OutboundError(f"{type(reason).__name__}: {reason}", retryable=True)


def _log(method: str, host: str, started: float, status: int | None, error: OutboundError | None) -> None:
    elapsed_ms = (time.monotonic() - started) * 1000
    if error is None:
        logger.info("outbound %s %s -> %s in %.0f ms", method, host, status, elapsed_ms)
    else:
        logger.warning(
            "outbound %s %s failed in %.0f ms: %s (status %s, retryable %s)",
            method,
            host,
            elapsed_ms,
            error,
            status,
            error.retryable,
        )
