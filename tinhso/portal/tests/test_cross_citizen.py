"""A citizen reaches only their own dossiers: citizen B, an official of the receiving unit and an anonymous
visitor try citizen A's dossier on every page and endpoint the portal adds, and nothing is shown or
changed."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tinhso.accounts.models import User
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import Dossier, PaperFile, Status
from tinhso.dossiers.tests.factories import World
from tinhso.portal.tests.helpers import jpeg_upload, paper, post_eform

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_dossier(client: Client, w: World, citizen_a: User) -> Dossier:
    """Citizen A's online dossier, received, with a supplement asked for (every page has something)."""
    client.force_login(citizen_a)
    certificate = f"paper-{paper(w.birth, 'Giấy chứng sinh').pk}"
    response = post_eform(client, w.birth, files={certificate: jpeg_upload()}, phone="0912345678")
    d = Dossier.objects.get(code=response["Location"].split("/")[2])
    tr.receive(d, actor=w.counter)
    tr.request_supplement(d, actor=w.counter, items=[tr.MissingItem("Giấy chứng sinh", "Ảnh mờ")])
    client.logout()
    d.refresh_from_db()
    return d


def requests_on(d: Dossier) -> list[tuple[str, str, dict[str, Any]]]:
    """Every portal URL about one dossier, with the method and a body that would succeed for its owner."""
    base = f"/ho-so-cua-toi/{d.code}/"
    file_id = PaperFile.objects.filter(paper__dossier=d).values_list("pk", flat=True).first()
    paper_id = d.papers.values_list("pk", flat=True).first()
    return [
        ("get", base, {}),
        ("get", f"{base}da-nop/", {}),
        ("get", f"{base}mau/01.pdf", {}),
        ("get", f"{base}mau/02.pdf", {}),
        ("get", f"{base}tep/{file_id}/original/", {}),
        ("get", f"{base}tep/{file_id}/rendition/", {}),
        ("post", f"{base}tai-len/", {"paper": paper_id, "files": [jpeg_upload()]}),
        ("post", f"{base}bo-sung-xong/", {"expected_revision": d.revision}),
    ]


def call(client: Client, method: str, url: str, data: dict[str, Any]) -> Any:
    return client.get(url) if method == "get" else client.post(url, data)


def test_the_owner_reaches_every_page_of_their_dossier(
    client: Client, a_dossier: Dossier, citizen_a: User
) -> None:
    client.force_login(citizen_a)
    for method, url, data in requests_on(a_dossier):
        response = call(client, method, url, data)
        assert response.status_code in (200, 302), (url, response.status_code)
        if method == "post":
            assert response["Location"] == f"/ho-so-cua-toi/{a_dossier.code}/", url
    a_dossier.refresh_from_db()
    assert a_dossier.status == Status.RECEIVED  # the owner's upload and "Đã bổ sung đủ" went through


def test_another_citizen_gets_not_found_everywhere_and_changes_nothing(
    client: Client, a_dossier: Dossier, citizen_b: User
) -> None:
    files_before = PaperFile.objects.filter(paper__dossier=a_dossier).count()
    revision = a_dossier.revision
    client.force_login(citizen_b)
    for method, url, data in requests_on(a_dossier):
        response = call(client, method, url, data)
        assert response.status_code == 404, (url, response.status_code)
        assert a_dossier.code not in response.content.decode(), url
    assert a_dossier.code not in client.get("/ho-so-cua-toi/").content.decode()
    a_dossier.refresh_from_db()
    assert a_dossier.status == Status.SUPPLEMENT and a_dossier.revision == revision
    assert PaperFile.objects.filter(paper__dossier=a_dossier).count() == files_before


def test_an_official_of_the_receiving_unit_uses_the_back_office_not_the_citizens_pages(
    client: Client, w: World, a_dossier: Dossier
) -> None:
    client.force_login(w.counter)
    for method, url, data in requests_on(a_dossier):
        assert call(client, method, url, data).status_code == 404, url
    a_dossier.refresh_from_db()
    assert a_dossier.status == Status.SUPPLEMENT


def test_an_anonymous_visitor_is_sent_to_log_in_from_every_page(client: Client, a_dossier: Dossier) -> None:
    for method, url, data in [*requests_on(a_dossier), ("get", "/ho-so-cua-toi/", {})]:
        response = call(client, method, url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url
    a_dossier.refresh_from_db()
    assert a_dossier.status == Status.SUPPLEMENT


def test_every_form_of_the_portal_carries_a_csrf_token_and_a_post_without_one_is_refused(
    w: World, a_dossier: Dossier, citizen_a: User
) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(citizen_a)
    for url in (f"/ho-so-cua-toi/{a_dossier.code}/", f"/nop-ho-so/{w.birth.procedure.code}/000.00.30.H60/"):
        page = strict.get(url).content.decode()
        assert page.count('method="post"') == page.count('name="csrfmiddlewaretoken"') >= 3
    for method, url, data in requests_on(a_dossier):
        if method == "post":
            assert strict.post(url, data).status_code == 403, url
    submit = strict.post(f"/nop-ho-so/{w.birth.procedure.code}/000.00.30.H60/", {"action": "draft"})
    assert submit.status_code == 403
