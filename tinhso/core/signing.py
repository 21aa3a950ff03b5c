"""PAdES signatures of the papers an agency issues (*chữ ký số của cơ quan, tổ chức*), and their validation.

core imports no app: callers pass the agency's code and name, the verification address and the words of the
signature block. What this module does:

- **Credentials** (`agency_credentials()`): the agency's private key and certificate, from files named in
  settings (`SIGNING_AGENCY_CREDENTIALS`, a JSON map code → files) or found by convention under
  `SIGNING_DIR/agencies/<code>/` (`key.pem` + `cert.pem` [+ `chain.pem`], or `signer.p12` whose passphrase
  is read from the environment variable `SIGNING_P12_PASSPHRASE`). In development (`SIGNING_DEV_CA`, on
  when DEBUG is) an agency without files gets a certificate issued in memory by the development CA of
  `SIGNING_DIR/dev-ca/`, if that CA exists (`manage.py signing_dev_ca` makes it): `make run` and the tests
  sign every agency's papers without a file per agency. Production never issues anything.
- **Signing** (`sign_pdf()`): an incremental update that adds a visible signature field on the last page
  and a PAdES signature (`ETSI.CAdES.detached`, SHA-256) with the signing certificate and its chain embedded.
  The profile is **PAdES B-B**: the signing time is the signer's claim (a signed attribute). B-T needs a
  timestamp from an RFC 3161 authority, and none is reachable from this deployment; `SIGNING_TSA_URL` (or a
  `timestamper` passed in) upgrades the same code to B-T when one is. The signature block is drawn with
  ReportLab in the project's serif (pyHanko's own text engine needs fontTools and HarfBuzz for anything but
  Latin-1, and its QR stamp the `qrcode` package): the agency's name, who signed and when (Vietnam time, ISO
  8601, as Decree 30/2020/NĐ-CP Appendix I wants for an organisation's digital signature), and a QR code of
  the verification address, which is also a link.
- **Unsigned papers** (`stamp_unsigned()`): when an agency has no certificate, a visible note says so on
  every page; the caller decides whether to issue such a paper.
- **Validation** (`verify_pdf()`): pyHanko's validator against the trust roots of `SIGNING_TRUST_ROOTS`
  (plus the development CA when `SIGNING_DEV_CA` is on), on **every** signature of the file: whether the
  signed bytes are intact, whether the last signature covers the whole file (nothing added after signing),
  whether what each later revision added to an earlier signature's document goes beyond signatures and
  form filling (pyHanko's difference analysis: a changed page signed again is still a changed page),
  whether the signers are one and the same, whether each chain reaches a trusted root, who signed and
  when they say they did.

Development CA and certificates (`create_ca()`, `issue_certificate()`): RSA 2048, SHA-256, Vietnamese names
as UTF8String, key usage digitalSignature + nonRepudiation (what pyHanko's validator and NSS require of a
document signer).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import functools
import hashlib
import io
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.pdf_utils import content as pdf_content
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp.base import BaseStamp, BaseStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from tinhso.core import pdf

logger = logging.getLogger(__name__)


def _outside_event_loop(fn: Any, /, *args: Any, **kwargs: Any) -> Any:
    """Call `fn` (a pyHanko synchronous entry point, which runs its own event loop with `asyncio.run`) in a
    worker thread when this thread already runs a loop (an ASGI server's, Playwright's in the tests):
    `asyncio.run` refuses to nest."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


PROFILE = "PAdES B-B"
PROFILE_WITH_TIMESTAMP = "PAdES B-T"
DIGEST = "sha256"
RSA_BITS = 2048
CA_YEARS = 10
AGENCY_YEARS = 3
# The visible signature block, bottom right of the last page: A5 forms are 148 mm wide.
BLOCK_WIDTH = 92 * mm
BLOCK_HEIGHT = 24 * mm
BLOCK_MARGIN = 6 * mm
FIELD_NAME = "ChuKySoCoQuan"


class SigningError(Exception):
    """The paper could not be signed (bad key or certificate files, an unreadable PDF)."""


# ---------------------------------------------------------------------------------------------------------
# Certificates
# ---------------------------------------------------------------------------------------------------------


def _name(common_name: str, *, organization: str = "", unit: str = "") -> x509.Name:
    # cryptography encodes these attributes as UTF8String, so Vietnamese names survive (PrintableString
    # could not hold "Ủy ban nhân dân").
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, pdf.nfc(organization)[:64]))
    if unit:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, pdf.nfc(unit)[:64]))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, pdf.nfc(common_name)[:64]))
    return x509.Name(attrs)


