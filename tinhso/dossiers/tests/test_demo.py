"""`make run`'s demo dossiers: made through the real transitions, at every stage, once."""

from __future__ import annotations

from typing import Any

import pytest

from tinhso.accounts.demo import demo_accounts_ensure
from tinhso.accounts.tests import factories as people
from tinhso.dossiers.demo import demo_dossiers_ensure
from tinhso.dossiers.models import Dossier, Status
from tinhso.dossiers.tests.factories import bind
from tinhso.procedures import seed
from tinhso.procedures.models import Procedure
from tinhso.procedures.tests.catalog_fixtures import catalog_load

pytestmark = pytest.mark.django_db


def test_the_demo_ward_gets_a_dossier_at_every_stage_once(reference_data: None, settings: Any) -> None:
    settings.DEBUG = True
    demo_accounts_ensure()
    procedures = catalog_load()
    ward = people.agency("000.00.30")
    for code in ("1.004222", "1.001193", "2.000815", "1.004194"):
        if code in seed.SEED_TIME_CORRECTIONS:
            seed._correct_time(procedures[code])
        bind(Procedure.objects.get(code=code), ward)
    made = demo_dossiers_ensure()
    statuses = {d.status for d in Dossier.objects.all()}
    assert len(made) == 8 and statuses == {
        Status.RETURNED,
        Status.PROCESSED,
        Status.IN_PROCESS,
        Status.RECEIVED,
        Status.SUPPLEMENT,
        Status.SUBMITTED,
    }
    assert demo_dossiers_ensure() == [] and Dossier.objects.count() == 8
    # The demo's fees can be paid by VietQR (a made-up account of the province, which its units use).
    from tinhso.dossiers import fees
    from tinhso.payments.vietqr import parse_payload

    shown = [fees.receipt_payment(d) for d in Dossier.objects.filter(procedure__code="2.000815")]
    payloads = [s.payment_qr for s in shown if s is not None and s.payment_qr]
    assert payloads, shown
    assert parse_payload(payloads[0]).account == "000000000000"
    settings.DEBUG = False
    with pytest.raises(RuntimeError):
        demo_dossiers_ensure()
