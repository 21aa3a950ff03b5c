"""Forms Mẫu 01–07 of the one-stop rules rendered to PDF from the dataclasses of `data.py`.

`render_mau01(data) -> bytes` … `render_mau07(data) -> bytes`; `FORMS` maps the 2025 number ("01" … "07") to
(Vietnamese title, English title, renderer). Mẫu 01–06 are A5 portrait (148 × 210 mm, TT 01/2018 Art. 9) with
a QR code of the dossier code under the agency's name (TT 01/2018 Art. 19(2) allows a barcode or QR); Mẫu 07,
the tracking book, is A4 landscape, its header rows repeated on every page and its entries numbered 01, 02, …
The paper is all Vietnamese.

What the layouts follow, and how sure that is:

- The numbering and titles are those of Circular 03/2025/TT-VPCP Appendix I as listed in
  `docs/domain/one-stop.md` §3 (itself **[secondary]**); the 2025 appendix has not been read.
- The head of every page (agency left, national name and motto right, place and date under them, rules
  under the agency and the motto) and the date format follow Decree 30/2020/NĐ-CP Appendix I.
- Mẫu 01, 02, 03, 04 and 06 follow the printed fields and wording of the 2018 templates (TT 01/2018 Mẫu 01,
  02, 03, 04 and 05) as the domain doc lists them and as real implementations print them (numbered items
  1–6 and "Vào Sổ theo dõi hồ sơ, Quyển số …, Số thứ tự …" on the receipt; each item *with its reason* on
  the supplement request; "Kính gửi", original due time, reason, apology and new return time on Mẫu 04; on
  the control sheet one row per hand-over: "1. Giao: … / 2. Nhận: …", the time with giver and receiver,
  the result *Trước hạn / Đúng hạn / Quá hạn*, a note). Mẫu 04's title is the 2025 one (*Văn bản xin lỗi
  và đề nghị gia hạn thời gian giải quyết*); its body is the 2018 apology with the new return time.
- Mẫu 07's columns are those of the 2018 register (TT 01/2018 Mẫu 06) with the receiving officer added (as
  the Tân Dân product prints it), and a row of column numbers (1)…(14) under the headers.
- **Provisional**: Mẫu 05 (*Thông báo dừng giải quyết hồ sơ*) is new in 2025 and its template is unknown;
  it is laid out as an administrative notice (title "THÔNG BÁO", summary line, "Kính gửi") with the fields
  the domain doc proposes: dossier code, applicant, procedure, reason, legal basis, date, signer. Every
  layout should be checked against the 2025 appendix before it is frozen (one-stop.md §15 item 1).

When a fee is due and payable by transfer, Mẫu 01 also carries its VietQR code (the payload built by
`payments.vietqr`, docs/domain/trace-market-pay.md §4), the amount and the payment reference to keep in the
transfer's description; the code is only a pre-filled transfer (PAY-2).

Left out: the signed (PAdES) version of a form, which belongs to the signing module; barcodes other than
the QR code; the land office's parcel fields.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from tinhso.core import pdf
from tinhso.core.pdf import BR, Markup, bold, para

from .data import (
    Agency,
    ApologyData,
    ControlSheetData,
    Person,
    ReceiptData,
    RefusalData,
    RegisterData,
    ResultNoticeData,
    StopNoticeData,
    SupplementRequestData,
)

_PAGE = pdf.PAGE_A5
_MARGINS = pdf.MARGINS_A5
_WIDTH = pdf.content_width(_PAGE, _MARGINS)
_BODY = 10.0
_QR_SIZE = 17 * mm

TITLE_01 = "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
TITLE_02 = "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"
TITLE_03 = "Phiếu từ chối tiếp nhận giải quyết hồ sơ"
TITLE_04 = "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết"
TITLE_05 = "Thông báo dừng giải quyết hồ sơ"
TITLE_06 = "Phiếu kiểm soát quá trình giải quyết hồ sơ"
TITLE_07 = "Sổ theo dõi hồ sơ"
TITLE_RESULT = "Thông báo kết quả giải quyết hồ sơ"


def _body(*, after: float = 1.5, indent: float = 0, first_indent: float = 0, before: float = 0) -> Any:
    return pdf.style(
        _BODY, leading=_BODY * 1.2, after=after, indent=indent, first_indent=first_indent, before=before
    )


def _two(n: int) -> str:
    """Counts print with two digits, as on the 2018 templates: 01, 02, … 10, 100."""
    return f"{n:02d}"


def _agency_lines(agency: Agency) -> list[str]:
    return [agency.parent_name, agency.name] if agency.parent_name.strip() else [agency.name]


def _date_line(agency: Agency, on: date) -> str:
    if agency.locality.strip():
        return pdf.place_date(agency.locality, on)
    line = pdf.vn_date(on)
    return line[:1].upper() + line[1:]


def _head(agency: Agency, *, on: date | None, dossier_code: str | None, number: str = "") -> Flowable:
    extra: list[Flowable] = []
    if dossier_code:
        extra = [Spacer(1, 2), pdf.qr_code(dossier_code, size=_QR_SIZE)]
    return pdf.heading(
        width=_WIDTH,
        agency_lines=_agency_lines(agency),
        place_date_line=_date_line(agency, on) if on else "",
        number_line=f"Số: {number}" if number else "",
        left_extra=extra,
    )


def _title(title: str, *, dossier_code: str | None = None, subtitle: str = "") -> list[Flowable]:
    text = pdf.upper(title)
    # 12 pt, or smaller (down to 10.5 pt) so that a long title stays on one line rather than orphan a word.
    size = max(10.5, min(12.0, 12.0 * (_WIDTH - 4) / pdf.text_width(text, size=12, bold=True)))
    out: list[Flowable] = [
        Spacer(1, 3 * mm),
        para(text, style=pdf.style(round(size, 1), bold=True, align="center", leading=14.5)),
    ]
    if subtitle:
        out.append(para(subtitle, style=pdf.style(_BODY + 0.5, bold=True, align="center", before=1)))
    if dossier_code:
        out.append(para("Mã hồ sơ: ", bold(dossier_code), style=pdf.style(_BODY, align="center", before=2)))
    out.append(Spacer(1, 2 * mm))
    return out


def _line(label: str, value: str | Markup, **kw: Any) -> Flowable:
    return para(f"{label}: ", value, style=_body(**kw))


def _contact_lines(person: Person, *, name_label: str) -> list[Flowable]:
    return [_line(name_label, bold(person.name)), *_contact_details(person)]


def _contact_details(person: Person) -> list[Flowable]:
    lines: list[Flowable] = []
    if person.id_number:
        lines.append(_line("Số định danh cá nhân/Mã số thuế", person.id_number))
    if person.address:
        lines.append(_line("Địa chỉ", person.address))
    contact = []
    if person.phone:
        contact.append(f"Số điện thoại: {person.phone}")
    if person.email:
        contact.append(f"Thư điện tử: {person.email}")
    if contact:
        lines.append(para("; ".join(contact), style=_body()))
    return lines


def _sign(story: list[Flowable], *blocks: pdf.Signature) -> None:
    """Append the signature blocks, kept on one page with the paragraph before them, so that a signature
    never stands on a page of its own."""
    closing = story.pop()
    signatures = pdf.signatures(list(blocks), width=_WIDTH, size=_BODY, gap=12 * mm)
    story.append(KeepTogether([closing, Spacer(1, 3 * mm), signatures]))


def _build(story: Sequence[Flowable], *, title: str, code: str, agency: Agency, form: str) -> bytes:
    """`form`: "01"…"07", or "" for a document that is not one of the numbered forms."""
    label = f"Mẫu {form}" if form else title
    return pdf.build_pdf(
        story,
        pagesize=_PAGE,
        margins=_MARGINS,
        metadata=pdf.PdfMetadata(
            title=f"{title} — {code}",
            author=agency.name,
            subject=f"{label}: {title}; mã hồ sơ {code}" if form else f"{title}; mã hồ sơ {code}",
            keywords=(label, code),
        ),
        footer=lambda page, total: f"Trang {page}/{total}" if total > 1 else "",
    )


# ---------------------------------------------------------------------------------------------------------
# Mẫu 01 — receipt and appointment
# ---------------------------------------------------------------------------------------------------------


def render_mau01(data: ReceiptData) -> bytes:
    """*Giấy tiếp nhận hồ sơ và hẹn trả kết quả*, handed over when a complete dossier is received."""
    story: list[Flowable] = [_head(data.agency, on=data.received_at, dossier_code=data.dossier_code)]
    story += _title(TITLE_01, dossier_code=data.dossier_code)
    if data.copy_label:
        story.insert(
            -1, para(f"({data.copy_label})", style=pdf.style(_BODY - 0.5, italic=True, align="center"))
        )
    story += _contact_lines(data.applicant, name_label="Tiếp nhận hồ sơ của")
    story.append(_line("Nội dung yêu cầu giải quyết", data.procedure_name))
    story.append(para("1. Thành phần hồ sơ nộp gồm:", style=_body(after=2)))
    rows: list[Sequence[pdf.Cell]] = [["TT", "Tên giấy tờ", "Hình thức", "Số lượng"]]
    rows += [[str(i), p.name, p.kind_label, _two(p.quantity)] for i, p in enumerate(data.papers, start=1)]
    if not data.papers:
        rows.append(["", "(Không có giấy tờ kèm theo)", "", ""])
    story.append(
        pdf.table(
            rows,
            col_widths=_split(_WIDTH, [0.08, 0.6, 0.19, 0.13]),
            header_rows=1,
            size=_BODY - 1,
            align=["center", "left", "left", "center"],
        )
    )
    story.append(Spacer(1, 2.5))
    story.append(_line("2. Số lượng hồ sơ", f"{_two(data.sets)} (bộ)"))
    story.append(_line("3. Thời gian giải quyết hồ sơ theo quy định", data.statutory_time))
    story.append(_line("4. Thời gian nhận hồ sơ", pdf.vn_datetime(data.received_at)))
    story.append(
        _line("5. Thời gian trả kết quả giải quyết hồ sơ", bold(pdf.vn_datetime(data.appointment_at)))
    )
    story.append(_line("6. Đăng ký nhận kết quả tại", data.return_place))
    if data.fees:
        story.append(_line("7. Phí, lệ phí", data.fees))
    if data.payment_qr:
        story.append(_payment_block(data))
    story.append(
        para(
            f"Vào Sổ theo dõi hồ sơ, Quyển số: {data.register_book}, Số thứ tự: {_two(data.register_entry)}",
            style=_body(before=1),
        )
    )
    _sign(
        story,
        pdf.Signature("Người nộp hồ sơ", name=data.applicant.name),
        pdf.Signature("Người tiếp nhận hồ sơ", name=data.receiving_officer),
    )
    return _build(story, title=TITLE_01, code=data.dossier_code, agency=data.agency, form="01")


def _payment_block(data: ReceiptData) -> Flowable:
    """The fee due, payable by VietQR: the code on the left, how to pay on the right, in the room an A5 page
    has left. The code is only a pre-filled transfer (PAY-2): the fee counts as paid when the bank's
    statement shows it, which the note says."""
    amount = pdf.dong(data.payment_amount_vnd)
    small = pdf.style(_BODY - 1, leading=(_BODY - 1) * 1.18)
    lines: list[Flowable] = [
        para(bold("Nộp phí, lệ phí bằng VietQR"), " — số tiền: ", bold(amount), style=small),
        para("Nội dung chuyển khoản: ", bold(data.payment_reference), style=small),
        para(
            pdf.italic(
                "Quét mã bằng ứng dụng ngân hàng, giữ nguyên nội dung. "
                "Phí được ghi nhận khi ngân hàng báo có."
            ),
            style=small,
        ),
    ]
    qr_size = 21 * mm
    t = Table(
        [[pdf.qr_code(data.payment_qr, size=qr_size, border=2), lines]],
        colWidths=[qr_size + 2 * mm, _WIDTH - qr_size - 2 * mm],
        hAlign="LEFT",
    )
    t.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return t


# ---------------------------------------------------------------------------------------------------------
# Mẫu 02 — supplement request
# ---------------------------------------------------------------------------------------------------------


def render_mau02(data: SupplementRequestData) -> bytes:
    """*Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ*: every item with its reason, once and complete."""
    story: list[Flowable] = [_head(data.agency, on=data.issued_on, dossier_code=data.dossier_code)]
    story += _title(TITLE_02, dossier_code=data.dossier_code)
    story += _contact_lines(data.applicant, name_label="Hồ sơ của")
    story.append(_line("Nội dung yêu cầu giải quyết", data.procedure_name))
    story.append(_line("Thời gian tiếp nhận hồ sơ", pdf.vn_datetime(data.received_at)))
    basis = (
        f"Căn cứ {data.legal_basis.strip().removeprefix('Căn cứ ').rstrip('.,;')}, "
        if data.legal_basis
        else ""
    )
    story.append(
        para(
            f"{basis}{data.agency.name} đề nghị Ông/Bà bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:",
            style=_body(before=1),
        )
    )
    rows: list[Sequence[pdf.Cell]] = [["TT", "Nội dung cần bổ sung, hoàn thiện", "Lý do"]]
    rows += [[str(i), item.content, item.reason] for i, item in enumerate(data.items, start=1)]
    story.append(
        pdf.table(
            rows,
            col_widths=_split(_WIDTH, [0.08, 0.5, 0.42]),
            header_rows=1,
            size=_BODY - 1,
            align=["center", "left", "left"],
        )
    )
    story.append(
        para(
            "Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, Ông/Bà liên hệ với ",
            bold(data.contact_officer),
            ", số điện thoại ",
            bold(data.contact_phone),
            " để được hướng dẫn./.",
            style=_body(before=3),
        )
    )
    _sign(story, pdf.Signature("Người hướng dẫn", name=data.signer_name))
    return _build(story, title=TITLE_02, code=data.dossier_code, agency=data.agency, form="02")


# ---------------------------------------------------------------------------------------------------------
# Mẫu 03 — refusal
# ---------------------------------------------------------------------------------------------------------


def render_mau03(data: RefusalData) -> bytes:
    """*Phiếu từ chối tiếp nhận giải quyết hồ sơ*, with the specific reason."""
    story: list[Flowable] = [_head(data.agency, on=data.issued_on, dossier_code=data.dossier_code)]
    story += _title(TITLE_03, dossier_code=data.dossier_code)
    story += _contact_lines(data.applicant, name_label="Tiếp nhận hồ sơ của")
    story.append(_line("Nội dung yêu cầu giải quyết", data.procedure_name))
    story.append(_line("Thời gian tiếp nhận hồ sơ", pdf.vn_datetime(data.received_at)))
    story.append(
        para(
            "Qua xem xét, đối chiếu với các quy định hiện hành, ",
            data.agency.name,
            " thông báo không tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:",
            style=_body(before=2),
        )
    )
    story.append(para(data.reason, style=_body(indent=5 * mm, before=1, after=3)))
    story.append(para("Xin thông báo để Ông/Bà được biết và thực hiện./.", style=_body()))
    _sign(story, pdf.Signature("Người tiếp nhận hồ sơ", name=data.signer_name))
    return _build(story, title=TITLE_03, code=data.dossier_code, agency=data.agency, form="03")


# ---------------------------------------------------------------------------------------------------------
# Mẫu 04 — apology and extension
# ---------------------------------------------------------------------------------------------------------


def _addressee(person: Person) -> Flowable:
    return para("Kính gửi: ", bold(person.name), style=pdf.style(_BODY + 0.5, align="center", after=4))


def render_mau04(data: ApologyData) -> bytes:
    """*Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết*, signed by the head of the agency."""
    agency = data.agency.name
    story: list[Flowable] = [
        _head(data.agency, on=data.issued_on, dossier_code=data.dossier_code, number=data.document_number)
    ]
    story += _title(TITLE_04, dossier_code=data.dossier_code)
    story.append(_addressee(data.applicant))
    indent = {"first_indent": 6 * mm}
    story.append(
        para(
            f"Ngày {pdf.local(data.received_at):%d/%m/%Y}, {agency} tiếp nhận hồ sơ của Ông/Bà đề nghị giải "
            f"quyết thủ tục {data.procedure_name}, mã hồ sơ ",
            bold(data.dossier_code),
            ".",
            style=_body(**indent),
        )
    )
    story.append(
        _line("Thời hạn trả kết quả giải quyết hồ sơ", pdf.vn_datetime(data.original_due) + ".", **indent)
    )
    story.append(
        para(
            f"Tuy nhiên đến nay, {agency} chưa trả kết quả giải quyết hồ sơ của Ông/Bà đúng hạn ghi "
            "trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả.",
            style=_body(**indent),
        )
    )
    story.append(_line("Lý do", data.delay_reason, **indent))
    story.append(
        para(
            "Sự chậm trễ này đã gây phiền hà, tốn kém chi phí, công sức của Ông/Bà. "
            f"{agency} xin lỗi Ông/Bà và đề nghị gia hạn thời gian giải quyết; "
            "kết quả giải quyết hồ sơ sẽ được trả cho Ông/Bà vào ",
            bold(pdf.vn_datetime(data.new_return_at)),
            ".",
            style=_body(**indent),
        )
    )
    story.append(para("Mong nhận được sự thông cảm của Ông/Bà vì sự chậm trễ này./.", style=_body(**indent)))
    _sign(story, pdf.Signature(data.head_title, hint="(Ký, ghi rõ họ tên và đóng dấu)", name=data.head_name))
    return _build(story, title=TITLE_04, code=data.dossier_code, agency=data.agency, form="04")


# ---------------------------------------------------------------------------------------------------------
# Mẫu 05 — notice of stopping (provisional layout)
# ---------------------------------------------------------------------------------------------------------


def render_mau05(data: StopNoticeData) -> bytes:
    """*Thông báo dừng giải quyết hồ sơ*. Provisional layout: the 2025 template has not been read."""
    agency = data.agency.name
    story: list[Flowable] = [
        _head(data.agency, on=data.issued_on, dossier_code=data.dossier_code, number=data.document_number)
    ]
    story += _title("Thông báo", subtitle="Về việc dừng giải quyết hồ sơ", dossier_code=data.dossier_code)
    story.append(_addressee(data.applicant))
    indent = {"first_indent": 6 * mm}
    story.append(
        para(
            f"Ngày {pdf.local(data.received_at):%d/%m/%Y}, {agency} tiếp nhận hồ sơ của Ông/Bà đề nghị giải "
            f"quyết thủ tục {data.procedure_name}, mã hồ sơ ",
            bold(data.dossier_code),
            ".",
            style=_body(**indent),
        )
    )
    basis = data.legal_basis.strip().removeprefix("Căn cứ ").rstrip(".,;")
    story.append(
        para(f"Căn cứ {basis}, {agency} thông báo dừng giải quyết hồ sơ nêu trên.", style=_body(**indent))
    )
    story.append(_line("Lý do", data.reason, **indent))
    story.append(para(f"{agency} thông báo để Ông/Bà được biết./.", style=_body(**indent)))
    _sign(
        story, pdf.Signature(data.signer_title, hint="(Ký, ghi rõ họ tên và đóng dấu)", name=data.signer_name)
    )
    return _build(story, title=TITLE_05, code=data.dossier_code, agency=data.agency, form="05")


# ---------------------------------------------------------------------------------------------------------
# The result notice (delivered into the applicant's e-document store)
# ---------------------------------------------------------------------------------------------------------


def render_result_notice(data: ResultNoticeData) -> bytes:
    """*Thông báo kết quả giải quyết hồ sơ*: approved with the result's description, or not resolved with
    the reason (ND 61 Art. 19). Layout after Mẫu 05's: heading, addressee, the dossier, the decision."""
    agency = data.agency.name
    story: list[Flowable] = [_head(data.agency, on=data.issued_on, dossier_code=data.dossier_code)]
    story += _title("Thông báo", subtitle="Về kết quả giải quyết hồ sơ", dossier_code=data.dossier_code)
    story.append(_addressee(data.applicant))
    indent = {"first_indent": 6 * mm}
    story.append(
        para(
            f"Ngày {pdf.local(data.received_at):%d/%m/%Y}, {agency} tiếp nhận hồ sơ của Ông/Bà đề nghị giải "
            f"quyết thủ tục {data.procedure_name}, mã hồ sơ ",
            bold(data.dossier_code),
            ".",
            style=_body(**indent),
        )
    )
    decided = pdf.vn_datetime(data.decided_at)
    if data.approved:
        story.append(
            para(f"Ngày {decided}, hồ sơ của Ông/Bà ", bold("đã được giải quyết"), ".", style=_body(**indent))
        )
        if data.note:
            story.append(_line("Kết quả giải quyết", data.note, **indent))
    else:
        story.append(
            para(
                f"Ngày {decided}, {agency} ",
                bold("không giải quyết"),
                " hồ sơ của Ông/Bà với lý do cụ thể như sau:",
                style=_body(**indent),
            )
        )
        story.append(para(data.note, style=_body(indent=5 * mm, before=1, after=3)))
    story.append(para(f"{agency} thông báo để Ông/Bà được biết./.", style=_body(**indent)))
    _sign(
        story, pdf.Signature(data.signer_title, hint="(Ký, ghi rõ họ tên và đóng dấu)", name=data.signer_name)
    )
    return _build(story, title=TITLE_RESULT, code=data.dossier_code, agency=data.agency, form="")


