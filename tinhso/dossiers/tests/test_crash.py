"""A crash test (issue 4): the server is killed with SIGKILL while counter clients receive dossiers over HTTP.

The production server (gunicorn, 2 workers × 2 threads, DEBUG off) runs as a separate process on the test
database: a file on SQLite, the test database on PostgreSQL. Six clients each send counter receptions
(POST /api/dossiers, `receive: true`), each request under its own `Idempotency-Key`. Once some have been
acknowledged, the server's whole process group is killed at a moment when a request has committed but its
answer has not yet reached its client (the watcher below looks for one), with other requests still in
their transactions. A client whose request got no answer cannot know whether it was committed; after the
restart it sends the same request again under the same key, then a few new ones.

What must hold: every acknowledged dossier exists with the data it was sent with; no code is duplicated;
the codes of the committed dossiers run 1..n for the unit and day, with `DossierCodeCounter.last == n`; each
key made exactly one dossier; a retried request that had committed before the crash gets its first dossier
back (200, `Idempotent-Replayed`), one that had not is created then (201); every dossier is whole (submitted
and received, its two events and audit entries); the audit chain still verifies.
"""

from __future__ import annotations

import collections
import contextlib
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection

from tinhso.accounts.api_auth import api_token_create
from tinhso.core.audit import audit_verify
from tinhso.core.models import AuditEntry
from tinhso.dossiers.models import Dossier, DossierCodeCounter, DossierEvent, IdempotencyRecord, Status
from tinhso.dossiers.tests.factories import World, world

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[3]
HOST = "127.0.0.1"
CLIENTS = 6
ACKNOWLEDGED_BEFORE_CRASH = 20
NEW_AFTER_RESTART = 2
# As bench/server.py runs it: two workers, two threads each. `--preload` imports the application once in
# the arbiter before forking: a start takes about 2 s instead of 8 on a busy 2-core machine, and the crash
# is the same (the workers are forked into the arbiter's process group either way). Importing the
# application opens no database connection, so none is shared across the fork.
GUNICORN_ARGS = [
    *("--workers", "2", "--worker-class", "gthread", "--threads", "2"),
    *("--preload", "--log-level", "warning"),
]
# Every wait is bounded, so that a hung server fails the test instead of hanging the suite.
START_TIMEOUT = 30.0
PHASE_TIMEOUT = 30.0
REQUEST_TIMEOUT = 20.0


@pytest.fixture
def cw(flushable_audit_log: None, reference_data: None) -> World:
    return world()


# --- The server ------------------------------------------------------------------------------------------


