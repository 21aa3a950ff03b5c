"""`intake_cost`: what one counter reception costs in CPU, beside `/health` and beside the cheapest
authenticated write, measured in the runner's process — where `dossier_intake`'s ratio stands, and why.

`dossier_intake` measures throughput over HTTP: on these 2-core machines its ratio moves ± 10 % from run to
run with `/health`'s phases. This benchmark measures the same work without the network and the load generator,
one request at a time, and splits each request's cost in two: the Python process's CPU (`time.process_time`:
middleware, views, ORM, psycopg, the Redis client) and the PostgreSQL backend's (its `/proc/<pid>/stat`, the
one connection the process holds; NaN when the server is not on this machine). The WAL writer's, the
checkpointer's, autovacuum's and Redis's CPU are not counted. Four sides, through the product's whole
middleware stack (Django's test client, production settings, the bench database):

- **reception**: `POST /api/dossiers` exactly as `dossier_intake` sends it (counter reception, a new
  `Idempotency-Key` each, counter officers of `bench/intake.py`'s next eight communes: a run may hold both
  benchmarks, and `dossier_intake` counts every dossier its communes gained after its set-up, which this
  one runs after);
- **submission**: the same request as the national portal adapter sends it for a dossier that arrived there
  (`channel` "national_portal", `receive` false: created awaiting reception, status 1, no steps and no fee
  yet) — the intake of every online channel, a figure beside the target's, not the target's;
- **floor**: `POST /bench-floor/write` (`bench/floor_urls.py`, mounted in this process only): the product's
  bearer token check, a JSON body validated by django-ninja, one row inserted in a transaction, a JSON answer.
  No reception can cost less than this;
- **baseline** `GET /health`, as in every HTTP benchmark.

ROUNDS rounds, the order of the sides mirrored every other round; a figure is the median over rounds of the
mean per request ("both": the median of each round's sum). The notes give the arithmetic of the issue's
target: at 25 % of `/health`'s throughput a reception may cost 4 × `/health` + 3 × f in machine time (f: what
every request costs outside the application, below); what the floor already takes of that, and what is left
for everything a reception does beyond one row (checks, the catalog, the due time, the code, about 15 rows in
10 tables, the fee request, the audit chain, the idempotency record, the message, the answer). Over HTTP every
request also costs the server's HTTP handling and the load generator's client (f, about 0.4 ms here:
`OUTSIDE_MS`), which this benchmark leaves out on purpose.

Checks: every answer as expected (201 for the receptions, the submissions and the floor, 200 for `/health`);
one dossier and one idempotency record per reception and per submission, one row per floor write.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench import intake
from bench.spec import Check, CpuReport, Figure, Workload

NAME = "intake_cost"
ROUNDS = 3
COUNTS = {"baseline": 2000, "floor": 2000, "reception": 400, "submission": 400}  # requests per side and round
WARMUP = 50
# What every request costs outside the application over HTTP (gunicorn's HTTP handling and the load
# generator's client), in ms of one core: `dossier_intake`'s /health runs at ~1,900 requests/s on 2 cores
# (1.06 ms of machine time each) and costs 0.65 ms in-process here. An estimate, printed as such.
OUTSIDE_MS = 0.4


def setup() -> None:
    # The next eight communes after dossier_intake's: that benchmark's checks count every dossier of its
    # own communes, and a run may hold both.
    intake.setup(NAME, one_ward=False, after=intake.COMMUNES)


def _backend_cpu(pid: int) -> float:
    """Seconds of CPU (user + system) the PostgreSQL backend `pid` has used; NaN when it cannot be read
    here (no such process on this machine, or one that is not PostgreSQL's: a server elsewhere)."""
    try:
        with open(f"/proc/{pid}/comm") as f:
            if not f.read().startswith("postgres"):
                return float("nan")
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run() -> CpuReport:
    from django.db import connection

    state = intake._STATE[NAME]
    workload = intake.workload(NAME)
    # One connection for the whole run (its backend's CPU is read), as a kept connection serves a worker;
    # the runner's own setting is put back after (`_measured`).
    kept_age = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = None
    try:
        return _measured(state, workload)
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = kept_age


def _measured(state: intake._State, workload: Workload) -> CpuReport:
    from django.db import connection
    from django.test import Client, override_settings

    from bench.floor_urls import FLOOR_PATH, FLOOR_TABLE
    from tinhso.dossiers.models import Dossier, IdempotencyRecord

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} "
            "(id bigserial PRIMARY KEY, name text NOT NULL, id_number text NOT NULL, at timestamptz NOT NULL)"
        )
        cursor.execute(f"TRUNCATE {FLOOR_TABLE}")
    dossiers_before = Dossier.objects.filter(agency_id__in=state.agency_ids).count()
    keys_before = IdempotencyRecord.objects.filter(user_id__in=state.user_ids).count()

    client = Client(HTTP_HOST="127.0.0.1")
    token = workload.requests(0, 0).headers["Authorization"]
    statuses: dict[str, dict[int, int]] = {"baseline": {}, "floor": {}, "reception": {}, "submission": {}}
    sent = {"floor": 0, "reception": 0, "submission": 0}
    counter = iter(range(10**9))

    def health() -> int:
        return int(client.get("/health").status_code)

    def floor() -> int:
        n = next(counter)
        body = f'{{"name": "Nguyễn Văn Bình {n}", "id_number": "0080901{n % 10**5:05d}"}}'
        sent["floor"] += 1
        return int(
            client.post(
                FLOOR_PATH, data=body, content_type="application/json", HTTP_AUTHORIZATION=token
            ).status_code
        )

    def reception(side: str = "reception") -> int:
        n = next(counter)
        request = workload.requests(n % len(state.counters), n)
        headers = request.headers
        body = request.body or b""
        if side == "submission":  # as dossier_intake_portal's adapter sends a dossier that arrived there
            key = headers["Idempotency-Key"]
            body = intake.portal_body(state.counters[n % len(state.counters)], key)
        sent[side] += 1
        return int(
            client.post(
                request.path,
                data=body,
                content_type=headers["Content-Type"],
                HTTP_AUTHORIZATION=headers["Authorization"],
                HTTP_IDEMPOTENCY_KEY=headers["Idempotency-Key"],
            ).status_code
        )

    def submission() -> int:
        return reception("submission")

    sides: dict[str, Callable[[], int]] = {
        "baseline": health,
        "floor": floor,
        "reception": reception,
        "submission": submission,
    }
    python_ms: dict[str, list[float]] = {side: [] for side in sides}
    database_ms: dict[str, list[float]] = {side: [] for side in sides}

    def measure(side: str, count: int, *, record: bool) -> None:
        call = sides[side]
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        pg_began, began = _backend_cpu(pid), time.process_time()
        for _ in range(count):
            status = call()
            statuses[side][status] = statuses[side].get(status, 0) + 1
        python, database = time.process_time() - began, _backend_cpu(pid) - pg_began
        if record:
            python_ms[side].append(1000 * python / count)
            database_ms[side].append(1000 * database / count)

    with override_settings(ROOT_URLCONF="bench.floor_urls"):
        for side in sides:  # imports, prepared statements, kept catalog and calendar: warm on every side
            measure(side, WARMUP, record=False)
        names = list(sides)
        for round_ in range(ROUNDS):
            for side in names if round_ % 2 == 0 else reversed(names):
                measure(side, COUNTS[side], record=True)

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {FLOOR_TABLE}")  # noqa: S608
        (floor_rows,) = cursor.fetchone()
    dossiers = Dossier.objects.filter(agency_id__in=state.agency_ids).count() - dossiers_before
    keys = IdempotencyRecord.objects.filter(user_id__in=state.user_ids).count() - keys_before

    py = {side: statistics.median(values) for side, values in python_ms.items()}
    pg = {side: statistics.median(values) for side, values in database_ms.items()}
    both = {
        side: statistics.median(a + b for a, b in zip(python_ms[side], database_ms[side], strict=True))
        for side in sides
    }
    figures = [
        Figure("reception: Python ms", py["reception"], "ms CPU per request", py["baseline"]),
        Figure("reception: PostgreSQL ms", pg["reception"], "ms CPU per request", pg["baseline"]),
        Figure("reception: both ms", both["reception"], "ms CPU per request", both["baseline"]),
        Figure("submission: Python ms", py["submission"], "ms CPU per request", py["baseline"]),
        Figure("submission: PostgreSQL ms", pg["submission"], "ms CPU per request", pg["baseline"]),
        Figure("submission: both ms", both["submission"], "ms CPU per request", both["baseline"]),
        Figure("floor: Python ms", py["floor"], "ms CPU per request", py["baseline"]),
        Figure("floor: PostgreSQL ms", pg["floor"], "ms CPU per request", pg["baseline"]),
        Figure("floor: both ms", both["floor"], "ms CPU per request", both["baseline"]),
    ]
    # At 25 % of /health's throughput: reception + f ≤ 4 × (/health + f), f the cost outside the app.
    strict = 4 * both["baseline"]
    budget = strict + 3 * OUTSIDE_MS
    beyond = both["reception"] - both["floor"]
    notes = [
        f"CPU per request, in-process (median of {ROUNDS} rounds): /health {both['baseline']:.2f} ms, "
        f"floor {both['floor']:.2f} ms, reception {both['reception']:.2f} ms, submission (the national "
        f"portal's, status 1) {both['submission']:.2f} ms.",
        f"At 25 % of /health's throughput over HTTP a reception may cost 4 × /health + 3 × f, f the "
        f"cost outside the app (~{OUTSIDE_MS} ms, an estimate): {budget:.2f} ms here ({strict:.2f} ms "
        "with f = 0).",
        f"The floor takes {both['floor']:.2f} ms of it, leaving {budget - both['floor']:.2f} ms for "
        f"everything a reception does beyond one row; that part costs {beyond:.2f} ms today "
        f"({beyond / max(budget - both['floor'], 1e-9):.1f} × what is left).",
        f"In-process ratios (CPU): /health ÷ reception {both['baseline'] / both['reception']:.3f}, "
        f"/health ÷ floor {both['baseline'] / both['floor']:.3f}; over HTTP, with f: "
        f"{(both['baseline'] + OUTSIDE_MS) / (both['reception'] + OUTSIDE_MS):.3f} and "
        f"{(both['baseline'] + OUTSIDE_MS) / (both['floor'] + OUTSIDE_MS):.3f}.",
    ]
    expected = {"baseline": 200, "floor": 201, "reception": 201, "submission": 201}
    creations = sent["reception"] + sent["submission"]
    wrong = {side: sum(c for s, c in statuses[side].items() if s != expected[side]) for side in sides}
    checks = [
        *(
            Check(f"{side} answers not {expected[side]}", wrong[side], "= 0", wrong[side] == 0)
            for side in sides
        ),
        Check(
            "dossiers created",
            dossiers,
            f"= receptions and submissions sent ({creations})",
            dossiers == creations,
        ),
        Check(
            "idempotency keys", keys, f"= receptions and submissions sent ({creations})", keys == creations
        ),
        Check(
            "floor rows", floor_rows, f"= floor writes sent ({sent['floor']})", floor_rows == sent["floor"]
        ),
    ]
    settings: dict[str, Any] = {
        "rounds": ROUNDS,
        "requests_per_round": COUNTS,
        "warmup": WARMUP,
        "python_ms": python_ms,
        "postgresql_ms": database_ms,
        "outside_ms_estimate": OUTSIDE_MS,
        "database": connection.settings_dict["NAME"],
    }
    return CpuReport(
        target="POST /api/dossiers (counter reception; submission) and the floor write, in-process",
        baseline="GET /health",
        figures=figures,
        checks=checks,
        settings=settings,
        notes=notes,
    )
