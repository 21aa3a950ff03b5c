"""Volume: `tinhso generate-dossiers` makes dossiers the lifecycle itself would have made.

The generator runs at the shared ward (two bound procedures: permanent residence, 7 working days; birth
registration, 1 working day) over ten weeks of early 2026 — Tết 2026 included (16–20 February off, by the
holidays package) — with `now` fixed on Friday 20 March 2026 at 15:00, so the last days' dossiers are still
in process. The strongest check replays generated dossiers, event by event, through `transitions.py` and
compares everything the transitions store.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter, defaultdict
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tinhso.accounts.models import User
from tinhso.core import working_time as wt
from tinhso.core.calendar import paper_cutoff, work_calendar
from tinhso.core.models import AuditEntry
from tinhso.core.text import fold
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import (
    NATIONAL_STATUS,
    PAPER_CHANNELS,
    Dossier,
    DossierCodeCounter,
    DossierEvent,
    DossierStep,
    Status,
)
from tinhso.dossiers.tests.factories import World, at, world
from tinhso.dossiers.volume import VolumeError, dossiers_generate

pytestmark = pytest.mark.django_db

START, END = dt.date(2026, 1, 5), dt.date(2026, 3, 20)
NOW = at("2026-03-20 15:00")
CODE = re.compile(r"^(?P<agency>\d{3}\.\d{2}\.\d{2}\.H\d{2})-(?P<day>\d{6})-(?P<seq>\d{4})$")


def generate(count: int = 300, seed: int = 7, **kw: Any) -> Any:
    options: dict[str, Any] = {"start": START, "end": END, "now": NOW, "batch": 120} | kw
    return dossiers_generate(count=count, seed=seed, **options)


def codes_by_unit_day() -> dict[tuple[str, str], list[int]]:
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for code in Dossier.objects.values_list("code", flat=True):
        m = CODE.match(code)
        assert m, code
        groups[(m["agency"], m["day"])].append(int(m["seq"]))
    return groups


def snapshot() -> list[tuple[Any, ...]]:
    return list(
        Dossier.objects.order_by("code").values_list(
            "code",
            "applicant_name",
            "applicant_id_number",
            "channel",
            "status",
            "received_at",
            "due_at",
            "punctuality",
        )
    )


# --- Counts, codes, counters ----------------------------------------------------------------------------


def test_generating_300_gives_300_dossiers_with_unique_gap_free_codes_per_unit_and_day(w: World) -> None:
    summary = generate(300)
    assert summary.dossiers == Dossier.objects.count() == 300
    groups = codes_by_unit_day()
    assert sum(len(v) for v in groups.values()) == 300
    for seqs in groups.values():
        assert sorted(seqs) == list(range(1, len(seqs) + 1))
    # The code's date is the day it was submitted, in Vietnam, and the sequence follows submission order.
    for d in Dossier.objects.all():
        assert d.code.startswith(f"{d.agency.code}-{timezone.localtime(d.submitted_at):%y%m%d}-")
    for agency, day in groups:
        times = list(
            Dossier.objects.filter(code__startswith=f"{agency}-{day}-")
            .order_by("code")
            .values_list("submitted_at", flat=True)
        )
        assert times == sorted(times)
    assert summary.steps == DossierStep.objects.count() and summary.events == DossierEvent.objects.count()
    # The name's search copy is written with the row (COPY bypasses `save`).
    names = Dossier.objects.values_list("applicant_name", "applicant_name_folded")
    assert all(folded == fold(name) and folded for name, folded in names)


def test_the_counters_hold_each_days_last_number_so_the_next_submit_continues_it(w: World) -> None:
    generate(300)
    for (agency, day), seqs in codes_by_unit_day().items():
        counter = DossierCodeCounter.objects.get(
            agency__code=agency, day=dt.datetime.strptime(day, "%y%m%d").date()
        )
        assert counter.last == max(seqs)
    busiest = Counter(
        timezone.localtime(t).date() for t in Dossier.objects.values_list("submitted_at", flat=True)
    )
    busy = busiest.most_common(1)[0][0]
    last = DossierCodeCounter.objects.get(agency=w.ward, day=busy).last
    d = w.submit(when=f"{busy.isoformat()} 10:00")
    assert d.code == f"{w.ward.code}-{busy:%y%m%d}-{last + 1:04d}"


def test_a_second_run_with_the_same_seed_adds_another_n_continuing_each_days_sequence(w: World) -> None:
    generate(150, seed=3)
    first = codes_by_unit_day()
    generate(150, seed=3)
    assert Dossier.objects.count() == 300
    second = codes_by_unit_day()
    for key, seqs in second.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1))
        assert len(seqs) >= len(first.get(key, []))
    # Not twins: the second run's people differ from the first's.
    names = Counter(Dossier.objects.values_list("applicant_id_number", flat=True))
    assert names.most_common(1)[0][1] == 1


def test_the_same_seed_on_the_same_database_gives_the_same_dossiers(w: World) -> None:
    generate(120, seed=11)
    first = snapshot()
    Dossier.objects.all().delete()
    DossierCodeCounter.objects.all().delete()
    generate(120, seed=11)
    assert snapshot() == first
    Dossier.objects.all().delete()
    DossierCodeCounter.objects.all().delete()
    generate(120, seed=12)
    assert snapshot() != first


@pytest.mark.django_db(transaction=True)
def test_worker_processes_each_commit_whole_days_with_gap_free_codes(
    flushable_audit_log: None, reference_data: None
) -> None:
    # Outside a transaction on PostgreSQL, forked workers generate and write batches in their own
    # connections (elsewhere the batches run in turn): the result is the same kind of database.
    world()
    summary = generate(240, batch=50, workers=2)
    assert summary.workers == (2 if connection.vendor == "postgresql" else 1)
    assert summary.dossiers == Dossier.objects.count() == 240
    for (agency, day), seqs in codes_by_unit_day().items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1))
        day_ = dt.datetime.strptime(day, "%y%m%d").date()
        assert DossierCodeCounter.objects.get(agency__code=agency, day=day_).last == len(seqs)
    assert AuditEntry.objects.filter(event="dossier.generated").count() == len(
        {e.new["days"] for e in AuditEntry.objects.filter(event="dossier.generated")}  # type: ignore[index]
    )


def test_a_range_ending_after_today_is_refused(w: World) -> None:
    with pytest.raises(VolumeError, match="future"):
        generate(10, end=dt.date(2026, 3, 21))


# --- Every status keeps its invariants ------------------------------------------------------------------


def test_every_generated_dossier_keeps_the_invariants_of_its_status(w: World) -> None:
    generate(300)
    cal = work_calendar()
    statuses: Counter[str] = Counter()
    for d in Dossier.objects.all():
        statuses[d.status] += 1
        events = list(d.events.order_by("seq"))
        if d.status == Status.RETURNED:
            # Compact history: every event but the hand-overs, numbered as the transitions numbered them.
            assert [e.seq for e in events] == sorted({e.seq for e in events}) and events[-1].seq == d.revision
            assert not any(e.action == "hand_over" for e in events) and not d.steps.exists()
        else:
            assert [e.seq for e in events] == list(range(1, d.revision + 1))
        assert events[0].action == "submit" and events[-1].to_status == d.status
        assert all(e.at <= NOW for e in events)
        assert all(e.national_status == NATIONAL_STATUS[e.to_status] for e in events)
        for before, after in itertools.pairwise(events):
            assert after.at >= before.at
            if after.seq == before.seq + 1:
                assert after.from_status == before.to_status
        assert timezone.localtime(d.submitted_at).date().weekday() < 6
        assert cal.is_working_day(timezone.localtime(d.submitted_at).date())
        if d.status in (Status.SUBMITTED, Status.REFUSED):
            assert d.received_at is None and d.due_at is None and not d.steps.exists()
            continue
        # Received: in office hours, with the deadline reception_deadline gives for it.
        assert d.received_at is not None and d.clock_start is not None and d.due_at is not None
        received = timezone.localtime(d.received_at)
        assert any(a <= received.time() <= b for a, b in cal.sessions_on(received.date()))
        value, unit = tr.legal_time_for(d)
        assert (d.legal_value, d.legal_unit) == (value, unit)
        expected = wt.reception_deadline(
            d.received_at,
            value,
            wt.as_time_unit(unit),
            cal,
            paper=d.channel in PAPER_CHANNELS,
            cutoff=paper_cutoff(),
        )
        receive = events[1]
        assert receive.action == "receive" and receive.form == "01"
        assert receive.data["deadline"] == expected.as_record()
        if not any(e.action in ("supplement_complete", "resume_after_payment") for e in events):
            assert (d.clock_start, d.due_at, d.due_rule) == (expected.start, expected.due, "reception.v1")
        assert d.steps.count() == (0 if d.status == Status.RETURNED else 4)
        if d.status in (Status.PROCESSED, Status.RETURNED):
            assert d.finished_at is not None and d.outcome
            assert d.punctuality == wt.classify(d.finished_at, d.due_at)
        else:
            assert d.finished_at is None and not d.punctuality
        if d.status == Status.RETURNED:
            assert d.returned_at is not None and d.returned_at >= d.finished_at  # type: ignore[operator]
            assert d.return_method and d.holder_id is None and d.current_step_id is None
        if d.status in (Status.RECEIVED, Status.IN_PROCESS):
            step = d.current_step
            assert step is not None and step.started_at is not None and step.finished_at is None
            assert d.holder_id == step.assignee_id is not None
        if d.status in (Status.WITHDRAWN, Status.STOPPED):
            assert d.closed_at is not None and d.holder_id is None
        if d.status == Status.STOPPED:
            assert events[-1].form == "05"
    assert statuses[Status.RETURNED] > 200
    assert {Status.IN_PROCESS, Status.REFUSED} <= set(statuses)


def test_the_mix_looks_like_a_communes(w: World) -> None:
    summary = generate(600, seed=5, batch=1000)
    # The ward's two procedures: birth registration weighs 22 to permanent residence's 10, and their
    # channel mixes give about 42 % counter, 45 % online, 5 % post, 8 % national portal.
    procedures = Counter(Dossier.objects.values_list("procedure__code", flat=True))
    assert 1.6 < procedures["1.001193"] / procedures["1.004222"] < 2.9
    share = {k: v / summary.dossiers for k, v in summary.channel.items()}
    assert 0.34 < share["counter"] < 0.50 and 0.37 < share["online"] < 0.53
    assert 0.02 < share["postal"] < 0.09 and 0.04 < share["national_portal"] < 0.13
    finished = sum(summary.punctuality.values())
    assert (summary.punctuality["early"] + summary.punctuality["on_time"]) / finished > 0.88
    assert summary.punctuality["late"] > 0
    # Mondays are busier than Fridays; no dossier on a day off (Tết 2026: 16–20 February).
    days = Counter(
        timezone.localtime(t).date() for t in Dossier.objects.values_list("submitted_at", flat=True)
    )
    weekdays: Counter[int] = Counter()
    for day, n in days.items():
        weekdays[day.weekday()] += n
    assert weekdays[0] > weekdays[4]
    assert not any(dt.date(2026, 2, 16) <= day <= dt.date(2026, 2, 20) for day in days)
    names = list(Dossier.objects.values_list("applicant_name", "applicant_id_number", "applicant_phone")[:50])
    for name, number, phone in names:
        assert len(name.split()) >= 3 and re.fullmatch(r"\d{12}", number) and re.fullmatch(r"0\d{9}", phone)
    assert any(ch in "ăâđêôơưàáảãạ" for name, _, _ in names for ch in name.lower())


def test_one_audit_entry_per_batch_names_what_was_generated(w: World) -> None:
    before = AuditEntry.objects.filter(event="dossier.generated").count()
    generate(300, batch=120)
    entries = AuditEntry.objects.filter(event="dossier.generated").order_by("seq")
    assert entries.count() - before >= 2
    assert sum(e.new["dossiers"] for e in entries[before:]) == 300  # type: ignore[index]


# --- The lifecycle agrees ----------------------------------------------------------------------------------


def _replay(d: Dossier, citizen: User) -> Dossier:
    """Run `d`'s events through the transitions, at the same instants, by the same officials."""
    users = {u.pk: u for u in User.objects.filter(pk__in=d.events.values("actor_id"))}
    by_name = {u.username: u for u in User.objects.filter(agency=d.agency)}
    copy: Dossier | None = None
    for e in d.events.order_by("seq"):
        actor = users.get(e.actor_id) if e.actor_id else None
        if e.action == "submit":
            copy = tr.submit(
                binding=d.binding,
                channel=d.channel,
                applicant=tr.Applicant(
                    name=d.applicant_name,
                    id_number=d.applicant_id_number,
                    phone=d.applicant_phone,
                    user=None if actor else citizen,
                ),
                actor=actor or citizen,
                at=e.at,
            )
            continue
        assert copy is not None and actor is not None
        kw: dict[str, Any] = {"actor": actor, "at": e.at}
        if e.action == "receive":
            copy = tr.receive(copy, **kw)
        elif e.action == "refuse":
            copy = tr.refuse(copy, reason=e.note, **kw)
        elif e.action == "hand_over":
            copy = tr.hand_over(copy, to=by_name[e.data["to"]], **kw)
        elif e.action == "request_supplement":
            items = [tr.MissingItem(i["paper"], i["reason"]) for i in e.data["items"]]
            copy = tr.request_supplement(copy, items=items, **kw)
        elif e.action == "supplement_complete":
            copy = tr.supplement_complete(copy, **kw)
        elif e.action == "pause_for_payment":
            copy = tr.pause_for_payment(copy, reason=e.note, amount_vnd=e.data["amount_vnd"], **kw)
        elif e.action == "resume_after_payment":
            copy = tr.resume_after_payment(copy, **kw)
        elif e.action == "stop":
            copy = tr.stop(copy, reason=e.note, legal_basis=e.data["legal_basis"], **kw)
        elif e.action == "withdraw":
            copy = tr.withdraw(copy, reason=e.note, **kw)
        elif e.action == "approve":
            copy = tr.approve(copy, result_note=e.note, **kw)
        elif e.action == "reject":
            copy = tr.reject(copy, reason=e.note, **kw)
        elif e.action == "return_result":
            copy = tr.return_result(copy, method=e.data["method"], **kw)
        else:  # pragma: no cover
            raise AssertionError(e.action)
    assert copy is not None
    return Dossier.objects.get(pk=copy.pk)


