"""Counter reception in hand-built statements (core.rows): what it reads of the catalog once per process, what
it still reads every time, and that a new internal process or version is seen at once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tinhso.accounts.models import Role
from tinhso.core import rows
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier, DossierCodeCounter, DossierStep
from tinhso.dossiers.tests.factories import World, at
from tinhso.dossiers.tests.test_worklist_cache import assert_stamp_renewed_after_commit_and_for_reads_before
from tinhso.payments import references
from tinhso.payments import services as payments
from tinhso.payments.models import PaymentRequest
from tinhso.procedures import services as catalog
from tinhso.procedures.models import ProcedureBinding

CATALOG_TABLES = (
    "procedures_channelrule",
    "procedures_fee",
    "procedures_requiredpaper",
    "procedures_processstep",
)


def _receive(w: World, binding: ProcedureBinding, when: str = "2026-03-02 09:00") -> Dossier:
    return tr.receive_at_counter(
        binding=binding,
        applicant=tr.Applicant(name="Nguyễn Thị Hằng", phone="0912345678"),
        actor=w.counter,
        papers=[tr.PaperSpec(name="Tờ khai CT01")],
        at=at(when),
    )


def _binding(local_code: str) -> ProcedureBinding:
    (binding,) = rows.select(
        ProcedureBinding,
        {"local_code": local_code},
        related=("agency", "procedure", "procedure__current_version", "current_process"),
    )
    return binding


def test_a_binding_with_its_relations_is_read_in_one_statement_as_select_related_reads_it(w: World) -> None:
    with CaptureQueriesContext(connection) as queries:
        binding = _binding(w.residence.local_code)
        # Everything below comes from that one statement.
        agency, procedure = binding.agency, binding.procedure
        version, process = procedure.current_version, binding.current_process
    assert len(queries.captured_queries) == 1
    orm = ProcedureBinding.objects.select_related(
        "agency", "procedure", "procedure__current_version", "current_process"
    ).get(pk=w.residence.pk)
    for mine, theirs in [(binding, orm), (agency, orm.agency), (procedure, orm.procedure)]:
        for field in type(mine)._meta.concrete_fields:
            assert getattr(mine, field.attname) == getattr(theirs, field.attname), field.name
    assert version is not None and orm.procedure.current_version is not None
    assert (version.pk, version.name, version.levels) == (
        orm.procedure.current_version.pk,
        orm.procedure.current_version.name,
        orm.procedure.current_version.levels,
    )
    assert process is not None and process.pk == w.residence.current_process_id
    # A null relation reads as None, cached: no query for it later.
    ProcedureBinding.objects.filter(pk=w.birth.pk).update(current_process=None)
    with CaptureQueriesContext(connection) as queries:
        assert _binding(w.birth.local_code).current_process is None
    assert len(queries.captured_queries) == 1


def test_the_catalog_is_read_once_per_process_and_the_rest_every_time(w: World) -> None:
    binding = _binding(w.residence.local_code)
    first = _receive(w, binding)
    with CaptureQueriesContext(connection) as queries:
        second = _receive(w, _binding(w.residence.local_code), when="2026-03-02 09:05")
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in sql if any(table in s for table in CATALOG_TABLES)], sql
    # What may change between two receptions is still read: the binding (above), the decided days, the
    # unit's collection account; the counter, the dossier, its papers, steps, events, messages, fee
    # request and audit entries are written.
    assert sum("core_calendarday" in s for s in sql) == 1
    # 14: the binding; the decided days; the counter; the dossier; papers; steps; events; messages; the
    # dossier's current step; the collection account and the fee request; the audit head, entries and head
    # again (no savepoint: the checks come before the writes). On PostgreSQL the counter's statement draws
    # the dossier's and steps' keys, and the dossier, papers, steps, events and messages are one statement,
    # as are the entries and the head: 8. (The ORM took 28 before core.rows; a regression shows here.)
    assert len(sql) <= (8 if connection.vendor == "postgresql" else 14), len(sql)
    assert not [s for s in sql if "SAVEPOINT" in s.upper()], sql
    assert [s.name for s in second.steps.all()] == [s.name for s in first.steps.all()]
    assert first.code.endswith("-0001") and second.code.endswith("-0002")
    first_step = DossierStep.objects.get(dossier=second, order=1)
    assert Dossier.objects.get(pk=second.pk).current_step_id == first_step.pk


def test_a_new_internal_process_is_used_by_the_next_reception_at_once(w: World) -> None:
    _receive(w, _binding(w.residence.local_code))  # the old process is now kept
    steps = [
        catalog.StepSpec("Tiếp nhận", Role.COUNTER_OFFICER, Decimal("0.5"), "working_day"),
        catalog.StepSpec("Thẩm định hồ sơ", Role.SPECIALIST, Decimal("6"), "working_day"),
        catalog.StepSpec("Ký duyệt", Role.AGENCY_LEADER, Decimal("0.5"), "working_day"),
    ]
    catalog.internal_process_create(binding=w.residence, steps=steps, actor=None, note="Quy trình mới")
    d = _receive(w, _binding(w.residence.local_code), when="2026-03-02 10:00")
    assert [(s.name, s.budget_value) for s in d.steps.all()] == [
        ("Tiếp nhận", Decimal("0.5")),
        ("Thẩm định hồ sơ", Decimal("6")),
        ("Ký duyệt", Decimal("0.5")),
    ]
    stored = list(DossierStep.objects.filter(dossier=d).order_by("order").values_list("name", "budget_value"))
    assert stored == [(s.name, s.duration_value) for s in steps]


def test_a_clashing_payment_reference_is_drawn_again_without_a_savepoint(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = payments.payment_request_create(
        agency=w.ward, subject_key="X-1", amount_vnd=10_000, purpose="Lệ phí", payer_name="A", actor=None
    ).reference
    fresh = references.new_reference()
    drawn = iter([taken, taken, fresh])
    monkeypatch.setattr(references, "new_reference", lambda: next(drawn))
    with CaptureQueriesContext(connection) as queries:
        r = payments.payment_request_create(
            agency=w.ward, subject_key="X-2", amount_vnd=20_000, purpose="Lệ phí", payer_name="B", actor=None
        )
    assert r.reference == fresh and r.pk is not None
    assert not [q for q in queries.captured_queries if "SAVEPOINT" in q["sql"]]
    assert PaymentRequest.objects.filter(reference=taken).count() == 1
    assert PaymentRequest.objects.get(pk=r.pk).subject_key == "X-2"
    monkeypatch.setattr(references, "new_reference", lambda: taken)
    with pytest.raises(payments.PaymentError, match="unique payment reference"):
        payments.payment_request_create(
            agency=w.ward, subject_key="X-3", amount_vnd=5_000, purpose="Lệ phí", payer_name="C", actor=None
        )


def test_a_counter_reception_renews_the_worklist_stamps_as_a_save_would(
    w: World, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # The dossier is inserted by hand (core.rows): its post_save receivers are still told.
    settings.WORKLIST_CACHE_SECONDS = 60
    assert_stamp_renewed_after_commit_and_for_reads_before(
        w.counter, lambda: _receive(w, _binding(w.residence.local_code)), django_capture_on_commit_callbacks
    )


def test_a_new_version_is_pinned_by_the_next_reception_with_its_own_terms(w: World) -> None:
    first = _receive(w, _binding(w.residence.local_code))
    procedure = w.residence.procedure
    old_version = procedure.current_version
    assert old_version is not None and first.procedure_version_id == old_version.pk
    draft = catalog.version_to_parsed(old_version)
    for rule in draft.channels:  # the catalog administrator corrects the time: 7 → 5 working days
        if rule.time_value is not None:
            rule.time_value = Decimal(5)
    result = catalog.procedure_edit(parsed=draft, actor=None, note="Sửa thời hạn (kiểm thử)")
    assert result.outcome != "unchanged"
    procedure.refresh_from_db()
    assert procedure.current_version_id != old_version.pk
    second = _receive(w, _binding(w.residence.local_code), when="2026-03-02 09:05")
    assert second.procedure_version_id == procedure.current_version_id
    assert (second.legal_value, second.legal_unit) == (Decimal(5), "working_day")
    assert (first.legal_value, first.legal_unit) == (Decimal(7), "working_day")


def test_a_refusal_writes_nothing_and_leaves_the_callers_transaction_usable(w: World) -> None:
    # Reception takes no savepoint: every check comes before the first write, the day's last number too.
    binding = _binding(w.residence.local_code)
    before = Dossier.objects.count()
    with pytest.raises(tr.DossierRuleError, match="danh mục"):
        tr.receive_at_counter(
            binding=binding,
            applicant=tr.Applicant(name="Nguyễn Thị Hằng"),
            actor=w.counter,
            papers=[tr.PaperSpec(required_paper_id=10**9)],
            at=at("2026-03-02 09:00"),
        )
    day = at("2026-03-02 09:00").date()
    DossierCodeCounter.objects.create(agency=binding.agency, day=day, last=9999)
    with pytest.raises(tr.DossierRuleError, match=r"9\.999"):
        _receive(w, binding)
    assert not transaction.get_rollback()
    # Still usable (a doomed transaction would refuse these queries), and nothing was written.
    assert Dossier.objects.count() == before
    assert DossierCodeCounter.objects.get(agency=binding.agency, day=day).last == 9999
    assert _receive(w, binding, when="2026-03-03 09:00").code.endswith("-260303-0001")


def test_a_failure_among_the_writes_fails_the_callers_transaction(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    binding = _binding(w.residence.local_code)
    before = Dossier.objects.count()

    def broken(entries: Any) -> None:
        raise RuntimeError("the audit log is down")

    monkeypatch.setattr(tr, "audit_record_many", broken)
    with transaction.atomic():  # the caller's transaction (a savepoint of the test's)
        with pytest.raises(RuntimeError, match="audit"):
            _receive(w, binding)
        assert transaction.get_rollback()  # no dossier commits without its audit entries
    assert Dossier.objects.count() == before
    assert not DossierCodeCounter.objects.filter(agency=binding.agency).exists()


def test_a_used_key_is_looked_up_first_unless_the_caller_says_not_to(w: World) -> None:
    from tinhso.dossiers import services

    binding = _binding(w.residence.local_code)
    creations: list[Dossier] = []

    def create() -> Dossier:
        creations.append(_receive(w, binding))
        return creations[-1]

    first, replayed = services.dossier_create_once(
        user=w.counter, key="quay-7", fingerprint="f", create=create
    )
    assert not replayed and len(creations) == 1
    # The portal's way (the default): the key is found, nothing is created.
    again, replayed = services.dossier_create_once(
        user=w.counter, key="quay-7", fingerprint="f", create=create
    )
    assert replayed and again.pk == first.pk and len(creations) == 1
    # The API's way: created, then undone when the record's insert finds the key (the number given back).
    again, replayed = services.dossier_create_once(
        user=w.counter, key="quay-7", fingerprint="f", create=create, look_first=False
    )
    assert replayed and again.pk == first.pk and len(creations) == 2
    assert Dossier.objects.filter(agency=binding.agency).count() == 1
    assert DossierCodeCounter.objects.get(agency=binding.agency).last == 1


# --- Submission (status 1) in the same statements -----------------------------------------------------------


def _submit(w: World, binding: ProcedureBinding, when: str = "2026-03-02 09:00", **kw: Any) -> Dossier:
    return tr.submit(
        binding=binding,
        channel="online",
        applicant=tr.Applicant(name="Lò Văn Páo", phone="0912345678", email="pao@example.vn", user=w.citizen),
        actor=w.citizen,
        papers=[tr.PaperSpec(name="Tờ khai CT01"), tr.PaperSpec(name="Giấy khai sinh", quantity=2)],
        at=at(when),
        **kw,
    )


def test_a_submission_writes_its_rows_in_few_statements_and_hands_them_to_the_answer(w: World) -> None:
    from tinhso.core.models import AuditEntry
    from tinhso.dossiers.models import DossierEvent, DossierPaper
    from tinhso.notifications.models import OutboxMessage

    binding = w.residence
    _submit(w, binding)  # the catalog kept, the statements prepared
    with CaptureQueriesContext(connection) as queries:
        d = _submit(w, binding, when="2026-03-02 09:05")
    writes = [
        q["sql"] for q in queries.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")
    ]
    # PostgreSQL: the binding; the number with the dossier's key; the dossier, papers, event and messages;
    # the chain's head read, then the entry and the head written. Elsewhere the dossier first, then a
    # statement per group, and the head read, the entry and the head written apart.
    assert len(queries.captured_queries) == (5 if connection.vendor == "postgresql" else 9), writes
    stored = Dossier.objects.get(pk=d.pk)
    assert (stored.code, stored.status, stored.revision) == (d.code, "submitted", 1)
    assert stored.code.endswith("-260302-0002")
    assert stored.applicant_name_folded == "lo van pao"
    assert list(DossierPaper.objects.filter(dossier=d).values_list("order", "name", "quantity")) == [
        (0, "Tờ khai CT01", 1),
        (1, "Giấy khai sinh", 2),
    ]
    (event,) = DossierEvent.objects.filter(dossier=d)
    assert (event.seq, event.action, event.from_status, event.to_status, event.national_status) == (
        1,
        "submit",
        "",
        "submitted",
        1,
    )
    assert event.data == {"channel": "online", "on_behalf": False}
    assert sorted(
        OutboxMessage.objects.filter(topic=f"dossier:{d.code}").values_list("channel", flat=True)
    ) == [
        "email",
        "sms",
    ]
    entry = AuditEntry.objects.get(event="dossier.submit", target_id=d.code)
    assert entry.new == {"status": "submitted", "revision": 1}
    # What the answer shows comes with the dossier: no read.
    with CaptureQueriesContext(connection) as queries:
        papers = list(d.papers.all())
        assert [len(p.files.all()) for p in papers] == [0, 0]
        assert [e.action for e in d.events.all()] == ["submit"]
        assert list(d.steps.all()) == []
    assert len(queries.captured_queries) == 0
    assert all(p.pk is not None for p in papers)


def test_a_submission_without_notice_queues_no_message(w: World) -> None:
    from tinhso.notifications.models import OutboxMessage

    d = _submit(w, w.residence, notify=False)
    assert not OutboxMessage.objects.filter(topic=f"dossier:{d.code}").exists()


def test_a_refused_submission_writes_nothing_and_leaves_the_callers_transaction_usable(w: World) -> None:
    binding = w.residence
    before = Dossier.objects.count()
    with pytest.raises(tr.DossierRuleError, match="danh mục"):
        tr.submit(
            binding=binding,
            channel="online",
            applicant=tr.Applicant(name="Lò Văn Páo", user=w.citizen),
            actor=w.citizen,
            papers=[tr.PaperSpec(required_paper_id=10**9)],
            at=at("2026-03-02 09:00"),
        )
    day = at("2026-03-02 09:00").date()
    DossierCodeCounter.objects.create(agency=binding.agency, day=day, last=9999)
    with pytest.raises(tr.DossierRuleError, match=r"9\.999"):
        _submit(w, binding)
    # A binding withdrawn since the caller read it is refused (it is read again).
    ProcedureBinding.objects.filter(pk=binding.pk).update(is_active=False)
    with pytest.raises(tr.DossierRuleError, match="không còn được tiếp nhận"):
        _submit(w, binding, when="2026-03-03 09:00")
    assert not transaction.get_rollback()
    assert Dossier.objects.count() == before
    ProcedureBinding.objects.filter(pk=binding.pk).update(is_active=True)
    assert _submit(w, binding, when="2026-03-03 09:00").code.endswith("-260303-0001")


def test_a_failure_among_a_submissions_writes_fails_the_callers_transaction(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = Dossier.objects.count()

    def broken(**entry: Any) -> None:
        raise RuntimeError("the audit log is down")

    monkeypatch.setattr(tr, "audit_record", broken)
    with transaction.atomic():
        with pytest.raises(RuntimeError, match="audit"):
            _submit(w, w.residence)
        assert transaction.get_rollback()  # no dossier commits without its audit entry
    assert Dossier.objects.count() == before


def test_a_reception_writes_through_short_preparations_what_the_chain_would_write(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every value a counter reception writes by a short preparation equals the field's chain's."""
    from collections import Counter

    seen: Counter[str] = Counter()
    original = rows.preparers

    def checked(model: Any, fields: Any, conn: Any, add: bool) -> list[Any]:
        made = original(model, fields, conn, add)
        out = []
        for field, prepare in zip(fields, made, strict=True):
            if getattr(prepare, "chain", False):
                out.append(prepare)
                continue

            def both(obj: Any, connection: Any, field: Any = field, prepare: Any = prepare) -> Any:
                mine = prepare(obj, connection)
                theirs = field.get_db_prep_save(field.pre_save(obj, add), connection)
                assert type(mine) is type(theirs) and mine == theirs, (model.__name__, field.name)
                seen[type(field).__name__] += 1
                return mine

            out.append(both)
        return out

    monkeypatch.setattr(rows, "preparers", checked)
    d = tr.receive_at_counter(
        binding=w.residence,
        applicant=tr.Applicant(name="Nguyễn Thị Hằng", phone="0912345678", id_number="001090012345"),
        actor=w.counter,
        papers=[tr.PaperSpec(name="Tờ khai CT01")],
        at=at("2026-03-02 09:00"),
    )
    assert d.code
    assert {"CharField", "DateTimeField", "ForeignKey"} <= set(seen)
    assert sum(seen.values()) > 50
