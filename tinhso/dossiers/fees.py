"""A dossier's fees (*phí, lệ phí*) and financial obligations, through the payments app.

- At reception (`transitions.receive`, `receive_at_counter`): `fee_due()` reads the fee of the pinned
  procedure version for the dossier's channel (OS-SC2: the version in force at reception), and
  `fee_request()` opens one payment request for it, with its unique reference for VietQR (PAY-2).
- On a financial obligation (`transitions.pause_for_payment`, status 6, DL10): `obligation_request()` opens
  a request for the amount the official states.
- When the payments app reports an obligation settled (paid, or exempted on a legal ground), the dossier
  paused for it resumes (`dossier_payment_settled`, registered in `DossiersConfig.ready()`) — only for an
  obligation of the current pause, once none of that pause's is still due. A hook lost (the process
  stopped after the payment's commit) is caught up by `resume_settled_paused()` (the command
  `resume_paid_dossiers`). A dossier resumed by hand cancels the unpaid obligations of its pause
  (`pause_obligations_cancel`).

Which amount is due (`fee_due`), and why:

- The channel's own rules, else the direct channel's (as for the statutory time, DL8): online filing is
  often cheaper (Đăng ký thường trú: 10.000 đồng online, 20.000 đồng at the counter, TT 75/2022/TT-BTC).
- Only `FeeKind.AMOUNTS` rules with amounts in đồng are charged automatically. "Free" charges nothing; a fee
  "set by the provincial council" (`regulated`), stated only in text, or unknown has no amount we can read:
  nothing is charged at reception, and the official who knows the amount charges it as an obligation.
  Amounts in US dollars (consular fees) are never charged here (VietQR transfers đồng only, 53 = 704).
- Several amounts in đồng for one channel are alternatives for different cases (per page, per copy, a
  reduced rate, an exempted group), not items to add up. We charge **the smallest**: the applicant is never
  asked automatically for more than the law can require of them; an official who finds their case dearer
  charges the difference as an obligation, and one who finds them exempt records the exemption with its
  legal ground (`fee_exempt`).

`Dossier.fee_due_vnd` is left as it was (the amount of a status-6 obligation, which `volume.py` mirrors and
the statistics read): the reception fee lives in its payment request.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from tinhso.accounts.models import User
from tinhso.core import pdf, rows
from tinhso.dossiers.models import Dossier, Status, catalog_channel
from tinhso.payments import selectors as payment_selectors
from tinhso.payments import services as payments
from tinhso.payments.hooks import Settled
from tinhso.payments.models import (
    OUTSTANDING,
    PaymentMatch,
    PaymentRequest,
    RequestKind,
    RequestStatus,
)
from tinhso.procedures.models import ChannelRule, Fee

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeeDue:
    amount_vnd: int
    label: str  # what the fee is called in the catalog, or "Phí, lệ phí"
    channel: str  # the catalog channel whose rule gave it


@dataclass(frozen=True)
class FeeAmount:
    """One of a channel rule's amounts (a catalog `Fee`)."""

    order: int
    label: str
    amount_vnd: int  # in `currency` units, as `Fee.amount_vnd`
    currency: str


@dataclass(frozen=True)
class ChannelTerms:
    """One of a version's channel rules (`ChannelRule`) as reception reads it: its time and its fees."""

    channel: str
    time_value: Decimal | None
    time_unit: str
    fee_kind: str
    fees: tuple[FeeAmount, ...]


def channel_terms(version_id: int | None) -> list[ChannelTerms]:
    """The version's channel rules in order, each with its fees: what reception reads for both the due time
    (`transitions.legal_time_for`) and the fee (`fee_due`). Two hand-built statements (core.rows), the
    rules then their fees: reception is the commonest write of the province."""
    if version_id is None:
        return []
    rules = rows.select(ChannelRule, {"version_id": version_id}, order_by=("order", "id"))
    amounts: dict[int, list[FeeAmount]] = {rule.pk: [] for rule in rules}
    for fee in rows.select(Fee, {"rule_id": list(amounts)}, order_by=("order", "id")):
        amounts[fee.rule_id].append(FeeAmount(fee.order, fee.label, fee.amount_vnd, fee.currency))
    return [
        ChannelTerms(rule.channel, rule.time_value, rule.time_unit, rule.fee_kind, tuple(amounts[rule.pk]))
        for rule in rules
    ]


