"""The e-receipt of a payment, as PDF, for the payer or an official handling the agency's fees."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from tinhso.accounts.models import User
from tinhso.payments import receipts, selectors


@login_required
@require_safe
def receipt_pdf(request: HttpRequest, reference: str, match_id: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    try:
        payment_request = selectors.request_get_for_user(user, reference)
        match = selectors.receipt_match_get(payment_request, match_id)
    except selectors.PaymentNotFound:
        raise Http404(_("Không có biên lai này")) from None
    response = HttpResponse(receipts.render_receipt(match), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bien-lai-{receipts.receipt_number(match)}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
