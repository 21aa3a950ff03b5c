"""The load generator: N threads, each with one keep-alive `http.client` connection, looping for T seconds.

Why threads and `http.client` rather than `httpx.AsyncClient`: measured on this 2-core machine against a
trivial gunicorn app, httpx's async client spent 2–4 ms of CPU per request and saturated its core at about
300–550 requests/s, so it measured itself; `http.client` in threads spent about 0.3 ms per request and
reached about 2,600 requests/s, ahead of anything Django serves here. The client shares the machine with the
server either way; that share is the same for the baseline and the target, which is one more reason the
figures are read as ratios.

What a client sends is a `Request` (method, path, headers, body) built by a `RequestFactory` for each
request, so a benchmark can write (a POST with its own `Idempotency-Key` every time) as well as read;
`rotation(paths)` is the factory of the read benchmarks (GET, the paths in turn).
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from bench.stats import Sample

TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Request:
    """One HTTP request as a client sends it."""

    path: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


# Builds the request a client sends: (client index from 0, that client's request number from 0). Called in
# the client's thread, before the request's clock starts: a body or a key is not measured as server time.
RequestFactory = Callable[[int, int], Request]


def rotation(paths: Sequence[str]) -> RequestFactory:
    """GET `paths` in turn, each client starting at its own offset so that all paths are in flight at once."""
    if not paths:
        raise ValueError("no paths to drive")
    requests = [Request(path) for path in paths]
    return lambda client, n: requests[(client + n) % len(requests)]


def send(conn: http.client.HTTPConnection, request: Request) -> http.client.HTTPResponse:
    conn.request(request.method, request.path, body=request.body, headers=dict(request.headers))
    return conn.getresponse()


def drive(
    *,
    host: str,
    port: int,
    clients: int,
    warmup: float,
    seconds: float,
    paths: Sequence[str] = (),
    requests: RequestFactory | None = None,
    keep_header: str | None = None,
) -> Sample:
    """Send `requests` (or GET `paths` in rotation) from `clients` connections: `warmup` s unrecorded, then
    `seconds` s recorded.

    A request is recorded when it starts inside the measured window; one that is non-2xx or fails (refused,
    reset, timed out) counts as an error and its latency is left out. Every answer of the phase, warm-up
    included, is counted by status in `Sample.statuses` (0: no HTTP answer), and the `keep_header` of every
    2xx answer is kept in `Sample.kept`: what a write benchmark needs to check what it wrote.
    """
    if requests is None:
        requests = rotation(paths)
    elif paths:
        raise ValueError("give paths or requests, not both")
    latencies: list[float] = []
    errors = 0
    last_end = 0.0
    statuses: Counter[int] = Counter()
    kept: list[str] = []
    lock = threading.Lock()
    record_from = time.perf_counter() + warmup
    deadline = record_from + seconds

    def client(index: int) -> None:
        nonlocal errors, last_end
        # Each thread keeps its own figures and merges them once at the end: no lock in the hot loop.
        mine: list[float] = []
        my_errors = 0
        my_end = 0.0
        my_statuses: Counter[int] = Counter()
        my_kept: list[str] = []
        conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT_S)
        n = 0
        while True:
            request = requests(index, n)
            n += 1
            begin = time.perf_counter()
            if begin >= deadline:
                break
            try:
                response = send(conn, request)
                response.read()
                status = response.status
                if keep_header and 200 <= status < 300:
                    my_kept.append(response.getheader(keep_header, ""))
            except (OSError, http.client.HTTPException):
                conn.close()  # the next request reconnects
                status = 0
            end = time.perf_counter()
            my_statuses[status] += 1
            if begin >= record_from:
                if 200 <= status < 300:
                    mine.append(end - begin)
                else:
                    my_errors += 1
                my_end = end
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += my_errors
            last_end = max(last_end, my_end)
            statuses.update(my_statuses)
            kept.extend(my_kept)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Sample(
        latencies=latencies,
        errors=errors,
        elapsed=max(last_end - record_from, 0.0),
        statuses=dict(statuses),
        kept=kept,
    )
