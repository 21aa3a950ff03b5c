"""VietQR payloads (docs/domain/trace-market-pay.md §4): ours are decoded by two independent PyPI decoders
field by field, the documented payloads parse, and our strict parser refuses what PAY-1 forbids."""

from __future__ import annotations

import pytest
import qr_pay  # napas-qr-python
from vietnam_qr_pay import QRPay

from tinhso.payments.vietqr import (
    VietQRError,
    build_payload,
    crc16_ccitt_false,
    parse_payload,
    qr_svg,
)

# §4.2, CRCs recomputed by the domain doc.
VALID = [
    "00020101021138570010A00000072701270006970403011300110123456780208QRIBFTTA53037045802VN63049E6F",
    "00020101021138600010A00000072701300006970403011697040311012345670208QRIBFTTC53037045802VN63044F52",
    "00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA530370454061800005802VN"
    "62340107NPS68690819thanh toan don hang63042E2E",
    "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN"
    "62170813ung ho lu lut6304C15C",
    "00020101021138480010A00000072701300006970403011621129950446040255204581253037045802VN5910PHUONG CAC"
    "6005HANOI62110307NPS686963045802",
]
# vietqr-emvco 1.0.0 README: its CRC is wrong (the body gives 5BE7) and tag 62's length is off.
VIETQR_EMVCO_README = (
    "00020101021238540010A00000072701240006970422011012345678900208QRIBFTTA52040000530370454061000005802VN"
    "5912NGUYEN VAN A62180810ITBLOG PAY16304E85C"
)

CASES = [
    # (BIN, account, amount, purpose)
    ("970415", "113366668888", 20_000, "TS3K7Q9ZP2M4XD"),
    ("970436", "0011001932418", 10_000, "TSAB12CD34EF56G"),
    ("970403", "1234567890123456789", 1_250_000, "TS0000000000000"),  # 19-character account
    ("970422", "9", 1, "LE PHI TS123"),
    ("970418", "12345678", 9_999_999_999_999, "A" * 25),  # 13-digit amount, 25-character purpose
]


def test_crc_check_values_of_the_standard() -> None:
    assert crc16_ccitt_false("123456789") == "29B1"
    assert crc16_ccitt_false("TEST12") == "0646"  # leading zero kept (vietqr-generator drops it)


@pytest.mark.parametrize(("bank_bin", "account", "amount", "purpose"), CASES)
def test_every_generated_payload_decodes_field_by_field_with_napas_qr_python(
    bank_bin: str, account: str, amount: int, purpose: str
) -> None:
    payload = build_payload(bank_bin=bank_bin, account=account, amount_vnd=amount, purpose=purpose)
    assert qr_pay.verify_checksum(payload)
    root = qr_pay.parse(payload, verify_crc=True)  # strict TLV and CRC: raises on any error
    assert list(root) == ["00", "01", "38", "53", "54", "58", "62", "63"]
    fields = qr_pay.decode(payload)
    assert fields["payload_format_indicator"] == "01"
    assert fields["point_of_initiation_method"] == "12"
    assert fields["glocal_uuid"] == "A000000727"
    assert fields["bin_id"] == bank_bin
    assert fields["consumer_id"] == account
    assert fields["service_code"] == "QRIBFTTA"
    assert fields["transaction_currency"] == "704"
    assert fields["transaction_amount"] == str(amount)
    assert fields["country_code"] == "VN"
    assert fields["purpose_of_transaction"] == purpose
    assert fields["crc"] == payload[-4:] == qr_pay.calculate_checksum(payload[:-4]).upper()


@pytest.mark.parametrize(("bank_bin", "account", "amount", "purpose"), CASES)
def test_every_generated_payload_decodes_field_by_field_with_vietnam_qr_pay(
    bank_bin: str, account: str, amount: int, purpose: str
) -> None:
    payload = build_payload(bank_bin=bank_bin, account=account, amount_vnd=amount, purpose=purpose)
    decoded = QRPay(payload)
    assert decoded.is_valid  # its CRC check passed
    assert decoded.version == "01"
    assert decoded.init_method == "12"
    assert decoded.provider.guid == "A000000727"
    assert decoded.provider.service == "QRIBFTTA"
    assert decoded.consumer.bank_bin == bank_bin
    assert decoded.consumer.bank_number == account
    assert decoded.currency == "704"
    assert decoded.amount == str(amount)
    assert decoded.nation == "VN"
    assert decoded.additional_data.purpose == purpose
    assert decoded.crc == payload[-4:]
    # Its own builder, fed the decoded fields, writes the same bytes (hence the same CRC).
    assert decoded.build() == payload


@pytest.mark.parametrize(("bank_bin", "account", "amount", "purpose"), CASES)
def test_our_parser_reads_back_what_we_built(bank_bin: str, account: str, amount: int, purpose: str) -> None:
    p = parse_payload(build_payload(bank_bin=bank_bin, account=account, amount_vnd=amount, purpose=purpose))
    assert (p.bank_bin, p.account, p.amount_vnd, p.purpose, p.service, p.initiation) == (
        bank_bin,
        account,
        amount,
        purpose,
        "QRIBFTTA",
        "12",
    )


