"""Officials' pages for fees: a dossier's payments at the counter (the VietQR to show the applicant, cash
taken at the counter, an exemption with its legal ground, a cancellation), the reconciliation queue, and the
statement upload.

Thin views: the loaders check who may see what, the services decide (and refuse with a message). Showing a
VietQR code never marks a fee paid (PAY-2): only the bank's statement or feed does.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tinhso.backoffice.views import _load, _user, official_required
from tinhso.core.errors import Refusal
from tinhso.core.pdf import dong
from tinhso.dossiers import fees
from tinhso.payments import reconciliation, selectors, services, vietqr
from tinhso.payments.models import OUTSTANDING, PaymentRequest, ReconciliationIssue
from tinhso.payments.references import grouped

MAX_UPLOAD = reconciliation.MAX_STATEMENT_BYTES
QUEUE_PAGE_SIZE = 50
_WHOLE_DONG = re.compile(r"\d{1,13}|\d{1,3}(?:\.\d{3}){1,4}|\d{1,3}(?: \d{3}){1,4}", re.ASCII)


def _require_fee_role(request: HttpRequest) -> None:
    user = _user(request)
    assert user.agency is not None
    if not services.official_may_handle(user, user.agency):
        raise PermissionDenied


@official_required
def dossier_payments(request: HttpRequest, code: str) -> HttpResponse:
    """The dossier's amounts due and paid; for each one still due, its VietQR code to show the applicant."""
    d = _load(request, code)
    user = _user(request)
    rows: list[dict[str, Any]] = []
    for r, paid in fees.dossier_payments_with_receipts(d):
        payload = services.payment_request_qr(r)
        rows.append(
            {
                "r": r,
                "reference": grouped(r.reference),
                "qr_svg": vietqr.qr_svg(payload) if payload else "",
                "payments": paid,
                "may_take_cash": r.status in OUTSTANDING and services.official_may_handle(user, r.agency),
                "may_close": (
                    r.status in OUTSTANDING
                    and not r.paid_vnd
                    and services.official_may_handle(user, r.agency)
                ),
            }
        )
    return render(request, "backoffice/payments/dossier_payments.html", {"d": d, "rows": rows})


def _dossier_request(request: HttpRequest, code: str, reference: str) -> tuple[Any, PaymentRequest]:
    d = _load(request, code)
    r = (
        PaymentRequest.objects.select_related("agency")
        .filter(reference=reference, subject_key=d.code)
        .first()
    )
    if r is None:
        raise Http404(_("Không có khoản thu này"))
    return d, r


@official_required
@require_POST
def payment_exempt(request: HttpRequest, code: str, reference: str) -> HttpResponse:
    d, r = _dossier_request(request, code, reference)
    try:
        fees.fee_exempt(d, r, ground=request.POST.get("ground", "")[:2000], actor=_user(request))
    except Refusal as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã ghi nhận miễn khoản thu %(ref)s.") % {"ref": r.reference})
    return redirect("backoffice:dossier_payments", code=d.code)


def _whole_dong(raw: str) -> int | None:
    """A whole amount of đồng as an official types it — "20000", or grouped by thousands with dots or spaces
    ("20.000", "1 250 000") — else None. A comma is refused: "20,5" or "20.000,00" is no whole amount to
    guess at."""
    text = raw.strip().replace("\u00a0", " ")
    if not _WHOLE_DONG.fullmatch(text):
        return None
    return int(text.replace(".", "").replace(" ", ""))


@official_required
@require_POST
def payment_cash(request: HttpRequest, code: str, reference: str) -> HttpResponse:
    """*Thu tiền mặt*: the official took cash for this request at the counter."""
    d, r = _dossier_request(request, code, reference)
    amount = _whole_dong(request.POST.get("amount_vnd", ""))
    expected = _whole_dong(request.POST.get("paid_vnd", ""))
    if amount is None or expected is None:
        messages.error(
            request, _("Nhập số tiền đã thu bằng số đồng, ví dụ 20.000. / Enter the amount in whole đồng.")
        )
        return redirect("backoffice:dossier_payments", code=d.code)
    try:
        match = fees.fee_cash(d, r, amount_vnd=amount, expected_paid_vnd=expected, actor=_user(request))
    except Refusal as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Đã ghi nhận thu tiền mặt %(amount)s cho khoản thu %(ref)s; in biên lai cho người nộp.")
            % {"amount": dong(match.amount_vnd), "ref": r.reference},
        )
    return redirect("backoffice:dossier_payments", code=d.code)