def _database_url() -> str:
    """The test database as a URL for the server process (the test run's own name: a file on SQLite)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    assert connection.vendor == "postgresql", connection.vendor
    auth = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"], safe="")
    return f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{quote(s['NAME'], safe='')}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes of a process group, read from /proc."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp …; comm may hold spaces and parentheses: split after the last ")".
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry))
    return members


class Server:
    """gunicorn in a session (process group) of its own, so that one signal reaches the arbiter and its
    workers at once."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    def start(self) -> None:
        self.port = _free_port()
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "tinhso.wsgi:application",
            "--bind",
            f"{HOST}:{self.port}",
            *GUNICORN_ARGS,
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        give_up = time.monotonic() + START_TIMEOUT
        while time.monotonic() < give_up:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            if _get_status(self.port, "/health") == 200:
                return
            time.sleep(0.1)
        pytest.fail(
            f"gunicorn did not answer 200 on /health within {START_TIMEOUT:.0f} s:\n{self.log_tail()}"
        )

    def kill(self) -> None:
        """kill -9 the arbiter and its workers, and wait until none of them is left."""
        assert self.process is not None
        self._signal(signal.SIGKILL)
        self.process.wait()
        self._wait_group_gone()

    def stop(self) -> None:
        """Stop in order (SIGTERM: the arbiter stops its workers), killing it if it does not; idempotent."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait()
        self._signal(signal.SIGKILL)  # a worker that outlived its arbiter
        self._wait_group_gone()

    def _signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def _wait_group_gone(self) -> None:
        assert self.process is not None
        give_up = time.monotonic() + 10
        while (left := _group_members(self.process.pid)) and time.monotonic() < give_up:
            time.sleep(0.05)
        assert not left, f"server processes left behind: {left}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _get_status(port: int, path: str) -> int | None:
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def _server_env(var_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tinhso.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": _database_url(),
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "WARNING",
            "DB_CONN_MAX_AGE": "60",
            "TINHSO_VAR_DIR": str(var_dir),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


# --- The clients -----------------------------------------------------------------------------------------


@dataclass
class Sent:
    """One creation request and what came back: `status` None when no answer came (reset, refused)."""

    key: str
    name: str
    status: int | None = None
    code: str = ""
    replayed: bool = False
    detail: str = ""


@dataclass
class Run:
    """What the clients share with the test: the server's port, the phases, and every request sent."""

    token: str
    procedure: str
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: set[str] = field(default_factory=set)
    acknowledged: int = 0
    first: list[Sent] = field(default_factory=list)  # before the crash
    unanswered: list[Sent] = field(default_factory=list)  # the request each client was left without
    retried: list[Sent] = field(default_factory=list)  # the same requests, same keys, after the restart
    new: list[Sent] = field(default_factory=list)  # new requests after the restart
    errors: list[str] = field(default_factory=list)
    restarted: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)

    def body(self, sent: Sent) -> dict[str, Any]:
        return {
            "procedure": self.procedure,
            "channel": "counter",
            "applicant": {"name": sent.name, "id_number": "008190012345", "phone": "0912345678"},
            "papers": [
                {"name": "Tờ khai thay đổi thông tin cư trú (CT01)", "kind": "original", "quantity": 1}
            ],
            "form_data": {"client_ref": sent.key},
            "receive": True,
        }

    def post(self, sent: Sent) -> Sent:
        with self.lock:
            self.in_flight.add(sent.key)
            port = self.port
        conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request(
                "POST",
                "/api/dossiers",
                body=json.dumps(self.body(sent), ensure_ascii=False).encode(),
                headers={
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {self.token}",
                    "Idempotency-Key": sent.key,
                },
            )
            response = conn.getresponse()
            raw = response.read()
            sent.status = response.status
            sent.replayed = response.getheader("Idempotent-Replayed") == "true"
        except (OSError, http.client.HTTPException) as exc:
            sent.detail = repr(exc)  # no answer: the client cannot know whether it was committed
        else:
            try:
                sent.code = str(json.loads(raw)["code"])
            except (ValueError, KeyError, TypeError):
                sent.detail = raw[:300].decode(errors="replace")
        finally:
            conn.close()
            with self.lock:
                self.in_flight.discard(sent.key)
                if sent.status == 201:
                    self.acknowledged += 1
        return sent


def client(run: Run, n: int) -> None:
    """A counter's client: new receptions until one gets no answer; after the restart, that one again under
    the same key, then a few new ones."""
    i = 0
    unanswered: Sent | None = None

    def new_request() -> Sent:
        nonlocal i
        i += 1
        return Sent(key=f"quay-{n}-{i:04d}", name=f"Người nộp {n}-{i:04d}")

    try:
        while not run.stop.is_set():
            sent = run.post(new_request())
            with run.lock:
                run.first.append(sent)
            if sent.status is None:
                unanswered = sent
                with run.lock:
                    run.unanswered.append(sent)
                break
            if sent.status != 201:
                with run.lock:
                    run.errors.append(f"before the crash {sent.key}: {sent.status} {sent.detail}")
                return
        if not run.restarted.wait(PHASE_TIMEOUT) or run.stop.is_set():
            return
        if unanswered is not None:
            again = run.post(Sent(key=unanswered.key, name=unanswered.name))
            with run.lock:
                run.retried.append(again)
        for _ in range(NEW_AFTER_RESTART):
            fresh = run.post(new_request())
            with run.lock:
                run.new.append(fresh)
    except Exception as exc:  # a bug in the client itself must fail the test, not vanish with the thread
        with run.lock:
            run.errors.append(f"client {n}: {exc!r}")
    finally:
        connection.close()