@dataclass(frozen=True)
class IssuedKey:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def create_ca(common_name: str, *, now: dt.datetime | None = None, years: int = CA_YEARS) -> IssuedKey:
    """A self-signed root CA (for development and tests: production uses the national PKI's)."""
    now = now or dt.datetime.now(dt.UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    name = _name(common_name, organization="Tỉnh Số")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return IssuedKey(key=key, cert=cert)


def issue_certificate(
    ca: IssuedKey,
    *,
    common_name: str,
    organization: str = "",
    unit: str = "",
    now: dt.datetime | None = None,
    years: int = AGENCY_YEARS,
) -> IssuedKey:
    """A document-signing certificate for an agency, issued by `ca`: key usage digitalSignature and
    nonRepudiation (*chống chối bỏ*), no CA rights."""
    now = now or dt.datetime.now(dt.UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    not_after = min(now + dt.timedelta(days=365 * years), ca.cert.not_valid_after_utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organization=organization, unit=unit))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
        .sign(ca.key, hashes.SHA256())
    )
    return IssuedKey(key=key, cert=cert)


def fingerprint(cert: x509.Certificate | asn1_x509.Certificate) -> str:
    """SHA-256 of the certificate's DER encoding, lower-case hex."""
    der = cert.public_bytes(serialization.Encoding.DER) if isinstance(cert, x509.Certificate) else cert.dump()
    return hashlib.sha256(der).hexdigest()


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def write_key_pair(issued: IssuedKey, key_path: Path, cert_path: Path) -> None:
    """Write a key (mode 0600) and its certificate; refuses to overwrite either (`FileExistsError`)."""
    if key_path.exists() or cert_path.exists():
        raise FileExistsError(f"{key_path} or {cert_path} exists: not overwritten")
    _write_private(key_path, issued.key_pem())
    cert_path.write_bytes(issued.cert_pem())


# ---------------------------------------------------------------------------------------------------------
# Settings and credentials
# ---------------------------------------------------------------------------------------------------------


def signing_dir() -> Path:
    return Path(getattr(settings, "SIGNING_DIR", Path(settings.BASE_DIR) / "var" / "signing"))


def dev_ca_paths_under(base: Path) -> tuple[Path, Path]:
    return base / "dev-ca" / "key.pem", base / "dev-ca" / "cert.pem"


def dev_ca_paths() -> tuple[Path, Path]:
    return dev_ca_paths_under(signing_dir())


def agency_dir(code: str) -> Path:
    if not code or "/" in code or code.startswith("."):
        raise ValueError(f"bad agency code {code!r}")
    return signing_dir() / "agencies" / code


def _dev_ca_enabled() -> bool:
    return bool(getattr(settings, "SIGNING_DEV_CA", False))


def _load_pem_key(data: bytes, passphrase: bytes | None) -> Any:
    return serialization.load_pem_private_key(data, password=passphrase)


@functools.lru_cache(maxsize=4)
def _load_dev_ca(key_path: str, cert_path: str, mtime: float) -> IssuedKey:
    key = _load_pem_key(Path(key_path).read_bytes(), None)
    cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    return IssuedKey(key=key, cert=cert)


def dev_ca() -> IssuedKey | None:
    """The development CA of `SIGNING_DIR/dev-ca/`, when it exists and `SIGNING_DEV_CA` is on."""
    if not _dev_ca_enabled():
        return None
    key_path, cert_path = dev_ca_paths()
    if not (key_path.is_file() and cert_path.is_file()):
        return None
    return _load_dev_ca(str(key_path), str(cert_path), cert_path.stat().st_mtime)


@dataclass(frozen=True)
class Credentials:
    """What signing needs: the key, the certificate and the chain up to (and including) the root."""

    key: asn1_keys.PrivateKeyInfo
    cert: asn1_x509.Certificate
    chain: tuple[asn1_x509.Certificate, ...]
    source: str  # "files" | "dev-ca" (issued in memory)
    # The same key as a loaded `cryptography` object: pyHanko would parse (and check) the DER key again for
    # every signature, which costs as much as the rest of signing put together.
    loaded_key: Any = field(default=None, compare=False, repr=False)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.cert)

    @property
    def subject(self) -> str:
        return _common_name(self.cert)

    def signer(self) -> signers.SimpleSigner:
        return _LoadedKeySigner(
            loaded_key=self.loaded_key,
            signing_cert=self.cert,
            signing_key=self.key,
            cert_registry=SimpleCertificateStore.from_certs([self.cert, *self.chain]),
        )

    def reserve_bytes(self, *, timestamped: bool) -> int:
        """Room for the CMS object: the certificates, the signature, the signed attributes, and a timestamp
        token when there is one. Given, it spares pyHanko a dry-run signature to measure it."""
        certs = sum(len(c.dump()) for c in (self.cert, *self.chain))
        # In hex digits, as pyHanko counts them: two a byte.
        return 2 * (certs + 3072 + (8192 if timestamped else 0))


