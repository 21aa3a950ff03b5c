"""Payment requests: created with a reference and the agency's account, exempted with a legal ground,
cancelled; only officials of the collecting agency in a fee role may act; every write is audited."""

from __future__ import annotations

import pytest

from tinhso.core.models import AuditEntry
from tinhso.payments import services, vietqr
from tinhso.payments.models import CollectionAccount, PaymentRequest, RequestStatus
from tinhso.payments.tests.factories import ACCOUNT, BIN, Money


def test_a_request_gets_a_reference_the_account_and_an_audit_entry(m: Money) -> None:
    r = m.request(20_000)
    assert r.status == RequestStatus.OPEN and r.account == m.account and r.outstanding_vnd == 20_000
    entry = AuditEntry.objects.get(event="payment_request.created", target_id=r.reference)
    assert entry.new is not None and entry.new["amount_vnd"] == 20_000 and entry.actor_id == m.counter.pk


def test_its_qr_is_a_dynamic_vietqr_of_the_amount_with_the_reference_and_showing_it_pays_nothing(
    m: Money,
) -> None:
    r = m.request(20_000)
    payload = services.payment_request_qr(r)
    p = vietqr.parse_payload(payload)
    assert (p.bank_bin, p.account, p.amount_vnd, p.purpose, p.initiation) == (
        BIN,
        ACCOUNT,
        20_000,
        r.reference,
        "12",
    )
    r.refresh_from_db()
    assert r.status == RequestStatus.OPEN and r.paid_vnd == 0  # PAY-2


def test_a_unit_without_an_account_uses_its_parents(m: Money) -> None:
    assert m.ward.parent is not None
    m.account.agency = m.ward.parent
    m.account.save()
    assert services.collection_account_for(m.ward) == m.account
    CollectionAccount.objects.all().delete()
    r = m.request()
    assert r.account is None and services.payment_request_qr(r) == ""


def test_an_exemption_needs_its_legal_ground_and_an_official_of_the_agency(m: Money) -> None:
    r = m.request()
    with pytest.raises(services.PaymentError, match="căn cứ pháp lý"):
        services.payment_request_exempt(r, ground="  ", actor=m.counter)
    with pytest.raises(services.PaymentForbidden):
        services.payment_request_exempt(r, ground="Điều 4 TT 75/2022/TT-BTC", actor=m.other_counter)
    with pytest.raises(services.PaymentForbidden):
        services.payment_request_exempt(r, ground="Điều 4 TT 75/2022/TT-BTC", actor=m.specialist)
    r = services.payment_request_exempt(r, ground="Điều 4 TT 75/2022/TT-BTC: người có công", actor=m.counter)
    assert r.status == RequestStatus.EXEMPT and r.closed_by == m.counter and r.settled_at is not None
    assert services.payment_request_qr(r) == ""
    entry = AuditEntry.objects.get(event="payment_request.exempted")
    assert entry.new is not None and entry.new["ground"].startswith("Điều 4")
    with pytest.raises(services.PaymentConflict):
        services.payment_request_exempt(r, ground="again", actor=m.counter)


def test_a_request_is_cancelled_with_a_reason(m: Money) -> None:
    r = services.payment_request_cancel(m.request(), reason="Sai số tiền", actor=m.leader)
    assert r.status == RequestStatus.CANCELLED
    assert AuditEntry.objects.filter(event="payment_request.cancelled", target_id=r.reference).exists()


def test_the_database_refuses_a_zero_amount_and_an_exemption_without_ground(m: Money) -> None:
    with pytest.raises(services.PaymentError):
        m.request(0)
    r = m.request()
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentRequest.objects.filter(pk=r.pk).update(status="exempt")
