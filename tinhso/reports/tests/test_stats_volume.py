"""The statistics on generated dossiers (`dossiers.volume`), for random periods and scopes: every number
equals a second, plain-Python count of the same definitions over every dossier row, each list behind a
number has exactly that number's dossiers, rows balance and add up to the total.

There are no pre-aggregates (every report reads the dossiers directly); this checks the database
aggregate against an independent reading of the definitions, on data the lifecycle itself would make:
carried-over dossiers, supplements, pauses for payment, withdrawals, stops, refusals, late ones, and
dossiers still open at "now". The generator makes no payment requests: the test adds some, of every
status, so that the online payment figures read them too.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

import pytest

from tinhso.accounts.models import Agency
from tinhso.dossiers.models import Dossier, DossierEvent
from tinhso.dossiers.tests.factories import World, at, bind, world
from tinhso.dossiers.volume import dossiers_generate
from tinhso.payments.models import PaymentRequest
from tinhso.reports.periods import Period
from tinhso.reports.scope import Scope
from tinhso.reports.stats import FIGURES, GROUPS, Window, dossier_report, dossiers_behind

pytestmark = pytest.mark.django_db

START, END = dt.date(2026, 1, 5), dt.date(2026, 3, 20)
NOW = at("2026-03-20 15:00")
ONLINE = {"online", "national_portal"}


@pytest.fixture
def w(reference_data: None) -> World:
    return world()


def _in(t: dt.datetime | None, w: Window) -> bool:
    return t is not None and w.since <= t < w.until


def _open_at(d: dict[str, Any], t: dt.datetime) -> bool:
    return (
        d["received_at"] is not None
        and d["received_at"] < t
        and (d["finished_at"] is None or d["finished_at"] >= t)
        and (d["closed_at"] is None or d["closed_at"] >= t)
    )


def by_hand(d: dict[str, Any], w: Window, supplements: list[dt.datetime], requests: set[str]) -> set[str]:
    """The figures that count dossier `d`, read from the module docstring of `stats`, in Python;
    `requests` holds the statuses of the payment requests for its code."""
    out = set()
    new = _in(d["received_at"], w)
    carried = (
        d["received_at"] is not None
        and d["received_at"] < w.since
        and (d["finished_at"] is None or d["finished_at"] >= w.since)
        and (d["closed_at"] is None or d["closed_at"] >= w.since)
    )
    if new:
        out |= {"received_new", "received_total"}
        if d["channel"] in ONLINE:
            out.add("received_online")
        if d["fee_due_vnd"] > 0 or requests - {"cancelled", "exempt"}:
            out.add("fee_due")
            if "paid" in requests:
                out.add("paid_online")
    if carried:
        out |= {"carried_over", "received_total"}
    if _in(d["finished_at"], w):
        out |= {"processed", f"processed_{d['punctuality']}"}
    if _open_at(d, w.as_of):
        out.add("in_process")
        stopped_clock = (
            d["paused_at"] is not None and d["paused_at"] < w.as_of and d["paused_at"] <= d["due_at"]
        )
        late = d["due_at"] is not None and d["due_at"] < w.as_of and not stopped_clock
        out.add("in_process_overdue" if late else "in_process_within")
    if any(w.since <= t < w.until for t in supplements):
        out.add("supplement")
    if _in(d["closed_at"], w):
        if d["status"] == "refused":
            out.add("refused")
        if d["status"] == "withdrawn" and d["received_at"] is not None:
            out.add("withdrawn")
        if d["status"] == "stopped":
            out.add("stopped")
    return out


def in_scope(d: dict[str, Any], scope: Scope) -> bool:
    return (
        (scope.agency is None or d["agency__path"].startswith(scope.agency.path))
        and (scope.field is None or d["procedure__field_id"] == scope.field.pk)
        and (scope.procedure is None or d["procedure_id"] == scope.procedure.pk)
        and (not scope.channel or d["channel"] == scope.channel)
    )


def random_period(rng: random.Random) -> Period:
    kind = rng.choice(["month", "month", "quarter", "custom", "custom", "custom"])
    if kind == "month":
        return Period.month(2026, rng.choice([1, 2, 3]))
    if kind == "quarter":
        return Period.quarter(2026, 1)
    start = dt.date(2025, 12, 20) + dt.timedelta(days=rng.randrange(0, 95))
    return Period.custom(start, start + dt.timedelta(days=rng.randrange(0, 40)))


# The statuses of the requests given to every seventh generated dossier, in turn: one or two requests each.
REQUEST_STATUSES = (
    ("open",),
    ("partly_paid",),
    ("paid",),
    ("exempt",),
    ("cancelled",),
    ("cancelled", "paid"),
    ("exempt", "partly_paid"),
    ("paid", "open"),
)


def add_requests(agency: Agency) -> dict[str, set[str]]:
    """Payment requests for some generated dossiers' codes (and one for a code no dossier has), as the
    payments app stores them; returns each code's statuses."""
    codes = list(Dossier.objects.order_by("pk").values_list("code", flat=True)[::7])
    given: dict[str, set[str]] = defaultdict(set)
    made: list[PaymentRequest] = []
    for i, code in enumerate([*codes, "000.00.30.H60-260101-9999"]):
        for status in REQUEST_STATUSES[i % len(REQUEST_STATUSES)]:
            given[code].add(status)
            made.append(
                PaymentRequest(
                    reference=f"TSTEST{len(made):09d}",
                    agency=agency,
                    subject_key=code,
                    purpose="Lệ phí",
                    amount_vnd=20_000,
                    paid_vnd={"paid": 20_000, "partly_paid": 5_000}.get(status, 0),
                    status=status,
                    payer_name="Nguyễn Thị Hằng",
                    created_at=NOW,
                    closed_reason="Điều 4 Thông tư 75/2022/TT-BTC"
                    if status in ("exempt", "cancelled")
                    else "",
                )
            )
    PaymentRequest.objects.bulk_create(made)
    return given


