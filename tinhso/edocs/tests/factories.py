"""Test data for the e-document store: real files (a JPEG, a PDF), citizens, stored documents."""

from __future__ import annotations

import datetime as dt
import io
import os
from typing import Any

from django.conf import settings
from PIL import Image
from reportlab.pdfgen import canvas

from tinhso.accounts.api_auth import api_token_create
from tinhso.accounts.models import User
from tinhso.edocs import services
from tinhso.edocs.models import EDocument

WARD_CODE = "000.00.30.H60"  # Ủy ban nhân dân phường Hà Giang 2
DOSSIER_CODE = "000.00.30.H60-260302-0001"


def jpeg(width: int = 640, height: int = 480, colour: tuple[int, int, int] = (200, 180, 150)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG", quality=80)
    return out.getvalue()


def pdf(text: str = "Giấy khai sinh", pages: int = 1) -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out, invariant=1)
    for n in range(pages):
        c.drawString(72, 720, f"{text} - trang {n + 1}")
        c.showPage()
    c.save()
    return out.getvalue()


def result(owner: User, *, content: bytes | None = None, **kw: Any) -> EDocument:
    """A dossier's result delivered to `owner`'s store, as dossiers will deliver it."""
    values: dict[str, Any] = {
        "kind": EDocument.Kind.RESULT,
        "title": "Giấy khai sinh bản chính",
        "issuer": "Ủy ban nhân dân phường Hà Giang 2",
        "issuer_code": WARD_CODE,
        "issued_on": dt.date(2026, 3, 4),
        "valid_until": None,
        "filename": "giay-khai-sinh.pdf",
        "content_type": "application/pdf",
        "source_dossier_code": DOSSIER_CODE,
        "actor": None,
    }
    values.update(kw)
    return services.edoc_store(owner=owner, content=content if content is not None else pdf(), **values)


def stored_files() -> list[str]:
    """Every file under MEDIA_ROOT (the tests' temporary one)."""
    found = []
    for root, _dirs, files in os.walk(settings.MEDIA_ROOT):
        found += [os.path.join(root, f) for f in files]
    return found


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token_create(user=user, name='t', actor=None)[1]}"}


def body(response: Any) -> bytes:
    """The whole body of a response, streamed or not."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)
