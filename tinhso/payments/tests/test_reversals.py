"""The bank takes a credit back (*hoàn trả*): a camt.053 DBIT entry with RvslInd, or a feed's "reversal".
The payment stops counting (the request is due again, its receipt says so), the officials' queue tells
them; a credit never applied or owed back closes its queue item; a reversal whose credit cannot be found
goes to the queue; the same reversal twice changes nothing."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from pypdf import PdfReader

from tinhso.core.audit import audit_verify
from tinhso.core.models import AuditEntry
from tinhso.payments import reconciliation as rec
from tinhso.payments.models import (
    BankTransaction,
    IssueKind,
    PaymentMatch,
    ReconciliationIssue,
    RequestStatus,
    TransactionKind,
)
from tinhso.payments.receipts import render_receipt
from tinhso.payments.tests.factories import ACCOUNT, SECRET, Money, at, csv_statement


@dataclass(frozen=True)
class Entry:
    ref: str  # the entry's own AcctSvcrRef
    amount: int
    text: str = ""
    end_to_end: str = "NOTPROVIDED"
    reversal: bool = False
    reason: str = ""
    booked: str = "2026-03-02"


def camt(*entries: Entry) -> bytes:
    ntry = []
    for e in entries:
        indicator = "DBIT" if e.reversal else "CRDT"
        rvsl = "<RvslInd>true</RvslInd>" if e.reversal else ""
        rtr = f"<RtrInf><Rsn><Cd>{e.reason}</Cd></Rsn></RtrInf>" if e.reason else ""
        ntry.append(
            f"""<Ntry><Amt Ccy="VND">{e.amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>{rvsl}<Sts>BOOK</Sts>
      <BookgDt><Dt>{e.booked}</Dt></BookgDt><AcctSvcrRef>E-{e.ref}</AcctSvcrRef>
      <NtryDtls><TxDtls><Refs><AcctSvcrRef>{e.ref}</AcctSvcrRef><EndToEndId>{e.end_to_end}</EndToEndId></Refs>
      <RmtInf><Ustrd>{e.text}</Ustrd></RmtInf>{rtr}</TxDtls></NtryDtls></Ntry>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt><GrpHdr><MsgId>S</MsgId><CreDtTm>2026-03-04T06:00:00</CreDtTm></GrpHdr>
    <Stmt><Id>1</Id><Acct><Id><Othr><Id>{ACCOUNT}</Id></Othr></Id><Ccy>VND</Ccy></Acct>{"".join(ntry)}</Stmt>
  </BkToCstmrStmt>
</Document>""".encode()


def _push(reference: str, **kw: Any) -> rec.WebhookResult:
    """The bank's feed pushes a credit of 20.000 đ (transaction VTB-1) naming `reference`, or what `kw` says
    instead (a reversal)."""
    payload = {
        "transaction_id": "VTB-1",
        "account_number": ACCOUNT,
        "amount": 20000,
        "booked_at": "2026-03-02T10:15:00+07:00",
        "description": reference,
        **kw,
    }
    body = json.dumps(payload).encode()
    return rec.webhook_receive(feed_code="vietinbank", body=body, signature=rec.sign(SECRET, body))


def _import(m: Money, data: bytes) -> rec.ImportResult:
    return rec.statement_import(account=m.account, data=data, actor=m.counter, at=at("2026-03-04 08:00"))


def test_a_reversed_payment_no_longer_counts_and_the_queue_says_so(m: Money) -> None:
    r = m.request(20_000)
    _import(m, camt(Entry("FT100", 20_000, f"Le phi {r.reference}", end_to_end="E2E-7781")))
    r.refresh_from_db()
    assert r.status == RequestStatus.PAID
    result = _import(
        m, camt(Entry("RV200", 20_000, "HOAN TRA", end_to_end="E2E-7781", reversal=True, reason="AC04"))
    )
    r.refresh_from_db()
    assert (r.status, r.paid_vnd, r.settled_at, r.outstanding_vnd) == (RequestStatus.OPEN, 0, None, 20_000)
    reversal = BankTransaction.objects.get(transaction_id="RV200")
    original = BankTransaction.objects.get(transaction_id="FT100")
    assert (reversal.kind, reversal.reverses, original.end_to_end_id) == (
        TransactionKind.REVERSAL,
        original,
        "E2E-7781",
    )
    match = PaymentMatch.objects.get(transaction=original)
    assert match.reversed_at == at("2026-03-04 08:00")
    (issue,) = result.issues
    assert (issue.kind, issue.request, issue.amount_vnd, issue.agency) == (
        IssueKind.REVERSAL,
        r,
        20_000,
        m.ward,
    )
    assert (
        "FT100" in issue.detail
        and "AC04" in issue.detail
        and f"kiểm tra hồ sơ {r.subject_key}" in issue.detail
    )
    entry = AuditEntry.objects.get(event="payment_request.reversed", target_id=r.reference)
    assert entry.old == {"status": "paid"} and entry.new is not None and entry.new["paid_vnd"] == 0
    # Its receipt is still drawn, and says it no longer holds.
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(render_receipt(match))).pages).split()
    )
    assert "Ngân hàng đã thu hồi giao dịch" in text and "không còn giá trị" in text
    # The VietQR asks for the fee again; a new transfer pays it.
    _import(m, camt(Entry("FT300", 20_000, f"nop lai {r.reference}")))
    r.refresh_from_db()
    assert (r.status, r.paid_vnd) == (RequestStatus.PAID, 20_000)
    assert audit_verify().ok


def test_the_same_reversal_in_an_overlapping_statement_changes_nothing(m: Money) -> None:
    r = m.request(20_000)
    _import(m, camt(Entry("FT100", 20_000, r.reference, end_to_end="E2E-1")))
    reversal = Entry("RV200", 20_000, end_to_end="E2E-1", reversal=True)
    _import(m, camt(reversal))
    again = _import(m, camt(reversal, Entry("FT101", 5_000, "khong ma")))
    assert (again.added, again.already_known) == (1, 1)
    r.refresh_from_db()
    assert (r.status, r.paid_vnd) == (RequestStatus.OPEN, 0)
    assert ReconciliationIssue.objects.filter(kind=IssueKind.REVERSAL).count() == 1


def test_without_an_end_to_end_id_the_reference_and_amount_find_the_credit(m: Money) -> None:
    a, b = m.request(50_000), m.request(20_000, subject="000.00.30.H60-260302-0002")
    _import(
        m,
        camt(
            Entry("FT1", 20_000, a.reference),
            Entry("FT2", 30_000, a.reference),
            Entry("FT3", 20_000, b.reference),
        ),
    )
    a.refresh_from_db()
    assert (a.status, a.paid_vnd) == (RequestStatus.PAID, 50_000)
    _import(m, camt(Entry("RV9", 30_000, f"HOAN TRA {a.reference}", reversal=True)))
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, a.paid_vnd) == (RequestStatus.PARTLY_PAID, 20_000)
    assert (b.status, b.paid_vnd) == (RequestStatus.PAID, 20_000)  # same amount, another reference: untouched
    assert BankTransaction.objects.get(transaction_id="RV9").reverses == BankTransaction.objects.get(
        transaction_id="FT2"
    )


def test_a_reversal_whose_credit_cannot_be_found_goes_to_the_queue(m: Money) -> None:
    r = m.request(20_000)
    _import(m, camt(Entry("FT1", 20_000, r.reference), Entry("FT2", 20_000, r.reference)))  # paid, duplicate
    # Two credits carry the reference: which one went back is for an official to say.
    result = _import(
        m, camt(Entry("RV1", 20_000, r.reference, reversal=True), Entry("RV2", 7_000, reversal=True))
    )
    assert [(i.kind, i.request, i.agency) for i in result.issues] == [(IssueKind.REVERSAL, None, m.ward)] * 2
    assert "không xác định được giao dịch ghi có gốc" in result.issues[0].detail
    assert BankTransaction.objects.filter(kind=TransactionKind.REVERSAL, reverses__isnull=True).count() == 2
    r.refresh_from_db()
    assert (r.status, r.paid_vnd) == (RequestStatus.PAID, 20_000)


def test_an_unmatched_or_duplicate_credit_sent_back_closes_its_queue_item(m: Money) -> None:
    r = m.request(20_000)
    _import(
        m,
        camt(
            Entry("FT1", 20_000, r.reference, end_to_end="A"),
            Entry("FT2", 20_000, r.reference, end_to_end="B"),  # a duplicate: owed back
            Entry("FT3", 15_000, "chuyen nham", end_to_end="C"),  # unmatched
        ),
    )
    assert ReconciliationIssue.objects.filter(resolved_at__isnull=True).count() == 2
    result = _import(
        m,
        camt(
            Entry("RV2", 20_000, reversal=True, end_to_end="B"),
            Entry("RV3", 15_000, reversal=True, end_to_end="C"),
        ),
    )
    assert result.issues == []
    assert not ReconciliationIssue.objects.filter(resolved_at__isnull=True).exists()
    assert set(ReconciliationIssue.objects.values_list("resolution", flat=True)) == {
        "Ngân hàng đã thu hồi giao dịch này (RV2).",
        "Ngân hàng đã thu hồi giao dịch này (RV3).",
    }
    r.refresh_from_db()
    assert (r.status, r.paid_vnd) == (RequestStatus.PAID, 20_000)
    assert PaymentMatch.objects.get(transaction__transaction_id="FT2").reversed_at is not None


def test_a_plain_debit_and_a_csv_debit_row_are_still_no_payment(m: Money) -> None:
    r = m.request(20_000)
    _import(m, camt(Entry("FT1", 20_000, r.reference, end_to_end="A")))
    plain = camt(Entry("D1", 20_000, end_to_end="A", reversal=True)).replace(b"<RvslInd>true</RvslInd>", b"")
    assert _import(m, plain).rows == 0
    assert _import(m, csv_statement([("03/03/2026", "D2", "", "HOAN TRA")])).rows == 0
    r.refresh_from_db()
    assert r.status == RequestStatus.PAID


def test_a_feed_pushes_a_reversal_naming_its_credit(m: Money) -> None:
    r = m.request(20_000)

    def push(**kw: Any) -> rec.WebhookResult:
        return _push(r.reference, **kw)

    assert push().status == "recorded"
    with pytest.raises(rec.WebhookError, match="reverses"):
        push(transaction_id="VTB-R1", direction="reversal")
    # An id the bank used for the credit cannot come back as a reversal.
    with pytest.raises(rec.WebhookConflict):
        push(direction="reversal", reverses="VTB-1")
    result = push(transaction_id="VTB-R1", direction="reversal", reverses="VTB-1", reason="MD06")
    assert result.status == "recorded" and [i.kind for i in result.issues] == [IssueKind.REVERSAL]
    r.refresh_from_db()
    assert (r.status, r.paid_vnd) == (RequestStatus.OPEN, 0)
    assert push(transaction_id="VTB-R1", direction="reversal", reverses="VTB-1").status == "already_known"
    # A second reversal of the same credit takes nothing more back.
    second = push(transaction_id="VTB-R2", direction="reversal", reverses="VTB-1")
    assert second.issues[0].request is None
    r.refresh_from_db()
    assert (r.status, r.paid_vnd) == (RequestStatus.OPEN, 0)


def test_the_database_keeps_reverses_for_reversals(m: Money) -> None:
    r = m.request(20_000)
    _import(m, camt(Entry("FT1", 20_000, r.reference)))
    original = BankTransaction.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        BankTransaction.objects.create(
            bank_bin=original.bank_bin,
            transaction_id="X1",
            account=m.account,
            amount_vnd=1,
            booked_at=original.booked_at,
            source="csv",
            recorded_at=original.recorded_at,
            reverses=original,
        )


def test_a_reversed_overpayment_leaves_no_surplus_to_refund(m: Money) -> None:
    r = m.request(100_000)
    _import(
        m,
        camt(
            Entry("A", 60_000, r.reference, end_to_end="EA"),
            Entry("B", 100_000, r.reference, end_to_end="EB"),
        ),
    )
    r.refresh_from_db()
    (excess,) = ReconciliationIssue.objects.filter(kind=IssueKind.EXCESS, resolved_at__isnull=True)
    assert (r.status, r.paid_vnd, excess.amount_vnd) == (RequestStatus.PAID, 160_000, 60_000)
    receipt_b = render_receipt(PaymentMatch.objects.get(transaction__transaction_id="B"))
    result = _import(m, camt(Entry("RA", 60_000, reversal=True, end_to_end="EA")))
    r.refresh_from_db()
    excess.refresh_from_db()
    assert (r.status, r.paid_vnd) == (RequestStatus.PAID, 100_000)
    assert not excess.is_open and "RA" in excess.resolution  # nothing over any more: nothing to refund
    assert "khoản thu vẫn đủ (đã nhận 100.000 đồng)" in result.issues[0].detail
    # B's receipt, issued when A still counted, does not change.
    assert render_receipt(PaymentMatch.objects.get(transaction__transaction_id="B")) == receipt_b


def test_a_reversal_listed_before_its_credit_in_one_statement_finds_it(m: Money) -> None:
    r = m.request(20_000)
    _import(
        m,
        camt(
            Entry("RV1", 20_000, reversal=True, end_to_end="E1"),
            Entry("FT1", 20_000, r.reference, end_to_end="E1"),
        ),
    )
    r.refresh_from_db()
    assert (r.status, r.paid_vnd) == (RequestStatus.OPEN, 0)
    assert BankTransaction.objects.get(transaction_id="RV1").reverses == BankTransaction.objects.get(
        transaction_id="FT1"
    )


def test_a_credit_pushed_after_its_reversal_cancels_out(m: Money) -> None:
    r = m.request(20_000)

    def push(**kw: Any) -> rec.WebhookResult:
        return _push(r.reference, **kw)

    early = push(transaction_id="VTB-R1", direction="reversal", reverses="VTB-1")
    (item,) = early.issues
    assert item.request is None and item.is_open
    assert push().status == "recorded"
    r.refresh_from_db()
    item.refresh_from_db()
    assert (r.status, r.paid_vnd) == (RequestStatus.OPEN, 0)  # the money came and went: nothing paid
    assert not item.is_open and "bù trừ" in item.resolution
    assert BankTransaction.objects.get(transaction_id="VTB-R1").reverses == BankTransaction.objects.get(
        transaction_id="VTB-1"
    )
    assert not PaymentMatch.objects.exists()


def test_the_reversal_of_a_debit_is_no_payment(m: Money) -> None:
    r = m.request(20_000)
    entry = camt(Entry("CR1", 20_000, r.reference)).replace(b"<Sts>", b"<RvslInd>true</RvslInd><Sts>")
    assert _import(m, entry).rows == 0
    r.refresh_from_db()
    assert r.status == RequestStatus.OPEN


def test_a_date_only_reversal_finds_a_credit_booked_that_day(m: Money) -> None:
    r = m.request(20_000)
    _import(m, csv_statement([("02/03/2026 16:45", "FT1", "20.000", f"Le phi {r.reference}")]))
    _import(m, camt(Entry("RV1", 20_000, f"HOAN {r.reference}", reversal=True, booked="2026-03-02")))
    r.refresh_from_db()
    assert (r.status, r.paid_vnd) == (RequestStatus.OPEN, 0)


def test_a_duplicate_already_refunded_by_an_official_then_taken_back_is_flagged(m: Money) -> None:
    r = m.request(20_000)
    _import(
        m,
        camt(
            Entry("FT1", 20_000, r.reference, end_to_end="A"),
            Entry("FT2", 20_000, r.reference, end_to_end="B"),
        ),
    )
    (duplicate,) = ReconciliationIssue.objects.filter(kind=IssueKind.DUPLICATE)
    from tinhso.payments import services

    services.issue_resolve(duplicate, note="Đã hoàn trả cho người nộp", actor=m.counter)
    result = _import(m, camt(Entry("RV2", 20_000, reversal=True, end_to_end="B")))
    (item,) = result.issues
    assert item.kind == IssueKind.REVERSAL and "không hoàn trả hai lần" in item.detail


def test_a_second_reversal_racing_the_first_is_recorded_for_the_queue(
    m: Money, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = m.request(20_000)
    _import(m, camt(Entry("FT1", 20_000, r.reference, end_to_end="A")))
    _import(m, camt(Entry("RV1", 20_000, reversal=True, end_to_end="A")))
    original = BankTransaction.objects.get(transaction_id="FT1")
    # As if it had read the credit before the first reversal committed: the unique link refuses it.
    monkeypatch.setattr(rec, "_original_of", lambda account, credit: original)
    result = _import(m, camt(Entry("RV2", 20_000, reversal=True, end_to_end="A")))
    assert result.added == 1 and [i.request for i in result.issues] == [None]
    assert BankTransaction.objects.get(transaction_id="RV2").reverses is None
    r.refresh_from_db()
    assert (r.status, r.paid_vnd) == (RequestStatus.OPEN, 0)


def test_a_payment_the_bank_took_back_cannot_be_matched_by_hand(m: Money) -> None:
    _import(m, camt(Entry("FT1", 15_000, "chuyen nham", end_to_end="C")))
    (unmatched,) = ReconciliationIssue.objects.filter(kind=IssueKind.UNMATCHED)
    _import(m, camt(Entry("RV1", 15_000, reversal=True, end_to_end="C")))
    ReconciliationIssue.objects.filter(pk=unmatched.pk).update(resolved_at=None)  # as if read before it
    r = m.request(15_000)
    with pytest.raises(rec.PaymentConflict, match="thu hồi"):
        rec.issue_match_by_hand(unmatched, reference=r.reference, note="Bà Hằng nộp", actor=m.counter)
    r.refresh_from_db()
    assert (r.status, r.paid_vnd) == (RequestStatus.OPEN, 0)
