from __future__ import annotations

import datetime as dt

from ninja import Schema


class PaymentOut(Schema):
    method: str  # "transfer" (a bank transaction) or "cash" (taken at the counter)
    transaction_id: str | None  # the bank's id of a transfer; None for cash
    amount_vnd: int
    booked_at: dt.datetime  # when the bank booked the transfer, or when the cash was taken
    reversed_at: dt.datetime | None = None  # the bank took the transfer back: it no longer counts
    receipt_url: str


class PaymentRequestOut(Schema):
    reference: str
    subject_key: str
    kind: str
    purpose: str
    amount_vnd: int
    paid_vnd: int
    outstanding_vnd: int
    status: str
    status_label: str
    agency_code: str
    # The VietQR payload to show while something is due and the agency has an account; "" otherwise.
    vietqr: str
    bank_bin: str
    account_number: str
    account_name: str
    payments: list[PaymentOut]


class WebhookOut(Schema):
    status: str  # recorded, already_known, ignored
    transaction_id: str | None = None
    issues: int = 0
