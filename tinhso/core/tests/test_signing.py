"""PAdES signing and its validation (`core.signing`), checked by pyHanko's validator and, independently,
by Poppler's `pdfsig`."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from django.core.management import call_command
from django.core.management.base import CommandError
from pypdf import PdfReader

from tinhso.core import signing
from tinhso.core.tests.signing_support import (
    VERIFY_BASE,
    block,
    credentials_from,
    one_byte_changed,
    pdfsig,
    sample_pdf,
    signed_again,
)

AGENCY = "000.00.30.H60"
AGENCY_NAME = "Ủy ban nhân dân phường Hà Giang 2"


@pytest.fixture
def creds(signing_dir: Path) -> signing.Credentials:
    found = signing.agency_credentials(code=AGENCY, name=AGENCY_NAME)
    assert found is not None
    return found


@pytest.fixture
def signed(creds: signing.Credentials) -> bytes:
    return signing.sign_pdf(sample_pdf(), credentials=creds, block=block())


def test_a_signed_paper_is_valid_for_pyhanko_and_for_pdfsig(signed: bytes, tmp_path: Path) -> None:
    result = signing.verify_pdf(signed)
    assert result.valid and result.intact and result.covers_whole_file and result.trusted
    assert result.signer == AGENCY_NAME and result.signer_organization == AGENCY_NAME
    assert result.signed_at is not None and result.signed_at.isoformat() == "2026-11-27T09:30:00+00:00"

    (sig,) = pdfsig(signed, tmp_path)
    assert sig["Signature Validation"] == "Signature is Valid."
    assert sig["Signer Certificate Common Name"] == AGENCY_NAME
    assert sig["Signature Type"] == "ETSI.CAdES.detached"  # PAdES, not the older adbe.pkcs7.detached
    assert sig["Signing Hash Algorithm"] == "SHA-256"
    assert "Total document signed" in sig
    # pdfsig trusts what its NSS database trusts, and the test CA is not in it: trust is pyHanko's check.
    assert sig["Certificate Validation"] == "Certificate issuer isn't Trusted."


def test_one_changed_byte_inside_the_signed_range_fails_both_validators(
    signed: bytes, tmp_path: Path
) -> None:
    forged = one_byte_changed(signed)
    assert len(forged) == len(signed) and forged != signed

    result = signing.verify_pdf(forged)
    assert result.signed and not result.intact and result.modified and not result.valid

    (sig,) = pdfsig(forged, tmp_path)
    assert sig["Signature Validation"] == "Digest Mismatch."


def test_a_page_added_after_signing_is_reported_as_a_modification(signed: bytes) -> None:
    appended = signing.stamp_unsigned(signed, note="Đã sửa sau khi ký")
    result = signing.verify_pdf(appended)
    assert result.intact  # the signed revision itself is untouched…
    assert not result.covers_whole_file and result.modified and not result.valid  # …but the file is not


def test_content_changed_then_signed_again_by_a_trusted_key_is_modified(
    signed: bytes, creds: signing.Credentials
) -> None:
    """The last signature is sound and trusted, and covers the whole file; the first one is intact but the
    revision after it changed the page: every signature is checked, so the file is modified."""
    forged = signed_again(signed, creds)  # even the issuer's own key cannot hide a change this way
    result = signing.verify_pdf(forged)
    first, last = result.signatures
    assert last.intact and last.trusted and last.coverage == "entire_file"  # the last signature alone is fine
    assert first.intact and first.coverage == "entire_revision" and first.changes_after == "other"
    assert first.revision_sha256 == signing.sha256(signed)  # the file as it stood when first signed
    assert result.changed_between_signatures and result.modified and not result.valid
    assert not result.signers_differ


def test_a_second_signature_by_another_trusted_signer_is_reported_with_both_signers(
    signed: bytes, signing_dir: Path
) -> None:
    ca = signing.dev_ca()
    assert ca is not None
    other = credentials_from(ca, "Sở Tư pháp tỉnh Tuyên Quang")  # trusted: issued by the same root
    data = signed_again(signed, other, white_out=False)  # no change to the page: only a signature added
    result = signing.verify_pdf(data)
    first, last = result.signatures
    assert first.changes_after == "form_filling" and not result.changed_between_signatures
    assert last.covers_whole_file and last.trusted
    assert [s.signer for s in result.signatures] == [AGENCY_NAME, "Sở Tư pháp tỉnh Tuyên Quang"]
    assert result.intact and result.trusted and result.covers_whole_file
    assert result.signers_differ and result.modified and not result.valid


def test_a_signature_added_by_the_same_signer_without_changes_stays_valid(
    signed: bytes, creds: signing.Credentials
) -> None:
    result = signing.verify_pdf(signed_again(signed, creds, white_out=False))
    assert len(result.signatures) == 2 and result.valid and not result.modified


def test_a_certificate_from_a_ca_nobody_trusts_is_not_valid(signing_dir: Path, tmp_path: Path) -> None:
    stranger = signing.create_ca("CA lạ")
    data = signing.sign_pdf(sample_pdf(), credentials=credentials_from(stranger, AGENCY_NAME), block=block())
    result = signing.verify_pdf(data)
    assert result.intact and result.covers_whole_file  # a proper signature…
    assert not result.trusted and not result.valid  # …by nobody we trust
    (sig,) = pdfsig(data, tmp_path)
    assert sig["Signature Validation"] == "Signature is Valid."


def test_an_unsigned_or_broken_file_is_reported_not_raised() -> None:
    assert not signing.verify_pdf(sample_pdf()).signed
    garbage = signing.verify_pdf(b"%PDF-1.7\nnot really")
    assert not garbage.signed and garbage.detail


def test_the_signature_block_carries_the_verification_address_in_a_qr_code_and_a_link(
    creds: signing.Credentials, tmp_path: Path
) -> None:
    url = f"{VERIFY_BASE}/xac-thuc/Qm9uZ1RodWF0LVRpbmhTby0yMDI2/"
    data = signing.sign_pdf(sample_pdf(), credentials=creds, block=block(url))
    page = PdfReader(io.BytesIO(data)).pages[0]
    annots: list[Any] = [a.get_object() for a in page["/Annots"]]  # type: ignore[attr-defined]
    links = [a["/A"]["/URI"] for a in annots if a["/Subtype"] == "/Link"]
    assert links == [url]
    widget = next(a for a in annots if a["/Subtype"] == "/Widget")
    assert widget["/FT"] == "/Sig" and widget["/AP"]["/N"]  # a visible signature with its appearance

    if not (Path("/usr/bin/pdftoppm").exists() and Path("/usr/bin/zbarimg").exists()):
        if os.environ.get("TINHSO_REQUIRE_PDF_TOOLS") == "1":
            pytest.fail("pdftoppm and zbarimg are required (TINHSO_REQUIRE_PDF_TOOLS=1)")
        pytest.skip("pdftoppm or zbarimg not installed")
    path = tmp_path / "signed.pdf"
    path.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(path), str(tmp_path / "page")], check=True)
    (png,) = tmp_path.glob("page*.png")
    scan = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True, check=False)
    assert url in scan.stdout.splitlines()


def test_the_signature_block_text_is_vietnamese_and_says_who_and_when(creds: signing.Credentials) -> None:
    raw = signing._block_pdf(block(), signing.BLOCK_WIDTH, signing.BLOCK_HEIGHT)
    text = " ".join(PdfReader(io.BytesIO(raw)).pages[0].extract_text().split())
    assert "ĐÃ KÝ SỐ" in text
    assert f"Ký bởi: {AGENCY_NAME}" in text
    assert "Người ký duyệt: Hoàng Văn Đức" in text
    assert "Thời gian ký: 2026-11-27T16:30:00+07:00" in text  # Vietnam time, ISO 8601


def test_an_unsigned_note_is_printed_on_every_page() -> None:
    data = signing.stamp_unsigned(sample_pdf(), note="Bản điện tử chưa được ký số")
    text = " ".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().split())
    assert "Bản điện tử chưa được ký số" in text


def test_without_files_or_a_development_ca_an_agency_has_no_credentials(
    settings: Any, tmp_path: Path
) -> None:
    settings.SIGNING_DIR = tmp_path
    settings.SIGNING_DEV_CA = True
    settings.SIGNING_AGENCY_CREDENTIALS = {}
    assert signing.agency_credentials(code=AGENCY, name=AGENCY_NAME) is None  # no CA in the directory


def test_production_credentials_load_from_a_pkcs12_file_with_its_passphrase_from_the_environment(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = signing.create_ca("Root CA quốc gia (thử)")
    issued = signing.issue_certificate(root, common_name="Sở Tư pháp tỉnh Tuyên Quang")
    p12 = tmp_path / "so-tu-phap.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"sotuphap", issued.key, issued.cert, [root.cert], BestAvailableEncryption(b"mat-khau-p12")
        )
    )
    (tmp_path / "root.pem").write_bytes(root.cert_pem())
    settings.SIGNING_DIR = tmp_path / "empty"
    settings.SIGNING_DEV_CA = False
    settings.SIGNING_TRUST_ROOTS = [str(tmp_path / "root.pem")]
    settings.SIGNING_AGENCY_CREDENTIALS = {"000.00.40.H60": {"pkcs12": str(p12), "passphrase_env": "P12_STP"}}
    monkeypatch.setenv("P12_STP", "mat-khau-p12")

    creds = signing.agency_credentials(code="000.00.40.H60", name="ignored")
    assert creds is not None and creds.source == "files" and creds.subject == "Sở Tư pháp tỉnh Tuyên Quang"
    data = signing.sign_pdf(sample_pdf(), credentials=creds, block=block())
    assert signing.verify_pdf(data).valid
    assert signing.agency_credentials(code="000.00.99.H60", name="x") is None  # no dev CA in production

    monkeypatch.setenv("P12_STP", "sai-mat-khau")
    signing._cached_files.cache_clear()
    with pytest.raises(signing.SigningError):
        signing.agency_credentials(code="000.00.40.H60", name="ignored")


@pytest.mark.django_db
def test_the_dev_ca_command_issues_every_agency_once_and_never_overwrites(
    reference_data: None, settings: Any, tmp_path: Path
) -> None:
    settings.SIGNING_DIR = tmp_path
    settings.SIGNING_DEV_CA = True
    foreign = tmp_path / "agencies" / AGENCY
    foreign.mkdir(parents=True)
    (foreign / "signer.p12").write_bytes(b"production credentials")

    out = io.StringIO()
    call_command("signing_dev_ca", "--agency", AGENCY, "--agency", "000.00.00.H60", stdout=out)
    assert "1 created, 0 already there, 1 from elsewhere kept" in out.getvalue()
    assert (foreign / "signer.p12").read_bytes() == b"production credentials"
    key = tmp_path / "agencies" / "000.00.00.H60" / "key.pem"
    assert key.stat().st_mode & 0o777 == 0o600
    cert_before = key.with_name("cert.pem").read_bytes()

    out = io.StringIO()
    call_command("signing_dev_ca", "--agency", "000.00.00.H60", stdout=out)
    assert "0 created, 1 already there" in out.getvalue()
    assert key.with_name("cert.pem").read_bytes() == cert_before

    creds = signing.agency_credentials(code="000.00.00.H60", name="ignored")
    assert creds is not None and creds.source == "files"
    assert creds.subject == "Ủy ban nhân dân tỉnh Tuyên Quang"  # UTF8String, diacritics intact
    assert signing.verify_pdf(signing.sign_pdf(sample_pdf(), credentials=creds, block=block())).valid


def test_the_dev_ca_command_refuses_when_the_development_ca_is_off(settings: Any, tmp_path: Path) -> None:
    settings.SIGNING_DIR = tmp_path
    settings.SIGNING_DEV_CA = False
    with pytest.raises(CommandError, match="SIGNING_DEV_CA is off"):
        call_command("signing_dev_ca")
    assert not any(tmp_path.iterdir())


def test_a_full_last_page_gets_the_block_on_a_page_added_after_it(
    creds: signing.Credentials, tmp_path: Path
) -> None:
    from reportlab.pdfgen import canvas

    from tinhso.core import pdf

    pdf.register_fonts()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=pdf.PAGE_A5, invariant=1)
    c.setFont(pdf.FONT, 11)
    c.drawString(200, 40, "Trần Văn Minh")  # a signature's name at the foot of the page
    c.showPage()
    c.save()
    data = signing.sign_pdf(out.getvalue(), credentials=creds, block=block())
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2
    assert "/Annots" not in reader.pages[0]  # nothing covers the first page
    widget = _widget(reader.pages[1])
    assert widget["/FT"] == "/Sig"
    assert signing.verify_pdf(data).valid
    (sig,) = pdfsig(data, tmp_path)
    assert sig["Signature Validation"] == "Signature is Valid."


def test_the_block_goes_under_the_last_line_when_there_is_room(creds: signing.Credentials) -> None:
    data = signing.sign_pdf(sample_pdf(), credentials=creds, block=block())  # text ends at y = 480 pt
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    widget = _widget(reader.pages[0])
    _x1, y1, _x2, y2 = (float(v) for v in widget["/Rect"])
    assert y2 < 480 and y1 > 300  # just under the text, not at the foot of the page


def _widget(page: Any) -> Any:
    return next(a.get_object() for a in page["/Annots"] if a.get_object()["/Subtype"] == "/Widget")


def test_with_a_time_stamping_authority_the_signature_is_pades_b_t(
    signing_dir: Path, creds: signing.Credentials, tmp_path: Path
) -> None:
    """The B-T path (`SIGNING_TSA_URL` in production) with an in-process RFC 3161 authority issued by the
    test CA: the signature carries a timestamp token, and its time is the one the page shows."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    from pyhanko.keys.internal import (
        translate_pyca_cryptography_cert_to_asn1,
        translate_pyca_cryptography_key_to_asn1,
    )
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    ca = signing.dev_ca()
    assert ca is not None
    tsa = signing.issue_certificate(ca, common_name="Dịch vụ cấp dấu thời gian (thử)")
    now = dt.datetime.now(dt.UTC)
    tsa_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TSA thử")]))
        .issuer_name(ca.cert.subject)
        .public_key(tsa.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(ca.key, hashes.SHA256())
    )
    stamper = DummyTimeStamper(
        tsa_cert=translate_pyca_cryptography_cert_to_asn1(tsa_cert),
        tsa_key=translate_pyca_cryptography_key_to_asn1(tsa.key),
        certs_to_embed=SimpleCertificateStore.from_certs([translate_pyca_cryptography_cert_to_asn1(ca.cert)]),
    )
    data = signing.sign_pdf(sample_pdf(), credentials=creds, block=block(), timestamper=stamper)
    result = signing.verify_pdf(data)
    assert result.valid and result.timestamped
    assert result.signed_at is not None and abs((result.signed_at - now).total_seconds()) < 120
    (sig,) = pdfsig(data, tmp_path)
    assert sig["Signature Validation"] == "Signature is Valid."
    # Poppler 22.12 does not report timestamp tokens; it still checks the signature around them.