def _wait(condition: Any, what: str, server: Server) -> None:
    give_up = time.monotonic() + PHASE_TIMEOUT
    while not condition():
        if time.monotonic() > give_up:
            pytest.fail(f"timed out waiting for {what}:\n{server.log_tail()}")
        time.sleep(0.01)


def _writing_transactions() -> int:
    """On PostgreSQL, how many of the server's transactions have written and not yet ended: a number drawn
    in one of them must come back when the crash rolls it back. (SQLite has one writer at a time, and the
    next one takes the lock as soon as a commit frees it; there is nothing to wait for.)"""
    if connection.vendor != "postgresql":
        return 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _kill_at_the_worst_moment(run: Run, server: Server) -> bool:
    """kill -9 the server as soon as a request in flight has committed (its dossier is in the database)
    while its client still waits for the answer, and another transaction is writing; or after a
    few seconds, whatever the moment. Returns whether such a moment was caught (the client may still read
    its answer just in time: the kill takes a moment too)."""
    give_up = time.monotonic() + 5
    caught = False
    while time.monotonic() < give_up:
        with run.lock:
            waiting = list(run.in_flight)
        if (
            waiting
            and Dossier.objects.filter(form_data__client_ref__in=waiting).exists()
            and _writing_transactions() > 0
        ):
            caught = True
            break
        time.sleep(0.001)
    server.kill()
    return caught


# --- The test --------------------------------------------------------------------------------------------


