"""The PDF building blocks: fonts, Vietnamese text, dates, QR codes, tables, headings, metadata.

The helpers at the top (`text_runs`, `qr_matrices`, `decode_qr`, …) read PDFs back the way a person or a
scanner would, and are shared with the forms' tests (`tinhso/dossiers/tests/test_paper_forms.py`).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pypdf
import pytest
import segno
from pypdf.generic import ContentStream
from reportlab.lib.units import mm
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Spacer

from tinhso.core import pdf

# ======================================================================================================
# Reading PDFs back
# ======================================================================================================

Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: Matrix = (1, 0, 0, 1, 0, 0)


def _mul(m: Matrix, n: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    )


def _origin(m: Matrix) -> tuple[float, float]:
    return m[4], m[5]


@dataclass(frozen=True)
class TextRun:
    """One string shown on the page: its text, where it starts and ends (points from the bottom left)."""

    text: str
    x0: float
    x1: float
    y: float
    size: float


def _to_unicode(font: Any) -> dict[int, str]:
    """The code → text map of a simple font's ToUnicode CMap (ReportLab writes `bfchar` entries)."""
    data = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    table: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            table[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                table[code] = chr(int(dst, 16) + i)
    return table


def text_runs(page: pypdf.PageObject) -> list[TextRun]:
    """Every string the page's content stream shows, with its extent computed from the font's widths.

    A small interpreter of the text and graphics-state operators ReportLab writes (q Q cm BT ET Tf Tm Td TD
    T* TL Tc Tw Tz Tj TJ ' "), so that a test can say where each piece of text lies on the paper.
    """
    resources: Any = page["/Resources"]
    fonts = resources.get("/Font", {})
    font_cache: dict[str, tuple[dict[int, str], int, list[float]]] = {}
    runs: list[TextRun] = []
    ctm: Matrix = _IDENTITY
    stack: list[Matrix] = []
    tm: Matrix = _IDENTITY
    tlm: Matrix = _IDENTITY
    font_name = ""
    size = tc = tw = leading = 0.0
    th = 1.0

    def font_info(name: str) -> tuple[dict[int, str], int, list[float]]:
        if name not in font_cache:
            font = fonts[name].get_object()
            font_cache[name] = (
                _to_unicode(font),
                int(font.get("/FirstChar", 0)),
                [float(w) for w in font.get("/Widths", [])],
            )
        return font_cache[name]

    def show(raw: bytes) -> None:
        nonlocal tm
        cmap, first, widths = font_info(font_name)
        start = _mul(tm, ctm)
        text = ""
        for code in raw:
            text += cmap.get(code, "\ufffd")
            w = widths[code - first] if 0 <= code - first < len(widths) else 0.0
            tx = (w / 1000 * size + tc + (tw if code == 32 else 0)) * th
            tm = _mul((1, 0, 0, 1, tx, 0), tm)
        end = _mul(tm, ctm)
        scale = (start[0] ** 2 + start[1] ** 2) ** 0.5
        runs.append(TextRun(text, start[4], end[4], start[5], size * scale))

    def next_line(tx: float, ty: float) -> None:
        nonlocal tm, tlm
        tlm = _mul((1, 0, 0, 1, tx, ty), tlm)
        tm = tlm

    for operands, op in ContentStream(page.get_contents(), page.pdf).operations:
        if op == b"q":
            stack.append(ctm)
        elif op == b"Q":
            ctm = stack.pop()
        elif op == b"cm":
            ctm = _mul(tuple(float(v) for v in operands), ctm)  # type: ignore[arg-type]
        elif op == b"BT":
            tm = tlm = _IDENTITY
        elif op == b"Tf":
            font_name, size = str(operands[0]), float(operands[1])
        elif op == b"Tc":
            tc = float(operands[0])
        elif op == b"Tw":
            tw = float(operands[0])
        elif op == b"Tz":
            th = float(operands[0]) / 100
        elif op == b"TL":
            leading = float(operands[0])
        elif op == b"Tm":
            tm = tlm = tuple(float(v) for v in operands)  # type: ignore[assignment]
        elif op == b"Td":
            next_line(float(operands[0]), float(operands[1]))
        elif op == b"TD":
            leading = -float(operands[1])
            next_line(float(operands[0]), float(operands[1]))
        elif op == b"T*":
            next_line(0, -leading)
        elif op == b"Tj":
            show(bytes(operands[0].original_bytes))
        elif op == b"'":
            next_line(0, -leading)
            show(bytes(operands[0].original_bytes))
        elif op == b'"':
            tw, tc = float(operands[0]), float(operands[1])
            next_line(0, -leading)
            show(bytes(operands[2].original_bytes))
        elif op == b"TJ":
            for item in operands[0]:
                if isinstance(item, (int, float)) or hasattr(item, "as_numeric"):
                    tm = _mul((1, 0, 0, 1, -float(item) / 1000 * size * th, 0), tm)
                else:
                    show(bytes(item.original_bytes))
    return runs


def runs_outside(
    page: pypdf.PageObject, margins: pdf.Margins, *, footer_below: float = 12 * mm
) -> list[TextRun]:
    """The text runs that stray outside the page's margins (the footer, drawn below `footer_below`, may use
    the bottom margin but not the side ones)."""
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    eps = 0.5
    bad = []
    for run in text_runs(page):
        if not run.text.strip():
            continue
        inside_x = margins.left - eps <= run.x0 and run.x1 <= width - margins.right + eps
        top_ok = run.y + run.size * 0.8 <= height - margins.top + eps
        bottom_ok = run.y >= margins.bottom - run.size * 0.3 - eps or run.y < footer_below
        if not (inside_x and top_ok and bottom_ok):
            bad.append(run)
    return bad


def read(data: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(data))


def page_text(page: pypdf.PageObject) -> str:
    """The page's extracted text with runs of whitespace (line breaks of wrapped text) made single spaces."""
    return " ".join(page.extract_text().split())


def all_text(data: bytes) -> str:
    return " ".join(page_text(p) for p in read(data).pages)


def qr_matrices(page: pypdf.PageObject) -> list[list[list[bool]]]:
    """The module matrices of the QR codes drawn on the page (form XObjects named `qr-…`), read back from
    the rectangles in their content streams."""
    found = []
    resources: Any = page["/Resources"]
    xobjects = resources.get("/XObject", {})
    for name, ref in xobjects.items():
        if not name.startswith("/FormXob.qr-"):
            continue
        form = ref.get_object()
        n = int(float(form["/BBox"][2]))
        matrix = [[False] * n for _ in range(n)]
        for operands, op in ContentStream(form, page.pdf).operations:
            if op == b"re":
                x, y, w, h = (round(float(v)) for v in operands)
                for row in range(n - y - h, n - y):
                    for col in range(x, x + w):
                        matrix[row][col] = True
        found.append(matrix)
    return found


def segno_matrix(data: str, border: int = 4) -> list[list[bool]]:
    qr = segno.make(data, error="m", micro=False)
    return [[bool(v) for v in row] for row in qr.matrix_iter(scale=1, border=border)]


def pdf_tools_or_skip() -> None:
    """Skip (or fail, with TINHSO_REQUIRE_PDF_TOOLS=1) when poppler's pdftoppm or zbar's zbarimg is absent."""
    missing = [tool for tool in ("pdftoppm", "zbarimg") if shutil.which(tool) is None]
    if missing:
        reason = (
            f"{' and '.join(missing)} not installed, so the QR code cannot be decoded from a rendered page "
            "(Debian: apt-get install poppler-utils zbar-tools); its matrix is still checked against segno's"
        )
        if os.environ.get("TINHSO_REQUIRE_PDF_TOOLS") == "1":
            pytest.fail(f"{reason}; TINHSO_REQUIRE_PDF_TOOLS=1 requires them")
        pytest.skip(reason)


def render_png(data: bytes, *, page: int = 1, dpi: int = 300) -> bytes:
    """One page rendered by poppler's pdftoppm, as a PNG."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(data)
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                str(dpi),
                "-f",
                str(page),
                "-l",
                str(page),
                "-singlefile",
                source,
                Path(tmp) / "out",
            ],
            check=True,
            capture_output=True,
        )
        return (Path(tmp) / "out.png").read_bytes()


def decode_qr(data: bytes, *, page: int = 1) -> list[str]:
    """The QR codes zbar finds on a page rendered at 300 dpi (as a phone camera would see a print)."""
    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "page.png"
        png.write_bytes(render_png(data, page=page))
        result = subprocess.run(
            ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", png],
            capture_output=True,
            text=True,
        )
        # zbarimg exits 4 when it found no symbol.
        assert result.returncode in (0, 4), result.stderr
        return [line for line in result.stdout.splitlines() if line]


# ======================================================================================================
# Tests
# ======================================================================================================

_VOWELS = "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
_TONES = ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]
VIETNAMESE_LETTERS = sorted(
    {unicodedata.normalize("NFC", v + t) for v in _VOWELS for t in _TONES} | {"đ", "Đ"}
)
CODE = "000.00.12.H60-250701-0003"


def _doc(story: list[Any], **kw: Any) -> bytes:
    kw.setdefault("pagesize", pdf.PAGE_A5)
    kw.setdefault("margins", pdf.MARGINS_A5)
    kw.setdefault("metadata", pdf.PdfMetadata(title="Thử nghiệm", author="Ủy ban nhân dân xã Mỹ Bằng"))
    return pdf.build_pdf(story, **kw)


def test_the_vendored_serif_has_a_glyph_for_every_vietnamese_letter_in_all_four_faces() -> None:
    assert len(VIETNAMESE_LETTERS) == 146  # 12 vowels × 6 tones × 2 cases, plus đ and Đ
    for filename in ("Regular", "Bold", "Italic", "BoldItalic"):
        face = TTFont(filename, str(pdf.FONTS_DIR / f"LiberationSerif-{filename}.ttf")).face
        missing = [ch for ch in [*VIETNAMESE_LETTERS, "₫"] if ord(ch) not in face.charToGlyph]
        assert missing == [], f"{filename} lacks {missing}"
    assert (pdf.FONTS_DIR / "LICENSE-OFL.txt").read_text().count("SIL OPEN FONT LICENSE Version 1.1") == 1


def test_every_vietnamese_letter_prints_and_extracts_exactly_in_each_face() -> None:
    line = "".join(VIETNAMESE_LETTERS)
    story = [
        pdf.para(line, style=pdf.style(10)),
        pdf.para(pdf.bold(line), style=pdf.style(10)),
        pdf.para(pdf.italic(line), style=pdf.style(10)),
        pdf.para(pdf.Markup(f"<b><i>{pdf.esc(line)}</i></b>"), style=pdf.style(10)),
    ]
    text = read(_doc(story)).pages[0].extract_text()
    assert text.replace("\n", "").count(line) == 4
    resources: Any = read(_doc(story)).pages[0]["/Resources"]
    base_fonts = {f.get_object()["/BaseFont"].split("+", 1)[1] for f in resources["/Font"].values()}
    assert base_fonts == {
        "LiberationSerif",
        "LiberationSerif-Bold",
        "LiberationSerif-Italic",
        "LiberationSerif-BoldItalic",
    }


def test_decomposed_input_is_printed_and_extracted_as_nfc() -> None:
    name = "Nguyễn Thị Hằng"
    decomposed = unicodedata.normalize("NFD", name)
    assert decomposed != name
    text = page_text(read(_doc([pdf.para("Họ tên: ", pdf.bold(decomposed), style=pdf.style(11))])).pages[0])
    assert f"Họ tên: {name}" in text
    assert unicodedata.is_normalized("NFC", text)


def test_markup_characters_in_data_are_printed_not_interpreted() -> None:
    value = "Công ty <b>A&B</b> & <i>con</i>"
    text = page_text(read(_doc([pdf.para(value, style=pdf.style(11))])).pages[0])
    assert value in text


def test_a5_pages_measure_148_by_210_mm_and_a4_landscape_297_by_210() -> None:
    a5 = read(_doc([pdf.para("A5", style=pdf.style(11))])).pages[0].mediabox
    assert float(a5.width) == pytest.approx(419.53, abs=1) and float(a5.height) == pytest.approx(
        595.28, abs=1
    )
    a4 = (
        read(
            _doc(
                [pdf.para("A4", style=pdf.style(11))],
                pagesize=pdf.PAGE_A4_LANDSCAPE,
                margins=pdf.MARGINS_A4_LANDSCAPE,
            )
        )
        .pages[0]
        .mediabox
    )
    assert float(a4.width) == pytest.approx(841.89, abs=1) and float(a4.height) == pytest.approx(
        595.28, abs=1
    )


def test_dates_take_the_leading_zeros_of_decree_30_and_print_in_vietnam_time() -> None:
    assert pdf.vn_date(date(2025, 7, 5)) == "ngày 05 tháng 7 năm 2025"
    assert pdf.vn_date(date(2025, 2, 14)) == "ngày 14 tháng 02 năm 2025"
    assert pdf.vn_date(date(2025, 12, 31)) == "ngày 31 tháng 12 năm 2025"
    # 17:05 UTC on 31 December is 00:05 on 1 January in Vietnam.
    assert (
        pdf.vn_datetime(datetime(2025, 12, 31, 17, 5, tzinfo=UTC))
        == "00 giờ 05 phút, ngày 01 tháng 01 năm 2026"
    )
    assert pdf.place_date("Tuyên Quang", date(2025, 7, 1)) == "Tuyên Quang, ngày 01 tháng 7 năm 2025"
    assert pdf.short_datetime(datetime(2025, 7, 1, 1, 30, tzinfo=UTC)) == "08:30 01/07/2025"


def test_a_naive_datetime_is_refused_because_its_instant_is_unknown() -> None:
    with pytest.raises(ValueError, match="naive"):
        pdf.vn_datetime(datetime(2025, 7, 1, 8, 30))


def test_the_heading_carries_the_agency_the_national_name_the_motto_and_the_place_date_line() -> None:
    width = pdf.content_width(pdf.PAGE_A5, pdf.MARGINS_A5)
    head = pdf.heading(
        width=width,
        agency_lines=["Ủy ban nhân dân xã Mỹ Bằng", "Văn phòng HĐND và UBND"],
        place_date_line=pdf.place_date("Mỹ Bằng", date(2024, 11, 5)),
        number_line="Số: 12/TB-UBND",
    )
    data = _doc([head])
    page = read(data).pages[0]
    text = page_text(page)
    for expected in (
        "ỦY BAN NHÂN DÂN XÃ MỸ BẰNG",
        "VĂN PHÒNG HĐND VÀ UBND",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Mỹ Bằng, ngày 05 tháng 11 năm 2024",
        "Số: 12/TB-UBND",
    ):
        assert expected in text
    runs = {r.text: r for r in text_runs(page)}
    # The national name sits in the right column, the agency in the left one, on the same band.
    assert runs["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"].x0 > runs["ỦY BAN NHÂN DÂN XÃ MỸ BẰNG"].x1
    assert runs_outside(page, pdf.MARGINS_A5) == []


def test_metadata_carries_title_author_subject_and_language_in_vietnamese() -> None:
    meta = pdf.PdfMetadata(
        title="Giấy tiếp nhận hồ sơ", author="Ủy ban nhân dân xã Mỹ Bằng", subject="Mẫu 01"
    )
    reader = read(_doc([pdf.para("x", style=pdf.style(10))], metadata=meta))
    assert reader.metadata is not None
    assert reader.metadata.title == "Giấy tiếp nhận hồ sơ"
    assert reader.metadata.author == "Ủy ban nhân dân xã Mỹ Bằng"
    assert reader.metadata.subject == "Mẫu 01"
    root: Any = reader.trailer["/Root"]
    assert root["/Lang"] == "vi-VN"


def test_the_same_story_gives_the_same_bytes() -> None:
    def story() -> list[Any]:
        return [pdf.para("Nguyễn Thị Hằng", style=pdf.style(11)), pdf.qr_code(CODE)]

    assert _doc(story()) == _doc(story())


def test_the_qr_code_is_drawn_as_segno_s_matrix_with_its_quiet_zone() -> None:
    page = read(_doc([pdf.qr_code(CODE, size=20 * mm)])).pages[0]
    assert qr_matrices(page) == [segno_matrix(CODE)]


def test_the_qr_code_decodes_to_its_data_when_the_page_is_rendered_and_scanned() -> None:
    pdf_tools_or_skip()
    data = _doc([pdf.para("Mã hồ sơ", style=pdf.style(11)), pdf.qr_code(CODE, size=18 * mm)])
    assert decode_qr(data) == [CODE]


def test_a_long_table_repeats_its_header_on_every_page_and_its_cells_wrap_inside_the_margins() -> None:
    width = pdf.content_width(pdf.PAGE_A5, pdf.MARGINS_A5)
    long_name = "Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác gắn liền với đất " * 3
    rows: list[Sequence[pdf.Cell]] = [["STT", "Tên giấy tờ", "Địa chỉ thư điện tử"]]
    rows += [
        [f"{i:02d}", long_name, "nguyen.thi.hang.rat.dai.khong.co.dau.cach@mybang.tuyenquang.gov.vn"]
        for i in range(1, 31)
    ]
    data = _doc([pdf.table(rows, col_widths=[width * 0.1, width * 0.55, width * 0.35], header_rows=1)])
    reader = read(data)
    assert len(reader.pages) > 2
    for page in reader.pages:
        assert "Tên giấy tờ" in page_text(page)
        assert runs_outside(page, pdf.MARGINS_A5) == []
    numbers = [r.text for p in reader.pages for r in text_runs(p) if re.fullmatch(r"\d\d", r.text)]
    assert numbers == [f"{i:02d}" for i in range(1, 31)]


def test_text_that_would_run_off_the_page_is_caught_by_the_margin_check() -> None:
    # The check above must be able to fail: a string drawn past the right margin is reported.
    from reportlab.platypus import Flowable

    class Overflowing(Flowable):
        def wrap(self, aw: float, ah: float) -> tuple[float, float]:
            return aw, 12

        def draw(self) -> None:
            self.canv.setFont(pdf.FONT, 11)
            self.canv.drawString(0, 0, "Ủy ban nhân dân xã Mỹ Bằng " * 4)

    page = read(_doc([Spacer(1, 10), Overflowing()])).pages[0]
    assert [r.text for r in runs_outside(page, pdf.MARGINS_A5)] == ["Ủy ban nhân dân xã Mỹ Bằng " * 4]


def test_the_footer_numbers_the_pages_out_of_their_total() -> None:
    story = [pdf.para(f"Dòng {i}", style=pdf.style(11)) for i in range(120)]
    reader = read(_doc(story, footer=lambda page, total: f"Trang {page}/{total}"))
    total = len(reader.pages)
    assert total > 1
    for number, page in enumerate(reader.pages, start=1):
        assert f"Trang {number}/{total}" in page_text(page)
