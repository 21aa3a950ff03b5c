"""Another citizen, an official and an anonymous visitor try Alice's document and share link on every page,
endpoint and service: all refused, nothing of the document leaks, and nothing changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.http import Http404
from django.test import Client

from tinhso.accounts.models import User
from tinhso.core.models import AuditEntry
from tinhso.edocs import selectors, services
from tinhso.edocs.models import EDocument, ShareLink
from tinhso.edocs.tests.factories import bearer, body, jpeg, pdf, result

pytestmark = pytest.mark.django_db

SECRET_TITLE = "Giấy chứng nhận quyền sử dụng đất của An"


@dataclass
class Scene:
    alice: User
    bob: User
    doc: EDocument  # Alice's
    secret: bytes  # its file
    link: ShareLink  # Alice's live link to it
    raw: str
    bob_doc: EDocument  # Bob's own

    def fill(self, template: str) -> str:
        return template.format(doc=self.doc.pk, link=self.link.pk, bob_doc=self.bob_doc.pk)

    def assert_nothing_leaked(self, response: Any) -> None:
        content = body(response)
        assert self.secret not in content
        assert self.doc.sha256.encode() not in content
        assert SECRET_TITLE.encode() not in content
        assert self.raw.encode() not in content

    def assert_nothing_changed(self) -> None:
        self.link.refresh_from_db()
        self.doc.refresh_from_db()
        assert self.link.revoked_at is None and self.doc.revoked_at is None
        assert ShareLink.objects.count() == 1
        assert AuditEntry.objects.filter(event__startswith="edoc.share_link").count() == 1
        assert not AuditEntry.objects.filter(event__in=["edoc.reused", "edoc.revoked"]).exists()
        # Alice's link still works for whoever she gave it to.
        assert Client().get(f"/chia-se/{self.raw}/").status_code == 200


@pytest.fixture
def scene(alice: User, bob: User) -> Scene:
    secret = pdf("Số thửa 123, tờ bản đồ 45")
    doc = result(alice, content=secret, title=SECRET_TITLE)
    link, raw = services.share_link_create(document=doc, actor=alice)
    bob_doc = services.edoc_upload_by_citizen(
        owner=bob, actor=bob, title="Ảnh của Bình", upload=jpeg(), filename="b.jpg"
    )
    return Scene(alice=alice, bob=bob, doc=doc, secret=secret, link=link, raw=raw, bob_doc=bob_doc)


# Every page and endpoint that takes a document or a link: (method, path).
PAGES = [
    ("get", "/giay-to/{doc}/"),
    ("get", "/giay-to/{doc}/tai-ve/"),
    ("post", "/giay-to/{doc}/chia-se/"),
    ("post", "/giay-to/{doc}/chia-se/{link}/thu-hoi/"),
    ("post", "/giay-to/{bob_doc}/chia-se/{link}/thu-hoi/"),  # Alice's link under Bob's own document
]
API = [
    ("get", "/api/edocs/{doc}"),
    ("get", "/api/edocs/{doc}/file"),
    ("post", "/api/edocs/{doc}/share-links"),
    ("post", "/api/edocs/{doc}/share-links/{link}/revoke"),
    ("post", "/api/edocs/{bob_doc}/share-links/{link}/revoke"),
]
LISTS = [("get", "/giay-to/"), ("get", "/giay-to/?kind=result"), ("get", "/giay-to/tai-len/")]


def _call(client: Client, method: str, path: str, **kw: Any) -> Any:
    if method == "get":
        return client.get(path, **kw)
    if path.startswith("/api/"):
        return client.post(path, {"days": 7}, content_type="application/json", **kw)
    return client.post(path, {"days": "7"}, **kw)


class TestAnotherCitizen:
    @pytest.mark.parametrize(("method", "path"), PAGES)
    def test_pages_answer_404(self, client: Client, scene: Scene, method: str, path: str) -> None:
        client.force_login(scene.bob)
        response = _call(client, method, scene.fill(path))
        assert response.status_code == 404
        scene.assert_nothing_leaked(response)
        scene.assert_nothing_changed()

    @pytest.mark.parametrize(("method", "path"), LISTS)
    def test_my_lists_never_show_her_document(
        self, client: Client, scene: Scene, method: str, path: str
    ) -> None:
        client.force_login(scene.bob)
        response = _call(client, method, path)
        assert response.status_code == 200
        assert (path != "/giay-to/") or "Ảnh của Bình" in response.content.decode()
        scene.assert_nothing_leaked(response)

    @pytest.mark.parametrize(("method", "path"), API)
    def test_api_answers_404(self, client: Client, scene: Scene, method: str, path: str) -> None:
        response = _call(client, method, scene.fill(path), headers=bearer(scene.bob))
        assert response.status_code == 404
        scene.assert_nothing_leaked(response)
        scene.assert_nothing_changed()

    def test_api_list_holds_only_his_documents(self, client: Client, scene: Scene) -> None:
        for query in ("", "?kind=result", "?kind=uploaded", "?page=2&page_size=1"):
            response = client.get(f"/api/edocs{query}", headers=bearer(scene.bob))
            assert response.status_code == 200
            assert all(item["id"] == scene.bob_doc.pk for item in response.json()["items"])
            scene.assert_nothing_leaked(response)

    def test_services_refuse(self, scene: Scene) -> None:
        bob = scene.bob
        with pytest.raises(services.EDocNotFound):
            services.share_link_create(document=scene.doc, actor=bob)
        with pytest.raises(services.EDocNotFound):
            services.share_link_revoke(link=scene.link, actor=bob)
        with pytest.raises(services.EDocNotFound):
            services.edoc_copy_for_reuse(document=scene.doc, actor=bob)
        with pytest.raises(services.EDocNotFound):
            services.edoc_revoke(document=scene.doc, actor=bob, reason="thử")
        with pytest.raises(services.EDocForbidden):
            services.edoc_upload_by_citizen(
                owner=scene.alice, actor=bob, title="x", upload=jpeg(), filename="x.jpg"
            )
        assert EDocument.objects.filter(owner=scene.alice).count() == 1
        scene.assert_nothing_changed()

    def test_selectors_refuse(self, scene: Scene) -> None:
        with pytest.raises(Http404):
            selectors.edoc_get_for_user(scene.bob, scene.doc.pk)
        with pytest.raises(Http404):
            selectors.share_link_get_for_user(scene.bob, scene.doc.pk, scene.link.pk)
        with pytest.raises(Http404):
            selectors.share_link_get_for_user(scene.bob, scene.bob_doc.pk, scene.link.pk)
        assert list(selectors.edocs_for_owner(scene.bob)) == [scene.bob_doc]


class TestAnOfficial:
    @pytest.mark.parametrize(("method", "path"), PAGES + LISTS)
    def test_pages_answer_403(
        self, client: Client, scene: Scene, official: User, method: str, path: str
    ) -> None:
        client.force_login(official)
        response = _call(client, method, scene.fill(path))
        assert response.status_code == 403
        scene.assert_nothing_leaked(response)
        scene.assert_nothing_changed()

    @pytest.mark.parametrize(("method", "path"), API)
    def test_api_answers_404(
        self, client: Client, scene: Scene, official: User, method: str, path: str
    ) -> None:
        response = _call(client, method, scene.fill(path), headers=bearer(official))
        assert response.status_code == 404
        scene.assert_nothing_leaked(response)
        scene.assert_nothing_changed()

    def test_api_list_answers_403_even_for_a_system_administrator(
        self, client: Client, scene: Scene, sysadmin: User
    ) -> None:
        response = client.get("/api/edocs", headers=bearer(sysadmin))
        assert response.status_code == 403
        scene.assert_nothing_leaked(response)
        with pytest.raises(Http404):
            selectors.edoc_get_for_user(sysadmin, scene.doc.pk)

    def test_services_refuse(self, scene: Scene, official: User) -> None:
        with pytest.raises(services.EDocNotFound):
            services.share_link_create(document=scene.doc, actor=official)
        with pytest.raises(services.EDocNotFound):
            services.edoc_copy_for_reuse(document=scene.doc, actor=official)
        with pytest.raises(services.EDocNotFound):
            services.share_link_revoke(link=scene.link, actor=official)
        scene.assert_nothing_changed()


class TestAnonymous:
    @pytest.mark.parametrize(("method", "path"), PAGES + LISTS)
    def test_pages_send_to_the_login_page(self, client: Client, scene: Scene, method: str, path: str) -> None:
        url = scene.fill(path)
        response = _call(client, method, url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
        scene.assert_nothing_leaked(response)
        scene.assert_nothing_changed()

    @pytest.mark.parametrize(("method", "path"), [*API, ("get", "/api/edocs")])
    def test_api_answers_401(self, client: Client, scene: Scene, method: str, path: str) -> None:
        response = _call(client, method, scene.fill(path))
        assert response.status_code == 401
        scene.assert_nothing_leaked(response)
        scene.assert_nothing_changed()

    def test_a_guessed_token_opens_nothing(self, client: Client, scene: Scene) -> None:
        guess = scene.raw[:-1] + ("A" if scene.raw[-1] != "A" else "B")
        for path in (f"/chia-se/{guess}/", f"/chia-se/{guess}/tai-ve/"):
            response = client.get(path)
            assert response.status_code == 404
            scene.assert_nothing_leaked(response)
        scene.assert_nothing_changed()
