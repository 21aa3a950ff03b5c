"""Fees at reception and financial obligations through the payments app: the amount from the pinned
version and channel, one request per amount due, the VietQR on Mẫu 01, and a paid (or exempted) obligation
resuming the paused dossier (DL10) through the payments hook."""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import pytest
import qr_pay
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from vietnam_qr_pay import QRPay

from tinhso.core.models import AuditEntry
from tinhso.core.tests.test_pdf import all_text, decode_qr, pdf_tools_or_skip, qr_matrices, read, segno_matrix
from tinhso.dossiers import documents, fees
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier, Status
from tinhso.dossiers.paper_forms import render_mau01
from tinhso.dossiers.tests.factories import World, at
from tinhso.dossiers.tests.test_paper_forms import receipt
from tinhso.payments import reconciliation as rec
from tinhso.payments import services as payments
from tinhso.payments.models import (
    CollectionAccount,
    IssueKind,
    PaymentRequest,
    ReconciliationIssue,
    RequestKind,
    RequestStatus,
)
from tinhso.procedures.models import ChannelRule
from tinhso.procedures.tests.catalog_fixtures import CERTIFIED_COPY, DEATH, catalog_load

BIN, ACCOUNT = "970415", "113366668888"


def _account(w: World) -> CollectionAccount:
    return CollectionAccount.objects.create(
        agency=w.ward, bank_bin=BIN, account_number=ACCOUNT, account_name="UBND PHUONG HA GIANG 2"
    )


def _statement(rows: list[tuple[str, int, str]]) -> bytes:
    lines = ["Ngày giao dịch;Mã giao dịch;Số tiền ghi có;Nội dung giao dịch"]
    lines += [f"03/03/2026;{tx};{amount};{text}" for tx, amount, text in rows]
    return "\n".join(lines).encode()


def test_the_fee_follows_the_pinned_version_and_the_channel(w: World) -> None:
    counter = w.received(when="2026-03-02 09:00")
    online = tr.receive(
        w.submit(when="2026-03-02 09:00", channel="online"), actor=w.counter, at=at("2026-03-02 09:05")
    )
    birth = w.received(when="2026-03-02 09:00", binding=w.birth)
    assert fees.fee_due(counter) == fees.FeeDue(20_000, "", "direct")  # TT 75/2022: 20.000 at the counter
    assert fees.fee_due(online) == fees.FeeDue(10_000, "", "online")  # 10.000 online
    assert fees.fee_due(birth) is None  # free
    [c] = fees.dossier_payments(counter)
    [o] = fees.dossier_payments(online)
    assert (c.amount_vnd, c.kind, c.status, c.payer_name) == (20_000, "fee", "open", "Nguyễn Thị Hằng")
    assert o.amount_vnd == 10_000 and c.reference != o.reference
    assert fees.dossier_payments(birth) == []
    assert AuditEntry.objects.filter(event="payment_request.created", target_id=c.reference).exists()


def test_a_regulated_fee_charges_nothing_and_several_amounts_charge_the_smallest_in_dong(w: World) -> None:
    procedures = catalog_load([DEATH, CERTIFIED_COPY])
    # Their catalog records state no processing time, so they cannot be received: the fee alone is asked.
    death = Dossier(procedure_version=procedures[DEATH].current_version, channel="counter")
    copy = Dossier(procedure_version=procedures[CERTIFIED_COPY].current_version, channel="postal")
    assert fees.fee_due(death) is None  # "set by the provincial council": no amount to read
    due = fees.fee_due(copy)  # 2.000 đồng per page, or 10 USD at an embassy: đồng only
    assert due is not None and due.amount_vnd == 2_000


def test_the_channel_terms_carry_each_rules_time_and_amounts_in_order(w: World) -> None:
    copy = catalog_load([CERTIFIED_COPY])[CERTIFIED_COPY].current_version_id  # 2.000 đồng, or 10 USD
    birth = w.birth.procedure.current_version_id  # free: rules without amounts
    read = {}
    for version_id in (copy, birth):
        rules = list(ChannelRule.objects.filter(version_id=version_id).order_by("order", "pk"))
        terms = fees.channel_terms(version_id)
        # One per rule, a rule without amounts included, each rule's amounts in their order.
        assert [(t.channel, t.time_value, t.time_unit, t.fee_kind) for t in terms] == [
            (r.channel, r.time_value, r.time_unit, r.fee_kind) for r in rules
        ]
        assert [[(f.amount_vnd, f.currency, f.label) for f in t.fees] for t in terms] == [
            [(f.amount_vnd, f.currency, f.label) for f in r.fees.order_by("order", "pk")] for r in rules
        ]
        read[version_id] = terms
    assert [[f.currency for f in t.fees] for t in read[copy]] == [["VND"], ["USD"]]
    assert read[birth] and all(t.fees == () for t in read[birth])