# ---------------------------------------------------------------------------------------------------------
# Mẫu 06 — control sheet
# ---------------------------------------------------------------------------------------------------------


def _handover_time_cell(given_at: datetime, giver: str, receiver: str, width: float) -> list[Flowable]:
    size = _BODY - 1.5
    at = pdf.local(given_at)
    when = [f"{at.hour:02d} giờ {at.minute:02d} phút,", BR, pdf.vn_date(at)]
    names = Table(
        [
            [
                para("Người giao", style=pdf.style(size, italic=True, align="center")),
                para("Người nhận", style=pdf.style(size, italic=True, align="center")),
            ],
            [
                para(giver, style=pdf.style(size, align="center")),
                para(receiver, style=pdf.style(size, align="center")),
            ],
        ],
        colWidths=[width / 2, width / 2],
    )
    names.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), pdf.FONT),
                ("LEFTPADDING", (0, 0), (-1, -1), 1),
                ("RIGHTPADDING", (0, 0), (-1, -1), 1),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 1), (-1, 1), 10),  # room to sign above the printed name
            ]
        )
    )
    return [para(*when, style=pdf.style(size, leading=size * 1.2, after=1)), names]


def render_mau06(data: ControlSheetData) -> bytes:
    """*Phiếu kiểm soát quá trình giải quyết hồ sơ*: one row per hand-over with its own result."""
    story: list[Flowable] = [_head(data.agency, on=None, dossier_code=data.dossier_code)]
    story += _title(TITLE_06, dossier_code=data.dossier_code)
    story += _contact_lines(data.applicant, name_label="Kèm theo hồ sơ của")
    story.append(_line("Nội dung yêu cầu giải quyết", data.procedure_name))
    story.append(_line("Thời gian tiếp nhận hồ sơ", pdf.vn_datetime(data.received_at)))
    story.append(_line("Cơ quan (bộ phận) chủ trì giải quyết", data.lead_agency))
    if data.coordinating_agencies:
        story.append(_line("Cơ quan phối hợp giải quyết", "; ".join(data.coordinating_agencies)))
    widths = _split(_WIDTH, [0.25, 0.42, 0.18, 0.15])
    size = _BODY - 1.5
    cell = pdf.style(size, leading=size * 1.2)
    header_note = pdf.style(size - 0.5, italic=True, align="center", leading=size * 1.15)
    header = pdf.style(size, bold=True, align="center", leading=size * 1.15)
    rows: list[Sequence[pdf.Cell]] = [
        [
            "TÊN CƠ QUAN",
            "THỜI GIAN GIAO, NHẬN HỒ SƠ",
            [
                para("KẾT QUẢ GIẢI QUYẾT HỒ SƠ", style=header),
                para("(Trước hạn/Đúng hạn/Quá hạn)", style=header_note),
            ],
            "GHI CHÚ",
        ]
    ]
    for h in data.handovers:
        rows.append(
            [
                [
                    para("1. Giao: ", bold(h.from_unit), style=pdf.style(size, leading=size * 1.2, after=2)),
                    para("2. Nhận: ", bold(h.to_unit), style=cell),
                ],
                _handover_time_cell(h.given_at, h.giver, h.receiver, widths[1] - 5),
                para(h.result_label, style=pdf.style(size, bold=True, align="center")),
                h.note,
            ]
        )
    story.append(Spacer(1, 2))
    story.append(pdf.table(rows, col_widths=widths, header_rows=1, size=size, padding=2.5))
    return _build(story, title=TITLE_06, code=data.dossier_code, agency=data.agency, form="06")