class _LoadedKeySigner(signers.SimpleSigner):
    """`SimpleSigner` signing RSA PKCS#1 v1.5 and ECDSA with an already loaded key (other mechanisms, or no
    loaded key: pyHanko's own path)."""

    def __init__(self, *, loaded_key: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._loaded_key = loaded_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        key = self._loaded_key
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if mechanism == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        if mechanism == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
        return super().sign_raw(data, digest_algorithm)


def _common_name(cert: asn1_x509.Certificate) -> str:
    native = cert.subject.native
    return str(native.get("common_name") or cert.subject.human_friendly)


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return translate_pyca_cryptography_cert_to_asn1(cert)


def _pem_certs(data: bytes) -> list[x509.Certificate]:
    return (
        x509.load_pem_x509_certificates(data)
        if b"-----BEGIN" in data
        else [x509.load_der_x509_certificate(data)]
    )


def _from_files(files: dict[str, str], code: str) -> Credentials:
    try:
        if files.get("pkcs12"):
            env = files.get("passphrase_env") or "SIGNING_P12_PASSPHRASE"
            passphrase = os.environ.get(env, "")
            key, cert, extra = pkcs12.load_key_and_certificates(
                Path(files["pkcs12"]).read_bytes(), passphrase.encode() if passphrase else None
            )
            if key is None or cert is None:
                raise SigningError(f"{files['pkcs12']}: no key or certificate in the PKCS#12 file")
            chain = list(extra)
        else:
            passphrase_env = files.get("passphrase_env", "")
            passphrase = os.environ.get(passphrase_env, "") if passphrase_env else ""
            key = _load_pem_key(Path(files["key"]).read_bytes(), passphrase.encode() or None)
            cert = x509.load_pem_x509_certificate(Path(files["cert"]).read_bytes())
            chain = _pem_certs(Path(files["chain"]).read_bytes()) if files.get("chain") else []
    except (OSError, ValueError, KeyError) as exc:
        raise SigningError(f"agency {code}: cannot load its signing credentials: {exc}") from exc
    for root in trust_roots_pyca():
        if cert.issuer == root.subject and root not in chain:
            chain.append(root)
    return Credentials(
        key=translate_pyca_cryptography_key_to_asn1(key),
        cert=_asn1(cert),
        chain=tuple(_asn1(c) for c in chain),
        source="files",
        loaded_key=key,
    )


def _configured_files(code: str) -> dict[str, str] | None:
    explicit = getattr(settings, "SIGNING_AGENCY_CREDENTIALS", {}) or {}
    if code in explicit:
        return dict(explicit[code])
    base = agency_dir(code)
    if (base / "signer.p12").is_file():
        return {"pkcs12": str(base / "signer.p12")}
    if (base / "key.pem").is_file() and (base / "cert.pem").is_file():
        files = {"key": str(base / "key.pem"), "cert": str(base / "cert.pem")}
        if (base / "chain.pem").is_file():
            files["chain"] = str(base / "chain.pem")
        return files
    return None


_memory_lock = threading.Lock()
_memory_issued: dict[tuple[str, str, str], Credentials] = {}


def _issued_in_memory(ca: IssuedKey, code: str, name: str) -> Credentials:
    key = (fingerprint(ca.cert), code, name)
    with _memory_lock:
        found = _memory_issued.get(key)
        if found is None:
            issued = issue_certificate(ca, common_name=name, organization=name, unit=code)
            found = Credentials(
                key=translate_pyca_cryptography_key_to_asn1(issued.key),
                cert=_asn1(issued.cert),
                chain=(_asn1(ca.cert),),
                source="dev-ca",
                loaded_key=issued.key,
            )
            _memory_issued[key] = found
        return found


@functools.lru_cache(maxsize=512)
def _cached_files(code: str, frozen: tuple[tuple[str, str], ...], mtimes: tuple[float, ...]) -> Credentials:
    return _from_files(dict(frozen), code)


def agency_credentials(*, code: str, name: str) -> Credentials | None:
    """The agency's signing credentials, or None when it has none (and no development CA can issue them).

    Files are read once per process and again when they change (their modification times are part of the
    cache key), so replacing a certificate needs no restart."""
    files = _configured_files(code)
    if files is not None:
        paths = [v for k, v in sorted(files.items()) if k in ("key", "cert", "chain", "pkcs12")]
        mtimes = tuple(Path(p).stat().st_mtime if Path(p).exists() else 0.0 for p in paths)
        return _cached_files(code, tuple(sorted(files.items())), mtimes)
    ca = dev_ca()
    if ca is not None:
        return _issued_in_memory(ca, code, name)
    return None


def trust_roots_pyca() -> list[x509.Certificate]:
    """The roots a signature must chain to: `SIGNING_TRUST_ROOTS` (PEM or DER files, each may hold several)
    and, when `SIGNING_DEV_CA` is on, the development CA."""
    roots: list[x509.Certificate] = []
    for path in getattr(settings, "SIGNING_TRUST_ROOTS", []) or []:
        p = Path(path)
        if p.is_file():
            roots.extend(_pem_certs(p.read_bytes()))
        else:
            logger.warning("signing trust root %s does not exist", p)
    ca = dev_ca()
    if ca is not None and ca.cert not in roots:
        roots.append(ca.cert)
    return roots


# ---------------------------------------------------------------------------------------------------------
# The visible signature block
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlockText:
    """The words of the signature block: `agency` signs (the certificate's holder), `signer` is the person
    on whose decision it does (empty: not printed), at `signed_at`; `verify_url` goes into the QR code."""

    agency: str
    signer: str
    signed_at: dt.datetime
    verify_url: str
    heading: str = "ĐÃ KÝ SỐ"


def iso_vietnam(moment: dt.datetime) -> str:
    return pdf.local(moment).replace(microsecond=0).isoformat()


def _block_pdf(text: BlockText, width: float, height: float) -> bytes:
    """The signature block as a one-page PDF of exactly `width` × `height` points (drawn by ReportLab,
    with the embedded serif, so the Vietnamese letters show and can be copied)."""
    pdf.register_fonts()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(width, height), invariant=1, pageCompression=1, initialFontName=pdf.FONT)
    pad = 1.6 * mm
    c.setStrokeColorRGB(0.75, 0.05, 0.05)
    c.setLineWidth(0.8)
    c.rect(0.4, 0.4, width - 0.8, height - 0.8, stroke=1, fill=0)
    qr_size = height - 2 * pad
    qr = pdf.QrCode(text.verify_url, size=qr_size, border=1)
    matrix = qr.matrix()
    n = len(matrix)
    module = qr_size / n
    c.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        y = pad + (n - 1 - r) * module
        col = 0
        while col < n:
            if row[col]:
                start = col
                while col < n and row[col]:
                    col += 1
                c.rect(pad + start * module, y, (col - start) * module, module, stroke=0, fill=1)
            else:
                col += 1
    x = pad + qr_size + 2 * mm
    avail = width - x - pad
    lines: list[tuple[str, str, float]] = [
        (pdf.FONT_BOLD, text.heading, 7.5),
        (pdf.FONT, f"Ký bởi: {text.agency}", 6.5),
        *([(pdf.FONT, f"Người ký duyệt: {text.signer}", 6.5)] if text.signer else []),
        (pdf.FONT, f"Thời gian ký: {iso_vietnam(text.signed_at)}", 6.5),
        (pdf.FONT_ITALIC, "Quét mã QR để kiểm tra văn bản tại:", 6),
        (pdf.FONT_ITALIC, text.verify_url, 5.5),
    ]
    y = height - pad - 7
    c.setFillColorRGB(0.75, 0.05, 0.05)
    for font, line, size in lines:
        for part in _wrap(pdf.nfc(line), font, size, avail):
            if y < pad:
                break
            c.setFont(font, size)
            c.drawString(x, y, part)
            y -= size + 1.2
    c.showPage()
    c.save()
    return buf.getvalue()