def _counter_reception(w: World) -> Dossier:
    """A paper dossier of the residence procedure received at the ward's counter (fee 20,000 đồng)."""
    return tr.receive_at_counter(
        binding=w.residence,
        applicant=tr.Applicant(name="Nguyễn Thị Hằng", phone="0912345678"),
        actor=w.counter,
        papers=[tr.PaperSpec(name="Tờ khai CT01")],
        at=at("2026-03-02 09:00"),
    )


def test_reception_reads_the_versions_channel_rules_once_for_its_due_time_and_its_fee(w: World) -> None:
    with CaptureQueriesContext(connection) as queries:
        d = _counter_reception(w)
    assert sum("procedures_channelrule" in q["sql"] for q in queries.captured_queries) == 1
    assert (d.legal_value, d.legal_unit) == tr.legal_time_for(d)  # as read on its own
    [r] = fees.dossier_payments(d)
    assert r.amount_vnd == 20_000


def test_counter_reception_opens_the_fee_request_in_the_same_transaction(w: World) -> None:
    d = _counter_reception(w)
    [r] = fees.dossier_payments(d)
    assert (r.subject_key, r.amount_vnd, r.agency) == (d.code, 20_000, w.ward)


def test_the_receipt_mau01_shows_the_vietqr_of_the_fee_due(w: World) -> None:
    _account(w)
    d = w.received(when="2026-03-02 09:00")
    shown = fees.receipt_payment(d)
    assert shown is not None and shown.fees == "20.000 đồng"
    payload, reference = shown.payment_qr, shown.payment_reference
    [r] = fees.dossier_payments(d)
    assert reference == r.reference and shown.payment_amount_vnd == 20_000
    fields = qr_pay.decode(payload)
    assert (fields["bin_id"], fields["consumer_id"], fields["transaction_amount"]) == (BIN, ACCOUNT, "20000")
    assert fields["purpose_of_transaction"] == r.reference
    # As documents._receipt would pass it: the ReceiptPayment's fields are ReceiptData's.
    pdf = render_mau01(receipt(**dataclasses.asdict(shown)))
    reader = read(pdf)
    assert len(reader.pages) == 1
    assert segno_matrix(payload, border=2) in qr_matrices(reader.pages[0])
    text = all_text(pdf)
    assert "7. Phí, lệ phí: 20.000 đồng" in text
    assert "Nộp phí, lệ phí bằng VietQR — số tiền: 20.000 đồng" in text and reference in text
    # The dossier's own Mẫu 01 (documents.render_form: signed, the signature block on a page of its own).
    issued = documents.render_form(d, "01")
    assert segno_matrix(payload, border=2) in qr_matrices(read(issued).pages[0])
    assert reference in all_text(issued)
    # Once paid, nothing is shown any more.
    assert r.account is not None
    rec.statement_import(account=r.account, data=_statement([("FT1", 20_000, r.reference)]), actor=w.counter)
    assert fees.receipt_payment(d) == fees.ReceiptPayment(fees="20.000 đồng (đã nộp)")
    assert fees.receipt_payment(w.received(when="2026-03-02 09:00", binding=w.birth)) is None  # free


def test_the_printed_payment_qr_scans_as_the_payload_and_both_decoders_read_it(w: World) -> None:
    pdf_tools_or_skip()
    _account(w)
    d = w.received(when="2026-03-02 09:00")
    shown = fees.receipt_payment(d)
    assert shown is not None
    payload, reference = shown.payment_qr, shown.payment_reference
    pdf = render_mau01(receipt(payment_qr=payload, payment_reference=reference, payment_amount_vnd=20_000))
    scanned = decode_qr(pdf)
    assert payload in scanned
    assert QRPay(payload).is_valid and qr_pay.parse(payload)


def test_a_payment_qr_without_its_reference_is_refused_by_the_form() -> None:
    with pytest.raises(ValueError, match="reference"):
        receipt(payment_qr="000201", payment_reference="", payment_amount_vnd=1)


def _paused(w: World, amount: int) -> Dossier:
    d = w.received(when="2026-03-02 09:00")
    return tr.pause_for_payment(
        d,
        actor=w.counter,
        reason="Lệ phí trước bạ theo thông báo của cơ quan thuế",
        amount_vnd=amount,
        at=at("2026-03-03 09:00"),
    )


