"""The e-receipt PDF: its text, read back with pypdf, has the diacritics, the reference and the amount in
figures and words."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tinhso.payments import reconciliation as rec
from tinhso.payments.models import PaymentMatch
from tinhso.payments.receipts import amount_in_words, render_receipt
from tinhso.payments.references import grouped
from tinhso.payments.tests.factories import Money, csv_statement


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (20_000, "Hai mươi nghìn đồng"),
        (10_000, "Mười nghìn đồng"),
        (105, "Một trăm linh năm đồng"),
        (115, "Một trăm mười lăm đồng"),
        (21, "Hai mươi mốt đồng"),
        (24, "Hai mươi tư đồng"),
        (1_250_000, "Một triệu hai trăm năm mươi nghìn đồng"),
        (1_005_000, "Một triệu không trăm linh năm nghìn đồng"),
        (2_000_000_000, "Hai tỷ đồng"),
        (0, "Không đồng"),
    ],
)
def test_amounts_in_vietnamese_words(n: int, words: str) -> None:
    assert amount_in_words(n) == words


def test_the_receipt_prints_the_payment(m: Money) -> None:
    r = m.request(20_000)
    rec.statement_import(
        account=m.account,
        data=csv_statement([("02/03/2026 10:15", "FT001", "20.000", f"Le phi {r.reference}")]),
        actor=m.counter,
    )
    match = PaymentMatch.objects.get()
    pdf = render_receipt(match)
    # Words as read back, lines joined (a long name wraps).
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    for expected in (
        "BIÊN LAI THU PHÍ, LỆ PHÍ",
        "Ủy ban nhân dân phường Hà Giang 2".upper(),
        "Nguyễn Thị Hằng",
        "Lệ phí đăng ký thường trú",
        grouped(r.reference),
        "20.000 đồng",
        "Hai mươi nghìn đồng",
        "FT001",
        "10 giờ 15 phút, ngày 02 tháng 3 năm 2026",
    ):
        assert expected in text, expected
    assert render_receipt(match) == pdf  # drawn again, the same bytes