def _wrap(line: str, font: str, size: float, width: float) -> list[str]:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    out: list[str] = []
    current = ""
    for word in line.split(" "):
        candidate = f"{current} {word}" if current else word
        if stringWidth(candidate, font, size) <= width:
            current = candidate
            continue
        if current:
            out.append(current)
        # A word wider than the line (a long address) is cut by characters.
        while stringWidth(word, font, size) > width and len(word) > 1:
            cut = len(word)
            while cut > 1 and stringWidth(word[:cut], font, size) > width:
                cut -= 1
            out.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        out.append(current)
    return out


class _ImportedPdfBytes(pdf_content.PdfContent):
    """The first page of an in-memory PDF as a form XObject (pyHanko's `ImportedPdfPage` reads a file)."""

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__()
        self.data = data
        self.name = name

    def render(self) -> bytes:
        writer = self._ensure_writer
        xobj = writer.import_page_as_xobject(PdfFileReader(io.BytesIO(self.data)), page_ix=0)
        self.resources.xobject["/" + self.name] = xobj
        x1, y1, x2, y2 = xobj.get_object()["/BBox"]
        self.box = layout.BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
        return f"/{self.name} Do".encode()


@dataclass(frozen=True)
class _BlockStampStyle(BaseStampStyle):
    """A stamp style whose whole content is the ReportLab-drawn block, sized to the field when it is made."""

    text: BlockText | None = None
    border_width: int = 0
    background_opacity: float = 1.0
    background_layout: layout.SimpleBoxLayoutRule = field(
        default_factory=lambda: layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MIN,
            inner_content_scaling=layout.InnerScaling.NO_SCALING,
        )
    )

    def create_stamp(
        self, writer: BasePdfFileWriter, box: layout.BoxConstraints, text_params: dict[str, Any]
    ) -> BaseStamp:
        assert self.text is not None
        style = _BlockStampStyle(
            text=self.text,
            background=_ImportedPdfBytes(_block_pdf(self.text, box.width, box.height), "TinhSoBlock"),
        )
        return _BlockStamp(writer=writer, style=style, box=box)


