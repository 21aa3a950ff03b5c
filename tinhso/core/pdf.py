"""PDF building blocks for printed administrative papers (*văn bản giấy*): forms Mẫu 01–07 and later results.

Built on ReportLab's platypus (flowables laid out into frames, tables that wrap and split across pages). This
module knows nothing of dossiers: it gives the pieces every Vietnamese administrative paper shares, sized for
A5 forms and A4 books:

- `register_fonts()` — the vendored Liberation Serif family (`core/fonts/`, SIL OFL 1.1; see `SOURCES.md`),
  metric-compatible with Times New Roman, the typeface Decree 30/2020/NĐ-CP Appendix I prescribes. Embedded
  (subset) with a ToUnicode map, so the text of every PDF can be searched and copied with its diacritics.
- `para()` with `bold()` / `italic()`: paragraphs from plain text that is NFC-normalised and escaped, so data
  can never inject ReportLab markup, and decomposed input (from some keyboards and OCR) prints and extracts as
  the same NFC text.
- `heading()` — the two-column head of the page: issuing agency on the left (parent body, then the agency in
  bold with a short rule under it), the national name and motto on the right (the motto ruled at its own
  length) with the place-and-date line under them (Decree 30/2020/NĐ-CP Appendix I, items 1, 2 and 4).
- `vn_date()` / `vn_datetime()` — "ngày 05 tháng 7 năm 2025" and "08 giờ 30 phút, ngày …", in Vietnam time.
- `qr_code()` — a QR code drawn as vector squares (crisp at any printer resolution) in a form XObject named
  `qr-…`, so tests can read the module matrix back out of the PDF.
- `table()` — grid tables whose string cells wrap, whose header rows repeat on every page, and whose rows
  may split across pages.
- `signatures()` — side-by-side signature blocks ("NGƯỜI TIẾP NHẬN HỒ SƠ" / "(Ký và ghi rõ họ tên)" / name).
- `build_pdf()` — lays out a story on A5 / A4 with title, author, subject and language metadata and an
  optional "Trang x/y" footer. Output is byte-for-byte reproducible (ReportLab's invariant mode): the same
  data gives the same file, so a hash of a form means something. PDF/A is not attempted.
"""

from __future__ import annotations

import functools
import hashlib
import io
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeAlias
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "TinhSoSerif"
FONT_BOLD = "TinhSoSerif-Bold"
FONT_ITALIC = "TinhSoSerif-Italic"
FONT_BOLD_ITALIC = "TinhSoSerif-BoldItalic"
_FONT_FILES = {
    FONT: "LiberationSerif-Regular.ttf",
    FONT_BOLD: "LiberationSerif-Bold.ttf",
    FONT_ITALIC: "LiberationSerif-Italic.ttf",
    FONT_BOLD_ITALIC: "LiberationSerif-BoldItalic.ttf",
}

PAGE_A5: tuple[float, float] = A5  # 148 × 210 mm = 419.53 × 595.28 pt (TT 01/2018 Art. 9: forms on A5)
PAGE_A4: tuple[float, float] = A4
PAGE_A4_LANDSCAPE: tuple[float, float] = landscape(A4)

# Vietnam keeps one legal time, UTC+7, without daylight saving.
VIETNAM_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
NATIONAL_MOTTO = "Độc lập - Tự do - Hạnh phúc"

BLACK = colors.black


@dataclass(frozen=True)
class Margins:
    top: float
    right: float
    bottom: float
    left: float


# Decree 30/2020 gives A4 margins of 20–25 / 15–20 / 20–25 / 30–35 mm; an A5 form keeps the wider binding
# margin on the left at roughly half the size.
MARGINS_A5 = Margins(top=12 * mm, right=10 * mm, bottom=12 * mm, left=16 * mm)
MARGINS_A4_LANDSCAPE = Margins(top=15 * mm, right=12 * mm, bottom=14 * mm, left=20 * mm)


