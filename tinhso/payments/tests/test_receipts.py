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


def test_a_receipt_collects_what_was_due_and_states_the_excess_to_refund(m: Money) -> None:
    r = m.request(20_000)
    rec.statement_import(
        account=m.account,
        data=csv_statement(
            [
                ("02/03/2026 10:15", "FT001", "5.000", f"Le phi {r.reference}"),  # 15.000 still due
                ("02/03/2026 11:00", "FT002", "25.000", f"Le phi {r.reference}"),  # 10.000 too much
            ]
        ),
        actor=m.counter,
    )
    first, second = PaymentMatch.objects.order_by("pk")

    def text(match: PaymentMatch) -> str:
        reader = PdfReader(io.BytesIO(render_receipt(match)))
        return " ".join(" ".join(page.extract_text() for page in reader.pages).split())

    assert "5.000 đồng" in text(first) and "thừa" not in text(first)
    later = text(second)
    assert "Số tiền: 15.000 đồng" in later and "Mười lăm nghìn đồng" in later
    assert "Số tiền nhận được: 25.000 đồng" in later
    assert "Số tiền nộp thừa (hoàn trả): 10.000 đồng" in later