def test_a_paid_obligation_resumes_the_paused_dossier_with_the_paused_time_added(
    w: World, django_capture_on_commit_callbacks: Any
) -> None:
    account = _account(w)
    d = _paused(w, 500_000)
    due_before = Dossier.objects.get(pk=d.pk).due_at
    obligation = PaymentRequest.objects.get(subject_key=d.code, kind=RequestKind.OBLIGATION)
    assert obligation.amount_vnd == 500_000 and obligation.account == account
    fee = PaymentRequest.objects.get(subject_key=d.code, kind=RequestKind.FEE)
    # The reception fee paid while paused moves nothing: it did not pause the dossier.
    with django_capture_on_commit_callbacks(execute=True):
        rec.statement_import(
            account=account, data=_statement([("FT1", 20_000, fee.reference)]), actor=w.counter
        )
    assert Dossier.objects.get(pk=d.pk).status == Status.PAUSED
    # Half the obligation: still paused.
    with django_capture_on_commit_callbacks(execute=True):
        rec.statement_import(
            account=account,
            data=_statement([("FT2", 200_000, f"nop thue {obligation.reference}")]),
            actor=w.counter,
        )
    assert Dossier.objects.get(pk=d.pk).status == Status.PAUSED
    with django_capture_on_commit_callbacks(execute=True):
        rec.statement_import(
            account=account,
            data=_statement([("FT3", 300_000, f"{obligation.reference} con lai")]),
            actor=w.counter,
        )
    d.refresh_from_db()
    assert d.status == Status.RECEIVED and d.paused_at is None
    assert d.due_at is not None and due_before is not None and d.due_at > due_before  # DL10
    event = d.events.order_by("-seq").first()
    assert event is not None and event.action == "resume_after_payment" and event.actor is None


def test_an_exempted_obligation_resumes_the_dossier(
    w: World, django_capture_on_commit_callbacks: Any
) -> None:
    d = _paused(w, 100_000)
    obligation = PaymentRequest.objects.get(subject_key=d.code, kind=RequestKind.OBLIGATION)
    with django_capture_on_commit_callbacks(execute=True):
        fees.fee_exempt(d, obligation, ground="Điều 9 Nghị định 10/2022/NĐ-CP", actor=w.counter)
    d.refresh_from_db()
    assert d.status == Status.RECEIVED
    assert PaymentRequest.objects.get(pk=obligation.pk).status == RequestStatus.EXEMPT


def test_an_obligation_paid_in_cash_at_the_counter_resumes_the_dossier(
    w: World, django_capture_on_commit_callbacks: Any
) -> None:
    d = _paused(w, 100_000)
    obligation = PaymentRequest.objects.get(subject_key=d.code, kind=RequestKind.OBLIGATION)
    with django_capture_on_commit_callbacks(execute=True):
        fees.fee_cash(d, obligation, amount_vnd=60_000, expected_paid_vnd=0, actor=w.counter)
    assert Dossier.objects.get(pk=d.pk).status == Status.PAUSED  # part of it: still paused
    other = w.received(when="2026-03-02 10:00")
    with pytest.raises(payments.PaymentError, match="không thuộc hồ sơ này"):
        fees.fee_cash(other, obligation, amount_vnd=40_000, expected_paid_vnd=60_000, actor=w.counter)
    with django_capture_on_commit_callbacks(execute=True):
        fees.fee_cash(d, obligation, amount_vnd=40_000, expected_paid_vnd=60_000, actor=w.counter)
    d.refresh_from_db()
    assert d.status == Status.RECEIVED
    event = d.events.order_by("-seq").first()
    assert event is not None and event.action == "resume_after_payment"


def test_a_dossier_resumed_by_hand_cancels_its_obligation_and_late_money_is_queued(
    w: World, django_capture_on_commit_callbacks: Any
) -> None:
    account = _account(w)
    d = _paused(w, 50_000)
    obligation = PaymentRequest.objects.get(subject_key=d.code, kind=RequestKind.OBLIGATION)
    assert payments.payment_request_qr(obligation)
    tr.resume_after_payment(d, actor=w.counter, at=at("2026-03-04 09:00"))
    obligation.refresh_from_db()
    assert obligation.status == RequestStatus.CANCELLED and obligation.closed_by == w.counter
    assert obligation.closed_reason == "Tiếp tục xử lý theo quyết định của cán bộ"
    assert payments.payment_request_qr(obligation) == ""  # the QR stops asking for money
    entry = AuditEntry.objects.get(event="payment_request.cancelled", target_id=obligation.reference)
    assert entry.actor_id == w.counter.pk
    # The reception fee is not the pause's: still due.
    fee = PaymentRequest.objects.get(subject_key=d.code, kind=RequestKind.FEE)
    assert fee.status == RequestStatus.OPEN
    revision = Dossier.objects.get(pk=d.pk).revision
    with django_capture_on_commit_callbacks(execute=True):
        rec.statement_import(
            account=account, data=_statement([("FT9", 50_000, obligation.reference)]), actor=None
        )
    assert ReconciliationIssue.objects.get().kind == IssueKind.UNMATCHED  # to refund
    assert Dossier.objects.get(pk=d.pk).revision == revision


