"""Reads of the payments app, with the permission checks of their loaders."""

from __future__ import annotations

from django.db.models import QuerySet

from tinhso.accounts.models import Agency, User
from tinhso.payments.models import (
    CollectionAccount,
    PaymentMatch,
    PaymentRequest,
    ReconciliationIssue,
    StatementImport,
)
from tinhso.payments.services import official_may_handle


class PaymentNotFound(LookupError):
    pass


def requests_for_subject(key: str) -> list[PaymentRequest]:
    """A subject's requests (a dossier's fees and obligations), oldest first: one query."""
    return list(
        PaymentRequest.objects.for_subject(key)
        .select_related("account", "agency")
        .order_by("created_at", "id")
    )


def requests_with_payments(key: str) -> list[tuple[PaymentRequest, list[PaymentMatch]]]:
    """A subject's requests, each with its payments that have a receipt (duplicates are refunded, not
    receipted; a payment the bank took back keeps its receipt, which says so): one query, a second when
    there is a request."""
    rows = requests_for_subject(key)
    paid = [r.pk for r in rows]
    by_request: dict[int, list[PaymentMatch]] = {pk: [] for pk in paid}
    if paid:
        for m in (
            PaymentMatch.objects.filter(request_id__in=paid, duplicate=False)
            .select_related("transaction", "matched_by")
            .order_by("matched_at", "id")
        ):
            by_request[m.request_id].append(m)
    return [(r, by_request.get(r.pk, [])) for r in rows]


def may_see(user: User, request: PaymentRequest) -> bool:
    """The payer (their own request) or an official who handles the collecting agency's fees."""
    if not user.is_authenticated or not user.is_active:
        return False
    if request.payer_user_id is not None and request.payer_user_id == user.pk:
        return True
    return official_may_handle(user, request.agency)


def request_get_for_user(user: User, reference: str) -> PaymentRequest:
    """A request by its reference, for someone who may see it; `PaymentNotFound` otherwise (no difference
    between "no such request" and "not yours")."""
    request = (
        PaymentRequest.objects.select_related("account", "agency", "agency__parent")
        .filter(reference=reference.strip().upper())
        .first()
    )
    if request is None or not may_see(user, request):
        raise PaymentNotFound(reference)
    return request


def receipt_match_get(request: PaymentRequest, match_id: int) -> PaymentMatch:
    match = (
        PaymentMatch.objects.select_related(
            "transaction__account", "matched_by", "request__agency__parent", "request__account"
        )
        .filter(pk=match_id, request=request, duplicate=False)
        .first()
    )
    if match is None:
        raise PaymentNotFound(str(match_id))
    return match


def queue_for(agency: Agency, *, open_only: bool = True) -> QuerySet[ReconciliationIssue]:
    """The officials' queue of the agency and the units under it, oldest first."""
    qs = ReconciliationIssue.objects.filter(agency__path__startswith=agency.path).select_related(
        "transaction", "request", "agency", "resolved_by"
    )
    if open_only:
        qs = qs.filter(resolved_at__isnull=True)
    return qs.order_by("created_at", "id")


def accounts_for(agency: Agency) -> QuerySet[CollectionAccount]:
    """The active collection accounts an official of `agency` may import statements of (its own and the
    units' under it)."""
    return CollectionAccount.objects.filter(
        agency__path__startswith=agency.path, is_active=True
    ).select_related("agency")


def recent_imports(agency: Agency, limit: int = 10) -> list[StatementImport]:
    return list(
        StatementImport.objects.filter(account__agency__path__startswith=agency.path)
        .select_related("account", "uploaded_by")
        .order_by("-uploaded_at", "-id")[:limit]
    )
