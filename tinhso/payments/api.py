"""Payments API: the banks' webhook, and a payment request looked up by its reference.

- `POST /api/payments/webhook/{bank}`: a bank pushes one credit (JSON), signed with HMAC-SHA256 over the raw
  body in `X-TinhSo-Signature: sha256=<hex>` under the bank's secret (`BankFeed`). 401 bad signature or
  unknown bank, 400 malformed JSON, 422 invalid fields or an account that is not a collection account,
  409 a transaction id already recorded with another account or amount;
  200 `recorded`, `already_known` (a retried delivery: nothing changes) or `ignored` (a debit).
- `GET /api/payments/requests/{reference}`: for the payer or an official handling the agency's fees (404
  for anyone else); the VietQR payload while something is due. Showing it never marks anything paid
  (PAY-2).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema
from ninja.errors import HttpError

from tinhso.accounts.api_auth import API_AUTH
from tinhso.accounts.models import User
from tinhso.accounts.schemas import ErrorOut
from tinhso.payments import reconciliation, selectors, services
from tinhso.payments.models import PaymentRequest, RequestStatus
from tinhso.payments.schemas import PaymentRequestOut, WebhookOut

router = Router(tags=["payments"])
ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def request_payload(r: PaymentRequest) -> dict[str, Any]:
    account = r.account
    return {
        "reference": r.reference,
        "subject_key": r.subject_key,
        "kind": r.kind,
        "purpose": r.purpose,
        "amount_vnd": r.amount_vnd,
        "paid_vnd": r.paid_vnd,
        "outstanding_vnd": r.outstanding_vnd,
        "status": r.status,
        "status_label": str(RequestStatus(r.status).label),
        "agency_code": r.agency.code,
        "vietqr": services.payment_request_qr(r),
        "bank_bin": account.bank_bin if account else "",
        "account_number": account.account_number if account else "",
        "account_name": account.account_name if account else "",
        "payments": [
            {
                "method": m.method,
                "transaction_id": m.transaction.transaction_id if m.transaction else None,
                "amount_vnd": m.amount_vnd,
                "booked_at": m.transaction.booked_at if m.transaction else m.matched_at,
                "reversed_at": m.reversed_at,
                "receipt_url": reverse("payments:receipt", args=[r.reference, m.pk]),
            }
            for m in r.matches.select_related("transaction").filter(duplicate=False)
        ],
    }


@router.post(
    "/payments/webhook/{bank}",
    auth=None,
    response={200: WebhookOut, 409: ErrorOut, **ERRORS},
    summary="Ngân hàng báo có / A bank pushes a credit",
)
def webhook(request: HttpRequest, bank: str) -> Any:
    signature = request.headers.get(reconciliation.SIGNATURE_HEADER, "")
    try:
        result = reconciliation.webhook_receive(feed_code=bank, body=request.body, signature=signature)
    except reconciliation.WebhookError as exc:
        raise HttpError(exc.status_code, exc.message) from None
    return {
        "status": result.status,
        "transaction_id": result.transaction.transaction_id if result.transaction else None,
        "issues": len(result.issues),
    }


@router.get(
    "/payments/requests/{reference}",
    auth=API_AUTH,
    response={200: PaymentRequestOut, **ERRORS},
    summary="Một yêu cầu thanh toán / One payment request",
)
def request_get(request: HttpRequest, reference: str) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    try:
        r = selectors.request_get_for_user(user, reference)
    except selectors.PaymentNotFound:
        raise HttpError(404, "Không tìm thấy yêu cầu thanh toán / no such payment request") from None
    return request_payload(r)
