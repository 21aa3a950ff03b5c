"""The load generator: N threads, each with one keep-alive `http.client` connection, looping for T seconds.

Why threads and `http.client` rather than `httpx.AsyncClient`: measured on this 2-core machine against a
trivial gunicorn app, httpx's async client spent 2–4 ms of CPU per request and saturated its core at about
300–550 requests/s, so it measured itself; `http.client` in threads spent about 0.3 ms per request and
reached about 2,600 requests/s, ahead of anything Django serves here. The client shares the machine with the
server either way; that share is the same for the baseline and the target, which is one more reason the
figures are read as ratios.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Sequence

from bench.stats import Sample

TIMEOUT_S = 30.0


def drive(
    *, host: str, port: int, paths: Sequence[str], clients: int, warmup: float, seconds: float
) -> Sample:
    """GET `paths` in rotation from `clients` connections: `warmup` s unrecorded, then `seconds` s recorded.

    A request is recorded when it starts inside the measured window; one that is non-2xx or fails (refused,
    reset, timed out) counts as an error and its latency is left out. Each client starts at a different
    offset in `paths` so that all paths are in flight at once.
    """
    if not paths:
        raise ValueError("no paths to drive")
    latencies: list[float] = []
    errors = 0
    last_end = 0.0
    lock = threading.Lock()
    record_from = time.perf_counter() + warmup
    deadline = record_from + seconds

    def client(offset: int) -> None:
        nonlocal errors, last_end
        # Each thread keeps its own figures and merges them once at the end: no lock in the hot loop.
        mine: list[float] = []
        my_errors = 0
        my_end = 0.0
        conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT_S)
        i = offset
        while (begin := time.perf_counter()) < deadline:
            path = paths[i % len(paths)]
            i += 1
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                ok = 200 <= response.status < 300
            except (OSError, http.client.HTTPException):
                conn.close()  # the next request reconnects
                ok = False
            end = time.perf_counter()
            if begin >= record_from:
                if ok:
                    mine.append(end - begin)
                else:
                    my_errors += 1
                my_end = end
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += my_errors
            last_end = max(last_end, my_end)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Sample(latencies=latencies, errors=errors, elapsed=max(last_end - record_from, 0.0))