# ---------------------------------------------------------------------------------------------------------
# Fonts and text
# ---------------------------------------------------------------------------------------------------------


@functools.cache
def register_fonts() -> str:
    """Register the serif family with ReportLab (once per process) and return its regular face's name.

    `<b>` and `<i>` in paragraphs pick the bold and italic faces through the registered family.
    """
    for name, filename in _FONT_FILES.items():
        path = FONTS_DIR / filename
        if not path.is_file():
            raise FileNotFoundError(f"Vendored font missing: {path} (see tinhso/core/fonts/SOURCES.md)")
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT_BOLD_ITALIC
    )
    return FONT


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def upper(value: str) -> str:
    """Upper case for Vietnamese: NFC first, so "Mỹ Bằng" becomes "MỸ BẰNG" letter for letter."""
    return nfc(value).upper()


def text_width(value: str, *, size: float, bold: bool = False, italic: bool = False) -> float:
    register_fonts()
    return pdfmetrics.stringWidth(nfc(value), _face(bold=bold, italic=italic), size)


def _face(*, bold: bool, italic: bool) -> str:
    if bold and italic:
        return FONT_BOLD_ITALIC
    if bold:
        return FONT_BOLD
    return FONT_ITALIC if italic else FONT


class Markup(str):
    """A piece of ReportLab paragraph markup that is already escaped (made by `bold()`, `italic()`, `br`)."""

    __slots__ = ()


def esc(value: str) -> str:
    """Plain text → paragraph markup: NFC, `&<>` escaped, line breaks kept."""
    return escape(nfc(value)).replace("\r\n", "\n").replace("\n", "<br/>")


def bold(value: str) -> Markup:
    return Markup(f"<b>{esc(value)}</b>")


def italic(value: str) -> Markup:
    return Markup(f"<i>{esc(value)}</i>")


BR = Markup("<br/>")

_ALIGNS = {"left": TA_LEFT, "center": TA_CENTER, "right": TA_RIGHT, "justify": TA_JUSTIFY}


@functools.cache
def style(
    size: float,
    *,
    bold: bool = False,
    italic: bool = False,
    align: str = "left",
    leading: float | None = None,
    before: float = 0,
    after: float = 0,
    indent: float = 0,
    first_indent: float = 0,
) -> ParagraphStyle:
    """A paragraph style in the serif family; cached, so equal arguments give the same object."""
    register_fonts()
    return ParagraphStyle(
        name=f"tinhso-{size}-{bold}-{italic}-{align}-{leading}-{before}-{after}-{indent}-{first_indent}",
        fontName=_face(bold=bold, italic=italic),
        fontSize=size,
        leading=leading if leading is not None else round(size * 1.22, 2),
        alignment=_ALIGNS[align],
        spaceBefore=before,
        spaceAfter=after,
        leftIndent=indent,
        firstLineIndent=first_indent,
        textColor=BLACK,
        splitLongWords=1,  # a long e-mail address or code breaks inside rather than running off the page
        allowWidows=0,
        allowOrphans=0,
    )


