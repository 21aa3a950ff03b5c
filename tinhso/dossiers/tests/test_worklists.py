"""Worklists: the counts agree with the lists, for every list and role, on dossiers at every stage."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tinhso.dossiers import selectors
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier
from tinhso.dossiers.tests.factories import World, at

pytestmark = pytest.mark.django_db


def test_every_count_equals_the_length_of_its_list_for_every_role(w: World) -> None:
    # Received on different days so that some are overdue, some due soon, some later; at every stage.
    for when in ("2026-03-02 09:00", "2026-03-09 09:00", "2026-03-10 09:00", "2026-03-12 14:00"):
        w.received(when=when)
    w.submit(when="2026-03-12 15:00")
    tr.hand_over(w.received(when="2026-03-03 09:00"), actor=w.counter, to=w.head, at=at("2026-03-03 10:00"))
    d2 = w.received(when="2026-03-04 09:00")
    d2 = tr.hand_over(d2, actor=w.counter, to=w.head, at=at("2026-03-04 10:00"))
    d2 = tr.assign(d2, actor=w.head, assignee=w.specialist, at=at("2026-03-04 10:30"))
    d2 = tr.hand_over(d2, actor=w.specialist, to=w.leader, at=at("2026-03-05 10:30"))
    d3 = w.received(when="2026-03-05 09:00")
    d3 = tr.hand_over(d3, actor=w.counter, to=w.specialist, at=at("2026-03-05 10:00"))
    d3 = tr.hand_over(d3, actor=w.specialist, to=w.leader, at=at("2026-03-05 11:00"))
    tr.approve(d3, actor=w.leader, at=at("2026-03-05 14:00"))
    tr.request_supplement(
        w.received(when="2026-03-06 09:00"),
        actor=w.counter,
        items=[tr.MissingItem("CT01", "Thiếu")],
        at=at("2026-03-06 10:00"),
    )
    tr.pause_for_payment(
        w.received(when="2026-03-06 09:30"), actor=w.counter, reason="Lệ phí", at=at("2026-03-06 11:00")
    )
    now = at("2026-03-12 16:00")  # Thursday: due soon runs to the end of Friday 13
    for user in (w.counter, w.head, w.specialist, w.leader, w.other_counter):
        counts = selectors.worklist_counts(user, now=now)
        lengths = {key: selectors.worklist(user, key, now=now).count() for key in selectors.WORKLIST_KEYS}
        assert counts == lengths, user
    counter = selectors.worklist_counts(w.counter, now=now)
    assert counter["new"] == 1 and counter["to_return"] == 1 and counter["supplement"] == 1
    assert counter["paused"] == 1 and counter["overdue"] >= 1 and counter["due_soon"] >= 1
    assert selectors.worklist_counts(w.head, now=now)["to_assign"] == 1
    assert selectors.worklist_counts(w.leader, now=now)["to_approve"] == 1
    assert sum(selectors.worklist_counts(w.other_counter, now=now).values()) == 0


RELATED = ("agency", "procedure", "procedure_version", "holder", "current_step", "received_by")


def _fields(obj: Any) -> dict[str, Any] | None:
    return (
        None if obj is None else {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}
    )


@pytest.mark.parametrize("received", [True, False], ids=["received", "submitted: no holder, step, receiver"])
def test_the_permission_checked_loader_reads_the_dossier_and_what_pages_show_of_it_in_one_statement(
    w: World, received: bool
) -> None:
    d = w.received(when="2026-03-02 09:00") if received else w.submit(when="2026-03-02 09:00")
    with CaptureQueriesContext(connection) as queries:
        loaded = selectors.dossier_get_for_user(w.counter, d.code)
    # The dossier with its relations in one statement; the visibility check is the other.
    assert len(queries.captured_queries) == 2
    assert loaded._state.adding is False and loaded._state.db == "default"
    orm = Dossier.objects.select_related(*RELATED, "agency__parent", "agency__commune").get(pk=d.pk)
    with CaptureQueriesContext(connection) as queries:
        got = {name: _fields(getattr(loaded, name)) for name in RELATED}
        got_agency = (_fields(loaded.agency.parent), _fields(loaded.agency.commune))
    assert not queries.captured_queries, "the relations came with the dossier"
    assert got == {name: _fields(getattr(orm, name)) for name in RELATED}
    assert got_agency == (_fields(orm.agency.parent), _fields(orm.agency.commune))
    assert (got["received_by"] is None, got["current_step"] is None) == (not received, not received)
    assert _fields(loaded) == _fields(orm)
    with pytest.raises(selectors.DossierNotFound):
        selectors.dossier_get_for_user(w.counter, d.code + "9")
    with pytest.raises(selectors.DossierNotFound):
        selectors.dossier_get_for_user(w.counter, d.code + "\x00")
    with pytest.raises(PermissionDenied):
        selectors.dossier_get_for_user(w.other_counter, d.code)


def test_form_rows_flatten_the_e_form_for_a_page() -> None:
    from tinhso.dossiers.selectors import FORM_FIELD_MAX, FORM_ROWS_MAX, FORM_VALUE_MAX, form_rows

    assert form_rows({"a": {"b": 1, "c": [1, 2, "", None]}, "d": False, "e": None, "f": {}, "g": []}) == [
        ("a › b", "1"),
        ("a › c", "1, 2"),
        ("d", "Không"),
    ]
    assert form_rows({"x": [{"y": "z"}, ["p", "q"]]}) == [("x › 1 › y", "z"), ("x › 2", "p, q")]
    assert form_rows("loose text") == [("—", "loose text")] and form_rows({}) == []
    long = form_rows({"k": "x" * 5000})[0][1]
    assert len(long) == FORM_VALUE_MAX and long.endswith("…")
    assert len(form_rows({str(i): i for i in range(FORM_ROWS_MAX + 50)})) == FORM_ROWS_MAX
    # A long field name is cut as a value is: rows repeat their parents' names.
    nested = form_rows({"k" * 100_000: {str(i): i for i in range(300)}})
    assert len(nested) == FORM_ROWS_MAX and all(len(f) == FORM_FIELD_MAX for f, _ in nested)
    assert form_rows([True, {"a": [False, ""]}]) == [("1", "Có"), ("2 › a", "Không")]
