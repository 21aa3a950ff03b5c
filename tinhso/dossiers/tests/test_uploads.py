"""Papers' files: accepted by content with an original and a PDF rendition; bad uploads get a clear 4xx and
leave nothing behind; only those who may add papers can, and only they can download them."""

from __future__ import annotations

import io
import json
import os
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfgen import canvas

from tinhso.accounts.api_auth import api_token_create
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.api import UtcJSONEncoder, _name, dossier_payload
from tinhso.dossiers.models import Dossier, DossierEvent, DossierPaper, DossierStep, PaperFile
from tinhso.dossiers.tests.factories import World, at

pytestmark = pytest.mark.django_db


def bearer(user: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token_create(user=user, name='t', actor=None)[1]}"}


def jpeg(width: int = 800, height: int = 600) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 180, 150)).save(out, "JPEG", quality=80)
    return out.getvalue()


def pdf(pages: int = 2) -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out)
    for n in range(pages):
        c.drawString(72, 720, f"Trang {n + 1}")
        c.showPage()
    c.save()
    return out.getvalue()


def stored_files() -> list[str]:
    found = []
    for root, _dirs, files in os.walk(settings.MEDIA_ROOT):
        found += [os.path.join(root, f) for f in files]
    return found


def upload(client: Client, d: Dossier, content: bytes, name: str, headers: dict[str, str]) -> Any:
    paper = d.papers.first()
    assert paper is not None
    return client.post(
        f"/api/dossiers/{d.code}/papers/{paper.pk}/files",
        {"file": SimpleUploadedFile(name, content, content_type="application/octet-stream")},
        headers=headers,
    )


def test_a_phone_photo_is_kept_with_a_pdf_rendition_and_downloads_with_safe_headers(
    client: Client, w: World
) -> None:
    d = w.received(when="2026-03-02 09:00")
    auth = bearer(w.counter)
    response = upload(client, d, jpeg(), "ảnh CCCD.jpg", auth)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["content_type"], body["pages"], body["name"]) == ("image/jpeg", 1, "ảnh CCCD.jpg")
    row = PaperFile.objects.get()
    rendition = client.get(f"/api/dossiers/{d.code}/files/{row.pk}/rendition", headers=auth)
    assert rendition["Content-Type"] == "application/pdf"
    assert (
        rendition["X-Content-Type-Options"] == "nosniff" and "sandbox" in rendition["Content-Security-Policy"]
    )
    assert len(PdfReader(io.BytesIO(b"".join(rendition.streaming_content))).pages) == 1  # type: ignore[attr-defined]
    original = client.get(f"/api/dossiers/{d.code}/files/{row.pk}/original", headers=auth)
    assert original["Content-Disposition"].startswith("attachment")
    assert b"".join(original.streaming_content) == jpeg()  # type: ignore[attr-defined]
    # Another ward's official cannot fetch it.
    assert (
        client.get(
            f"/api/dossiers/{d.code}/files/{row.pk}/original", headers=bearer(w.other_counter)
        ).status_code
        == 404
    )


def test_a_pdf_is_accepted_with_its_pages(client: Client, w: World) -> None:
    d = w.received(when="2026-03-02 09:00")
    response = upload(client, d, pdf(3), "giay-to.pdf", bearer(w.counter))
    assert response.status_code == 201 and response.json()["pages"] == 3


@pytest.mark.parametrize(
    ("content", "name", "status", "words"),
    [
        (b"<html><script>alert(1)</script></html>", "anh.jpg", 415, "JPEG"),
        (b"just some text", "giay.pdf", 415, "PDF"),
        (jpeg()[:2000], "cat-cut.jpg", 422, "ảnh"),
        (pdf()[:300], "hong.pdf", 422, "PDF"),
        (b"", "rong.jpg", 422, "rỗng"),
    ],
)
def test_bad_uploads_get_a_clear_4xx_and_nothing_is_kept(
    client: Client, w: World, content: bytes, name: str, status: int, words: str
) -> None:
    d = w.received(when="2026-03-02 09:00")
    before = stored_files()
    response = upload(client, d, content, name, bearer(w.counter))
    assert response.status_code == status, response.content
    assert words.lower() in response.json()["detail"].lower()
    assert PaperFile.objects.count() == 0 and stored_files() == before


