"""Collection accounts are configured in the admin by system administrators (PAY-3), audited."""

from __future__ import annotations

from django.test import Client

from tinhso.accounts.models import Role
from tinhso.accounts.tests import factories as people
from tinhso.core.models import AuditEntry
from tinhso.payments.models import CollectionAccount
from tinhso.payments.tests.factories import Money


def test_a_system_administrator_adds_a_collection_account_and_it_is_audited(client: Client, m: Money) -> None:
    admin = people.official(agency_prefix="000.00.00", roles=(Role.SYSTEM_ADMIN,))
    client.force_login(admin)
    ward = people.agency("000.00.31")
    res = client.post(
        "/admin/payments/collectionaccount/add/",
        {
            "agency": ward.pk,
            "bank_bin": "970436",
            "bank_name": "Vietcombank",
            "account_number": "0011001932418",
            "account_name": "UBND PHUONG HA GIANG 1",
            "is_active": "on",
        },
    )
    assert res.status_code == 302, res.content.decode()[:2000]
    account = CollectionAccount.objects.get(agency=ward)
    entry = AuditEntry.objects.get(event="collection_account.created")
    assert (
        entry.actor_id == admin.pk
        and entry.new is not None
        and entry.new["account_number"] == "0011001932418"
    )
    assert account.bank_bin == "970436"


def test_a_bad_bin_or_account_is_refused_and_others_cannot_open_it(client: Client, m: Money) -> None:
    admin = people.official(agency_prefix="000.00.00", roles=(Role.SYSTEM_ADMIN,))
    client.force_login(admin)
    res = client.post(
        "/admin/payments/collectionaccount/add/",
        {"agency": m.ward.pk, "bank_bin": "97043", "account_number": "12 34", "account_name": "X"},
    )
    assert res.status_code == 200 and "6 chữ số" in res.content.decode()
    client.force_login(m.leader)
    assert client.get("/admin/payments/collectionaccount/").status_code in (302, 403)