class _BlockStamp(BaseStamp):
    def _render_inner_content(self) -> list[bytes]:
        return []


def _last_page_box(data: bytes) -> tuple[int, tuple[float, float, float, float], bool]:
    """Where the block goes: bottom right of the last page, just under its lowest line of text when there is
    room for it there; else (a full page: the signatures of Mẫu 01 are at its foot) at the top right of a page
    added after the last one, so that the block never covers a word or a handwritten signature's place.
    Returns (page index, (x1, y1, x2, y2), whether the page must be added)."""
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    page = reader.pages[-1]
    llx, lly, urx, ury = (float(v) for v in page.mediabox)
    lowest = _lowest_text_y(page, reader)
    width = min(BLOCK_WIDTH, (urx - llx) - 2 * BLOCK_MARGIN)
    x2 = urx - BLOCK_MARGIN
    bottom = lly + BLOCK_MARGIN
    below_text = (lowest if lowest is not None else ury) - 2 * mm - BLOCK_HEIGHT
    last = len(reader.pages) - 1
    if below_text >= bottom:
        y1 = max(bottom, below_text - 2 * mm)
        return last, (x2 - width, y1, x2, y1 + BLOCK_HEIGHT), False
    y2 = ury - 2 * BLOCK_MARGIN
    return last + 1, (x2 - width, y2 - BLOCK_HEIGHT, x2, y2), True


def _lowest_text_y(page: Any, reader: Any) -> float | None:
    """The baseline of the lowest line of text drawn on the page's own content stream, following the
    graphics state (`q`/`Q`/`cm`) and the text positioning operators, without decoding any font (pypdf's
    text extraction would, at ten times the cost). Text inside form XObjects is not seen: a form's QR codes
    and rules are XObjects, its words are not."""
    from pypdf.generic import ContentStream

    contents = page.get_contents()
    if contents is None:
        return None
    ctm: tuple[float, ...] = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    stack: list[tuple[float, ...]] = []
    line = (0.0, 0.0)  # the text line matrix's translation (x, y), in text space
    leading = 0.0
    lowest: float | None = None
    for operands, op in ContentStream(contents, reader).operations:
        if op == b"q":
            stack.append(ctm)
        elif op == b"Q" and stack:
            ctm = stack.pop()
        elif op == b"cm" and len(operands) == 6:
            a, b, c, d, e, f = (float(v) for v in operands)
            A, B, C, D, E, F = ctm
            ctm = (
                a * A + b * C,
                a * B + b * D,
                c * A + d * C,
                c * B + d * D,
                e * A + f * C + E,
                e * B + f * D + F,
            )
        elif op == b"BT":
            line = (0.0, 0.0)
        elif op == b"Tm" and len(operands) == 6:
            line = (float(operands[4]), float(operands[5]))
        elif op in (b"Td", b"TD") and len(operands) == 2:
            line = (line[0] + float(operands[0]), line[1] + float(operands[1]))
            if op == b"TD":
                leading = -float(operands[1])
        elif op == b"TL" and operands:
            leading = float(operands[0])
        elif op in (b"T*", b"'", b'"'):
            line = (line[0], line[1] - leading)
        if op in (b"Tj", b"TJ", b"'", b'"'):
            y = line[0] * ctm[1] + line[1] * ctm[3] + ctm[5]
            lowest = y if lowest is None else min(lowest, y)
    return lowest


