"""Cash taken at the counter (*thu tiền mặt tại quầy*, services.payment_cash_record): at most what is due,
by an official of the collecting agency in a fee role, refused when the request changed since the page was
shown (a second click), audited, with the same e-receipt as a transfer; a partial transfer's shortfall in
the queue is closed by the cash that makes it up."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from pypdf import PdfReader

from tinhso.core.audit import audit_verify
from tinhso.core.models import AuditEntry
from tinhso.payments import hooks, services
from tinhso.payments import reconciliation as rec
from tinhso.payments.models import (
    CollectionAccount,
    IssueKind,
    PaymentMatch,
    PaymentMethod,
    ReconciliationIssue,
    RequestStatus,
)
from tinhso.payments.receipts import render_receipt
from tinhso.payments.references import grouped
from tinhso.payments.tests.factories import Money, at, csv_statement


def test_cash_in_full_pays_the_request_tells_the_hooks_and_is_audited(
    m: Money, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    CollectionAccount.objects.all().delete()  # a unit without an account: the counter is the only way
    r = m.request(20_000)
    assert r.account is None and services.payment_request_qr(r) == ""
    told: list[hooks.Settled] = []
    monkeypatch.setattr(hooks, "_callbacks", [told.append])
    with django_capture_on_commit_callbacks(execute=True):
        match = services.payment_cash_record(
            r, amount_vnd=20_000, expected_paid_vnd=0, actor=m.counter, at=at("2026-03-02 09:40")
        )
    r.refresh_from_db()
    assert (r.status, r.paid_vnd, r.outstanding_vnd) == (RequestStatus.PAID, 20_000, 0)
    assert r.settled_at == at("2026-03-02 09:40")
    assert (match.method, match.transaction, match.matched_by, match.duplicate) == (
        PaymentMethod.CASH,
        None,
        m.counter,
        False,
    )
    assert [(s.reference, s.status) for s in told] == [(r.reference, "paid")]
    # The event a transfer's payment records, with its method.
    entry = AuditEntry.objects.get(event="payment_request.paid", target_id=r.reference)
    assert entry.actor_id == m.counter.pk and entry.agency_code == m.ward.code
    assert entry.old == {"status": "open", "paid_vnd": 0}
    assert entry.new == {
        "status": "paid",
        "paid_vnd": 20_000,
        "method": "cash",
        "amount_vnd": 20_000,
        "match": match.pk,
    }
    assert audit_verify().ok


def test_part_in_cash_then_the_rest_by_transfer(m: Money) -> None:
    r = m.request(50_000)
    services.payment_cash_record(r, amount_vnd=20_000, expected_paid_vnd=0, actor=m.counter)
    r.refresh_from_db()
    assert (r.status, r.paid_vnd, r.outstanding_vnd) == (RequestStatus.PARTLY_PAID, 20_000, 30_000)
    # The VietQR now asks for what is left.
    assert "30000" in services.payment_request_qr(r)
    rec.statement_import(
        account=m.account,
        data=csv_statement([("02/03/2026 10:15", "FT9", "30.000", f"con lai {r.reference}")]),
        actor=m.counter,
    )
    r.refresh_from_db()
    assert (r.status, r.paid_vnd) == (RequestStatus.PAID, 50_000)
    assert not ReconciliationIssue.objects.exists()
    assert sorted(PaymentMatch.objects.filter(request=r).values_list("method", "amount_vnd")) == [
        ("cash", 20_000),
        ("transfer", 30_000),
    ]


def test_cash_that_makes_up_a_partial_transfer_closes_its_shortfall_in_the_queue(m: Money) -> None:
    r = m.request(50_000)
    rec.statement_import(
        account=m.account,
        data=csv_statement([("02/03/2026 10:15", "FT1", "20.000", r.reference)]),
        actor=m.counter,
    )
    (shortfall,) = ReconciliationIssue.objects.filter(kind=IssueKind.PARTIAL)
    assert shortfall.is_open and shortfall.amount_vnd == 30_000
    # Part of the rest in cash: still short, by what is left.
    services.payment_cash_record(r, amount_vnd=5_000, expected_paid_vnd=20_000, actor=m.counter)
    shortfall.refresh_from_db()
    assert shortfall.is_open and shortfall.amount_vnd == 25_000
    services.payment_cash_record(r, amount_vnd=25_000, expected_paid_vnd=25_000, actor=m.leader)
    shortfall.refresh_from_db()
    r.refresh_from_db()
    assert r.status == RequestStatus.PAID
    assert not shortfall.is_open and shortfall.resolved_by == m.leader
    assert "25.000 đồng" in shortfall.resolution


@pytest.mark.parametrize(
    ("amount", "message"),
    [(0, "lớn hơn 0"), (-5_000, "lớn hơn 0"), (20_001, "tối đa số còn phải nộp \\(20.000 đồng\\)")],
)
def test_nothing_beyond_what_is_due_and_nothing_below_one_dong(m: Money, amount: int, message: str) -> None:
    r = m.request(20_000)
    with pytest.raises(services.PaymentError, match=message):
        services.payment_cash_record(r, amount_vnd=amount, expected_paid_vnd=0, actor=m.counter)
    r.refresh_from_db()
    assert (r.status, r.paid_vnd) == (RequestStatus.OPEN, 0)
    assert not PaymentMatch.objects.exists()
    assert not AuditEntry.objects.filter(
        event__in=["payment_request.paid", "payment_request.partly_paid"]
    ).exists()


def test_a_second_click_or_money_arrived_meanwhile_is_refused_not_taken_twice(m: Money) -> None:
    r = m.request(50_000)
    services.payment_cash_record(r, amount_vnd=20_000, expected_paid_vnd=0, actor=m.counter)
    # The same form sent again: it still says nothing had been received.
    with pytest.raises(services.PaymentConflict, match="vừa thay đổi") as refused:
        services.payment_cash_record(r, amount_vnd=20_000, expected_paid_vnd=0, actor=m.counter)
    assert refused.value.status_code == 409
    services.payment_cash_record(r, amount_vnd=30_000, expected_paid_vnd=20_000, actor=m.counter)
    with pytest.raises(services.PaymentConflict, match="đang ở trạng thái “Đã thanh toán”: không thu thêm"):
        services.payment_cash_record(r, amount_vnd=1_000, expected_paid_vnd=50_000, actor=m.counter)
    assert PaymentMatch.objects.filter(request=r).count() == 2


def test_only_the_collecting_agencys_fee_officials_take_cash(m: Money) -> None:
    r = m.request(20_000)
    for outsider in (m.other_counter, m.specialist, m.citizen):
        with pytest.raises(services.PaymentForbidden):
            services.payment_cash_record(r, amount_vnd=20_000, expected_paid_vnd=0, actor=outsider)
    exempt = services.payment_request_exempt(m.request(), ground="Điều 4 TT 75/2022/TT-BTC", actor=m.counter)
    with pytest.raises(services.PaymentConflict):
        services.payment_cash_record(exempt, amount_vnd=20_000, expected_paid_vnd=0, actor=m.counter)
    assert not PaymentMatch.objects.exists()


def test_the_cash_receipt_names_the_method_and_the_official(m: Money) -> None:
    r = m.request(20_000)
    match = services.payment_cash_record(
        r, amount_vnd=20_000, expected_paid_vnd=0, actor=m.counter, at=at("2026-03-02 09:40")
    )
    pdf = render_receipt(PaymentMatch.objects.get(pk=match.pk))
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    for expected in (
        "BIÊN LAI THU PHÍ, LỆ PHÍ",
        "Nguyễn Thị Hằng",
        grouped(r.reference),
        "20.000 đồng",
        "Hai mươi nghìn đồng",
        "Hình thức nộp: Tiền mặt tại quầy",
        "Người thu: Trần Thị Bình",
        "09 giờ 40 phút, ngày 02 tháng 3 năm 2026",
    ):
        assert expected in text, expected
    assert "Mã giao dịch ngân hàng" not in text


def test_the_database_refuses_cash_with_a_transaction_or_without_who_took_it(m: Money) -> None:
    r = m.request(20_000)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentMatch.objects.create(
            request=r, method=PaymentMethod.CASH, amount_vnd=1, matched_at=at("2026-03-02 09:40")
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentMatch.objects.create(request=r, amount_vnd=1, matched_at=at("2026-03-02 09:40"))  # transfer
    rec.statement_import(
        account=m.account,
        data=csv_statement([("02/03/2026 10:15", "FT1", "20.000", r.reference)]),
        actor=m.counter,
    )
    tx = PaymentMatch.objects.get().transaction
    assert tx is not None
    when = at("2026-03-02 09:40")
    PaymentMatch.objects.filter(transaction=tx).delete()  # not the one-to-one refusing it, the constraint
    for wrong in (
        {"transaction": tx, "matched_by": m.counter},  # cash with a bank transaction
        {"matched_by": m.counter, "duplicate": True},  # cash as a duplicate
    ):
        with pytest.raises(IntegrityError, match="payment_match_method"), transaction.atomic():
            PaymentMatch.objects.create(
                request=r, method=PaymentMethod.CASH, amount_vnd=1, matched_at=when, **wrong
            )