def para(*chunks: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain-text chunks (escaped) and `Markup` chunks (kept as they are)."""
    return Paragraph("".join(c if isinstance(c, Markup) else esc(c) for c in chunks), style)


# ---------------------------------------------------------------------------------------------------------
# Dates (Decree 30/2020/NĐ-CP Appendix I, item 4: a day below 10 and a month below 3 take a leading zero)
# ---------------------------------------------------------------------------------------------------------


def _day_month_year(d: date) -> tuple[str, str, str]:
    return f"{d.day:02d}", (f"{d.month:02d}" if d.month < 3 else str(d.month)), str(d.year)


def dong(amount: int) -> str:
    """An amount of money as papers print it: 20000 → "20.000 đồng" (dots between thousands)."""
    return f"{amount:,}".replace(",", ".") + " đồng"


def vn_date(d: date) -> str:
    """`ngày 05 tháng 7 năm 2025` (a datetime is first converted to Vietnam time)."""
    if isinstance(d, datetime):
        d = local(d).date()
    day, month, year = _day_month_year(d)
    return f"ngày {day} tháng {month} năm {year}"


def vn_datetime(moment: datetime) -> str:
    """`08 giờ 30 phút, ngày 05 tháng 7 năm 2025`, in Vietnam time."""
    at = local(moment)
    return f"{at.hour:02d} giờ {at.minute:02d} phút, {vn_date(at.date())}"


def short_datetime(moment: datetime) -> str:
    """`08:30 05/07/2025`, in Vietnam time: for table cells where the long form does not fit."""
    at = local(moment)
    return f"{at:%H:%M %d/%m/%Y}"


def place_date(place: str, d: date) -> str:
    """The place-and-date line: `Tuyên Quang, ngày 05 tháng 7 năm 2025`."""
    return f"{nfc(place)}, {vn_date(d)}"


def local(moment: datetime) -> datetime:
    """An aware datetime in Vietnam time. Naive datetimes are refused: their instant is unknown."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass an aware datetime")
    return moment.astimezone(VIETNAM_TZ)


# ---------------------------------------------------------------------------------------------------------
# Flowables
# ---------------------------------------------------------------------------------------------------------


class Rule(Flowable):
    """A horizontal rule of a given length, centred in the available width."""

    def __init__(
        self, length: float, *, thickness: float = 0.6, space_before: float = 3, space_after: float = 2
    ):
        super().__init__()
        self.length = length
        self.thickness = thickness
        self.space_before = space_before
        self.space_after = space_after
        self._avail = length

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self._avail = availWidth
        return availWidth, self.space_before + self.thickness + self.space_after

    def draw(self) -> None:
        length = min(self.length, self._avail)
        x0 = (self._avail - length) / 2
        y = self.space_after + self.thickness / 2
        self.canv.setLineWidth(self.thickness)
        self.canv.setStrokeColor(BLACK)
        self.canv.line(x0, y, x0 + length, y)


class QrCode(Flowable):
    """A QR code of `data`, `size` points square including its quiet zone, centred in the available width.

    Dark modules are drawn as filled rectangles (runs of a row merged) in module units inside a form XObject
    named `qr-<16 hex digits of a hash of the symbol>`, scaled onto the page: vector, so any printer renders
    it sharp, and drawn once per document however often it is shown.
    """

    def __init__(self, data: str, *, size: float, border: int = 4, error: str = "m"):
        super().__init__()
        self.data = nfc(data)
        self.size = size
        self.border = border
        self.error = error
        self.qr = segno.make(self.data, error=error, micro=False)
        self._avail = size

    @property
    def form_name(self) -> str:
        key = f"{self.error}|{self.border}|{self.data}".encode()
        return "qr-" + hashlib.sha256(key).hexdigest()[:16]

    def matrix(self) -> list[list[bool]]:
        """The dark (True) and light modules, quiet zone included, top row first."""
        return [[bool(v) for v in row] for row in self.qr.matrix_iter(scale=1, border=self.border)]

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self._avail = availWidth
        return availWidth, self.size

    def draw(self) -> None:
        canv = self.canv
        matrix = self.matrix()
        n = len(matrix)
        if not canv.hasForm(self.form_name):
            canv.beginForm(self.form_name, 0, 0, n, n)
            canv.setFillColor(BLACK)
            for r, row in enumerate(matrix):
                y = n - 1 - r  # PDF y grows upwards
                c = 0
                while c < n:
                    if row[c]:
                        start = c
                        while c < n and row[c]:
                            c += 1
                        canv.rect(start, y, c - start, 1, stroke=0, fill=1)
                    else:
                        c += 1
            canv.endForm()
        canv.saveState()
        canv.translate((self._avail - self.size) / 2, 0)
        canv.scale(self.size / n, self.size / n)
        canv.doForm(self.form_name)
        canv.restoreState()