def test_an_oversize_upload_is_413_and_nothing_is_kept(client: Client, w: World, settings: Any) -> None:
    settings.DOSSIER_UPLOAD_MAX_BYTES = 50_000
    d = w.received(when="2026-03-02 09:00")
    response = upload(client, d, jpeg(2000, 2000) + b"\0" * 60_000, "to.jpg", bearer(w.counter))
    assert response.status_code == 413
    assert "quá lớn" in response.json()["detail"]
    assert PaperFile.objects.count() == 0 and stored_files() == []


def test_a_decompression_bomb_is_refused(client: Client, w: World) -> None:
    import struct
    import zlib

    # A PNG whose header says 30000 × 30000 (900 megapixels), a few hundred bytes on disk.
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        + chunk(b"IEND", b"")
    )
    d = w.received(when="2026-03-02 09:00")
    response = upload(client, d, bomb, "bom.png", bearer(w.counter))
    assert response.status_code == 422 and PaperFile.objects.count() == 0


def test_only_those_who_may_add_papers_can_and_not_once_the_dossier_is_closed(
    client: Client, w: World
) -> None:
    from tinhso.dossiers import transitions as tr

    d = w.received(when="2026-03-02 09:00")
    assert upload(client, d, jpeg(), "a.jpg", bearer(w.leader)).status_code == 403
    assert upload(client, d, jpeg(), "a.jpg", bearer(w.citizen)).status_code == 404
    tr.withdraw(d, actor=w.counter, reason="Người nộp rút")
    assert upload(client, d, jpeg(), "a.jpg", bearer(w.counter)).status_code == 409
    assert PaperFile.objects.count() == 0


def test_the_dossier_read_back_answers_as_the_orm_reads_it_files_assignees_and_events_included(
    client: Client, w: World
) -> None:
    d = w.received(when="2026-03-02 09:00")
    headers = bearer(w.counter)
    first = d.papers.get()
    # A second paper put before the first (a lower order, a higher key): the models' order, not the keys'.
    second = DossierPaper.objects.create(dossier=d, order=0, name="Bản sao CCCD", kind="copy")
    for paper, content, name in (
        (first, jpeg(), "anh-1.jpg"),
        (first, pdf(), "ban-sao.pdf"),
        (second, pdf(1), "cccd.pdf"),
    ):
        answer = client.post(
            f"/api/dossiers/{d.code}/papers/{paper.pk}/files",
            {"file": SimpleUploadedFile(name, content, content_type="application/octet-stream")},
            headers=headers,
        )
        assert answer.status_code == 201, answer.content
    d = tr.hand_over(d, actor=w.counter, to=w.head, at=at("2026-03-02 10:00"))
    d = tr.assign(d, actor=w.head, assignee=w.specialist, at=at("2026-03-02 10:30"))
    # Orders and sequence numbers that disagree with the keys, as an edited process or a renumbering could:
    # the second paper before the first (a lower order, a higher key), the first step last, the first event.
    DossierPaper.objects.filter(pk=first.pk).update(order=5)
    DossierPaper.objects.filter(pk=second.pk).update(order=1)
    steps = list(d.steps.all())
    DossierStep.objects.filter(pk=steps[0].pk).update(order=99)
    DossierEvent.objects.filter(dossier=d, seq=1).update(seq=99)

    read = client.get(f"/api/dossiers/{d.code}", headers=headers).json()
    assert [(p["name"], p["files"]) for p in read["papers"]] == [(second.name, 1), (first.name, 2)]
    assert [s["order"] for s in read["steps"]] == [*sorted(s.order for s in steps[1:]), 99]
    assert [s["assignee"] for s in read["steps"]][-1] == _name(w.counter)
    assert _name(w.specialist) in [s["assignee"] for s in read["steps"]]
    assert [e["seq"] for e in read["events"]] == [2, 3, 4, 99]

    # The same dossier with its rows prefetched by the ORM, in the models' order: the same answer.
    orm = Dossier.objects.prefetch_related("papers__files", "steps__assignee", "events").get(pk=d.pk)
    assert read == json.loads(json.dumps(dossier_payload(orm, w.counter), cls=UtcJSONEncoder))