def fee_due(d: Dossier, terms: Sequence[ChannelTerms] | None = None) -> FeeDue | None:
    """The fee to charge at reception (rules in the module's docstring), or None: nothing to pay now.
    `terms`: the version's `channel_terms`, when the caller has read them already."""
    if terms is None:
        terms = channel_terms(d.procedure_version_id)
    wanted = catalog_channel(d.channel)
    for channel in dict.fromkeys([wanted, ChannelRule.Channel.DIRECT]):
        own = [r for r in terms if r.channel == channel]
        if not own:
            continue
        fees = [
            f
            for r in own
            if r.fee_kind == ChannelRule.FeeKind.AMOUNTS
            for f in r.fees
            if f.currency == Fee.Currency.VND and f.amount_vnd > 0
        ]
        if not fees:
            return None  # the channel's rule says free, regulated elsewhere, or gives no amount in đồng
        smallest = min(fees, key=lambda f: (f.amount_vnd, f.order))
        return FeeDue(amount_vnd=smallest.amount_vnd, label=smallest.label.strip(), channel=channel)
    return None


def _purpose(d: Dossier, what: str) -> str:
    return f"{what} — {d.procedure_version.name}"[:300] if what else d.procedure_version.name[:300]


def fee_request(d: Dossier, due: FeeDue, *, actor: User | None, at: dt.datetime) -> PaymentRequest:
    """The payment request of the reception fee (the dossier's code is its subject)."""
    return payments.payment_request_create(
        agency=d.agency,
        subject_key=d.code,
        kind=RequestKind.FEE,
        amount_vnd=due.amount_vnd,
        purpose=_purpose(d, due.label or "Phí, lệ phí"),
        payer_name=d.applicant_name,
        payer_user=d.applicant_user,
        actor=actor,
        at=at,
    )


def obligation_request(
    d: Dossier, *, amount_vnd: int, reason: str, actor: User | None, at: dt.datetime
) -> PaymentRequest | None:
    """The request of a financial obligation (status 6), or None when no amount is stated (a tax paid to
    another authority: the official resumes the dossier by hand when it is done)."""
    if amount_vnd <= 0:
        return None
    return payments.payment_request_create(
        agency=d.agency,
        subject_key=d.code,
        kind=RequestKind.OBLIGATION,
        amount_vnd=amount_vnd,
        purpose=reason[:300],
        payer_name=d.applicant_name,
        payer_user=d.applicant_user,
        actor=actor,
        at=at,
    )


def dossier_payments(d: Dossier) -> list[PaymentRequest]:
    """The dossier's payment requests, oldest first."""
    return payment_selectors.requests_for_subject(d.code)


def dossier_payments_with_receipts(d: Dossier) -> list[tuple[PaymentRequest, list[PaymentMatch]]]:
    """The dossier's payment requests, each with the payments that got a receipt (for pages)."""
    return payment_selectors.requests_with_payments(d.code)


def fee_exempt(d: Dossier, request: PaymentRequest, *, ground: str, actor: User) -> PaymentRequest:
    """*Miễn phí, lệ phí*: an official of the dossier's agency records the exemption with its legal ground
    (e.g. "Điều 4 Thông tư 75/2022/TT-BTC"). A paused dossier whose obligation this was resumes on commit."""
    if request.subject_key != d.code:
        raise payments.PaymentError(_("Khoản thu không thuộc hồ sơ này. / Not this dossier's request."))
    return payments.payment_request_exempt(request, ground=ground, actor=actor)


def fee_cash(
    d: Dossier, request: PaymentRequest, *, amount_vnd: int, expected_paid_vnd: int, actor: User
) -> PaymentMatch:
    """*Thu tiền mặt*: an official takes cash at the counter for one of the dossier's requests
    (`payments.payment_cash_record`: at most what is due, refused when the request changed meanwhile). Paid in
    full, a dossier paused for it resumes on commit."""
    if request.subject_key != d.code:
        raise payments.PaymentError(_("Khoản thu không thuộc hồ sơ này. / Not this dossier's request."))
    return payments.payment_cash_record(
        request, amount_vnd=amount_vnd, expected_paid_vnd=expected_paid_vnd, actor=actor
    )


@dataclass(frozen=True)
class ReceiptPayment:
    """What Mẫu 01 prints of the reception fee: item 7's text, and while it is due by transfer its VietQR
    payload, reference and amount (the `ReceiptData` fields of the same names)."""

    fees: str
    payment_qr: str = ""
    payment_reference: str = ""
    payment_amount_vnd: int = 0