# ---------------------------------------------------------------------------------------------------------
# Signing
# ---------------------------------------------------------------------------------------------------------


def default_timestamper() -> timestamps.TimeStamper | None:
    url = getattr(settings, "SIGNING_TSA_URL", "")
    return timestamps.HTTPTimeStamper(url) if url else None


class _PdfSigner(signers.PdfSigner):
    """pyHanko's signer with the signing time chosen by the caller: the time printed in the block, the
    signature dictionary's /M and the CMS signing-time attribute are then one and the same instant."""

    def __init__(self, *args: Any, signing_time: dt.datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out: BasePdfFileWriter, existing_fields_only: bool = False) -> Any:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self._signing_time
        return session


def sign_pdf(
    data: bytes,
    *,
    credentials: Credentials,
    block: BlockText,
    reason: str = "Cơ quan ban hành ký số văn bản",
    location: str = "",
    timestamper: timestamps.TimeStamper | None = None,
) -> bytes:
    """`data` signed by `credentials` with a visible block (`block`) and a link to `block.verify_url`, at
    `block.signed_at` (to the second).

    PAdES B-B, or B-T when a timestamper is given (or `SIGNING_TSA_URL` is set)."""
    if block.signed_at.tzinfo is None:
        raise ValueError("the signing time must be timezone-aware")
    tsa = timestamper or default_timestamper()
    try:
        page_ix, box, add_page = _last_page_box(data)
        writer = IncrementalPdfFileWriter(io.BytesIO(data))
        if add_page:
            _add_blank_page(writer)
    except Exception as exc:  # pypdf and pyHanko raise many kinds on a damaged file
        raise SigningError(f"cannot read the PDF to sign: {exc}") from exc
    # The QR code is also a link: readers that do not scan can click it.
    page_ref, _resources = writer.find_page_for_modification(page_ix)
    link = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Link"),
            pdf_name("/Rect"): generic.ArrayObject(
                [generic.FloatObject(v) for v in (box[0], box[1], box[0] + BLOCK_HEIGHT, box[3])]
            ),
            pdf_name("/Border"): generic.ArrayObject([generic.NumberObject(0)] * 3),
            pdf_name("/A"): generic.DictionaryObject(
                {pdf_name("/S"): pdf_name("/URI"), pdf_name("/URI"): pdf_string(block.verify_url)}
            ),
        }
    )
    writer.register_annotation(page_ref, writer.add_object(link))
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm=DIGEST,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location or None,
        name=block.agency,
    )
    pdf_signer = _PdfSigner(
        meta,
        signing_time=block.signed_at.replace(microsecond=0),
        signer=credentials.signer(),
        timestamper=tsa,
        stamp_style=_BlockStampStyle(text=block),
        new_field_spec=fields.SigFieldSpec(
            sig_field_name=FIELD_NAME,
            on_page=page_ix,
            box=tuple(round(v) for v in box),  # type: ignore[arg-type]
        ),
    )
    out = io.BytesIO()
    _outside_event_loop(
        pdf_signer.sign_pdf,
        writer,
        output=out,
        bytes_reserved=credentials.reserve_bytes(timestamped=tsa is not None),
    )
    return out.getvalue()


def _add_blank_page(writer: IncrementalPdfFileWriter) -> None:
    """A blank page of the last page's size, after it (for the signature block)."""
    last_ref, _resources = writer.find_page_for_modification(-1)
    media_box = last_ref.get_object()["/MediaBox"]
    page = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Page"),
            pdf_name("/MediaBox"): generic.ArrayObject([generic.FloatObject(float(v)) for v in media_box]),
            pdf_name("/Resources"): generic.DictionaryObject(),
            pdf_name("/Contents"): writer.add_object(generic.StreamObject(stream_data=b"")),
        }
    )
    writer.insert_page(page)


