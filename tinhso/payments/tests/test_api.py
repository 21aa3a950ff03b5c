"""The banks' webhook (HMAC-signed, idempotent) and the payment request look-up."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tinhso.accounts.tests import factories as people
from tinhso.core.models import AuditEntry
from tinhso.payments import hooks, vietqr
from tinhso.payments.models import (
    BankTransaction,
    CollectionAccount,
    IssueKind,
    ReconciliationIssue,
    RequestStatus,
)
from tinhso.payments.reconciliation import SIGNATURE_HEADER, WebhookUnauthorized, sign, webhook_receive
from tinhso.payments.tests.factories import ACCOUNT, OTHER_WARD, SECRET, Money

URL = "/api/payments/webhook/vietinbank"


def _body(reference: str, **kw: Any) -> bytes:
    payload = {
        "transaction_id": "VTB-PUSH-1",
        "account_number": ACCOUNT,
        "amount": 20000,
        "booked_at": "2026-03-02T10:15:00+07:00",
        "description": f"CT DEN:123 {reference.lower()} NGUYEN THI HANG",
        "counterparty_name": "NGUYEN THI HANG",
        **kw,
    }
    return json.dumps(payload).encode()


def _post(client: Client, body: bytes, signature: str | None = None, url: str = URL) -> Any:
    headers = {SIGNATURE_HEADER: signature if signature is not None else sign(SECRET, body)}
    return client.post(url, data=body, content_type="application/json", headers=headers)


def test_a_signed_push_pays_the_request_and_a_retry_changes_nothing(
    client: Client, m: Money, django_capture_on_commit_callbacks: Any
) -> None:
    r = m.request(20_000)
    calls: list[hooks.Settled] = []
    hooks.on_paid(calls.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            res = _post(client, _body(r.reference))
        assert res.status_code == 200, res.content
        assert res.json() == {"status": "recorded", "transaction_id": "VTB-PUSH-1", "issues": 0}
        r.refresh_from_db()
        assert r.status == RequestStatus.PAID
        assert [(c.reference, c.subject_key, c.status) for c in calls] == [
            (r.reference, r.subject_key, "paid")
        ]
        entries = AuditEntry.objects.count()
        with django_capture_on_commit_callbacks(execute=True):
            again = _post(client, _body(r.reference))
        assert again.json()["status"] == "already_known"
        assert BankTransaction.objects.count() == 1 and AuditEntry.objects.count() == entries
        assert len(calls) == 1  # the hook ran once
    finally:
        hooks._callbacks.remove(calls.append)


def test_a_bad_signature_an_unknown_bank_and_a_tampered_body_are_401(client: Client, m: Money) -> None:
    r = m.request()
    body = _body(r.reference)
    assert _post(client, body, signature="sha256=" + "0" * 64).status_code == 401
    assert _post(client, body, signature="").status_code == 401
    assert _post(client, body.replace(b"20000", b"20"), signature=sign(SECRET, body)).status_code == 401
    assert _post(client, body, url="/api/payments/webhook/no-such-bank").status_code == 401
    m.feed.is_active = False
    m.feed.save()
    assert _post(client, body).status_code == 401
    assert not BankTransaction.objects.exists()


def test_malformed_json_is_400_and_invalid_fields_422(client: Client, m: Money) -> None:
    res = _post(client, b"{not json")
    assert res.status_code == 400 and "JSON" in res.json()["detail"]
    assert _post(client, b"[1, 2]").status_code == 400
    res = _post(client, _body("x", amount="20000", booked_at="hôm qua"))
    assert res.status_code == 422 and "amount" in res.json()["detail"] and "booked_at" in res.json()["detail"]
    res = _post(client, _body("x", account_number="999"))
    assert res.status_code == 422 and "tài khoản" in res.json()["detail"].lower()
    assert not BankTransaction.objects.exists()


def test_a_debit_is_ignored_and_an_unknown_reference_queued(client: Client, m: Money) -> None:
    assert _post(client, _body("x", direction="debit")).json()["status"] == "ignored"
    res = _post(client, _body("no reference here", transaction_id="VTB-2"))
    assert res.json() == {"status": "recorded", "transaction_id": "VTB-2", "issues": 1}
    assert ReconciliationIssue.objects.get().kind == IssueKind.UNMATCHED


def test_the_payer_and_the_agencys_officials_look_a_request_up_others_get_404(
    client: Client, m: Money
) -> None:
    r = m.request(20_000)
    url = f"/api/payments/requests/{r.reference}"
    assert client.get(url).status_code == 401
    client.force_login(m.citizen)
    data = client.get(url).json()
    assert (
        data["status"] == "open" and data["outstanding_vnd"] == 20_000 and data["account_number"] == ACCOUNT
    )
    assert vietqr.parse_payload(data["vietqr"]).purpose == r.reference
    r.refresh_from_db()
    assert r.status == RequestStatus.OPEN  # looking at the QR pays nothing (PAY-2)
    for user, status in ((m.counter, 200), (m.leader, 200), (m.other_counter, 404), (m.specialist, 404)):
        client.logout()
        client.force_login(user)
        assert client.get(url).status_code == status, user


def test_the_receipt_of_a_webhook_payment_is_listed_and_served_to_the_payer_only(
    client: Client, m: Money
) -> None:
    r = m.request(20_000)
    _post(client, _body(r.reference))
    client.force_login(m.citizen)
    data = client.get(f"/api/payments/requests/{r.reference}").json()
    assert data["status"] == "paid" and data["vietqr"] == ""
    (payment,) = data["payments"]
    res = client.get(payment["receipt_url"])
    assert res.status_code == 200 and res["Content-Type"] == "application/pdf"
    assert res.content.startswith(b"%PDF")
    client.logout()
    client.force_login(m.other_counter)
    assert client.get(payment["receipt_url"]).status_code == 404


def test_a_known_transaction_id_pushed_again_with_another_amount_or_account_is_409(
    client: Client, m: Money
) -> None:
    r = m.request(20_000)
    assert _post(client, _body(r.reference)).json()["status"] == "recorded"
    CollectionAccount.objects.create(
        agency=people.agency(OTHER_WARD),
        bank_bin=m.account.bank_bin,
        account_number="998877665544",
        account_name="X",
    )
    entries = AuditEntry.objects.count()
    for changed in (_body(r.reference, amount=25000), _body(r.reference, account_number="998877665544")):
        res = _post(client, changed)
        assert res.status_code == 409, res.content
        assert "VTB-PUSH-1" in res.json()["detail"]
    assert BankTransaction.objects.count() == 1 and AuditEntry.objects.count() == entries
    assert _post(client, _body(r.reference)).json()["status"] == "already_known"


def test_an_amount_too_large_and_a_json_too_deep_or_long_are_refused_not_500(
    client: Client, m: Money
) -> None:
    for amount in (10**13, 10**30):
        res = _post(client, _body("x", amount=amount))
        assert res.status_code == 422 and "amount" in res.json()["detail"]
    assert _post(client, b"[" * 100_000 + b"]" * 100_000).status_code == 400
    assert _post(client, b'{"amount": ' + b"9" * 5000 + b"}").status_code == 400
    assert not BankTransaction.objects.exists()


def test_a_non_ascii_signature_is_401(client: Client, m: Money) -> None:
    body = _body(m.request().reference)
    assert _post(client, body, signature="sha256=đ" + "0" * 63).status_code == 401
    assert _post(client, body, signature="sha256=\u00e9" + "0" * 63).status_code == 401
    with pytest.raises(WebhookUnauthorized):
        webhook_receive(feed_code="vietinbank", body=body, signature="sha256=chữ ký")
    assert not BankTransaction.objects.exists()
