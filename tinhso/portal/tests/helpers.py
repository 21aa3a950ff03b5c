"""Helpers of the portal's dossier tests: real files, and the e-form posted as a browser would."""

from __future__ import annotations

import io
import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from reportlab.pdfgen import canvas

from tinhso.dossiers.models import Dossier
from tinhso.procedures.models import ProcedureBinding, RequiredPaper


def phone_photo(width: int = 1200, height: int = 900, *, noisy: bool = False) -> bytes:
    """A real JPEG, as a phone camera would send; `noisy` makes it compress as badly as a real photo."""
    if noisy:
        image = Image.effect_noise((width, height), 80).convert("RGB")
    else:
        image = Image.new("RGB", (width, height), (236, 228, 210))
        for x in range(0, width, 40):
            for y in range(0, height, 40):
                image.putpixel((x, y), (20, 20, 20))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def pdf_document(pages: int = 2) -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out)
    for n in range(pages):
        c.drawString(72, 720, f"Giay to - trang {n + 1}")
        c.showPage()
    c.save()
    return out.getvalue()


def jpeg_upload(name: str = "IMG_20260302_091500.jpg", **kw: Any) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, phone_photo(**kw), content_type="image/jpeg")


def pdf_upload(name: str = "giay-to.pdf", pages: int = 2) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_document(pages), content_type="application/pdf")


def form_url(binding: ProcedureBinding) -> str:
    return f"/nop-ho-so/{binding.procedure.code}/{binding.agency.code}/"


def token_of(response: Any) -> str:
    match = re.search(r'name="token" value="([^"]+)"', response.content.decode())
    assert match, "no token on the e-form"
    return match.group(1)


def paper(binding: ProcedureBinding, starts: str) -> RequiredPaper:
    """The catalog paper of the binding's current version whose name starts with `starts`."""
    found = [
        p
        for p in RequiredPaper.objects.filter(version_id=binding.procedure.current_version_id)
        if p.name.startswith(starts)
    ]
    assert len(found) == 1, (starts, [p.name[:40] for p in found])
    return found[0]


def post_eform(
    client: Client,
    binding: ProcedureBinding,
    *,
    files: dict[str, Any] | None = None,
    token: str | None = None,
    action: str = "submit",
    declaration: bool = True,
    extra: dict[str, str] | None = None,
    **fields: str,
) -> Any:
    """GET the e-form (for its token, unless given), then POST it with `files` (field name: upload(s))."""
    if token is None:
        token = token_of(client.get(form_url(binding)))
    data: dict[str, Any] = {"token": token, "action": action, **fields, **(extra or {})}
    if declaration:
        data["declaration"] = "on"
    for name, value in (files or {}).items():
        data[name] = value
    return client.post(form_url(binding), data)


def dossiers_of(user: Any) -> list[Dossier]:
    return list(Dossier.objects.filter(applicant_user=user))
