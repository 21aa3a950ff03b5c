"""Concurrency: real threads, real transactions (committed), on SQLite and on PostgreSQL.

- 8 counter officers receive at the same moment: 8 dossiers, 8 distinct codes 0001–0008, no gap.
- Two officials act on one dossier at once: exactly one succeeds, the other gets a conflict.
"""

from __future__ import annotations

import functools

import pytest

from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier, DossierCodeCounter, Status
from tinhso.dossiers.tests.factories import World, at, run_together, world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cw(flushable_audit_log: None, reference_data: None) -> World:
    return world()


def test_eight_concurrent_receptions_get_eight_codes_without_gaps(cw: World) -> None:
    def receive(n: int) -> str:
        d = tr.receive_at_counter(
            binding=cw.residence,
            applicant=tr.Applicant(name=f"Người nộp {n}"),
            actor=cw.counter,
            papers=[tr.PaperSpec(name="Tờ khai CT01")],
            at=at("2026-03-02 09:00"),
        )
        return d.code

    results = run_together([functools.partial(receive, n) for n in range(8)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(results) == [f"000.00.30.H60-260302-{i:04d}" for i in range(1, 9)]
    assert Dossier.objects.filter(status=Status.RECEIVED).count() == 8
    assert DossierCodeCounter.objects.get(agency=cw.ward).last == 8


def test_a_failed_creation_gives_its_number_back(cw: World, monkeypatch: pytest.MonkeyPatch) -> None:
    first = cw.submit(when="2026-03-02 09:00")
    with pytest.raises(tr.DossierRuleError):
        tr.submit(
            binding=cw.residence,
            channel="counter",
            applicant=tr.Applicant(name="Người nộp"),
            actor=cw.counter,
            papers=[tr.PaperSpec(name="")],  # refused before the number is drawn: nothing written
            at=at("2026-03-02 09:01"),
        )

    def broken(**entry: object) -> None:
        raise RuntimeError("the audit log is down")

    with monkeypatch.context() as patched:  # a failure after the number was drawn: the transaction rolls back
        patched.setattr(tr, "audit_record", broken)
        with pytest.raises(RuntimeError, match="audit"):
            cw.submit(when="2026-03-02 09:01")
    assert DossierCodeCounter.objects.get(agency=cw.ward).last == 1
    second = cw.submit(when="2026-03-02 09:02")
    assert (first.code[-4:], second.code[-4:]) == ("0001", "0002")


def test_two_officials_acting_on_one_dossier_at_once_one_wins_the_other_gets_a_conflict(cw: World) -> None:
    d = cw.received(when="2026-03-02 09:00")
    d = tr.hand_over(d, actor=cw.counter, to=cw.head, at=at("2026-03-02 10:00"))
    d = tr.assign(d, actor=cw.head, assignee=cw.specialist, at=at("2026-03-02 10:30"))
    seen = d.revision
    # The specialist hands it to the leader while the department head asks for a supplement, both from the
    # page they loaded at revision `seen`.
    results = run_together(
        [
            lambda: tr.hand_over(
                d.pk, actor=cw.specialist, to=cw.leader, expected_revision=seen, at=at("2026-03-02 11:00")
            ),
            lambda: tr.request_supplement(
                d.pk,
                actor=cw.head,
                items=[tr.MissingItem("CT01", "Thiếu chữ ký")],
                expected_revision=seen,
                at=at("2026-03-02 11:00"),
            ),
        ]
    )
    winners = [r for r in results if isinstance(r, Dossier)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert isinstance(losers[0], tr.DossierConflict) and "vừa được người khác cập nhật" in losers[0].message
    fresh = Dossier.objects.get(pk=d.pk)
    assert fresh.revision == seen + 1 and fresh.events.count() == seen + 1


def test_the_same_transition_twice_at_once_happens_once(cw: World) -> None:
    d = cw.submit(when="2026-03-02 09:00")
    results = run_together([lambda: tr.receive(d.pk, actor=cw.counter) for _ in range(2)])
    assert sum(isinstance(r, Dossier) for r in results) == 1
    assert sum(isinstance(r, tr.DossierConflict) for r in results) == 1
    assert Dossier.objects.get(pk=d.pk).events.filter(action="receive").count() == 1


def test_concurrent_retries_with_one_idempotency_key_make_one_dossier(cw: World) -> None:
    from tinhso.dossiers import services

    def create() -> Dossier:
        return tr.receive_at_counter(
            binding=cw.residence,
            applicant=tr.Applicant(name="Nguyễn Thị Hằng"),
            actor=cw.counter,
            papers=[tr.PaperSpec(name="Tờ khai CT01")],
            at=at("2026-03-02 09:00"),
        )

    def attempt() -> tuple[str, bool]:
        d, replayed = services.dossier_create_once(
            user=cw.counter, key="kiosk-42", fingerprint="f", create=create
        )
        return d.code, replayed

    results = run_together([attempt for _ in range(4)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert {code for code, _ in results} == {"000.00.30.H60-260302-0001"}
    assert sorted(replayed for _, replayed in results) == [False, True, True, True]
    assert Dossier.objects.count() == 1
    # The number the losers drew was given back: the next dossier is 0002.
    assert cw.submit(when="2026-03-02 09:05").code.endswith("-0002")