DOSSIER_FIELDS = [
    "status",
    "revision",
    "channel",
    "received_at",
    "received_by_id",
    "legal_value",
    "legal_unit",
    "clock_start",
    "due_at",
    "due_rule",
    "paused_at",
    "resume_status",
    "supplement_requests",
    "extensions",
    "fee_due_vnd",
    "finished_at",
    "returned_at",
    "closed_at",
    "outcome",
    "outcome_note",
    "return_method",
    "punctuality",
    "holder_id",
    "procedure_version_id",
    "process_id",
    "summary",
    "applicant_name_folded",  # the search copy, as the transitions write it
]
STEP_FIELDS = [
    "order",
    "name",
    "role",
    "budget_value",
    "started_at",
    "due_at",
    "finished_at",
    "assignee_id",
    "finished_by_id",
    "punctuality",
]
EVENT_FIELDS = [
    "seq",
    "action",
    "from_status",
    "to_status",
    "national_status",
    "at",
    "form",
    "note",
    "data",
    "actor_id",
]


def test_replaying_generated_dossiers_through_the_transitions_gives_the_same_dossiers(w: World) -> None:
    generate(300, history="full")
    # Every status and every kind of event, plus a sample of plain returned ones.
    chosen: dict[int, Dossier] = {}
    for d in Dossier.objects.exclude(status=Status.RETURNED):
        chosen[d.pk] = d
    for action in ("request_supplement", "pause_for_payment", "reject", "stop", "withdraw", "refuse"):
        for e in DossierEvent.objects.filter(action=action)[:3]:
            chosen[e.dossier_id] = e.dossier
    for d in Dossier.objects.filter(status=Status.RETURNED).order_by("?")[:25]:
        chosen[d.pk] = d
    actions = Counter(DossierEvent.objects.filter(dossier__in=chosen).values_list("action", flat=True))
    assert {"receive", "hand_over", "approve", "return_result", "refuse"} <= set(actions)
    citizen = w.citizen
    for d in chosen.values():
        copy = _replay(d, citizen)
        for name in DOSSIER_FIELDS:
            assert getattr(copy, name) == getattr(d, name), (d.code, name)
        assert (copy.current_step.order if copy.current_step else None) == (
            d.current_step.order if d.current_step else None
        )
        steps = lambda x: list(x.steps.order_by("order").values_list(*STEP_FIELDS))  # noqa: E731
        assert steps(copy) == steps(d), d.code
        events = lambda x: list(x.events.order_by("seq").values_list(*EVENT_FIELDS))  # noqa: E731
        ours, theirs = events(d), events(copy)
        if d.channel == "online":  # the generated applicant has no account: the submit's actor differs
            ours, theirs = ours[1:], theirs[1:]
        for mine, real in zip(ours, theirs, strict=True):
            assert real == mine, (
                d.code,
                [(f, x, y) for f, x, y in zip(EVENT_FIELDS, mine, real, strict=True) if x != y],
            )