# ---------------------------------------------------------------------------------------------------------
# Mẫu 07 — tracking book
# ---------------------------------------------------------------------------------------------------------

_REGISTER_PAGE = pdf.PAGE_A4_LANDSCAPE
_REGISTER_MARGINS = pdf.MARGINS_A4_LANDSCAPE
_REGISTER_SIZE = 8.0

# (header, share of the width once the dossier-code column has its measured width)
_REGISTER_COLUMNS: list[tuple[str, float]] = [
    ("STT", 0.03),
    ("Mã hồ sơ", 0.0),  # measured
    ("Tên thủ tục hành chính", 0.12),
    ("Số lượng hồ sơ (bộ)", 0.035),
    ("Tên cá nhân, tổ chức", 0.085),
    ("Địa chỉ, số điện thoại", 0.10),
    ("Cơ quan chủ trì giải quyết", 0.075),
    ("Nhận hồ sơ", 0.056),
    ("Hẹn trả kết quả", 0.056),
    ("Chuyển hồ sơ đến cơ quan giải quyết", 0.056),
    ("Nhận kết quả từ cơ quan giải quyết", 0.056),
    ("Trả kết quả cho cá nhân, tổ chức", 0.056),
    ("Người tiếp nhận", 0.065),
    ("Ghi chú", 0.0),  # the rest
]


