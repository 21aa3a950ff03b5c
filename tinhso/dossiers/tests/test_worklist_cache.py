"""The kept worklist pages (`selectors.worklist_page_json`): read again without the dossiers, never older
than them — any change to a dossier of the unit, or of a unit under it, renews the stamp they are kept
under after the commit; a read in the same transaction gets a stamp of its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tinhso.accounts.models import Role
from tinhso.accounts.tests import factories as people
from tinhso.dossiers import selectors
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.tests.factories import World, at, bind, world
from tinhso.dossiers.tests.test_api import bearer

pytestmark = pytest.mark.django_db

NEW = "/api/dossiers?list=new"


@pytest.fixture(autouse=True)
def _one_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    """The clock held at the test's start: pages are kept per minute, and a minute turning between two reads
    of a test would make the second a fresh read (a flaky failure, not a finding)."""
    held = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: held)


def _dossier_reads(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "dossiers_dossier" in q["sql"]]


def test_a_kept_page_is_served_without_reading_the_dossiers_until_one_of_its_unit_changes(
    w: World, settings: Any
) -> None:
    settings.WORKLIST_CACHE_SECONDS = 60
    c, h = Client(), bearer(w.counter)
    w.submit(when="2026-11-02 09:00")
    first = c.get(NEW, headers=h).json()
    assert first["counts"]["new"] == 1 and len(first["items"]) == 1
    with CaptureQueriesContext(connection) as queries:
        again = c.get(NEW, headers=h)
    assert again.status_code == 200 and again.json() == first
    assert _dossier_reads(queries) == []

    # Another ward's dossier leaves this ward's page kept.
    other = tr.submit(
        binding=bind(w.residence.procedure, w.other_ward),
        channel="counter",
        applicant=tr.Applicant(name="Lò Văn Páo", id_number="008190012346", phone="0912345679"),
        actor=w.other_counter,
        papers=[tr.PaperSpec(name="Tờ khai thay đổi thông tin cư trú (CT01)")],
        at=at("2026-11-02 09:30"),
    )
    assert other.agency_id == w.other_ward.pk
    with CaptureQueriesContext(connection) as queries:
        assert c.get(NEW, headers=h).json() == first
    assert _dossier_reads(queries) == []

    # A dossier of this ward received: the page is read again, with it gone from "new".
    d = w.submit(when="2026-11-02 10:00")
    assert c.get(NEW, headers=h).json()["counts"]["new"] == 2
    tr.receive(d, actor=w.counter, at=at("2026-11-02 10:05"))
    now = c.get(NEW, headers=h).json()
    assert now["counts"]["new"] == 1 and [i["code"] for i in now["items"]] == [first["items"][0]["code"]]


def test_a_change_in_a_unit_renews_the_pages_of_the_units_above_it(w: World, settings: Any) -> None:
    settings.WORKLIST_CACHE_SECONDS = 60
    assert w.ward.parent is not None
    prefix = w.ward.parent.code.removesuffix(f".{settings.TINHSO_AGENCY_LEVEL1_CODE}")
    above = people.official(agency_prefix=prefix, roles=(Role.AGENCY_LEADER,))
    assert above.agency is not None and w.ward.path.startswith(above.agency.path), "above the ward"
    c, h = Client(), bearer(above)
    before = c.get(NEW, headers=h).json()["counts"]["new"]
    w.submit(when="2026-11-02 09:00")
    assert c.get(NEW, headers=h).json()["counts"]["new"] == before + 1


def _kept_stamp(user: Any) -> object:
    return cache.get(selectors._STAMP.format(user.agency_id))


def _renewals(callbacks: list[Any]) -> list[Any]:
    return [c for c in callbacks if isinstance(c, selectors._Renewal)]


def assert_stamp_renewed_after_commit_and_for_reads_before(
    user: Any, change: Callable[[], object], capture_on_commit: Any
) -> None:
    """`change` writes nothing to the cache while its transaction runs; a read in that transaction gets a
    stamp of its own (the same for every read until the next change); the commit callbacks renew the
    user's shared worklist stamp."""
    stamp = selectors._stamp(user)
    with capture_on_commit(execute=False) as callbacks:
        change()
    assert _kept_stamp(user) == stamp, "nothing written to the cache before the commit"
    assert len(_renewals(callbacks)) == 1, "one renewal after the commit"
    before_commit = selectors._stamp(user)  # a read in the same transaction: sees the change
    assert before_commit != stamp and before_commit.startswith(stamp)
    assert selectors._stamp(user) == before_commit, "kept pages within the transaction, until a change"
    assert _kept_stamp(user) == stamp, "a read before the commit writes no shared stamp"
    for callback in callbacks:
        callback()
    assert _kept_stamp(user) not in (None, stamp)


