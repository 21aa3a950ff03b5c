"""The e-receipt (*biên lai thu phí, lệ phí điện tử*) of one payment, as an A5 PDF drawn like the forms.

One receipt per payment applied to a request (a `PaymentMatch` that is not a duplicate): payer, what was
paid for, the payment reference, the amount in figures and in words, how and when it was paid, the bank's
transaction id (a transfer) or the official who took it (cash at the counter). Decree 123/2020/NĐ-CP
makes fee receipts (*biên lai thu phí, lệ phí*) documents that may be electronic; its prescribed fields
(form symbol, series, the collecting organisation's tax code) are **[unverified]** here and printed only as
far as we hold them. The receipt is drawn again on request from the records (never stored), so it cannot
disagree with them; the same records give the same bytes.
"""

from __future__ import annotations

from django.db.models import Q
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from tinhso.core import pdf
from tinhso.core.pdf import bold, para
from tinhso.payments.models import PaymentMatch
from tinhso.payments.references import grouped

TITLE = "Biên lai thu phí, lệ phí"
_PAGE = pdf.PAGE_A5
_MARGINS = pdf.MARGINS_A5
_WIDTH = pdf.content_width(_PAGE, _MARGINS)
_BODY = 10.0

_DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
_SCALES = ["", "nghìn", "triệu", "tỷ", "nghìn tỷ", "triệu tỷ"]


def _three(n: int, *, full: bool) -> str:
    """Words of 0 ≤ n < 1000; `full`: a group after a higher one, read with its hundreds ("không trăm")."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if hundreds or full:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens >= 2:
            words.append("mốt")
        elif units == 5 and tens >= 1:
            words.append("lăm")
        elif units == 4 and tens >= 2:
            words.append("tư")
        else:
            words.append(_DIGITS[units])
    return " ".join(words)


def amount_in_words(n: int) -> str:
    """Vietnamese words of a whole amount of đồng, capitalised: 20000 → "Hai mươi nghìn đồng",
    1250000 → "Một triệu hai trăm năm mươi nghìn đồng", 105 → "Một trăm linh năm đồng"."""
    if n < 0:
        raise ValueError("a negative amount")
    if n == 0:
        return "Không đồng"
    groups: list[int] = []
    while n:
        groups.append(n % 1000)
        n //= 1000
    words: list[str] = []
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            continue
        words.append(_three(g, full=bool(words)))
        if _SCALES[i]:
            words.append(_SCALES[i])
    text = " ".join(words) + " đồng"
    return text[0].upper() + text[1:]


def receipt_number(match: PaymentMatch) -> str:
    return f"{match.request.reference}-{match.pk}"


def _line(label: str, value: str, **kw: object) -> Flowable:
    return para(f"{label}: ", value, style=pdf.style(_BODY, leading=_BODY * 1.25, after=1.5))


def render_receipt(match: PaymentMatch) -> bytes:
    """The receipt of one payment (not of a duplicate, which is refunded rather than receipted)."""
    if match.duplicate:
        raise ValueError("a duplicate payment gets no receipt")
    request = match.request
    tx = match.transaction
    paid_at = tx.booked_at if tx is not None else match.matched_at
    agency = request.agency
    parent = agency.parent.name if agency.parent_id and agency.parent else ""
    number = receipt_number(match)
    # What this payment settled: what was still due when it arrived, at most (the request's earlier
    # matches, duplicates apart, paid the rest).
    earlier = sum(
        PaymentMatch.objects.filter(request=request, duplicate=False, pk__lt=match.pk)
        # As they stood when this payment came: one taken back later still counted then (a receipt, once
        # issued, does not change). At the same instant the taking back came after (an import applies its
        # credits before its reversals).
        .filter(Q(reversed_at__isnull=True) | Q(reversed_at__gte=match.matched_at))
        .values_list("amount_vnd", flat=True)
    )
    collected = min(match.amount_vnd, max(0, request.amount_vnd - earlier))
    story: list[Flowable] = [
        pdf.heading(
            width=_WIDTH,
            agency_lines=[parent, agency.name] if parent else [agency.name],
            number_line=f"Số: {number}",
            place_date_line=pdf.vn_date(paid_at).capitalize(),
            left_extra=[Spacer(1, 2), pdf.qr_code(number, size=15 * mm)],
        ),
        Spacer(1, 4 * mm),
        para(pdf.upper(TITLE), style=pdf.style(12.5, bold=True, align="center")),
        para("(Biên lai điện tử)", style=pdf.style(_BODY, italic=True, align="center", after=4 * mm)),
        _line("Tên đơn vị thu", agency.name),
        _line("Người nộp", bold(request.payer_name)),
        _line("Nội dung thu", request.purpose),
        _line("Mã hồ sơ", request.subject_key),
        _line("Mã thanh toán", bold(grouped(request.reference))),
        _line("Số tiền", bold(pdf.dong(collected))),
        _line("Bằng chữ", pdf.italic(amount_in_words(collected))),
    ]
    if collected < match.amount_vnd:
        # More than was due: the receipt is for the fee; the excess is refunded (its queue item).
        story += [
            _line("Số tiền nhận được", pdf.dong(match.amount_vnd)),
            _line("Số tiền nộp thừa (hoàn trả)", pdf.dong(match.amount_vnd - collected)),
        ]
    if tx is not None:
        story += [
            _line("Hình thức nộp", "Chuyển khoản (VietQR)"),
            _line("Mã giao dịch ngân hàng", tx.transaction_id),
            _line("Thời điểm ghi có", pdf.vn_datetime(tx.booked_at)),
            # The account the money reached (the request's, unless an official matched it by hand).
            _line(
                "Tài khoản nhận",
                f"{tx.account.account_number} ({tx.account.bank_name or tx.account.bank_bin})",
            ),
        ]
    else:  # cash taken at the counter (services.payment_cash_record): who took it, and when
        taker = match.matched_by
        story += [
            _line("Hình thức nộp", "Tiền mặt tại quầy"),
            _line("Người thu", str(taker) if taker is not None else ""),
            _line("Thời điểm thu", pdf.vn_datetime(match.matched_at)),
        ]
    if match.reversed_at is not None:  # the bank took the transfer back (reconciliation._apply_reversal)
        reversal = getattr(tx, "reversal", None) if tx is not None else None
        when = reversal.booked_at if reversal is not None else match.reversed_at
        story.append(
            _line(
                "Tình trạng",
                bold(
                    f"Ngân hàng đã thu hồi giao dịch ({pdf.vn_datetime(when)}): biên lai này không còn "
                    "giá trị."
                ),
            )
        )
    story += [
        Spacer(1, 4 * mm),
        pdf.signatures(
            [
                pdf.Signature(
                    "Đơn vị thu",
                    hint=(
                        "(Biên lai điện tử, lập tự động khi nhận được tiền)"
                        if tx is not None
                        else "(Biên lai điện tử, lập khi cán bộ ghi nhận đã thu)"
                    ),
                )
            ],
            width=_WIDTH,
            gap=6 * mm,
        ),
    ]
    return pdf.build_pdf(
        story,
        pagesize=_PAGE,
        margins=_MARGINS,
        metadata=pdf.PdfMetadata(
            title=f"{TITLE} {number}",
            author=agency.name,
            subject=f"{request.purpose} — {request.subject_key}",
            keywords=("biên lai", request.reference, request.subject_key),
        ),
    )