def test_the_napas_dynamic_example_is_rebuilt_byte_for_byte_apart_from_its_bill_number() -> None:
    # NAPAS's example carries 62/01 too; ours carries only 62/08. Same account, amount and purpose otherwise.
    ours = build_payload(bank_bin="970403", account="0011012345678", amount_vnd=180000, purpose="PHI TS1")
    assert ours.startswith(VALID[2][: VALID[2].index("62")])


@pytest.mark.parametrize("payload", VALID)
def test_the_five_documented_payloads_parse(payload: str) -> None:
    p = parse_payload(payload)
    assert p.crc == payload[-4:]
    assert len(p.bank_bin) == 6


def test_the_documented_payloads_fields() -> None:
    card = parse_payload(VALID[1])
    assert (card.bank_bin, card.account, card.service, card.initiation) == (
        "970403",
        "9704031101234567",
        "QRIBFTTC",
        "11",
    )
    dynamic = parse_payload(VALID[2])
    assert (dynamic.amount_vnd, dynamic.purpose, dynamic.bill_number) == (
        180000,
        "thanh toan don hang",
        "NPS6869",
    )
    merchant = parse_payload(VALID[4])
    assert (merchant.service, merchant.merchant_name) == ("", "PHUONG CAC")


def test_the_vietqr_emvco_readme_sample_is_refused() -> None:
    with pytest.raises(VietQRError, match="CRC mismatch: payload says E85C, content gives 5BE7"):
        parse_payload(VIETQR_EMVCO_README)


def test_a_wrong_crc_is_refused_by_our_parser_and_by_both_decoders() -> None:
    good = build_payload(
        bank_bin="970415", account="113366668888", amount_vnd=20000, purpose="TS3K7Q9ZP2M4XD"
    )
    bad = good[:-4] + ("0000" if good[-4:] != "0000" else "0001")
    with pytest.raises(VietQRError, match="CRC mismatch"):
        parse_payload(bad)
    with pytest.raises(qr_pay.QRDecodeError):
        qr_pay.parse(bad)
    assert not QRPay(bad).is_valid


def test_a_changed_amount_with_the_old_crc_is_refused() -> None:
    good = build_payload(
        bank_bin="970415", account="113366668888", amount_vnd=20000, purpose="TS3K7Q9ZP2M4XD"
    )
    with pytest.raises(VietQRError, match="CRC mismatch"):
        parse_payload(good.replace("540520000", "540590000"))


def _with_crc(body: str) -> str:
    body += "6304"
    return body + crc16_ccitt_false(body)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # A foreign GUID (vietnam-qr-pay still calls this valid, with empty bank fields).
        (
            "00020101021238570010A00000099901270006970403011300110123456780208QRIBFTTA53037045802VN",
            "GUID must be A000000727",
        ),
        (
            "00020101021138570010A00000072701270006970403011300110123456780208QRIBFTTA53038405802VN",
            "currency",
        ),
        ("00020101021138570010A00000072701270006970403011300110123456780208QRIBFTTA53037045802US", "country"),
        ("00020101021138570010A00000072701270006970403011300110123456780208QRIBFTXX53037045802VN", "service"),
        ("00020101021138560010A0000007270126000597040011300110123456780208QRIBFTTA53037045802VN", "BIN"),
        # Tag 38 declares more characters than it holds.
        (
            "00020101021138990010A00000072701270006970403011300110123456780208QRIBFTTA53037045802VN",
            "declares",
        ),
        ("00020101021138570010A00000072701270006970403011300110123456780208QRIBFTTA5802VN", "currency"),
        ("0002010102113003ABC53037045802VN", "no NAPAS"),
        ("01021100020138570010A00000072701270006970403011300110123456780208QRIBFTTA53037045802VN", "first"),
    ],
)
def test_our_parser_refuses_what_pay_1_forbids(body: str, message: str) -> None:
    with pytest.raises(VietQRError, match=message):
        parse_payload(_with_crc(body))


def test_an_account_of_20_characters_is_refused() -> None:
    beneficiary = "0006970403" + "0120" + "1" * 20
    body = f"00020101021138{14 + 4 + len(beneficiary) + 12:02d}0010A00000072701{len(beneficiary):02d}"
    body += beneficiary + "0208QRIBFTTA53037045802VN"
    with pytest.raises(VietQRError, match="1–19"):
        parse_payload(_with_crc(body))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"bank_bin": "97041", "account": "1", "amount_vnd": 1, "purpose": "X"},
        {"bank_bin": "970415", "account": "1" * 20, "amount_vnd": 1, "purpose": "X"},
        {"bank_bin": "970415", "account": "1", "amount_vnd": 0, "purpose": "X"},
        {"bank_bin": "970415", "account": "1", "amount_vnd": 10**13, "purpose": "X"},
        {"bank_bin": "970415", "account": "1", "amount_vnd": 1, "purpose": "Lệ phí"},  # diacritics
        {"bank_bin": "970415", "account": "1", "amount_vnd": 1, "purpose": "A" * 26},
    ],
)
def test_the_builder_refuses_what_a_bank_would_not_carry(kwargs: dict) -> None:
    with pytest.raises(VietQRError):
        build_payload(**kwargs)


def test_the_qr_image_is_an_svg_of_the_payload() -> None:
    payload = build_payload(
        bank_bin="970415", account="113366668888", amount_vnd=20000, purpose="TS3K7Q9ZP2M4XD"
    )
    svg = qr_svg(payload)
    assert svg.startswith("<svg") and "VietQR" in svg and "<path" in svg
