"""Writes of the payments app: payment requests (create, exempt, cancel, cash taken at the counter), the
officials' queue.

Reconciliation (statements, the webhook, matching) is in `reconciliation.py`. Every write is audited in its
transaction (`tinhso.core.audit`), and a request that becomes paid or exempt calls the registered hooks on
commit (`hooks.py`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.accounts.models import Agency, Role, User
from tinhso.core.audit import audit_record
from tinhso.core.errors import Refusal
from tinhso.core.pdf import dong
from tinhso.core.rows import insert as insert_rows
from tinhso.core.rows import select as select_rows
from tinhso.payments import hooks, references, vietqr
from tinhso.payments.models import (
    OUTSTANDING,
    SETTLED,
    CollectionAccount,
    IssueKind,
    PaymentMatch,
    PaymentMethod,
    PaymentRequest,
    ReconciliationIssue,
    RequestKind,
    RequestStatus,
)

# Who handles fees at a one-stop unit: the counter collects them (ND 61 Art. 22), the heads oversee.
PAYMENT_ROLES = (Role.COUNTER_OFFICER, Role.DEPARTMENT_HEAD, Role.AGENCY_LEADER)


class PaymentError(Refusal):
    """A payment write refused; `message` is for the person who tried (Vietnamese / English)."""


class PaymentForbidden(PaymentError):
    status_code = 403


class PaymentConflict(PaymentError):
    status_code = 409


def _now(at: dt.datetime | None) -> dt.datetime:
    return at if at is not None else timezone.now()


def _label(actor: User | None) -> str:
    return actor.get_username() if actor else "system"


def official_may_handle(user: User, agency: Agency) -> bool:
    """An active official of the agency or a unit above it, in a role that handles fees."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_official
        and user.agency is not None
        and agency.path.startswith(user.agency.path)
        and user.has_role(*PAYMENT_ROLES)
    )


def require_official(user: User, agency: Agency) -> None:
    if not official_may_handle(user, agency):
        raise PaymentForbidden(
            _(
                "Chỉ cán bộ một cửa hoặc lãnh đạo của cơ quan thu mới được làm việc này. "
                "/ Only the collecting agency's counter officers and heads may do this."
            )
        )


def collection_account_for(agency: Agency) -> CollectionAccount | None:
    """The agency's active collection account, else its nearest parent's (a ward's one-stop unit often
    collects into its People's Committee's account)."""
    ids = agency.line_ids
    accounts = {a.agency_id: a for a in select_rows(CollectionAccount, {"agency_id": ids, "is_active": True})}
    for agency_id in reversed(ids):
        if agency_id in accounts:
            return accounts[agency_id]
    return None


def _audit(request: PaymentRequest, event: str, actor: User | None, **new: Any) -> None:
    audit_record(
        event=f"payment_request.{event}",
        target_type="payments.paymentrequest",
        target_id=request.reference,
        actor_id=actor.pk if actor else None,
        actor_label=_label(actor),
        agency_code=request.agency.code,
        new={"status": request.status, **new},
    )


def payment_request_create(
    *,
    agency: Agency,
    subject_key: str,
    amount_vnd: int,
    purpose: str,
    payer_name: str,
    kind: str = RequestKind.FEE,
    payer_user: User | None = None,
    actor: User | None,
    at: dt.datetime | None = None,
) -> PaymentRequest:
    """A new request for one amount due, with a fresh unique reference (PAY-2), pointed at the agency's
    collection account (none: payable at the counter only)."""
    if amount_vnd <= 0:
        raise PaymentError(_("Số tiền phải lớn hơn 0 đồng. / The amount must be positive."))
    if len(str(amount_vnd)) > vietqr.MAX_AMOUNT_DIGITS:
        raise PaymentError(_("Số tiền vượt quá giới hạn của VietQR. / The amount is too large."))
    if kind not in RequestKind.values:
        raise PaymentError(_("Loại khoản thu không hợp lệ. / Unknown kind."))
    purpose = purpose.strip()
    if not purpose:
        raise PaymentError(_("Ghi rõ nội dung thu. / State what the payment is for."))
    account = collection_account_for(agency)
    # savepoint=False: a failure here fails the caller's transaction (a reception without its fee request
    # must not commit). A clash of references is skipped by the insert itself and retried, no savepoint
    # needed (core.rows: one hand-built statement, reception's commonest write after the dossier's own).
    with transaction.atomic(savepoint=False):
        request = PaymentRequest(
            agency=agency,
            account=account,
            subject_key=subject_key[:60],
            kind=kind,
            purpose=purpose[:300],
            amount_vnd=amount_vnd,
            payer_name=payer_name.strip()[:200],
            payer_user=payer_user,
            created_at=_now(at),
            created_by=actor,
        )
        for _attempt in range(5):
            request.reference = references.new_reference()
            if insert_rows([request], ignore_conflicts=True, conflict_fields=["reference"]):
                break
        else:  # 60 random bits five times over: never, unless the database is broken
            raise PaymentError("could not draw a unique payment reference")
        _audit(
            request,
            "created",
            actor,
            subject=request.subject_key,
            kind=request.kind,
            amount_vnd=amount_vnd,
            account=account.account_number if account else "",
        )
    return request