def receipt_payment(d: Dossier) -> ReceiptPayment | None:
    """For Mẫu 01 (`documents._receipt`): the reception fee, or None when the dossier has none."""
    request = (
        PaymentRequest.objects.for_subject(d.code)
        .filter(kind=RequestKind.FEE)
        .exclude(status=RequestStatus.CANCELLED)
        .select_related("account")
        .order_by("created_at", "id")
        .first()
    )
    if request is None:
        return None
    if request.status == RequestStatus.EXEMPT:
        return ReceiptPayment(fees=f"Miễn ({request.closed_reason[:200]})")
    text = pdf.dong(request.amount_vnd)
    if request.status == RequestStatus.PAID:
        return ReceiptPayment(fees=f"{text} (đã nộp)")
    payload = payments.payment_request_qr(request)
    if not payload:
        return ReceiptPayment(fees=f"{text} (nộp tại Bộ phận Một cửa)")
    return ReceiptPayment(
        fees=text,
        payment_qr=payload,
        payment_reference=request.reference,
        payment_amount_vnd=request.outstanding_vnd,
    )


def dossier_payment_settled(event: Settled) -> None:
    """The payments app's hook (`payments.hooks.on_paid`, registered at start-up): an obligation was paid
    or exempted. A dossier paused for payment (status 6) resumes once none of its obligations is still due
    (DL10: the clock restarts, the paused working days added). A reception fee settled does not resume
    anything: it never paused the dossier."""
    if event.kind != RequestKind.OBLIGATION:
        return
    d = Dossier.objects.filter(code=event.subject_key).only("pk", "status", "paused_at").first()
    if d is None or d.status != Status.PAUSED or d.paused_at is None:
        return
    pause = _pause_obligations(d)
    # Only an obligation of the current pause resumes it (one of an earlier pause, paid late, does not).
    if not pause.filter(pk=event.request_id).exists():
        return
    if pause.filter(status__in=OUTSTANDING).exists():
        return
    # Imported here: transitions imports this module (reception charges the fee).
    from tinhso.dossiers import transitions

    try:
        transitions.resume_after_payment(d, actor=None)
    except transitions.DossierError as exc:  # resumed by hand meanwhile, or stopped: nothing to do
        logger.info("dossier %s not resumed after payment %s: %s", event.subject_key, event.reference, exc)


def _pause_obligations(d: Dossier) -> QuerySet[PaymentRequest]:
    """The obligations opened for the dossier's current pause (status 6): at or after it began."""
    return PaymentRequest.objects.for_subject(d.code).filter(
        kind=RequestKind.OBLIGATION, created_at__gte=d.paused_at
    )


def pause_obligations_cancel(d: Dossier, *, actor: User, at: dt.datetime) -> list[PaymentRequest]:
    """The official resumes the paused dossier by hand (`transitions.resume_after_payment`; they checked
    the official's rights): the obligations of this pause nothing was paid on are cancelled, so their QR
    code stops asking for money (money that comes later goes to the officials' queue, to refund). One partly
    paid stays as it is: the money received is settled through the queue. In the caller's transaction."""
    if d.paused_at is None:
        return []
    cancelled = []
    for request in _pause_obligations(d).filter(status__in=OUTSTANDING, paid_vnd=0).order_by("pk"):
        try:
            cancelled.append(
                payments.payment_request_cancel(
                    request,
                    reason=_("Tiếp tục xử lý theo quyết định của cán bộ"),
                    actor=None,
                    on_behalf_of=actor,
                    at=at,
                )
            )
        except payments.PaymentConflict:  # paid in the meantime: it stays paid
            continue
    return cancelled


def resume_settled_paused() -> list[str]:
    """Catch-up for the hook: the dossiers still paused although every obligation opened since their pause
    is settled (the process stopped between the payment's commit and its hook), resumed now. For a periodic
    job or a command; returns the codes resumed."""
    from tinhso.dossiers import transitions  # see dossier_payment_settled

    resumed = []
    for d in Dossier.objects.filter(status=Status.PAUSED).only("pk", "code", "paused_at").iterator():
        statuses = set(_pause_obligations(d).values_list("status", flat=True))
        if not statuses or statuses & {RequestStatus.OPEN, RequestStatus.PARTLY_PAID}:
            continue  # nothing to pay through us (resumed by hand), or still due
        if not statuses & {RequestStatus.PAID, RequestStatus.EXEMPT}:
            continue  # every obligation was cancelled
        try:
            transitions.resume_after_payment(d.pk, actor=None)
        except transitions.DossierError as exc:
            logger.info("dossier %s not resumed on catch-up: %s", d.code, exc)
            continue
        resumed.append(d.code)
    return resumed
