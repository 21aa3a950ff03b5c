"""The admin shows the store read-only to system administrators, with no file links and no tokens."""

from __future__ import annotations

import pytest
from django.test import Client

from tinhso.accounts.models import Role, User
from tinhso.accounts.tests import factories as people
from tinhso.edocs import services
from tinhso.edocs.tests.factories import result

pytestmark = pytest.mark.django_db


def test_a_system_administrator_reads_a_document_and_cannot_change_it(
    client: Client, alice: User, sysadmin: User
) -> None:
    doc = result(alice)
    link, raw = services.share_link_create(document=doc, actor=alice)
    client.force_login(sysadmin)
    page = client.get(f"/admin/edocs/edocument/{doc.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert doc.sha256 in html and doc.file.name in html
    assert raw not in html and 'name="title"' not in html  # read-only: no inputs
    assert client.get("/admin/edocs/edocument/add/").status_code == 403
    assert client.post(f"/admin/edocs/edocument/{doc.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"/admin/edocs/sharelink/{link.pk}/change/").status_code == 200


def test_other_staff_do_not_see_the_store_in_the_admin(client: Client, alice: User) -> None:
    doc = result(alice)
    leader = people.official(roles=(Role.AGENCY_LEADER,))
    assert leader.is_staff
    client.force_login(leader)
    assert client.get(f"/admin/edocs/edocument/{doc.pk}/change/").status_code == 403
    assert client.get("/admin/edocs/edocument/").status_code == 403