def _lock(request: PaymentRequest | int) -> PaymentRequest:
    pk = request.pk if isinstance(request, PaymentRequest) else request
    return PaymentRequest.objects.select_for_update().select_related("agency").get(pk=pk)


def mark_settled(request: PaymentRequest, *, at: dt.datetime) -> None:
    """The request has just become paid or exempt (saved by the caller): tell the higher apps on commit."""
    assert request.status in SETTLED
    request.settled_at = at
    hooks.settled(
        hooks.Settled(
            request_id=request.pk,
            reference=request.reference,
            subject_key=request.subject_key,
            kind=request.kind,
            status=request.status,
        )
    )


@transaction.atomic
def payment_request_exempt(
    request: PaymentRequest | int, *, ground: str, actor: User, at: dt.datetime | None = None
) -> PaymentRequest:
    """*Miễn phí, lệ phí*: an official records the exemption with its legal ground (e.g. "Điều 4 Thông tư
    75/2022/TT-BTC: người có công với cách mạng"). Only while nothing has been paid: money already received
    is settled through the queue."""
    at = _now(at)
    r = _lock(request)
    require_official(actor, r.agency)
    ground = ground.strip()
    if not ground:
        raise PaymentError(
            _("Ghi rõ căn cứ pháp lý của việc miễn. / State the legal ground of the exemption.")
        )
    if r.status != RequestStatus.OPEN or r.paid_vnd:
        raise PaymentConflict(
            _("Chỉ miễn được khoản chưa thanh toán. / Only an unpaid request can be exempted.")
        )
    r.status = RequestStatus.EXEMPT
    r.closed_by = actor
    r.closed_reason = ground[:2000]
    mark_settled(r, at=at)
    r.save(update_fields=["status", "closed_by", "closed_reason", "settled_at"])
    _audit(r, "exempted", actor, ground=r.closed_reason)
    return r


@transaction.atomic
def payment_request_cancel(
    request: PaymentRequest | int,
    *,
    reason: str,
    actor: User | None,
    on_behalf_of: User | None = None,
    at: dt.datetime | None = None,
) -> PaymentRequest:
    """Cancel a request nobody has paid anything on (a wrong amount, a withdrawn dossier). `actor` None: a
    higher app's rule (the dossier was withdrawn); `on_behalf_of` then names the person whose decision the
    rule carries out (the higher app checked their rights), recorded as the one who closed it."""
    r = _lock(request)
    if actor is not None:
        require_official(actor, r.agency)
    reason = reason.strip()
    if not reason:
        raise PaymentError(_("Ghi rõ lý do hủy. / State why."))
    if r.status not in OUTSTANDING or r.paid_vnd:
        raise PaymentConflict(
            _("Chỉ hủy được khoản chưa thanh toán. / Only an unpaid request can be cancelled.")
        )
    r.status = RequestStatus.CANCELLED
    r.closed_by = actor or on_behalf_of
    r.closed_reason = reason[:2000]
    r.save(update_fields=["status", "closed_by", "closed_reason"])
    _audit(r, "cancelled", actor or on_behalf_of, reason=r.closed_reason)
    return r