def test_a_specialist_resuming_by_hand_cancels_the_obligation_too(w: World) -> None:
    d = _paused(w, 50_000)
    tr.resume_after_payment(d, actor=w.specialist, at=at("2026-03-04 09:00"))
    obligation = PaymentRequest.objects.get(subject_key=d.code, kind=RequestKind.OBLIGATION)
    assert obligation.status == RequestStatus.CANCELLED and obligation.closed_by == w.specialist


def test_paying_an_obligation_of_an_earlier_pause_does_not_resume_the_current_one(
    w: World, django_capture_on_commit_callbacks: Any
) -> None:
    account = _account(w)
    d = w.received(when="2026-03-02 09:00")
    # An obligation opened before the current pause (an earlier one, left open).
    earlier = fees.obligation_request(
        d, amount_vnd=40_000, reason="Nghĩa vụ trước", actor=w.counter, at=at("2026-03-02 10:00")
    )
    assert earlier is not None
    # Paused for a tax paid to another authority: no request, the official resumes by hand.
    d = tr.pause_for_payment(
        d, actor=w.counter, reason="Thuế nộp tại Chi cục Thuế", amount_vnd=0, at=at("2026-03-03 09:00")
    )
    with django_capture_on_commit_callbacks(execute=True):
        rec.statement_import(
            account=account, data=_statement([("FT5", 40_000, earlier.reference)]), actor=None
        )
    assert PaymentRequest.objects.get(pk=earlier.pk).status == RequestStatus.PAID
    assert Dossier.objects.get(pk=d.pk).status == Status.PAUSED


def test_resume_paid_dossiers_command_catches_up(w: World) -> None:
    account = _account(w)
    d = _paused(w, 80_000)
    obligation = PaymentRequest.objects.get(subject_key=d.code, kind=RequestKind.OBLIGATION)
    rec.statement_import(
        account=account, data=_statement([("FT8", 80_000, obligation.reference)]), actor=None
    )
    out = io.StringIO()
    call_command("resume_paid_dossiers", stdout=out)
    assert d.code in out.getvalue()
    assert Dossier.objects.get(pk=d.pk).status == Status.RECEIVED
    out = io.StringIO()
    call_command("resume_paid_dossiers", stdout=out)
    assert d.code not in out.getvalue()


def test_an_obligation_without_an_amount_opens_no_request(w: World) -> None:
    d = _paused(w, 0)
    assert [r.kind for r in fees.dossier_payments(d)] == ["fee"]


def test_the_hook_is_registered_at_start_up() -> None:
    from tinhso.payments.hooks import registered

    assert fees.dossier_payment_settled in registered()


def test_only_the_dossiers_requests_are_exempted_through_it(w: World) -> None:
    d1 = w.received(when="2026-03-02 09:00")
    d2 = w.received(when="2026-03-02 09:00")
    [r2] = fees.dossier_payments(d2)
    with pytest.raises(payments.PaymentError):
        fees.fee_exempt(d1, r2, ground="x", actor=w.counter)


def test_a_lost_hook_is_caught_up(w: World) -> None:
    # The payment commits, but its on-commit hook never runs (no capture here: the process "stopped").
    account = _account(w)
    d = _paused(w, 80_000)
    other = _paused(w, 30_000)  # still due: stays paused
    obligation = PaymentRequest.objects.get(subject_key=d.code, kind=RequestKind.OBLIGATION)
    rec.statement_import(
        account=account, data=_statement([("FT7", 80_000, obligation.reference)]), actor=None
    )
    assert Dossier.objects.get(pk=d.pk).status == Status.PAUSED
    assert fees.resume_settled_paused() == [d.code]
    assert Dossier.objects.get(pk=d.pk).status == Status.RECEIVED
    assert Dossier.objects.get(pk=other.pk).status == Status.PAUSED
    assert fees.resume_settled_paused() == []
