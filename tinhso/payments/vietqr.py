"""VietQR: the EMVCo merchant-presented QR payload of NAPAS (docs/domain/trace-market-pay.md §4).

`build_payload()` writes a dynamic transfer QR for one payment request: 00 = 01, 01 = 12 (one-off, with an
amount), 38 = {00 GUID A000000727, 01 = {00 bank BIN, 01 account}, 02 service QRIBFTTA}, 53 = 704 (VND),
54 = amount, 58 = VN, 62/08 = the purpose carrying the request's unique reference, 63 = CRC.

`parse_payload()` is strict (PAY-1): it refuses a payload whose TLV lengths do not add up, whose CRC is wrong,
whose GUID is not NAPAS's, whose currency is not VND or country not VN, whose BIN is not 6 digits, whose
account is longer than 19 characters, or whose service code is unknown. The PyPI decoders skip some of these
checks (§4.3), so ours is the one the application trusts; the tests decode every payload we build with two
of them as independent witnesses.

PAY-2: a payload is only a pre-filled bank transfer. Showing it proves nothing; a fee is paid only when the
bank's statement or feed says so (`reconciliation.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import segno

NAPAS_GUID = "A000000727"
SERVICE_TO_ACCOUNT = "QRIBFTTA"
# PAY-1: the service codes NAPAS defines (to account, to card, merchant payment, ATM cash withdrawal).
SERVICE_CODES = frozenset({"QRIBFTTA", "QRIBFTTC", "QRPUSH", "QRCASH"})
CURRENCY_VND = "704"
COUNTRY_VN = "VN"
STATIC = "11"
DYNAMIC = "12"
# NAPAS limits (napas-qr-python 0.2.0, citing the VietQR format document v1.0, 09/2021).
MAX_ACCOUNT = 19
MAX_AMOUNT_DIGITS = 13
MAX_ADDITIONAL = 25

_BIN_RE = re.compile(r"^\d{6}$")
_ACCOUNT_RE = re.compile(r"^[0-9A-Za-z]{1,19}$")
# What a bank transfer's description survives: ASCII letters, digits and spaces (no diacritics, PAY-2).
_PURPOSE_RE = re.compile(r"^[0-9A-Za-z ]{1,25}$")


class VietQRError(ValueError):
    """A payload that is not a valid VietQR transfer, with the reason (English, for logs and officials)."""


def crc16_ccitt_false(data: str) -> str:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR) as 4 upper-case hex digits,
    leading zeros kept: "123456789" → "29B1", "TEST12" → "0646" (§4.1)."""
    crc = 0xFFFF
    for byte in data.encode("utf-8"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return f"{crc:04X}"


def _tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise VietQRError(f"tag {tag}: value longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


@dataclass(frozen=True)
class Payload:
    """The fields of a VietQR transfer that matter to us, as parsed or built."""

    bank_bin: str
    account: str
    service: str  # "" for merchant-style payloads without 38/02
    initiation: str  # "11" static, "12" dynamic
    amount_vnd: int | None
    purpose: str  # 62/08
    bill_number: str  # 62/01
    merchant_name: str  # 59
    crc: str


def build_payload(*, bank_bin: str, account: str, amount_vnd: int, purpose: str) -> str:
    """A dynamic VietQR transfer of `amount_vnd` đồng to the account, whose description (62/08) is `purpose`
    (the request's unique reference, ≤ 25 ASCII characters without diacritics: PAY-2)."""
    if not _BIN_RE.match(bank_bin):
        raise VietQRError("the bank BIN has 6 digits")
    if not _ACCOUNT_RE.match(account):
        raise VietQRError(f"the account has 1–{MAX_ACCOUNT} letters or digits")
    if not isinstance(amount_vnd, int) or amount_vnd <= 0 or len(str(amount_vnd)) > MAX_AMOUNT_DIGITS:
        raise VietQRError("the amount is a positive whole number of đồng, at most 13 digits")
    if not _PURPOSE_RE.match(purpose):
        raise VietQRError("the purpose is 1–25 ASCII letters, digits or spaces")
    beneficiary = _tlv("00", bank_bin) + _tlv("01", account)
    merchant = _tlv("00", NAPAS_GUID) + _tlv("01", beneficiary) + _tlv("02", SERVICE_TO_ACCOUNT)
    body = (
        _tlv("00", "01")
        + _tlv("01", DYNAMIC)
        + _tlv("38", merchant)
        + _tlv("53", CURRENCY_VND)
        + _tlv("54", str(amount_vnd))  # VND has no minor unit
        + _tlv("58", COUNTRY_VN)
        + _tlv("62", _tlv("08", purpose))
        + "6304"
    )
    return body + crc16_ccitt_false(body)


def _split(data: str, where: str) -> dict[str, str]:
    """The TLV objects of `data`, in order; a length that runs past the end, a non-numeric tag or length,
    or a repeated tag is refused."""
    out: dict[str, str] = {}
    i = 0
    while i < len(data):
        head = data[i : i + 4]
        if len(head) < 4 or not head.isdigit():
            raise VietQRError(f"{where}: malformed tag/length at position {i}")
        tag, length = head[:2], int(head[2:])
        value = data[i + 4 : i + 4 + length]
        if len(value) != length:
            raise VietQRError(f"{where}: tag {tag} declares {length} characters but only {len(value)} remain")
        if tag in out:
            raise VietQRError(f"{where}: tag {tag} appears twice")
        out[tag] = value
        i += 4 + length
    return out


def parse_payload(payload: str) -> Payload:
    """The fields of a VietQR transfer payload, checked (PAY-1); `VietQRError` says what is wrong."""
    if not payload or len(payload) < 12:
        raise VietQRError("empty or truncated payload")
    if payload[-8:-4] != "6304":
        raise VietQRError("the payload does not end with the CRC object 63 (length 04)")
    expected = crc16_ccitt_false(payload[:-4])
    if payload[-4:] != expected:
        raise VietQRError(f"CRC mismatch: payload says {payload[-4:]}, content gives {expected}")
    root = _split(payload, "payload")
    if not payload.startswith("000201"):
        raise VietQRError("the payload format indicator 00 = 01 must come first")
    initiation = root.get("01", STATIC)
    if initiation not in (STATIC, DYNAMIC):
        raise VietQRError(f"point of initiation 01 must be 11 or 12, not {initiation!r}")
    if "38" not in root:
        raise VietQRError("no NAPAS merchant account information (tag 38)")
    merchant = _split(root["38"], "tag 38")
    if merchant.get("00") != NAPAS_GUID:
        raise VietQRError(f"tag 38/00: the GUID must be {NAPAS_GUID}, not {merchant.get('00')!r}")
    if "01" not in merchant:
        raise VietQRError("tag 38/01: no beneficiary (bank BIN and account)")
    beneficiary = _split(merchant["01"], "tag 38/01")
    bank_bin, account = beneficiary.get("00", ""), beneficiary.get("01", "")
    if not _BIN_RE.match(bank_bin):
        raise VietQRError(f"tag 38/01/00: the bank BIN has 6 digits, not {bank_bin!r}")
    if not 1 <= len(account) <= MAX_ACCOUNT:
        raise VietQRError(f"tag 38/01/01: the account or card number has 1–{MAX_ACCOUNT} characters")
    service = merchant.get("02", "")
    if "02" in merchant and service not in SERVICE_CODES:
        raise VietQRError(f"tag 38/02: unknown service code {service!r}")
    if root.get("53") != CURRENCY_VND:
        raise VietQRError(f"tag 53: the currency must be 704 (VND), not {root.get('53')!r}")
    if root.get("58") != COUNTRY_VN:
        raise VietQRError(f"tag 58: the country must be VN, not {root.get('58')!r}")
    amount: int | None = None
    if "54" in root:
        raw = root["54"]
        if not raw.isdigit() or len(raw) > MAX_AMOUNT_DIGITS:
            raise VietQRError(f"tag 54: the amount is up to 13 digits of whole đồng, not {raw!r}")
        amount = int(raw)
    additional = _split(root["62"], "tag 62") if "62" in root else {}
    return Payload(
        bank_bin=bank_bin,
        account=account,
        service=service,
        initiation=initiation,
        amount_vnd=amount,
        purpose=additional.get("08", ""),
        bill_number=additional.get("01", ""),
        merchant_name=root.get("59", ""),
        crc=payload[-4:],
    )


def qr_svg(payload: str, *, scale: int = 4) -> str:
    """The payload as an inline SVG QR code (error correction M, as banks' apps expect), for pages."""
    qr = segno.make(payload, error="m", micro=False)
    return qr.svg_inline(scale=scale, border=4, dark="#000", light="#fff", title="VietQR")