@transaction.atomic
def payment_cash_record(
    request: PaymentRequest | int,
    *,
    amount_vnd: int,
    expected_paid_vnd: int,
    actor: User,
    at: dt.datetime | None = None,
) -> PaymentMatch:
    """*Thu tiền mặt tại quầy*: an official of the collecting agency (or above, in a fee role) takes cash
    for an outstanding request and records it; the applicant gets the same e-receipt as for a transfer
    (`receipts.render_receipt`, its method "tiền mặt"). At most what is still due: the counter gives change,
    so cash never makes an excess or a duplicate. `expected_paid_vnd` is what the official's page showed as
    already received: a second click, or money that arrived by transfer meanwhile, finds it changed and is
    refused (409) rather than taking the fee twice. Paid in full: the request is paid, and a dossier paused
    for it resumes on commit (`hooks`) and a shortfall in the queue is closed; paid in part, the shortfall
    shown there is what is still due. Audited as a transfer's payment is (`payment_request.paid` /
    `partly_paid`), with `method` cash."""
    at = _now(at)
    r = _lock(request)
    require_official(actor, r.agency)
    if r.status not in OUTSTANDING:
        raise PaymentConflict(
            _("Khoản thu %(ref)s đang ở trạng thái “%(status)s”: không thu thêm. / No longer due.")
            % {"ref": r.reference, "status": RequestStatus(r.status).label}
        )
    if expected_paid_vnd != r.paid_vnd:
        raise PaymentConflict(
            _(
                "Khoản thu vừa thay đổi (đã nhận %(paid)s, không phải %(shown)s): tải lại trang rồi thu "
                "số còn thiếu. / The request changed meanwhile; reload the page."
            )
            % {"paid": dong(r.paid_vnd), "shown": dong(expected_paid_vnd)}
        )
    outstanding = r.amount_vnd - r.paid_vnd
    if isinstance(amount_vnd, bool) or not isinstance(amount_vnd, int) or amount_vnd <= 0:
        raise PaymentError(_("Số tiền thu phải là số đồng lớn hơn 0. / The amount must be positive."))
    if amount_vnd > outstanding:
        raise PaymentError(
            _(
                "Chỉ thu tối đa số còn phải nộp (%(due)s); tiền thừa trả lại người nộp. "
                "/ Take at most what is due; give change."
            )
            % {"due": dong(outstanding)}
        )
    old_status = r.status
    match = PaymentMatch.objects.create(
        request=r, method=PaymentMethod.CASH, amount_vnd=amount_vnd, matched_at=at, matched_by=actor
    )
    r.paid_vnd += amount_vnd
    shortfalls = ReconciliationIssue.objects.filter(
        request=r, kind=IssueKind.PARTIAL, resolved_at__isnull=True
    )
    if r.paid_vnd == r.amount_vnd:
        r.status = RequestStatus.PAID
        mark_settled(r, at=at)
        # A shortfall the queue shows (a partial transfer) is what this cash made up: closed.
        shortfalls.update(
            resolved_at=at,
            resolved_by=actor,
            resolution=_("Đã thu tiền mặt tại quầy %(amount)s.") % {"amount": dong(amount_vnd)},
        )
    else:
        r.status = RequestStatus.PARTLY_PAID
        shortfalls.update(amount_vnd=r.amount_vnd - r.paid_vnd)  # still short, by less
    r.save(update_fields=["paid_vnd", "status", "settled_at"])
    # The event a transfer's payment records too (payment_request.paid / partly_paid), with its method.
    audit_record(
        event=f"payment_request.{r.status}",
        target_type="payments.paymentrequest",
        target_id=r.reference,
        actor_id=actor.pk,
        actor_label=_label(actor),
        agency_code=r.agency.code,
        old={"status": old_status, "paid_vnd": r.paid_vnd - amount_vnd},
        new={
            "status": r.status,
            "paid_vnd": r.paid_vnd,
            "method": PaymentMethod.CASH.value,
            "amount_vnd": amount_vnd,
            "match": match.pk,
        },
    )
    return match


def payment_request_qr(request: PaymentRequest) -> str:
    """The VietQR payload of an outstanding request with an account, else "" (nothing to pay by transfer).
    Displaying it changes nothing (PAY-2)."""
    if request.status not in OUTSTANDING or request.account is None:
        return ""
    return vietqr.build_payload(
        bank_bin=request.account.bank_bin,
        account=request.account.account_number,
        amount_vnd=request.outstanding_vnd,
        purpose=request.reference,
    )


@transaction.atomic
def issue_resolve(
    issue: ReconciliationIssue | int, *, note: str, actor: User, at: dt.datetime | None = None
) -> ReconciliationIssue:
    """An official closes a queue item, saying what was done (refunded, collected the rest, matched by
    hand …). Audited."""
    pk = issue.pk if isinstance(issue, ReconciliationIssue) else issue
    row = ReconciliationIssue.objects.select_for_update().select_related("agency", "transaction").get(pk=pk)
    require_official(actor, row.agency)
    note = note.strip()
    if not note:
        raise PaymentError(_("Ghi rõ cách đã xử lý. / Say how it was resolved."))
    if row.resolved_at is not None:
        raise PaymentConflict(_("Mục này đã được xử lý. / Already resolved."))
    row.resolved_at = _now(at)
    row.resolved_by = actor
    row.resolution = note[:2000]
    row.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    audit_record(
        event="payment_issue.resolved",
        target_type="payments.reconciliationissue",
        target_id=row.pk,
        actor_id=actor.pk,
        actor_label=_label(actor),
        agency_code=row.agency.code,
        old={"kind": row.kind, "transaction": row.transaction.transaction_id},
        new={"resolution": row.resolution},
    )
    return row
