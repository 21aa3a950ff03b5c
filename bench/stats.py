"""Pure statistics over one measurement: no I/O, no clock."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """The p-th percentile by the nearest-rank method, of values already sorted in ascending order.

    Nearest rank: the smallest value such that at least p % of the values are less than or equal to it,
    i.e. the value at 1-based rank ceil(p/100 × n). It is always one of the measured values (never an
    interpolation between two), so "p99 = 41 ms" means some request really took 41 ms and 99 % took no
    longer. For n = 100, p99 is the 99th smallest value; for n = 10, p95 and p99 are both the largest.
    """
    if not sorted_values:
        raise ValueError("percentile of no values")
    if not 0 < p <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {p}")
    rank = math.ceil(p / 100 * len(sorted_values))
    return sorted_values[rank - 1]


@dataclass(frozen=True)
class Sample:
    """What one phase measured: latencies (seconds) of successful requests, the error count, the time span."""

    latencies: list[float]
    errors: int
    elapsed: float  # seconds from the end of warm-up to the last request's completion
    # Every answer of the phase, warm-up included, by HTTP status (0: none came): what a write changed.
    statuses: Mapping[int, int] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)  # a header of every 2xx answer, warm-up included


@dataclass(frozen=True)
class Summary:
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    requests: int


def summarize(samples: Sequence[Sample]) -> Summary:
    """Pool several phases (rounds) into one set of figures: all latencies together, total time."""
    latencies = sorted(latency for sample in samples for latency in sample.latencies)
    elapsed = sum(sample.elapsed for sample in samples)
    errors = sum(sample.errors for sample in samples)
    if not latencies:
        nan = math.nan
        return Summary(requests_per_s=0.0, p50_ms=nan, p95_ms=nan, p99_ms=nan, errors=errors, requests=0)
    return Summary(
        requests_per_s=len(latencies) / elapsed if elapsed > 0 else math.nan,
        p50_ms=percentile(latencies, 50) * 1000,
        p95_ms=percentile(latencies, 95) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        errors=errors,
        requests=len(latencies),
    )