def test_a_server_killed_while_clients_submit_loses_no_acknowledged_dossier_and_leaves_no_gap_in_codes(
    cw: World,
) -> None:
    _token, raw = api_token_create(user=cw.counter, name="crash-test", actor=None)
    run = Run(token=raw, procedure=cw.residence.local_code)
    threads = [threading.Thread(target=client, args=(run, n), daemon=True) for n in range(1, CLIENTS + 1)]
    with tempfile.TemporaryDirectory(prefix="tinhso-crash-") as tmp:
        server = Server(_server_env(Path(tmp)), Path(tmp) / "gunicorn.log")
        try:
            server.start()
            run.port = server.port
            for t in threads:
                t.start()
            _wait(
                lambda: run.acknowledged >= ACKNOWLEDGED_BEFORE_CRASH or run.errors,
                "acknowledgements",
                server,
            )
            assert not run.errors, run.errors
            caught = _kill_at_the_worst_moment(run, server)
            # Every client is left with one request that got no answer (reset in flight, or refused).
            _wait(lambda: len(run.unanswered) == CLIENTS or run.errors, "the clients to notice", server)

            # The database as the crash left it: which of the unanswered requests had committed.
            unanswered_keys = [s.key for s in run.unanswered]
            committed_before_restart = dict(
                IdempotencyRecord.objects.filter(user=cw.counter, key__in=unanswered_keys).values_list(
                    "key", "dossier__code"
                )
            )

            server.start()
            with run.lock:
                run.port = server.port
            run.restarted.set()
            for t in threads:
                t.join(PHASE_TIMEOUT)
            assert not [t for t in threads if t.is_alive()], "a client did not finish"
            server.stop()
            log = server.log_tail()
        finally:
            run.stop.set()
            run.restarted.set()
            server.stop()
            for t in threads:
                t.join(PHASE_TIMEOUT)

    assert not run.errors, f"{run.errors}\n{log}"
    acknowledged = [s for s in run.first if s.status == 201]
    assert len(acknowledged) >= ACKNOWLEDGED_BEFORE_CRASH
    assert len(run.unanswered) == CLIENTS and len(run.retried) == CLIENTS

    # What the database holds: every dossier, by code, with the key its request carried.
    dossiers = {
        d["code"]: d
        for d in Dossier.objects.values("pk", "code", "agency__code", "applicant_name", "status", "form_data")
    }
    codes = list(Dossier.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == len(dossiers), "a code is duplicated"
    refs = collections.Counter(d["form_data"].get("client_ref") for d in dossiers.values())
    assert all(count == 1 for count in refs.values()), f"a request made two dossiers: {refs.most_common(3)}"
    records = dict(IdempotencyRecord.objects.filter(user=cw.counter).values_list("key", "dossier__code"))
    assert len(records) == len(dossiers)
    assert {key: dossiers[code]["form_data"]["client_ref"] for key, code in records.items()} == {
        key: key for key in records
    }, "an idempotency record points to another request's dossier"

    # Every acknowledged dossier exists, with what was sent.
    for sent in [*acknowledged, *run.retried, *run.new]:
        assert sent.status in (200, 201), f"{sent.key}: {sent.status} {sent.detail}\n{log}"
        d = dossiers.get(sent.code)
        assert d is not None, f"acknowledged {sent.code} ({sent.key}) is not in the database"
        assert d["form_data"]["client_ref"] == sent.key and d["applicant_name"] == sent.name
        assert d["status"] == Status.RECEIVED and records[sent.key] == sent.code

    # A retry gets the first dossier if the first request had committed, else it is created now.
    replayed = [s for s in run.retried if s.key in committed_before_restart]
    created_on_retry = [s for s in run.retried if s.key not in committed_before_restart]
    for sent in replayed:
        assert (sent.status, sent.replayed, sent.code) == (200, True, committed_before_restart[sent.key])
    for sent in created_on_retry:
        assert (sent.status, sent.replayed) == (201, False), sent
    assert all(s.status == 201 and not s.replayed for s in run.new)
    answered = {s.key for s in [*acknowledged, *run.retried, *run.new]}
    assert set(records) == answered, "a dossier no client was told about, or one told about and missing"

    # Per unit and day (a run across local midnight has two days): 1..n without a gap, the counter at n.
    by_day: dict[tuple[str, str], list[int]] = collections.defaultdict(list)
    for code in codes:
        unit, day, seq = code.rsplit("-", 2)
        by_day[unit, day].append(int(seq))
    for (unit, day), seqs in by_day.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), f"gap in {unit}-{day}: {sorted(seqs)}"
    counters = {
        (c.agency.code, f"{c.day:%y%m%d}"): c.last
        for c in DossierCodeCounter.objects.select_related("agency")
    }
    assert counters == {k: len(v) for k, v in by_day.items()}

    # Each dossier whole: submitted and received in one transaction, two events, two audit entries.
    events: dict[int, list[str]] = collections.defaultdict(list)
    for dossier_id, action in DossierEvent.objects.order_by("seq").values_list("dossier_id", "action"):
        events[dossier_id].append(action)
    broken = [code for code, d in dossiers.items() if events[d["pk"]] != ["submit", "receive"]]
    assert not broken, f"dossiers not whole: {broken}"
    audited = collections.Counter(
        AuditEntry.objects.filter(target_type="dossiers.dossier").values_list("event", flat=True)
    )
    assert audited == {"dossier.submit": len(dossiers), "dossier.receive": len(dossiers)}
    verified = audit_verify()
    assert verified.ok, verified

    refused = sum("ConnectionRefused" in s.detail for s in run.unanswered)
    print(
        f"\n{connection.vendor}: acknowledged {len(acknowledged)}, unacknowledged {len(run.unanswered)} "
        f"({len(run.unanswered) - refused} cut in flight, {refused} refused; committed before the crash "
        f"and replayed {len(replayed)}, created on retry {len(created_on_retry)}), "
        f"new after restart {len(run.new)}, final n {len(dossiers)} in {len(by_day)} day(s); "
        f"killed at the worst moment: {caught}"
    )