def stamp_unsigned(data: bytes, *, note: str) -> bytes:
    """`data` with `note` printed across the foot of every page (an incremental update; nothing signed)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    reader = writer.prev
    count = int(reader.root["/Pages"]["/Count"])
    for ix in range(count):
        page_ref, _ = writer.find_page_for_modification(ix)
        llx, lly, urx, _ury = (float(v) for v in page_ref.get_object()["/MediaBox"])
        width = urx - llx - 2 * BLOCK_MARGIN
        note_pdf = _note_pdf(note, width, 5 * mm)
        stamp = _BlockStamp(
            writer=writer,
            style=_BlockStampStyle(background=_ImportedPdfBytes(note_pdf, f"TinhSoNote{ix}")),
            box=layout.BoxConstraints(width=width, height=5 * mm),
        )
        stamp.apply(ix, int(llx + BLOCK_MARGIN), int(lly + 1 * mm))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _note_pdf(note: str, width: float, height: float) -> bytes:
    pdf.register_fonts()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(width, height), invariant=1, pageCompression=1, initialFontName=pdf.FONT)
    c.setFillColorRGB(0.75, 0.05, 0.05)
    size = 6.5
    from reportlab.pdfbase.pdfmetrics import stringWidth

    while size > 4 and stringWidth(pdf.nfc(note), pdf.FONT_BOLD, size) > width:
        size -= 0.5
    c.setFont(pdf.FONT_BOLD, size)
    c.drawCentredString(width / 2, (height - size) / 2 + 1, pdf.nfc(note))
    c.showPage()
    c.save()
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------------------


# What a later revision may do to an earlier signature's document and still leave it the signed paper: add
# signatures, fill in form fields and (pyHanko's level above) touch annotations. Anything else (a changed
# page, an added page, a changed object) is a modification, whoever signs afterwards.
_COVERAGE_NAMES = {
    SignatureCoverageLevel.ENTIRE_FILE: "entire_file",
    SignatureCoverageLevel.ENTIRE_REVISION: "entire_revision",
    SignatureCoverageLevel.CONTIGUOUS_BLOCK_FROM_START: "partial",
    SignatureCoverageLevel.UNCLEAR: "unclear",
}
_CHANGE_NAMES = {
    ModificationLevel.NONE: "none",
    ModificationLevel.LTA_UPDATES: "signature_upkeep",
    ModificationLevel.FORM_FILLING: "form_filling",
    ModificationLevel.ANNOTATIONS: "annotations",
    ModificationLevel.OTHER: "other",
}
_PERMITTED_CHANGES = frozenset(
    _CHANGE_NAMES[m] for m in ModificationLevel if m <= ModificationLevel.ANNOTATIONS
)


@dataclass(frozen=True)
class SignatureCheck:
    """One signature of a file, in signing order.

    - `intact`: its signed bytes hash to its digest and the signature over it is the certificate's.
    - `trusted`: its certificate chains to a trust root, with the right key usage.
    - `coverage`: `entire_file` (nothing after it), `entire_revision` (later incremental updates),
      `partial` or `unclear` (a signed range that does not end a revision: never a proper signature).
    - `changes_after`: what the revisions after it do, by pyHanko's difference analysis: `none`,
      `signature_upkeep`, `form_filling` (signatures and form fields), `annotations`, `other` (anything
      else: a changed or added page); empty when unknown.
    - `revision_sha256`: SHA-256 of the file as it stood when this signature was made (its bytes up to the
      end of the signed range).
    """

    intact: bool = False
    trusted: bool = False
    coverage: str = ""
    changes_after: str = ""
    signer: str = ""
    signer_organization: str = ""
    signer_fingerprint: str = ""
    signed_at: dt.datetime | None = None
    timestamped: bool = False
    revision_sha256: str = ""
    detail: str = ""

    @property
    def covers_whole_file(self) -> bool:
        return self.coverage == "entire_file"

    @property
    def holds_for_later_revisions(self) -> bool:
        """Intact, and what came after it only signed or filled in forms (or there is nothing after it)."""
        if not self.intact:
            return False
        if self.covers_whole_file:
            return True
        return self.coverage == "entire_revision" and self.changes_after in _PERMITTED_CHANGES


@dataclass(frozen=True)
class Verification:
    """What a PDF's signatures say. Every signature is validated (`signatures`, in signing order); the
    fields below sum them up, and `signer…`/`signed_at` are the last signature's.

    - `signed`: it carries at least one signature pyHanko can read.
    - `intact`: every signature's signed bytes hash to its digest, and the signature over that digest is the
      certificate's (one changed byte in a signed range makes this False).
    - `covers_whole_file`: the last signature covers the file to its end; False when bytes were appended
      after signing (an incremental update: a changed page, an added annotation).
    - `changed_between_signatures`: a revision between two signatures changed more than form fields and
      annotations (or an earlier signature does not end its revision): the later signature then vouches for
      a changed paper, and the earlier one no longer covers what the file shows.
    - `signers_differ`: the signatures are not all by one certificate (someone signed after the issuer).
    - `trusted`: every signer's certificate chains to a trust root, with the right key usage.
    - `signer`, `signer_fingerprint`, `signed_at` (the signer's claim; a timestamp's time under B-T).
    """

    signed: bool
    intact: bool = False
    covers_whole_file: bool = False
    trusted: bool = False
    signer: str = ""
    signer_organization: str = ""
    signer_fingerprint: str = ""
    signed_at: dt.datetime | None = None
    timestamped: bool = False
    detail: str = ""
    signatures: tuple[SignatureCheck, ...] = ()
    changed_between_signatures: bool = False
    signers_differ: bool = False

    @property
    def modified(self) -> bool:
        """Changed after signing (or damaged): a signature is present but does not hold for these bytes, or a
        later signature covers changes an earlier one does not allow, or someone else signed afterwards."""
        return self.signed and not (
            self.intact
            and self.covers_whole_file
            and not self.changed_between_signatures
            and not self.signers_differ
        )

    @property
    def valid(self) -> bool:
        return self.signed and self.trusted and not self.modified

    @property
    def revisions_sha256(self) -> tuple[str, ...]:
        """SHA-256 of the file as it stood at each signature, first signature first (a registered paper
        changed and signed again is found by its first)."""
        return tuple(dict.fromkeys(s.revision_sha256 for s in self.signatures if s.revision_sha256))


def _roots_asn1(roots: Sequence[x509.Certificate] | None) -> list[asn1_x509.Certificate]:
    return [_asn1(r) for r in (trust_roots_pyca() if roots is None else roots)]


def _revision_sha256(sig: Any, data: bytes) -> str:
    """SHA-256 of `data` up to the end of the signature's signed range: the file it signed, when its range is
    a standard one (starting at 0, two parts); empty otherwise."""
    try:
        start, len1, start2, len2 = (int(v) for v in sig.byte_range)
    except (TypeError, ValueError):
        return ""
    if start != 0 or len1 < 0 or len2 < 0 or start2 < len1 or start2 + len2 > len(data):
        return ""
    return hashlib.sha256(data[: start2 + len2]).hexdigest()


def _check_one(sig: Any, data: bytes, context: ValidationContext) -> SignatureCheck:
    revision = _revision_sha256(sig, data)
    try:
        cert = sig.signer_cert
        subject = cert.subject.native
        status = validate_pdf_signature(sig, context)
    except Exception as exc:  # pyHanko raises assorted errors on a mangled signature dictionary
        return SignatureCheck(revision_sha256=revision, detail=f"signature cannot be validated: {exc}")
    signed_at = status.signer_reported_dt
    timestamped = status.timestamp_validity is not None
    if status.timestamp_validity is not None:
        signed_at = status.timestamp_validity.timestamp
    level = status.modification_level
    return SignatureCheck(
        intact=bool(status.intact and status.valid),
        trusted=bool(status.trusted),
        coverage=_COVERAGE_NAMES.get(status.coverage, "unclear")
        if status.coverage is not None
        else "unclear",
        changes_after=_CHANGE_NAMES.get(level, "other") if level is not None else "",
        signer=str(subject.get("common_name", "")),
        signer_organization=str(subject.get("organization_name", "")),
        signer_fingerprint=fingerprint(cert),
        signed_at=signed_at,
        timestamped=timestamped,
        revision_sha256=revision,
        detail=status.summary(),
    )


def _check_all(sigs: Sequence[Any], data: bytes, context: ValidationContext) -> list[SignatureCheck]:
    return [_check_one(sig, data, context) for sig in sigs]


def verify_pdf(data: bytes, *, roots: Sequence[x509.Certificate] | None = None) -> Verification:
    """Check every signature of `data` with pyHanko's validator against `roots` (default: the configured
    trust roots), with its difference analysis of what each revision after a signature changed. Never
    raises on a bad file: a file that cannot be read is unsigned, with a `detail`."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        sigs = reader.embedded_regular_signatures
    except Exception as exc:  # a damaged or non-PDF file
        return Verification(signed=False, detail=f"unreadable PDF: {exc}")
    if not sigs:
        return Verification(signed=False, detail="no signature")
    context = ValidationContext(trust_roots=_roots_asn1(roots), allow_fetching=False)
    checks: list[SignatureCheck] = _outside_event_loop(_check_all, sigs, data, context)
    last = checks[-1]
    earlier = checks[:-1]
    fingerprints = {c.signer_fingerprint for c in checks}
    return Verification(
        signed=True,
        intact=all(c.intact for c in checks),
        covers_whole_file=last.covers_whole_file,
        trusted=all(c.trusted for c in checks),
        signer=last.signer,
        signer_organization=last.signer_organization,
        signer_fingerprint=last.signer_fingerprint,
        signed_at=last.signed_at,
        timestamped=last.timestamped,
        detail=" | ".join(c.detail for c in checks),
        signatures=tuple(checks),
        changed_between_signatures=any(not c.holds_for_later_revisions for c in earlier),
        signers_differ=len(fingerprints) > 1,
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