def qr_code(data: str, *, size: float = 20 * mm, border: int = 4) -> QrCode:
    return QrCode(data, size=size, border=border)


def heading(
    *,
    width: float,
    agency_lines: Sequence[str],
    place_date_line: str = "",
    number_line: str = "",
    left_extra: Sequence[Flowable] = (),
    size: float = 9,
) -> Table:
    """The head of an administrative paper (Decree 30/2020/NĐ-CP Appendix I, items 1–4), in two columns.

    Left: each of `agency_lines` upper-cased, the last (the issuing agency itself) in bold with a rule of
    a third of its length under it, then `number_line` ("Số: …") and `left_extra` (e.g. a QR code).
    Right: the national name (bold, upper case), the motto (bold, ruled at its full length) and, in italics,
    `place_date_line`.
    """
    register_fonts()
    motto_size = size + 1
    national_w = text_width(NATIONAL_NAME, size=size, bold=True)
    # The right column is as narrow as the national name allows, leaving the agency's lines the most room.
    right_w = min(national_w + 6, width * 0.62)
    left_w = width - right_w
    centred = style(size, align="center", leading=size * 1.2)
    centred_bold = style(size, bold=True, align="center", leading=size * 1.2)

    left: list[Flowable] = []
    lines = [upper(line) for line in agency_lines if line.strip()]
    for line in lines[:-1]:
        left.append(para(line, style=centred))
    if lines:
        left.append(para(lines[-1], style=centred_bold))
        last_w = min(text_width(lines[-1], size=size, bold=True), left_w - 8)
        left.append(Rule(max(last_w / 3, 20)))
    if number_line:
        left.append(para(number_line, style=style(size + 0.5, align="center", before=2)))
    left.extend(left_extra)

    right: list[Flowable] = [
        para(NATIONAL_NAME, style=centred_bold),
        para(NATIONAL_MOTTO, style=style(motto_size, bold=True, align="center", leading=motto_size * 1.2)),
        Rule(text_width(NATIONAL_MOTTO, size=motto_size, bold=True)),
    ]
    if place_date_line:
        right.append(para(place_date_line, style=style(size + 1, italic=True, align="center", before=3)))

    t = Table([[left, right]], colWidths=[left_w, right_w], hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return t


Cell: TypeAlias = str | Flowable | Sequence[Flowable]


def table(
    rows: Sequence[Sequence[Cell]],
    *,
    col_widths: Sequence[float],
    header_rows: int = 0,
    size: float = 9.5,
    align: Sequence[str] | None = None,
    spans: Sequence[tuple[tuple[int, int], tuple[int, int]]] = (),
    padding: float = 2.5,
) -> Table:
    """A grid table. String cells become wrapping paragraphs (bold and centred in the header rows; aligned by
    `align[column]` elsewhere, default left). Header rows repeat on every page; a tall row splits across pages
    rather than overflowing one. `spans` are ReportLab `SPAN` ranges: ((col0, row0), (col1, row1))."""
    register_fonts()
    header_style = style(size, bold=True, align="center", leading=size * 1.18)
    body_styles = [style(size, align=a, leading=size * 1.18) for a in (align or ["left"] * len(col_widths))]
    data: list[list[Any]] = []
    for r, row in enumerate(rows):
        out: list[Any] = []
        for c, cell in enumerate(row):
            if isinstance(cell, str):
                out.append(para(cell, style=header_style if r < header_rows else body_styles[c]))
            else:
                out.append(cell)
        data.append(out)
    t = Table(
        data,
        colWidths=list(col_widths),
        repeatRows=header_rows,
        splitInRow=1,
        hAlign="LEFT",
    )
    commands: list[Any] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("GRID", (0, 0), (-1, -1), 0.5, BLACK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), padding),
        ("RIGHTPADDING", (0, 0), (-1, -1), padding),
        ("TOPPADDING", (0, 0), (-1, -1), padding * 0.6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), padding),
    ]
    if header_rows:
        commands.append(("VALIGN", (0, 0), (-1, header_rows - 1), "MIDDLE"))
    commands.extend(("SPAN", a, b) for a, b in spans)
    t.setStyle(TableStyle(commands))
    return t