@official_required
@require_POST
def payment_cancel(request: HttpRequest, code: str, reference: str) -> HttpResponse:
    d, r = _dossier_request(request, code, reference)
    try:
        services.payment_request_cancel(r, reason=request.POST.get("reason", "")[:2000], actor=_user(request))
    except Refusal as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã hủy khoản thu %(ref)s.") % {"ref": r.reference})
    return redirect("backoffice:dossier_payments", code=d.code)


@official_required
def queue_page(request: HttpRequest) -> HttpResponse:
    """*Giao dịch cần xử lý*: partial, excess, duplicate and unmatched payments of the official's agency."""
    _require_fee_role(request)
    user = _user(request)
    assert user.agency is not None
    resolved = request.GET.get("show") == "resolved"
    if resolved:  # what was done, newest first
        rows = selectors.queue_for(user.agency, open_only=False).filter(resolved_at__isnull=False)
        rows = rows.order_by("-resolved_at", "-id")
    else:
        rows = selectors.queue_for(user.agency)
    page = Paginator(rows, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/payments/queue.html",
        {
            "issues": page.object_list,
            "page": page,
            "resolved": resolved,
            "page_keep": "show=resolved&" if resolved else "",
            "open_count": selectors.queue_for(user.agency).count(),
        },
    )


def _queue_item(request: HttpRequest, issue_id: int) -> ReconciliationIssue:
    """A queue item of the official's agency or a unit under it; another unit's is "not found", as a
    dossier of another unit is (its existence is not told)."""
    user = _user(request)
    assert user.agency is not None
    issue = selectors.queue_for(user.agency, open_only=False).filter(pk=issue_id).first()
    if issue is None:
        raise Http404(_("Không có mục này"))
    return issue


@official_required
@require_POST
def issue_resolve(request: HttpRequest, issue_id: int) -> HttpResponse:
    _require_fee_role(request)
    issue = _queue_item(request, issue_id)
    try:
        services.issue_resolve(issue, note=request.POST.get("note", "")[:2000], actor=_user(request))
    except Refusal as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã xử lý giao dịch %(tx)s.") % {"tx": issue.transaction.transaction_id})
    return redirect("backoffice:payment_queue")


@official_required
@require_POST
def issue_match(request: HttpRequest, issue_id: int) -> HttpResponse:
    """An unmatched payment applied by hand to the request the official found it was for."""
    _require_fee_role(request)
    issue = _queue_item(request, issue_id)
    try:
        reconciliation.issue_match_by_hand(
            issue,
            reference=request.POST.get("reference", "")[:40],
            note=request.POST.get("note", "")[:2000],
            actor=_user(request),
        )
    except Refusal as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Đã đối soát giao dịch %(tx)s.") % {"tx": issue.transaction.transaction_id}
        )
    return redirect("backoffice:payment_queue")


@official_required
@require_http_methods(["GET", "POST"])
def statement_upload(request: HttpRequest) -> HttpResponse:
    """Upload a bank statement (CSV or camt.053) of one of the agency's collection accounts."""
    _require_fee_role(request)
    user = _user(request)
    assert user.agency is not None
    accounts = list(selectors.accounts_for(user.agency))
    errors: list[str] = []
    if request.method == "POST":
        chosen = request.POST.get("account", "")
        account = next((a for a in accounts if str(a.pk) == chosen), None)
        upload = request.FILES.get("statement")
        if account is None:
            errors.append(_("Chọn tài khoản thu của sao kê."))
        elif upload is None:
            errors.append(_("Chọn tệp sao kê (CSV hoặc XML camt.053)."))
        elif upload.size is not None and upload.size > MAX_UPLOAD:
            errors.append(_("Tệp sao kê lớn quá 10 MB."))
        else:
            try:
                result = reconciliation.statement_import(
                    account=account, data=upload.read(), filename=upload.name or "", actor=user
                )
            except reconciliation.StatementError as exc:
                errors = [exc.message, *exc.errors]
            except Refusal as exc:
                errors = [exc.message]
            else:
                if result.same_file:
                    messages.info(request, _("Tệp sao kê này đã được nhập trước đó: không có gì thay đổi."))
                else:
                    messages.success(
                        request,
                        _(
                            "Đã nhập %(rows)s giao dịch: %(added)s mới, %(known)s đã có; "
                            "%(issues)s giao dịch cần xử lý."
                        )
                        % {
                            "rows": result.rows,
                            "added": result.added,
                            "known": result.already_known,
                            "issues": len(result.issues),
                        },
                    )
                return redirect("backoffice:payment_statements")
    return render(
        request,
        "backoffice/payments/statements.html",
        {"accounts": accounts, "errors": errors, "imports": selectors.recent_imports(user.agency)},
        status=400 if errors else 200,
    )
