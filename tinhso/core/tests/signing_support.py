"""Test support for signatures: a development CA in a temporary directory, and Poppler's `pdfsig` as an
independent verifier. Import the fixtures into a `conftest.py` (`from tinhso.core.tests.signing_support
import signing_dir  # noqa: F401`)."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from reportlab.pdfgen import canvas

from tinhso.core import pdf, signing

PDFSIG = "/usr/bin/pdfsig"
VERIFY_BASE = "https://tinhso.example.gov.vn"


@pytest.fixture(scope="session")
def _dev_ca_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("signing")
    key, cert = signing.dev_ca_paths_under(base)
    signing.write_key_pair(signing.create_ca("CA thử nghiệm của Tỉnh Số"), key, cert)
    return base


@pytest.fixture
def signing_dir(settings: Any, _dev_ca_dir: Path) -> Path:
    """Signing as in development: the test CA of a temporary directory issues every agency a certificate."""
    settings.SIGNING_DIR = _dev_ca_dir
    settings.SIGNING_DEV_CA = True
    settings.SIGNING_TRUST_ROOTS = []
    settings.SIGNING_AGENCY_CREDENTIALS = {}
    settings.SIGNING_TSA_URL = ""
    settings.SIGNING_VERIFY_BASE_URL = VERIFY_BASE
    return _dev_ca_dir


def credentials_from(ca: signing.IssuedKey, name: str) -> signing.Credentials:
    """Credentials issued by `ca` (e.g. a CA nobody trusts), outside any settings."""
    issued = signing.issue_certificate(ca, common_name=name, organization=name)
    return signing.Credentials(
        key=translate_pyca_cryptography_key_to_asn1(issued.key),
        cert=translate_pyca_cryptography_cert_to_asn1(issued.cert),
        chain=(translate_pyca_cryptography_cert_to_asn1(ca.cert),),
        source="test",
        loaded_key=issued.key,
    )


def sample_pdf(text: str = "Trích lục khai sinh — Nguyễn Thị Ánh") -> bytes:
    """A one-page A5 paper in the project's serif."""
    pdf.register_fonts()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=pdf.PAGE_A5, invariant=1)
    c.setFont(pdf.FONT, 12)
    c.drawString(60, 500, pdf.nfc(text))
    c.drawString(60, 480, "Ủy ban nhân dân phường Hà Giang 2")
    c.showPage()
    c.save()
    return out.getvalue()


def block(url: str = f"{VERIFY_BASE}/xac-thuc/abc/") -> signing.BlockText:
    return signing.BlockText(
        agency="Ủy ban nhân dân phường Hà Giang 2",
        signer="Hoàng Văn Đức",
        signed_at=dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC),
        verify_url=url,
    )


def signed_ranges(data: bytes) -> list[tuple[int, int]]:
    m = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)
    assert m, "no /ByteRange"
    a, b, c, d = (int(x) for x in m.groups())
    return [(a, a + b), (c, c + d)]


def one_byte_changed(data: bytes) -> bytes:
    """`data` with one byte of the first page's content stream changed: inside the signed range, and the file
    still parses (what a forger editing the text would produce, at its smallest)."""
    start = data.index(b"stream", data.index(b"/Contents")) + len(b"stream\n") + 5
    (first_start, first_end), _ = signed_ranges(data)
    assert first_start <= start < first_end
    changed = bytearray(data)
    changed[start] ^= 0x01
    return bytes(changed)


def pdfsig(data: bytes, tmp_path: Path) -> list[dict[str, str]]:
    """Poppler's `pdfsig` on `data`: one dict per signature, keyed by its report lines
    ("Signature Validation", "Certificate Validation", "Signer Certificate Common Name", …)."""
    if not Path(PDFSIG).exists() and shutil.which("pdfsig") is None:
        pytest.skip("pdfsig (poppler-utils) is not installed")
    path = tmp_path / "checked.pdf"
    path.write_bytes(data)
    run = subprocess.run(
        [PDFSIG if Path(PDFSIG).exists() else "pdfsig", "-no-ocsp", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    sigs: list[dict[str, str]] = []
    for line in run.stdout.splitlines():
        if re.match(r"^Signature #\d+:", line):
            sigs.append({})
        elif sigs and (m := re.match(r"^\s+- ([^:]+): (.*)$", line)):
            sigs[-1][m.group(1).strip()] = m.group(2).strip()
        elif sigs and (m := re.match(r"^\s+- (.+)$", line)):
            sigs[-1][m.group(1).strip()] = "yes"
    return sigs


def signed_again(
    data: bytes,
    credentials: signing.Credentials,
    *,
    white_out: bool = True,
    field_name: str = "ChuKyThem",
) -> bytes:
    """`data` with one incremental update that (when `white_out`) paints a white box over the first page's
    text, the way a forger hides a name, and adds a second signature by `credentials` over the result: the
    attack on a validator that looks at the last signature only."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    if white_out:
        box = generic.StreamObject(stream_data=b"q 1 1 1 rg 50 470 320 45 re f Q")
        writer.add_stream_to_page(0, writer.add_object(box))
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
    )
    out = io.BytesIO()
    # Outside any running event loop (a browser test earlier in the session leaves Playwright's running).
    signing._outside_event_loop(signers.sign_pdf, writer, meta, signer=credentials.signer(), output=out)
    return out.getvalue()