@dataclass(frozen=True)
class Signature:
    """One signature block: `title` (printed upper case, bold), a `hint` in italics, room to sign, `name`."""

    title: str
    hint: str = "(Ký và ghi rõ họ tên)"
    name: str = ""


def signatures(blocks: Sequence[Signature], *, width: float, size: float = 10, gap: float = 14 * mm) -> Table:
    """Signature blocks side by side, each centred in an equal share of `width`. A single block sits on the
    right half, where Decree 30/2020 puts the signer."""
    register_fonts()
    cells: list[list[Flowable]] = []
    for block in blocks:
        cell: list[Flowable] = [para(upper(block.title), style=style(size, bold=True, align="center"))]
        if block.hint:
            cell.append(para(block.hint, style=style(size - 0.5, italic=True, align="center")))
        cell.append(Spacer(1, gap))
        if block.name:
            cell.append(para(block.name, style=style(size, bold=True, align="center")))
        cells.append(cell)
    if len(cells) == 1:
        cells.insert(0, [])
    t = Table([cells], colWidths=[width / len(cells)] * len(cells), hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    t.keepWithNext = False
    return t


# ---------------------------------------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PdfMetadata:
    title: str
    author: str
    subject: str = ""
    keywords: tuple[str, ...] = ()
    creator: str = "Tỉnh Số"
    lang: str = "vi-VN"


def content_width(pagesize: tuple[float, float], margins: Margins) -> float:
    return pagesize[0] - margins.left - margins.right


def content_height(pagesize: tuple[float, float], margins: Margins) -> float:
    return pagesize[1] - margins.top - margins.bottom


def _numbered_canvas(footer: Callable[[int, int], str], size: float) -> type[Canvas]:
    """A canvas class that holds its pages back until the end so each footer can say "Trang x/y"."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved_pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._saved_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved_pages)
            for state in self._saved_pages:
                self.__dict__.update(state)
                self.setFont(FONT_ITALIC, size)
                self.drawCentredString(self._pagesize[0] / 2, 7 * mm, nfc(footer(self._pageNumber, total)))
                super().showPage()
            super().save()

    return NumberedCanvas


def build_pdf(
    story: Sequence[Flowable],
    *,
    pagesize: tuple[float, float],
    margins: Margins,
    metadata: PdfMetadata,
    footer: Callable[[int, int], str] | None = None,
    footer_size: float = 8,
) -> bytes:
    """Lay `story` out on pages of `pagesize` and return the PDF. `footer(page, total)` gives the text
    centred at the foot of each page (in the bottom margin), e.g. `lambda p, n: f"Trang {p}/{n}"`."""
    register_fonts()
    buf = io.BytesIO()
    doc = BaseDocTemplate(
        buf,
        pagesize=pagesize,
        leftMargin=margins.left,
        rightMargin=margins.right,
        topMargin=margins.top,
        bottomMargin=margins.bottom,
        title=nfc(metadata.title),
        author=nfc(metadata.author),
        subject=nfc(metadata.subject),
        keywords=[nfc(k) for k in metadata.keywords],
        creator=nfc(metadata.creator),
        lang=metadata.lang,
        invariant=1,
        pageCompression=1,
        # Otherwise every page (and the QR form) would name an unembedded Helvetica it never uses.
        initialFontName=FONT,
        initialFontSize=10,
        initialLeading=12,
    )
    # No frame padding: the margins are the margins, and `content_width()` is the width a story gets.
    frame = Frame(
        margins.left,
        margins.bottom,
        content_width(pagesize, margins),
        content_height(pagesize, margins),
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], pagesize=pagesize)])
    if footer is None:
        doc.build(list(story))
    else:
        doc.build(list(story), canvasmaker=_numbered_canvas(footer, footer_size))
    return buf.getvalue()
