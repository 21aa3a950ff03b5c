"""A local stand-in for a Vietnamese brandname SMS gateway, as a real process (standard library only, no
Django), for development and tests: `python -m tinhso.notifications.sms_standin --port 8025`.

It speaks what `HttpSmsGateway` speaks:

- `POST /sms/send` with header `X-API-Key` and JSON {"phone": "84912345678", "message": "…", "brandname":
  "…", "request_id": "…"} → 200 {"id": "…", "status": "accepted"}. 401 for a wrong key, 400 with
  {"error": "…"} for a body that is not JSON, a phone that is not 84 + a 9-digit mobile number, an empty or
  over-long message, another brandname, a missing request_id. Idempotent on request_id: the same
  request_id again answers the same id and records no second message (its `requests` count goes up); the
  same request_id with another phone or text is 409.
- `GET /messages` → {"messages": [{"id", "phone", "message", "brandname", "request_id", "requests",
  "received_at"}]}: what it accepted, in order, for tests to assert what was delivered.
- `POST /control` with JSON {"fail_next": N, "fail_status": 503, "delay": 0.0, "reset": false}: the next N
  sends answer `fail_status`; every send waits `delay` seconds first; `reset` forgets all messages.
  `--fail-first N` does the same from the start.

It prints one line, `sms-standin listening on http://HOST:PORT/sms/send`, once it accepts connections;
`--port 0` (the default) takes a free port, which that line names.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

SEND_PATH = "/sms/send"
DEFAULT_KEY = "standin-key"
DEFAULT_BRANDNAME = "TINHSO"
MAX_MESSAGE_CHARS = 1000
MAX_BODY_BYTES = 64 * 1024
_PHONE = re.compile(r"84[35789][0-9]{8}", re.ASCII)


class StandinState:
    def __init__(self, *, api_key: str, brandname: str, fail_first: int = 0, fail_status: int = 503) -> None:
        self.api_key = api_key
        self.brandname = brandname
        self.lock = threading.Lock()
        self.messages: list[dict[str, Any]] = []
        self.by_request_id: dict[str, dict[str, Any]] = {}
        self.fail_remaining = fail_first
        self.fail_status = fail_status
        self.delay = 0.0
        self.next_id = 1

    def reset(self) -> None:
        self.messages.clear()
        self.by_request_id.clear()
        self.fail_remaining = 0
        self.fail_status = 503
        self.delay = 0.0


class StandinServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: StandinState, *, quiet: bool = False) -> None:
        super().__init__(address, Handler)
        self.state = state
        self.quiet = quiet


class Handler(BaseHTTPRequestHandler):
    server: StandinServer
    server_version = "sms-standin/1"

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/messages":
            with self.server.state.lock:
                messages = [dict(m) for m in self.server.state.messages]
            self._answer(200, {"messages": messages})
        elif path == "/health":
            self._answer(200, {"status": "ok"})
        else:
            self._answer(404, {"error": "not found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path == SEND_PATH:
            self._send()
        elif path == "/control":
            self._control()
        else:
            self._answer(404, {"error": "not found"})

    # --- endpoints --------------------------------------------------------------------------------------

    def _send(self) -> None:
        state = self.server.state
        raw = self._body()
        if raw is None:
            return
        with state.lock:
            failing = state.fail_remaining > 0
            if failing:
                state.fail_remaining -= 1
            fail_status, delay = state.fail_status, state.delay
        if delay:
            time.sleep(delay)
        if failing:
            self._answer(fail_status, {"error": "temporarily unavailable"})
            return
        if self.headers.get("X-API-Key") != state.api_key:
            self._answer(401, {"error": "invalid API key"})
            return
        try:
            data = json.loads(raw)
        except ValueError:
            self._answer(400, {"error": "body is not JSON"})
            return
        problem = _invalid(data, state.brandname)
        if problem:
            self._answer(400, {"error": problem})
            return
        answer: dict[str, Any]
        with state.lock:
            known = state.by_request_id.get(data["request_id"])
            if known is not None:
                if (known["phone"], known["message"]) != (data["phone"], data["message"]):
                    status, answer = 409, {"error": "request_id already used for another message"}
                else:
                    known["requests"] += 1
                    status, answer = 200, {"id": known["id"], "status": "accepted", "duplicate": True}
            else:
                record = {
                    "id": f"standin-{state.next_id:06d}",
                    "phone": data["phone"],
                    "message": data["message"],
                    "brandname": data["brandname"],
                    "request_id": data["request_id"],
                    "requests": 1,
                    "received_at": datetime.now(UTC).isoformat(),
                }
                state.next_id += 1
                state.messages.append(record)
                state.by_request_id[record["request_id"]] = record
                status, answer = 200, {"id": record["id"], "status": "accepted"}
        self._answer(status, answer)

    def _control(self) -> None:
        raw = self._body()
        if raw is None:
            return
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            self._answer(400, {"error": "body is not JSON"})
            return
        state = self.server.state
        with state.lock:
            if data.get("reset"):
                state.reset()
            if "fail_next" in data:
                state.fail_remaining = int(data["fail_next"])
            if "fail_status" in data:
                state.fail_status = int(data["fail_status"])
            if "delay" in data:
                state.delay = float(data["delay"])
            answer = {
                "fail_next": state.fail_remaining,
                "fail_status": state.fail_status,
                "delay": state.delay,
            }
        self._answer(200, answer)

    # --- plumbing ---------------------------------------------------------------------------------------

    def _body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self._answer(413 if length > 0 else 400, {"error": "bad Content-Length"})
            return None
        return self.rfile.read(length)

    def _answer(self, status: int, data: Any) -> None:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _invalid(data: Any, brandname: str) -> str:
    if not isinstance(data, dict):
        return "body must be a JSON object"
    phone, message, rid = data.get("phone"), data.get("message"), data.get("request_id")
    if not isinstance(phone, str) or not _PHONE.fullmatch(phone):
        return "invalid phone: expected 84 followed by a 9-digit mobile number"
    if not isinstance(message, str) or not message.strip():
        return "message is empty"
    if len(message) > MAX_MESSAGE_CHARS:
        return f"message longer than {MAX_MESSAGE_CHARS} characters"
    if data.get("brandname") != brandname:
        return "brandname not registered"
    if not isinstance(rid, str) or not 0 < len(rid) <= 120:
        return "request_id missing or longer than 120 characters"
    return ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    parser.add_argument("--key", default=DEFAULT_KEY, help="the API key expected in X-API-Key")
    parser.add_argument("--brandname", default=DEFAULT_BRANDNAME)
    parser.add_argument("--fail-first", type=int, default=0, help="answer the first N sends with an error")
    parser.add_argument("--fail-status", type=int, default=503)
    parser.add_argument("--quiet", action="store_true", help="no request log on stderr")
    args = parser.parse_args(argv)

    state = StandinState(
        api_key=args.key, brandname=args.brandname, fail_first=args.fail_first, fail_status=args.fail_status
    )
    server = StandinServer((args.host, args.port), state, quiet=args.quiet)
    # SIGTERM ends serve_forever the way Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    print(f"sms-standin listening on http://{args.host}:{server.server_port}{SEND_PATH}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
