"""The application under test: PostgreSQL, a fresh database, production settings, gunicorn."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PG_HOST = "127.0.0.1"
PG_PORT = 5432
# The cache the server's processes share, as production's `CACHE_URL` names one (README): a database of the
# machine's Redis of its own, emptied before each server starts (`ensure_redis`).
REDIS_HOST = "127.0.0.1"
REDIS_PORT = 6379
REDIS_DB = 14
DATABASE = "tinhso_bench"  # the default; a benchmark may name its own (bench.spec.Database)

# Two workers for two cores, two threads each so that one waiting on PostgreSQL does not idle a core.
# Measured with /health and 8 clients (see bench/README.md); gthread also keeps connections alive, as a
# load balancer in front of the app would.
GUNICORN_ARGS = ["--workers", "2", "--worker-class", "gthread", "--threads", "2"]


class BenchError(RuntimeError):
    """Setting up the application under test failed; the message says what and how to look."""


def ensure_postgres() -> None:
    if _pg_ready():
        return
    clusters = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not clusters:
        raise BenchError(f"PostgreSQL is not answering on {PG_HOST}:{PG_PORT} and no cluster is installed")
    version = clusters[-1]
    print(f"starting PostgreSQL {version} …", flush=True)
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=True)
    for _ in range(60):
        if _pg_ready():
            return
        time.sleep(0.5)
    raise BenchError(f"PostgreSQL {version} started but does not answer on {PG_HOST}:{PG_PORT}")


def ensure_redis() -> None:
    """Redis answering, started when it is not, and the run's database of it empty: figures kept by an
    earlier run (of another database of dossiers) must not be served to this one."""
    import redis

    if not _redis_ready():
        print("starting Redis …", flush=True)
        subprocess.run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                REDIS_HOST,
                "--port",
                str(REDIS_PORT),
                "--save",
                "",
            ],
            check=True,
        )
        for _ in range(60):
            if _redis_ready():
                break
            time.sleep(0.5)
        else:
            raise BenchError(f"Redis started but does not answer on {REDIS_HOST}:{REDIS_PORT}")
    redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB).flushdb()


def _redis_ready() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1):
            return True
    except OSError:
        return False


def _pg_ready() -> bool:
    result = subprocess.run(
        ["pg_isready", "-h", PG_HOST, "-p", str(PG_PORT)], capture_output=True, check=False
    )
    return result.returncode == 0


_ADMIN_CONNINFO = f"host={PG_HOST} port={PG_PORT} user=postgres dbname=postgres"


def recreate_database(database: str = DATABASE) -> None:
    with psycopg.connect(_ADMIN_CONNINFO, autocommit=True) as conn:
        name = sql.Identifier(database)
        # FORCE ends the sessions of a previous run that was killed before it could stop its server.
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def checkpoint() -> None:
    """A checkpoint now: what the setup wrote (a catalog loaded, a million dossiers made) is flushed before
    measuring rather than during it, and the server's next timed checkpoint (`checkpoint_timeout`, 5 minutes
    by default) is that far away — one falling inside a benchmark's phases slowed its writes, and one of its
    rounds only. Needs a superuser (or `pg_checkpoint`), as the runner's `postgres` is."""
    with psycopg.connect(_ADMIN_CONNINFO, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def database_stamp(database: str) -> dict[str, str] | None:
    """What an earlier run recorded in a kept database (`record_stamp`); None when it has nothing or does not
    exist."""
    with psycopg.connect(_ADMIN_CONNINFO, autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [database]
        ).fetchone()
    if row is None or not row[0]:
        return None
    try:
        stamp = json.loads(row[0])
    except ValueError:
        return None
    return {str(k): str(v) for k, v in stamp.items()} if isinstance(stamp, dict) else None


def record_stamp(database: str, stamp: dict[str, str]) -> None:
    """Record in the database itself (its comment) which data it holds, for the next run to reuse it."""
    with psycopg.connect(_ADMIN_CONNINFO, autocommit=True) as conn:
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(database), sql.Literal(json.dumps(stamp, sort_keys=True))
            )
        )


def production_env(var_dir: Path, database: str = DATABASE) -> dict[str, str]:
    """The environment of every process of the run: production settings, the bench database."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tinhso.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": f"postgres://postgres@{PG_HOST}:{PG_PORT}/{database}",
            "CACHE_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "WARNING",
            "DB_CONN_MAX_AGE": "60",
            # collectstatic and any uploaded file go to a scratch folder, not the developer's var/.
            "TINHSO_VAR_DIR": str(var_dir),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    print(f"manage.py {' '.join(args)}", flush=True)
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BenchError(
            f"manage.py {' '.join(args)} failed (exit {result.returncode}):\n{result.stdout}{result.stderr}"
        )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((PG_HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def gunicorn(env: dict[str, str], log_path: Path, *, start_timeout: float = 30.0) -> Iterator[int]:
    """Run gunicorn on a free port until the block ends, however it ends; yield the port."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "tinhso.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        *GUNICORN_ARGS,
        "--log-level",
        "warning",
    ]
    with log_path.open("wb") as log:
        # A session of its own: Ctrl-C reaches only the runner, which then stops the server in order.
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            _wait_healthy(process, port, log_path, start_timeout)
            yield port
        finally:
            _stop(process)


def _wait_healthy(process: subprocess.Popen[bytes], port: int, log_path: Path, timeout: float) -> None:
    give_up = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < give_up:
        if process.poll() is not None:
            raise BenchError(f"gunicorn exited with {process.returncode}:\n{_tail(log_path)}")
        status, body = get("127.0.0.1", port, "/health")
        if status == 200:
            return
        last = f"HTTP {status}: {body[:300]!r}" if status else body.decode(errors="replace")
        time.sleep(0.2)
    raise BenchError(
        f"gunicorn did not answer 200 on /health within {timeout:.0f} s ({last}):\n{_tail(log_path)}"
    )


def get(host: str, port: int, path: str) -> tuple[int, bytes]:
    """One GET; (0, reason) when no HTTP answer came."""
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException) as exc:
        return 0, str(exc).encode()
    finally:
        conn.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # graceful: the arbiter stops its workers
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