def test_compact_history_leaves_out_only_the_steps_and_hand_overs_of_returned_dossiers(w: World) -> None:
    def rows() -> tuple[list[Any], list[Any], list[Any]]:
        dossiers = list(Dossier.objects.order_by("code").values_list("code", *DOSSIER_FIELDS))
        events = list(
            DossierEvent.objects.order_by("dossier__code", "seq").values_list("dossier__code", *EVENT_FIELDS)
        )
        steps = list(
            DossierStep.objects.order_by("dossier__code", "order").values_list("dossier__code", *STEP_FIELDS)
        )
        return dossiers, events, steps

    summary = generate(200, seed=9, history="full")
    full = rows()
    Dossier.objects.all().delete()
    DossierCodeCounter.objects.all().delete()
    compact_summary = generate(200, seed=9)
    compact = rows()
    assert compact[0] == full[0]
    returned = {code for code, status, *_ in full[0] if status == Status.RETURNED}
    assert compact[1] == [e for e in full[1] if not (e[0] in returned and e[2] == "hand_over")]
    assert compact[2] == [s for s in full[2] if s[0] not in returned]
    assert compact_summary.events < summary.events and compact_summary.steps < summary.steps


def test_the_lifecycle_goes_on_with_a_generated_dossier_in_process(w: World) -> None:
    generate(300)
    d = (
        Dossier.objects.filter(status__in=[Status.RECEIVED, Status.IN_PROCESS])
        .order_by("received_at")
        .first()
    )
    assert d is not None and d.current_step is not None
    later = max(NOW, d.events.order_by("-seq").first().at) + dt.timedelta(minutes=5)  # type: ignore[union-attr]
    while d.status in (Status.RECEIVED, Status.IN_PROCESS) and d.current_step.role != "agency_leader":
        following = d.steps.get(order=d.current_step.order + 1)
        to = User.objects.filter(agency=d.agency, groups__name=following.role).first()
        d = tr.hand_over(d, actor=d.holder, to=to, at=later)  # type: ignore[arg-type]
    d = tr.approve(d, actor=d.holder, at=later)  # type: ignore[arg-type]
    assert d.status == Status.PROCESSED and d.punctuality == wt.classify(later, d.due_at)  # type: ignore[arg-type]
    d = tr.return_result(d, actor=w.counter, at=later)
    assert d.status == Status.RETURNED and d.events.last().seq == d.revision  # type: ignore[union-attr]


def test_the_command_prints_progress_and_a_summary(w: World) -> None:
    out = StringIO()
    call_command(
        "generate_dossiers",
        "40",
        "--seed",
        "2",
        "--start",
        "2026-03-02",
        "--end",
        "2026-03-13",
        "--batch",
        "15",
        stdout=out,
    )
    text = out.getvalue()
    assert f"on {connection.vendor}" in text and "1/3 batches" in text
    assert "Generated 40 dossiers" in text and "dossiers_dossierevent" in text and "early" in text
    assert Dossier.objects.count() == 40
