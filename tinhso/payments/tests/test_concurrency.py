"""Two uploads of the same statement at the same instant (a double click, two officials): one imports it,
the other changes nothing; no payment is counted twice."""

from __future__ import annotations

import pytest

from tinhso.core.tests.threads import run_together
from tinhso.payments import reconciliation as rec
from tinhso.payments.models import BankTransaction, PaymentMatch, PaymentRequest, RequestStatus
from tinhso.payments.tests.factories import csv_statement, money


@pytest.mark.django_db(transaction=True)
def test_the_same_statement_uploaded_twice_at_once_is_imported_once(
    flushable_audit_log: None, reference_data: None
) -> None:
    m = money()
    r = m.request(20_000)
    data = csv_statement(
        [("02/03/2026", "FT001", "15000", r.reference), ("02/03/2026", "FT002", "5000", r.reference)]
    )

    def upload() -> rec.ImportResult:
        return rec.statement_import(account=m.account, data=data, actor=m.counter)

    results = run_together([upload, upload])
    assert all(isinstance(x, rec.ImportResult) for x in results), results
    assert sorted(x.same_file for x in results) == [False, True]
    r.refresh_from_db()
    assert (r.status, r.paid_vnd) == (RequestStatus.PAID, 20_000)
    assert BankTransaction.objects.count() == 2 and PaymentMatch.objects.count() == 2
    assert PaymentRequest.objects.count() == 1