def _register_widths(data: RegisterData, width: float) -> list[float]:
    # The dossier code is printed whole on one line (no break inside it), so its column is measured.
    codes = [e.dossier_code for e in data.entries] or ["000.00.00.H00-000000-0000"]
    code_w = max(pdf.text_width(c, size=_REGISTER_SIZE) for c in codes) + 6
    widths = [share * width for _, share in _REGISTER_COLUMNS]
    widths[1] = code_w
    widths[-1] = width - sum(widths[:-1])
    if widths[-1] < 30:
        raise ValueError("dossier codes too long for the register's width")
    return widths


def render_mau07(data: RegisterData) -> bytes:
    """*Sổ theo dõi hồ sơ* of one agency for one year, on as many A4 landscape pages as the entries need."""
    width = pdf.content_width(_REGISTER_PAGE, _REGISTER_MARGINS)
    story: list[Flowable] = [
        pdf.heading(width=width, agency_lines=_agency_lines(data.agency), size=11),
        Spacer(1, 5 * mm),
        para(pdf.upper(TITLE_07), style=pdf.style(15, bold=True, align="center", leading=18)),
        para(f"Năm {data.year}", style=pdf.style(12, bold=True, align="center", after=4 * mm)),
    ]
    headers = [h for h, _ in _REGISTER_COLUMNS]
    dates_at = 7  # first of the five date columns, grouped under "Ngày, tháng, năm"
    after = len(headers) - dates_at - 5
    row0 = [*headers[:dates_at], "Ngày, tháng, năm", "", "", "", "", *headers[dates_at + 5 :]]
    row1 = [*[""] * dates_at, *headers[dates_at : dates_at + 5], *[""] * after]
    row2 = [f"({i})" for i in range(1, len(headers) + 1)]
    spans = [((c, 0), (c, 1)) for c in range(len(headers)) if not dates_at <= c < dates_at + 5]
    spans.append(((dates_at, 0), (dates_at + 4, 0)))

    def when(moment: Any) -> str:
        return pdf.short_datetime(moment) if moment is not None else ""

    rows: list[Sequence[pdf.Cell]] = [row0, row1, row2]
    for e in data.entries:
        contact = "; ".join(x for x in (e.applicant.address, e.applicant.phone) if x)
        rows.append(
            [
                _two(e.number),
                e.dossier_code,
                e.procedure_name,
                _two(e.sets),
                e.applicant.name,
                contact,
                e.lead_agency,
                when(e.received_at),
                when(e.appointment_at),
                when(e.transferred_at),
                when(e.result_received_at),
                when(e.returned_at),
                e.receiving_officer,
                e.note,
            ]
        )
    if not data.entries:
        rows.append(["", "(Chưa có hồ sơ)"] + [""] * (len(headers) - 2))
    align = ["center", "left", "left", "center"] + ["left"] * (len(headers) - 4)
    register = pdf.table(
        rows,
        col_widths=_register_widths(data, width),
        header_rows=3,
        size=_REGISTER_SIZE,
        align=align,
        spans=spans,
        padding=2,
    )
    register.setStyle(TableStyle([("VALIGN", (0, 2), (-1, 2), "MIDDLE")]))
    story.append(register)
    title = f"{TITLE_07} năm {data.year}"
    return pdf.build_pdf(
        story,
        pagesize=_REGISTER_PAGE,
        margins=_REGISTER_MARGINS,
        metadata=pdf.PdfMetadata(
            title=f"{title} — {data.agency.name}",
            author=data.agency.name,
            subject=f"Mẫu 07: {title}",
            keywords=("Mẫu 07", str(data.year)),
        ),
        footer=lambda page, total: f"{title} — {data.agency.name} — Trang {page}/{total}",
    )


def _split(width: float, shares: Sequence[float]) -> list[float]:
    return [width * s / sum(shares) for s in shares]


class FormSpec(NamedTuple):
    title_vi: str
    title_en: str
    renderer: Callable[[Any], bytes]


# The 2025 numbering (TT 03/2025/TT-VPCP Appendix I, per docs/domain/one-stop.md §3).
FORMS: dict[str, FormSpec] = {
    "01": FormSpec(TITLE_01, "Receipt and appointment", render_mau01),
    "02": FormSpec(TITLE_02, "Supplement request", render_mau02),
    "03": FormSpec(TITLE_03, "Refusal", render_mau03),
    "04": FormSpec(TITLE_04, "Apology and extension", render_mau04),
    "05": FormSpec(TITLE_05, "Notice of stopping (provisional layout)", render_mau05),
    "06": FormSpec(TITLE_06, "Control sheet", render_mau06),
    "07": FormSpec(TITLE_07, "Tracking book (register)", render_mau07),
}

__all__ = [
    "FORMS",
    "FormSpec",
    "render_mau01",
    "render_mau02",
    "render_mau03",
    "render_mau04",
    "render_mau05",
    "render_mau06",
    "render_mau07",
]