def test_the_stamp_is_renewed_after_the_commit_and_a_read_before_it_has_its_own(
    w: World, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.WORKLIST_CACHE_SECONDS = 60
    assert_stamp_renewed_after_commit_and_for_reads_before(
        w.counter, lambda: w.submit(when="2026-11-02 09:00"), django_capture_on_commit_callbacks
    )


def test_saves_share_a_renewal_until_a_page_is_read_and_a_rollback_takes_its_own_away(
    w: World, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.WORKLIST_CACHE_SECONDS = 60
    stamp = selectors._stamp(w.counter)
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        d = w.submit(when="2026-11-02 09:00")
        d.summary = "Sửa tóm tắt / summary edited"
        d.save(update_fields=["summary"])
    assert len(_renewals(callbacks)) == 1, "two saves, one renewal"
    read = selectors._stamp(w.counter)
    assert read != stamp

    # A save after a read: a renewal of its own, and the next read a stamp it has not kept pages under.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        d.summary = "Sửa lần nữa / edited again"
        d.save(update_fields=["summary"])
    assert len(_renewals(callbacks)) == 1
    after = selectors._stamp(w.counter)
    assert after not in (stamp, read)

    # Rolled back: its renewal goes with it, and reads after it are back to the stamp before.
    pending = len(selectors._pending_renewals())
    try:
        with transaction.atomic():
            w.submit(when="2026-11-02 09:10")
            assert len(selectors._pending_renewals()) == pending + 1, "registered"
            assert selectors._stamp(w.counter) != after
            raise RuntimeError("undone")
    except RuntimeError:
        pass
    assert len(selectors._pending_renewals()) == pending, "gone with the rollback"
    assert selectors._stamp(w.counter) == after
    assert _kept_stamp(w.counter) == stamp, "no shared stamp written before a commit"


@pytest.mark.django_db(transaction=True)
def test_through_real_commits_a_change_shows_at_once_and_a_rolled_back_one_never(
    flushable_audit_log: None, reference_data: None, settings: Any
) -> None:
    settings.WORKLIST_CACHE_SECONDS = 60
    cw = world()
    c, h = Client(), bearer(cw.counter)
    assert c.get(NEW, headers=h).json()["counts"]["new"] == 0
    cw.submit(when="2026-11-02 09:00")  # committed: the renewal ran after it
    assert c.get(NEW, headers=h).json()["counts"]["new"] == 1
    stamp = _kept_stamp(cw.counter)
    try:
        with transaction.atomic():
            cw.submit(when="2026-11-02 09:10")
            assert c.get(NEW, headers=h).json()["counts"]["new"] == 2, "the transaction sees its change"
            raise RuntimeError("undone")
    except RuntimeError:
        pass
    # The page kept inside the transaction is under a stamp no one else uses; the shared one is unchanged.
    assert _kept_stamp(cw.counter) == stamp
    assert c.get(NEW, headers=h).json()["counts"]["new"] == 1


def test_with_no_keeping_every_page_reads_the_dossiers(w: World, settings: Any) -> None:
    settings.WORKLIST_CACHE_SECONDS = 0
    c, h = Client(), bearer(w.counter)
    c.get(NEW, headers=h)
    with CaptureQueriesContext(connection) as queries:
        c.get(NEW, headers=h)
    assert _dossier_reads(queries)


def test_the_worklist_and_the_dossiers_work_when_the_cache_does_not_answer(
    w: World, settings: Any, redis_down: dict[str, Any]
) -> None:
    settings.WORKLIST_CACHE_SECONDS = 60
    c, h = Client(), bearer(w.counter)
    w.submit(when="2026-11-02 09:00")  # the stamps cannot be renewed: the save goes through all the same
    assert c.get(NEW, headers=h).json()["counts"]["new"] == 1
    w.submit(when="2026-11-02 09:10")
    assert c.get(NEW, headers=h).json()["counts"]["new"] == 2  # read every time


def test_page_numbers_past_the_kept_ones_are_read_every_time(w: World, settings: Any) -> None:
    settings.WORKLIST_CACHE_SECONDS = 60
    c, h = Client(), bearer(w.counter)
    w.submit(when="2026-11-02 09:00")
    far = f"{NEW}&page={selectors.MAX_KEPT_PAGE + 1}&page_size=500"
    first = c.get(far, headers=h).json()
    assert first["page"] == 1 and first["page_size"] == selectors.MAX_PAGE_SIZE
    with CaptureQueriesContext(connection) as queries:
        assert c.get(far, headers=h).json() == first
    assert _dossier_reads(queries)


def test_a_cache_that_fails_the_renewal_fails_nothing_after_it(
    w: World,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The renewal is registered `robust`: a cache that is down is logged, and the callbacks registered after
    it in the same transaction (the payments' hooks) still run; the dossier is saved."""
    settings.WORKLIST_CACHE_SECONDS = 60

    def down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(selectors, "kept_set_many", down)
    ran: list[str] = []
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        d = w.submit(when="2026-11-02 09:00")
        transaction.on_commit(lambda: ran.append("after"))
    assert ran == ["after"]
    assert any("_Renewal" in r.getMessage() and r.exc_info for r in caplog.records)
    assert selectors.Dossier.objects.filter(pk=d.pk).exists()