def test_random_periods_and_scopes_count_what_a_plain_reading_of_the_definitions_counts(w: World) -> None:
    bind(w.residence.procedure, w.other_ward)
    dossiers_generate(count=400, seed=11, start=START, end=END, now=NOW, batch=200)
    requests = add_requests(w.ward)
    rows: list[dict[str, Any]] = [
        dict(r)
        for r in Dossier.objects.values(
            "pk",
            "code",
            "agency_id",
            "agency__path",
            "procedure_id",
            "procedure__field_id",
            "channel",
            "status",
            "received_at",
            "finished_at",
            "closed_at",
            "due_at",
            "paused_at",
            "punctuality",
            "fee_due_vnd",
        )
    ]
    supplements: dict[int, list[dt.datetime]] = defaultdict(list)
    for pk, t in DossierEvent.objects.filter(action="request_supplement").values_list("dossier_id", "at"):
        supplements[pk].append(t)
    statuses = {r["status"] for r in rows}
    assert {"refused", "withdrawn", "stopped", "returned", "in_process"} <= statuses, statuses
    assert supplements and any(r["paused_at"] for r in rows) and any(r["punctuality"] == "late" for r in rows)

    scopes = [
        Scope(),
        Scope(agency=w.ward),
        Scope(agency=w.other_ward),
        Scope(channel="online"),
        Scope(channel="counter"),
        Scope(procedure=w.birth.procedure),
        Scope(field=w.residence.procedure.field),
        Scope(agency=w.ward, channel="online"),
    ]
    rng = random.Random(2026)
    seen: set[str] = set()
    for case in range(16):
        period = random_period(rng)
        scope = scopes[case % len(scopes)]
        window = Window.of(period, NOW)
        expected: dict[str, set[int]] = {k: set() for k in FIGURES}
        for d in rows:
            if in_scope(d, scope):
                for figure in by_hand(d, window, supplements[d["pk"]], requests.get(d["code"], set())):
                    expected[figure].add(d["pk"])
        report = dossier_report(period, scope, now=NOW)
        where = f"case {case}: {period.label}, {scope.label}"
        assert report.total.counts == {k: len(v) for k, v in expected.items()}, where
        # A page that asks for some figures only (the dashboards) gets the same numbers and ratios.
        some = [*rng.sample(list(FIGURES), 4), "processed", "processed_early", "processed_on_time"]
        narrow = dossier_report(period, scope, now=NOW, figures=some)
        assert narrow.total.counts == {k: len(expected[k]) for k in some}, (where, some)
        assert narrow.total.ratios["on_time_ratio"] == report.total.ratios["on_time_ratio"], where
        assert report.total.balances, where
        for figure in FIGURES:
            behind = set(dossiers_behind(period, scope, figure, now=NOW).values_list("pk", flat=True))
            assert behind == expected[figure], (where, figure)
            if behind:
                seen.add(figure)
        group = rng.choice([g for g in GROUPS if g != "month" or len(period.months()) > 1])
        grouped = dossier_report(period, scope, now=NOW, group_by=group)
        assert all(r.balances for r in grouped.rows), (where, group)
        if group == "month":
            assert grouped.total.counts == report.total.counts, where
        else:
            assert {k: sum(r.counts[k] for r in grouped.rows) for k in FIGURES} == report.total.counts
            for r in grouped.rows:
                one = dossiers_behind(period, scope, "received_total", now=NOW, group_by=group, row=r.key)
                assert one.count() == r.counts["received_total"], (where, group, r.key)
    # The generated data exercised every figure it can (it has no papers, e-results or ratings; its fees
    # are the pauses' obligations and the requests added above).
    assert {
        "fee_due",
        "paid_online",
        "carried_over",
        "processed_early",
        "processed_on_time",
        "processed_late",
        "in_process_within",
        "in_process_overdue",
        "supplement",
        "refused",
        "withdrawn",
        "stopped",
    } <= seen
