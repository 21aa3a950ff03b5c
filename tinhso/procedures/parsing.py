"""Parser of the raw national procedure records (pure Python, no Django).

A record is one JSON object per procedure, crawled from dichvucong.gov.vn (../shared/data/procedures/
SOURCES.md): every value is a string and the page's tables were flattened to text with no separators
between cells. `parse_record()` turns it into a `ParsedProcedure`; the rule throughout is **never guess**:
a value that cannot be read with certainty is left empty (None) and a `FieldProblem` names the field, says
why and keeps the original text, for an official to fix in the admin. A record that is not a record at all
(not an object, required keys missing, values not strings, no valid code or name) raises `RecordError` and
is imported not at all.

Sections. The crawler cut `raw_text` (the whole page as text) into fields at the first occurrence of each
section heading, so when a section's text contains another heading ("… tại mục 5.3 (Thành phần hồ sơ)…",
"Căn cứ pháp lý: Thông tư…" inside a fee note) or a section is missing, the fields are shifted (about 50 of
the 1,853 records). `page_sections()` cuts `raw_text` again on anchors that cannot occur in content (the
channel table's header after "Cách Thức Thực Hiện", "Căn cứ pháp lý" followed by its table header or by
"Không có thông tin", the portal's "Từ khóa" block at the end); where that succeeds its sections are used,
otherwise the record's fields.

Formats found and how each is read (see tests/test_parsing.py, one test per format):

- Channels (*cách thức thực hiện*): "Hình thức nộpThời gianPhí, lệ phíMô tả", then per row a channel name
  glued to its time cell, then the fee cell, then the description. A row starts where a channel name is
  followed directly (no space) by a digit or a capital letter; in descriptions the names are followed by a
  space, a colon or a comma ("Trực tiếp tại …"). The page may give several rows for one channel (different
  cases, or one fee in đồng and one in dollars): they are kept as they are, one `ChannelRule` per row.
- Time cell: "<n> Ngày làm việc|Ngày|Giờ|Tháng|Năm" → value and unit; "Không có thông tin" → not stated;
  a bare number ("Trực tuyến1Miễn phí": the portal left the unit empty; "1" is mostly a placeholder) →
  not a time, unless the page itself states the unit for that number in a sentence about the processing
  time ("Thời hạn giải quyết: 05 ngày làm việc", "trong thời hạn 03 ngày làm việc kể từ ngày nhận …"),
  and only if every such sentence gives the same unit; text ("Không quy định", "Không phải trả kết quả…")
  → kept as text, no value. `time_text` is the cell as written.
- Fee cell: "Miễn phí" with no note, or a note that only says there is none ("Không", "Không quy định",
  "Miễn lệ phí") → free; "Không có thông tin" → unknown; "<amount> Việt Nam Đồng|VNĐ|USD" with an optional
  note in parentheses → amounts (labels and further amounts are taken from the note when it states
  "label: amount" and one of them is the cell's amount). "Miễn phí" whose note only refers to the regulation
  or council that sets the amount ("Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh quyết định", "Theo quy định
  tại Thông tư số 101/2020/TT-BTC", no amount, no exemption) → regulated: the page does not state the amount,
  it says where it is set. "Miễn phí" whose note otherwise qualifies it (an exemption for some cases, amounts
  that contradict "free") → text. Amounts below 1,000 đồng are
  not fees (the portal was often fed thousands: "20 VNĐ(20.000 vnđ/tờ khai)"): the note's amount is used
  when it is exactly 1,000 times the cell's, otherwise the fee is text.
- Time glued to the fee ("Trực tuyến1100 VNĐ(Phí công bố …: 100.000 đồng/lần)"): the time has no unit, so
  it is not parsed; the fee is the one split of the digits that the portal's number format allows
  (thousands separated by commas, no leading zeros, no zero fee) and that the note confirms; otherwise
  text.
- Required papers (*thành phần hồ sơ*): group heading ("* Giấy tờ phải nộp:", "--" for none, or a case),
  "Tên giấy tờMẫu đơn, tờ khaiSố lượng", then items, each ending with its quantity cell "<n> bản
  chính|sao|chụp" or "<n> bản chính,<m> bản sao" (one digit: no cell on the portal has more, which
  separates "…ngày 01/01/2026" + "1 bản chính"). "01 bản sao có chứng thực" inside a name (a two-digit count
  followed by words) is not a cell; so is a candidate followed at once by a real cell. The form template
  is the file name ending in .doc/.docx/.pdf/… glued before the cell (several files glued together are
  joined with "; "). Kind: bản chính → original, bản sao / bản chụp → copy, both → original_and_copy
  (counts in `originals`/`copies`); a copy whose name says "bản sao (có) chứng thực" → certified_copy, a
  name saying "bản chính hoặc bản sao" → original_or_copy. Notes given as items with "0 bản chính" are
  kept as items with quantity 0, as the page lists them.
- Legal basis (*căn cứ pháp lý*): "Tên văn bản pháp lýMã văn bản", then title + number pairs glued
  together. A number (123/2015/NĐ-CP, 59/2020/QH14, 66.7/2025/NQ-CP, 163/QĐ-BTP) ends a pair when it is
  followed by the next title (a capital letter, the end) or is glued to the title before it; a number
  followed by " ngày …" or ", " is part of a title. Digits glued to a title's year ("năm 2020" +
  "72/2020/QH14", "Luật Cư trú 2020" + "68/2020/QH14") are split after the year; other glued digits,
  numbers without year or type ("08/2026"), a mistyped number cell and text after the last number (a
  truncated pair) are problems.
- Results (*kết quả xử lý*): name + "Mã: <code>" repeated (a code ends with a digit, the next name
  follows it; placeholders like "dsfas" are kept as written); the portal's search and submission block
  that follows ("Từ khóa…", "Chọn cơ quan thực hiện…Nộp hồ sơ") is dropped.
- Levels "Cấp bộ, Cấp tỉnh, Cấp xã, Cơ quan khác" → ministry, province, commune, other; related
  procedures are the national codes found in `thu_tuc_lien_quan`; free text fields are trimmed, with
  "Không có thông tin" read as "".
- Online level: the page has no field for it. It is "full" or "partial" when the procedure's name (or a
  channel description) says *toàn trình* / *(trực tuyến) một phần*; "information" when the page lists no
  online channel; otherwise "unknown" (an online channel exists but the page does not say which level).

What "stated" and "parsed" mean for the import report (scripts/procedure_parse_report.py):

- time: a row states a time when its time cell is not empty and not "Không có thông tin"; a record's time
  is parsed when every such row has a value and a unit.
- fee: a row states a fee when its fee cell is not empty and not "Không có thông tin"; a record's fee is
  parsed when every such row is "free" or "amounts".
- time_with_unit, fee_amount_on_page: the same without the rows that give no value to read: a time cell
  that is only a number (the portal left the unit empty; 493 of the 600 such cells say "1", and the page
  states no unit for them elsewhere), a fee the page leaves to another regulation ("regulated").
- papers: stated when the section is not empty, "--" or "Không có thông tin"; parsed when it gave at least
  one item and every piece of its text belongs to an item or a heading (no problem on the field).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import cast

from tinhso.procedures.parsed import (
    Channel,
    ChannelRule,
    Currency,
    Fee,
    FeeKind,
    FieldProblem,
    LegalBasis,
    Level,
    OnlineLevel,
    PaperKind,
    ParsedProcedure,
    RequiredPaper,
    ResultDocument,
    TimeUnit,
)

NO_INFO = "Không có thông tin"

REQUIRED_KEYS = (
    "ma_thu_tuc",
    "detail_url",
    "ten_thu_tuc",
    "so_quyet_dinh",
    "cap_thuc_hien",
    "loai_thu_tuc",
    "linh_vuc",
    "doi_tuong_thuc_hien",
    "co_quan_co_tham_quyen",
    "dia_chi_tiep_nhan",
    "co_quan_duoc_uy_quyen",
    "co_quan_phoi_hop",
    "thu_tuc_lien_quan",
    "trinh_tu_thuc_hien",
    "cach_thuc_thuc_hien",
    "thanh_phan_ho_so",
    "can_cu_phap_ly",
    "yeu_cau_dieu_kien",
    "ket_qua_xu_ly",
    "co_quan_thuc_hien",
)
OPTIONAL_KEYS = ("raw_text", "formality_id")
_CODE = re.compile(r"[1-3]\.\d{6}")


class RecordError(Exception):
    """The record cannot be imported at all; `where` is its code, or its file when the code is unknown."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


def read_record(path: str | Path) -> dict[str, str]:
    """The raw record in a file, checked for shape (not parsed)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise RecordError(str(path), f"not a readable JSON file ({exc})") from exc
    check_record(data, where=str(path))
    return cast(dict[str, str], data)


def check_record(raw: object, *, where: str = "?") -> None:
    """Raise `RecordError` unless `raw` has the shape of a record."""
    if not isinstance(raw, dict):
        raise RecordError(where, f"a record is a JSON object, not {type(raw).__name__}")
    code = raw.get("ma_thu_tuc")
    if isinstance(code, str) and code.strip():
        where = code.strip()
    missing = [k for k in REQUIRED_KEYS if k not in raw]
    if missing:
        raise RecordError(where, "missing keys: " + ", ".join(missing))
    wrong = [k for k in (*REQUIRED_KEYS, *OPTIONAL_KEYS) if k in raw and not isinstance(raw[k], str)]
    if wrong:
        raise RecordError(where, "values are not strings: " + ", ".join(wrong))
    if not _CODE.fullmatch(raw["ma_thu_tuc"].strip()):
        raise RecordError(where, f"not a national procedure code: {raw['ma_thu_tuc'][:40]!r}")
    if not raw["ten_thu_tuc"].strip():
        raise RecordError(where, "the procedure has no name")


def parse_record(raw: dict[str, str]) -> ParsedProcedure:
    """The `ParsedProcedure` of one raw record; `RecordError` if it is not a record."""
    check_record(raw)
    # The portal's texts mix decomposed letters ("ă" + combining dot) with composed ones: everything is
    # read as NFC, so searches, comparisons and pages see one spelling of each letter.
    raw = {key: unicodedata.normalize("NFC", v) if isinstance(v, str) else v for key, v in raw.items()}
    page = raw.get("raw_text", "")
    sections = page_sections(page)

    def section(key: str) -> str:
        if sections is not None:
            return sections[key]
        return raw[key].strip()

    problems: list[FieldProblem] = []
    name = _clean(raw["ten_thu_tuc"])
    channels = parse_channels(section("cach_thuc_thuc_hien"), page=page, problems=problems)
    return ParsedProcedure(
        code=raw["ma_thu_tuc"].strip(),
        name=name,
        source_url=raw["detail_url"].strip(),
        decision_number=plain(raw["so_quyet_dinh"]),
        field_name=plain(raw["linh_vuc"]),
        levels=parse_levels(raw["cap_thuc_hien"], problems=problems),
        procedure_type=plain(raw["loai_thu_tuc"]),
        applicants=plain(raw["doi_tuong_thuc_hien"]),
        competent_agency=plain(raw["co_quan_co_tham_quyen"]),
        implementing_agency=plain(section("co_quan_thuc_hien")),
        receiving_address=plain(raw["dia_chi_tiep_nhan"]),
        delegated_agency=plain(raw["co_quan_duoc_uy_quyen"]),
        coordinating_agency=plain(raw["co_quan_phoi_hop"]),
        related_procedures=parse_related(raw["thu_tuc_lien_quan"], own_code=raw["ma_thu_tuc"].strip()),
        steps=plain(section("trinh_tu_thuc_hien")),
        conditions=plain(section("yeu_cau_dieu_kien")),
        channels=channels,
        papers=parse_papers(section("thanh_phan_ho_so"), problems=problems),
        legal_basis=parse_legal_basis(section("can_cu_phap_ly"), page=page, problems=problems),
        results=parse_results(section("ket_qua_xu_ly"), problems=problems),
        online_level=online_level(name, channels),
        problems=problems,
    )


# --- Plain text ---------------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    return text.replace("\xa0", " ").strip()


def plain(text: str) -> str:
    """A free-text field: trimmed, "" for the portal's "Không có thông tin"."""
    text = _clean(text)
    return "" if text == NO_INFO else text


def _stated(text: str) -> bool:
    return _clean(text) not in ("", NO_INFO, "--")


# --- Sections of the page -----------------------------------------------------------------------------------

_H_STEPS = "Trình Tự Thực Hiện"
_H_CHANNELS = "Cách Thức Thực Hiện"
_CHANNEL_HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"
_H_PAPERS = "Thành phần hồ sơ"
_LEGAL_HEADER = "Tên văn bản pháp lýMã văn bản"
_H_LEGAL = re.compile("Căn cứ pháp lý(?=" + re.escape(_LEGAL_HEADER) + "|" + NO_INFO + ")")
_H_AGENCY = "Cơ quan thực hiện"
_H_CONDITIONS = "Yêu cầu, điều kiện thực hiện"
_H_RESULTS = "Kết quả xử lý"
_UI_BLOCK = "Từ khóa"  # the portal's search and submission block after the results


def page_sections(page: str) -> dict[str, str] | None:
    """The body sections of `raw_text`, keyed by the record's field names (stripped), or None when the
    page does not have the expected anchors (then the record's own fields are used)."""
    start = page.find(_H_STEPS)
    channels = page.find(_H_CHANNELS + _CHANNEL_HEADER)
    if start < 0 or channels < start:
        return None
    papers = page.find(_H_PAPERS, channels + len(_H_CHANNELS + _CHANNEL_HEADER))
    if papers < 0:
        return None
    legal = _H_LEGAL.search(page, papers)
    if legal is None:
        return None
    agency = page.find(_H_AGENCY, legal.end())
    if agency < 0:
        return None
    conditions = page.find(_H_CONDITIONS, agency)
    if conditions < 0:
        return None
    end = page.rfind(_UI_BLOCK)
    if end < conditions or "Mô tả" not in page[end:]:
        return None  # every page ends with the portal's block: without it the text is cut short
    # The conditions may quote "Kết quả xử lý"; the results heading is the last one before the UI block.
    results = page.rfind(_H_RESULTS, conditions, end)
    out = {
        "trinh_tu_thuc_hien": page[start + len(_H_STEPS) : channels],
        "cach_thuc_thuc_hien": page[channels + len(_H_CHANNELS) : papers],
        "thanh_phan_ho_so": page[papers + len(_H_PAPERS) : legal.start()],
        "can_cu_phap_ly": page[legal.end() : agency],
        "co_quan_thuc_hien": page[agency + len(_H_AGENCY) : conditions],
        "yeu_cau_dieu_kien": page[conditions + len(_H_CONDITIONS) : results if results >= 0 else end],
        "ket_qua_xu_ly": page[results + len(_H_RESULTS) :] if results >= 0 else "",
    }
    return {k: v.strip() for k, v in out.items()}


# --- Channels, times and fees -------------------------------------------------------------------------------

_CHANNEL_NAMES: dict[str, Channel] = {
    "Trực tiếp": "direct",
    "Trực tuyến": "online",
    "Dịch vụ bưu chính": "postal",
}
_ROW_START = re.compile("|".join(_CHANNEL_NAMES))
_UNITS: dict[str, TimeUnit] = {
    "ngày làm việc": "working_day",
    "ngày": "day",
    "giờ": "hour",
    "tháng": "month",
    "năm": "year",
}
_UNIT_WORDS = "ngày làm việc|ngày|giờ|tháng|năm"
_TIME = re.compile(rf"(\d+(?:[.,]\d+)?) ?({_UNIT_WORDS})", re.IGNORECASE)
_BARE_TIME = re.compile(r"\d+(?:[.,]\d+)?(?=Miễn phí|" + NO_INFO + ")")
_CURRENCY = r"Việt Nam Đồng|VNĐ|VND|Đồng|USD"
_AMOUNT = re.compile(rf"(\d[\d.,]*) ?({_CURRENCY})")
_GLUED = re.compile(rf"(\d[\d,]*) ?({_CURRENCY})")
_FEE_START = re.compile(rf"Miễn phí|{NO_INFO}|\d[\d.,]* ?(?:{_CURRENCY})")
# The portal's own number format: thousands separated by commas, no leading zero.
_PORTAL_NUMBER = re.compile(r"[1-9]\d{0,2}(?:,\d{3})*")
# A note that only says that there is no fee.
_FREE_NOTE = re.compile(
    r"(?:không|không có|không quy định|chưa quy định|không thu (?:lệ )?phí|miễn (?:lệ )?phí|"
    r"không được quy định tại biểu phí[^()]*|" + NO_INFO.lower() + r")\s*(?:\(thông tư[^()]*\))?[.;]*",
    re.IGNORECASE,
)
# A fee note that sends the reader to the regulation (or the council) that sets the amount.
_REGULATED_NOTE = re.compile(
    r"theo quy định|quy định tại|quy định của|theo mức|biểu (?:mức )?phí|"
    r"do (?:hội đồng nhân dân|ủy ban nhân dân|hđnd|ubnd)|quyết định của (?:hội đồng|ủy ban)|"
    r"(?:luật|thông tư|nghị định|nghị quyết|quyết định)(?: số)? (?:\d|phí|giá)",
    re.IGNORECASE,
)
# A note saying who is exempt ("Miễn lệ phí đối với …", "Không thu lệ phí đăng ký đối với tổ hợp tác …").
_EXEMPTION_NOTE = re.compile(r"\W*(?:miễn|không thu|không phải nộp)", re.IGNORECASE)
# Amounts written in a note: "20.000 đồng", "1.350.000đ", "20.000 vnđ", "02 triệu đồng", "10 USD".
_NOTE_AMOUNT = re.compile(
    r"(?<![\d.,/])(\d{1,3}(?:\.\d{3})+|\d+)( triệu)?\s?(đồng|đ|vnđ|vnd|usd)(?![^\W\d_])",
    re.IGNORECASE,
)
_MIN_VND_FEE = 1000  # no fee in đồng is smaller; the portal was often fed thousands


@dataclass
class _Fee:
    kind: FeeKind
    fees: list[Fee] = field(default_factory=list)
    text: str = ""
    problem: str = ""


def parse_channels(text: str, *, page: str = "", problems: list[FieldProblem]) -> list[ChannelRule]:
    """The rows of the channel table (`cach_thuc_thuc_hien`)."""
    fld = "cach_thuc_thuc_hien"
    text = _clean(text)
    if not _stated(text):
        return []
    if not text.startswith(_CHANNEL_HEADER):
        problems.append(FieldProblem(fld, "the channel table has no header; nothing was read", text))
        return []
    body = text[len(_CHANNEL_HEADER) :]
    starts = [m for m in _ROW_START.finditer(body) if m.end() < len(body) and _starts_cell(body[m.end()])]
    if not starts or starts[0].start() != 0:
        lead = body[: starts[0].start()] if starts else body
        problems.append(FieldProblem(fld, "text before the first channel row was not read", lead))
    rules: list[ChannelRule] = []
    seen: set[str] = set()
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(body)
        row = body[m.end() : end]
        rule, messages = _parse_row(_CHANNEL_NAMES[m.group()], row, page)
        rules.append(rule)
        for message in messages:
            if message not in seen:  # the same cell is often repeated for every channel
                seen.add(message)
                problems.append(FieldProblem(fld, message, m.group() + row))
    return rules


def _starts_cell(ch: str) -> bool:
    return ch.isdigit() or ch.isupper()


def _parse_row(channel: Channel, row: str, page: str) -> tuple[ChannelRule, list[str]]:
    messages: list[str] = []
    value: Decimal | None = None
    unit: TimeUnit | None = None
    glued = None
    if m := _TIME.match(row):
        time_text, rest = m.group(), row[m.end() :]
        value, unit = Decimal(m.group(1).replace(",", ".")), _UNITS[m.group(2).lower()]
    elif row.startswith(NO_INFO):
        time_text, rest = NO_INFO, row[len(NO_INFO) :]
    elif m := _BARE_TIME.match(row):
        time_text, rest = m.group(), row[m.end() :]
        unit = _unit_from_page(time_text, page)
        if unit is None:
            messages.append(f"the time {time_text!r} has no unit, and the page does not state one for it")
        else:
            value = Decimal(time_text.replace(",", "."))
    elif (glued := _GLUED.match(row)) is not None:
        time_text, rest = glued.group(), row  # the time's digits are in there, but which ones is unknown
    else:
        f = _FEE_START.search(row)
        time_text, rest = (row[: f.start()], row[f.start() :]) if f else (row, "")
        if time_text.strip():
            messages.append(f"the time is text, not a number of days: {time_text.strip()[:200]!r}")
    if glued is not None:
        fee, description = _glued_fee(glued, rest)
        messages.append(
            f"the time cell is glued to the fee ({glued.group()!r}): the time has no unit and its "
            "digits cannot be told from the fee's"
        )
    else:
        fee, description = _parse_fee(rest)
    if fee.problem:
        messages.append(fee.problem)
    rule = ChannelRule(
        channel=channel,
        time_value=value,
        time_unit=unit,
        time_text=time_text.strip(),
        fee_kind=fee.kind,
        fees=fee.fees,
        fee_text=fee.text,
        description=description.strip(),
    )
    return rule, messages


def _unit_from_page(number: str, page: str) -> TimeUnit | None:
    """The unit the page states for this number in a sentence about the processing time, when every such
    sentence gives the same one: "Thời hạn giải quyết: 05 ngày làm việc", "trong thời hạn 03 ngày làm
    việc kể từ ngày nhận đủ hồ sơ". Other durations ("thời hạn 01 năm trước khi chuyển đổi") do not count."""
    if not number.isdigit():
        return None
    n = rf"(?<![\d/.,])0*{int(number)}\s*({_UNIT_WORDS})(?![^\W\d_])"
    patterns = (
        rf"(?:thời hạn|thời gian) giải quyết[^.;\n\d]{{0,30}}{n}",
        rf"(?:thời hạn|thời gian|trong vòng)[^.;\n\d]{{0,30}}{n}[^.;\n]{{0,15}}kể từ (?:ngày|khi|thời điểm)"
        r"[^.;\n]{0,20}(?:nhận|tiếp nhận)",
    )
    units = {_UNITS[m.group(1).lower()] for p in patterns for m in re.finditer(p, page, re.IGNORECASE)}
    return units.pop() if len(units) == 1 else None


def _split_note(rest: str) -> tuple[str, str]:
    """The parenthesised note at the start of `rest` (balanced, or up to the end) and what follows."""
    if not rest.startswith("("):
        return "", rest
    depth = 0
    for i, ch in enumerate(rest):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return rest[: i + 1], rest[i + 1 :]
    return rest, ""


def _note_amounts(note: str) -> list[tuple[int, Currency]]:
    out: list[tuple[int, Currency]] = []
    for m in _NOTE_AMOUNT.finditer(note):
        n = int(m.group(1).replace(".", ""))
        if m.group(2):
            n *= 1_000_000
        out.append((n, "USD" if m.group(3).lower() == "usd" else "VND"))
    return out


_LABELLED = re.compile(
    r"(?:^|(?<=[(;\n])|(?<=[-+.]\s)|(?<=[-+]))\s*([^:;()\n]{2,160}?)\s*:\s*"
    r"(\d{1,3}(?:\.\d{3})+|\d+)( triệu)?\s?(đồng|đ|vnđ|vnd|usd)(?![^\W\d_])",
    re.IGNORECASE,
)


def _labelled_amounts(note: str) -> list[Fee]:
    fees = []
    for m in _LABELLED.finditer(note.strip("()")):
        n = int(m.group(2).replace(".", ""))
        if m.group(3):
            n *= 1_000_000
        label = m.group(1).strip(" -+*\t")
        fees.append(Fee(label, n, "USD" if m.group(4).lower() == "usd" else "VND"))
    return fees


def _parse_fee(rest: str) -> tuple[_Fee, str]:
    """The fee cell at the start of `rest`, and the description after it."""
    if rest.startswith(NO_INFO):
        return _Fee("unknown", text=NO_INFO), rest[len(NO_INFO) :]
    if rest.startswith("Miễn phí"):
        note, description = _split_note(rest[len("Miễn phí") :])
        text = "Miễn phí" + note
        inner = note.strip()[1:-1].strip(" -\t") if note else ""
        if not inner or _FREE_NOTE.fullmatch(inner):
            return _Fee("free", text=text), description
        # "Miễn phí(Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh quyết định…)": the portal shows "free"
        # whenever its amount is 0, and the note says what is really charged. A note that only sends the
        # reader to another regulation, with no amount and no exemption, states that the amount is set
        # elsewhere: "regulated" (the province enters its own amount on its binding). Anything else (an
        # exemption for some cases, amounts that contradict "free") stays text, for an official to read.
        if _REGULATED_NOTE.search(inner) and not _note_amounts(inner) and not _EXEMPTION_NOTE.match(inner):
            return _Fee("regulated", text=text), description
        qualified = _Fee(
            "text", text=text, problem=f"the fee says free but its note qualifies it: {note[:300]!r}"
        )
        return qualified, description
    m = _AMOUNT.match(rest)
    if m is None:
        return _Fee("text", text=rest, problem=f"the fee cell is not read: {rest[:200]!r}"), ""
    note, description = _split_note(rest[m.end() :])
    return _amount_fee(m.group(1), m.group(2), m.group() + note, note), description


def _amount_fee(number: str, currency_word: str, text: str, note: str) -> _Fee:
    currency: Currency = "USD" if currency_word == "USD" else "VND"
    if not _PORTAL_NUMBER.fullmatch(number):
        return _Fee("text", text=text, problem=f"the fee amount {number!r} is not a number")
    amount = int(number.replace(",", ""))
    if currency == "VND" and amount < _MIN_VND_FEE:
        if (amount * 1000, "VND") in _note_amounts(note):
            amount *= 1000  # the note states the real amount; the cell was fed thousands
        else:
            return _Fee(
                "text",
                text=text,
                problem=f"the fee {amount} đồng is below 1,000 đồng and its note does not state it in full",
            )
    labelled = _labelled_amounts(note)
    if any(f.amount_vnd == amount and f.currency == currency for f in labelled):
        fees = labelled
    else:
        fees = [Fee("", amount, currency)]
    return _Fee("amounts", fees=fees, text=text)


def _glued_fee(glued: re.Match[str], rest: str) -> tuple[_Fee, str]:
    """A bare time glued to the fee amount ("1100 VNĐ"): the splits of the digits the portal's number
    format allows, kept only when the note confirms exactly one."""
    digits, currency_word = glued.group(1), glued.group(2)
    note, description = _split_note(rest[glued.end() :])
    text = glued.group() + note
    stated = {n for n, _ in _note_amounts(note)}
    confirmed = []
    for k in range(1, len(digits)):
        head, tail = digits[:k], digits[k:]
        if "," in head or not _PORTAL_NUMBER.fullmatch(tail):
            continue
        n = int(tail.replace(",", ""))
        if n in stated or n * 1000 in stated:
            confirmed.append(tail)
    if len(confirmed) != 1:
        unread = _Fee("text", text=text, problem=f"the fee cannot be told from the time in {text[:200]!r}")
        return unread, description
    return _amount_fee(confirmed[0], currency_word, text, note), description


# --- Required papers ----------------------------------------------------------------------------------------

_PAPER_HEADER = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
_CELL = re.compile(r"(\d) ?bản (chính|sao|chụp)(?:, ?(\d) ?bản (chính|sao|chụp))?")
_TEMPLATE_EXT = re.compile(r"\.(?:docx?|pdf|xlsx?|rar|zip|odt|rtf)$", re.IGNORECASE)
# Several files glued together ("14-HSB.docx01B-HSB.docx"); "Mau 04.docx (1).doc" is one file.
_TEMPLATE_FILE = re.compile(r".+?\.(?:docx|doc|pdf|xlsx|xls|rar|zip|odt|rtf)(?![a-z])(?=\S|$)", re.DOTALL)
_BULLETS = " \t\n-+•*\uf0fc\uf0d8\uf0b7\uf0a7"
_KIND_WORDS: dict[str, PaperKind] = {"chính": "original", "sao": "copy", "chụp": "copy"}


def parse_papers(text: str, *, problems: list[FieldProblem]) -> list[RequiredPaper]:
    """The items of `thanh_phan_ho_so`, each with its group heading, quantity and form template."""
    fld = "thanh_phan_ho_so"
    text = _clean(text)
    if not _stated(text):
        return []
    parts = text.split(_PAPER_HEADER)
    papers: list[RequiredPaper] = []
    heading = _heading(parts[0]) if len(parts) > 1 else ""
    bodies = parts[1:] if len(parts) > 1 else parts
    for i, body in enumerate(bodies):
        last = i == len(bodies) - 1
        cells = _cells(body)
        if not cells and not last:
            heading = _heading(body)  # an empty table: the text is the next group's heading
            continue
        start = 0
        for m in cells:
            papers.append(_paper(body[start : m.start()], m, heading))
            start = m.end()
        tail = body[start:]
        if not last:
            heading = _heading(tail)
        elif tail.strip(_BULLETS + ".;,"):
            # A note after the table, or an item whose quantity cell was cut off: not a paper either way.
            problems.append(FieldProblem(fld, "text after the last quantity cell is not an item", tail))
    if not papers:
        problems.append(FieldProblem(fld, "no item with a quantity cell was found", text))
    return papers


def _heading(text: str) -> str:
    text = text.strip()
    if text in ("", "--"):
        return ""
    return text.lstrip("*- \t").rstrip(": \t").strip()


def _cells(body: str) -> list[re.Match[str]]:
    """The quantity cells of a table body. Read right to left: a candidate followed at once by a cell is
    the end of a name ("…: 01 bản chính" + "1 bản chính")."""
    candidates = list(_CELL.finditer(body))
    cells: list[re.Match[str]] = []
    next_cell_start = -1
    for m in reversed(candidates):
        if _is_cell(body, m, next_cell_start):
            cells.append(m)
            next_cell_start = m.start()
    cells.reverse()
    return cells


def _is_cell(body: str, m: re.Match[str], next_cell_start: int) -> bool:
    after = body[m.end() :]
    if not after:
        return True
    # "01 bản sao" — a count with a leading zero — is how texts write it; the portal's cell has none.
    before = body[: m.start()]
    leading_zero = before.endswith("0") and not before[:-1][-1:].isdigit()
    gap = next_cell_start - m.end()
    if next_cell_start >= 0 and 0 <= gap <= 2 and not after[:gap].strip(" .;,:)"):
        return False
    ch = after[0]
    if ch == " ":
        nxt = after[1:2]
        return not (nxt.islower() or leading_zero)
    if ch in ".;,:)":
        return not leading_zero
    return True


def _paper(item: str, cell: re.Match[str], group: str) -> RequiredPaper:
    item = item.strip()
    templates: list[str] = []
    while _TEMPLATE_EXT.search(item):
        cut = _template_start(item)
        if cut is None:
            break
        templates.insert(0, item[cut:])
        item = item[:cut].rstrip()
    files = [f.strip() for t in templates for f in _TEMPLATE_FILE.findall(t)]
    name = item.lstrip(_BULLETS).strip()
    q1, w1, q2, w2 = cell.group(1), cell.group(2), cell.group(3), cell.group(4)
    counts = {"original": 0, "copy": 0}
    counts[_KIND_WORDS[w1]] += int(q1)
    if q2 is not None:
        counts[_KIND_WORDS[w2]] += int(q2)
    kind: PaperKind
    if q2 is None:
        kind, quantity = _KIND_WORDS[w1], int(q1)
    elif counts["original"] and counts["copy"]:
        kind, quantity = "original_and_copy", counts["original"] + counts["copy"]
    elif counts["copy"]:
        kind, quantity = "copy", counts["copy"]
    else:
        kind, quantity = "original", counts["original"]
    lowered = name.lower()
    if "bản chính hoặc bản sao" in lowered:
        kind = "original_or_copy"
    elif kind == "copy" and re.search(r"bản sao (?:có )?chứng thực", lowered) and "hoặc" not in lowered:
        kind = "certified_copy"
    return RequiredPaper(
        name=name,
        group=group,
        kind=kind,
        quantity=quantity,
        form_template="; ".join(files),
        quantity_text=cell.group(),
        originals=counts["original"] if "chính" in (w1, w2) else None,
        copies=counts["copy"] if {"sao", "chụp"} & {w1, w2} else None,
    )


def _template_start(item: str) -> int | None:
    """Where the form template glued before the quantity cell begins: a place where a name and a file name
    meet with no space ("…NĐ-CP.Mau37.docx", "…khai thácĐơn đề nghị….docx", "…TT-BCA);1.MuCT01….doc").
    The last such place counts, or rather the earliest one in the same word: file names are camel-cased
    without diacritics ("MuCT01banhnhkmtheoThngts53", "MauKX11 (1).docx")."""
    end = _TEMPLATE_EXT.search(item)
    if end is None:
        return None
    boundaries = []
    for i in range(1, end.start()):
        prev, ch = item[i - 1], item[i]
        if ch.isspace() or prev.isspace():
            continue
        before = item[i - 2 : i - 1]
        if prev in '.;:)”"' and ch.isupper() and not before.isdigit():
            boundaries.append(i)
        elif prev in '.;:)”"' and ch.isdigit() and (prev in ";)" or before.islower() or before == ")"):
            boundaries.append(i)  # "…sinh.14-HSB.docx", "…TT-BCA);1.MuCT01….doc"; not "Mẫu I.1.3.docx"
        elif prev.islower() and ch.isupper():
            boundaries.append(i)
        elif (
            i >= 2
            and item[i - 2].isupper()
            and prev.isupper()
            and ch.isupper()
            and item[i + 1 : i + 2].islower()
        ):
            boundaries.append(i)  # "…TT-BNNMTMẫu số 30.docx": an acronym glued to a capitalised word
    if not boundaries:
        return 0 if not any(c.isspace() for c in item) else None
    last = boundaries[-1]
    word_start = max((i + 1 for i, c in enumerate(item[:last]) if c.isspace()), default=0)
    return min(b for b in boundaries if b >= word_start)


# --- Legal basis --------------------------------------------------------------------------------------------

# Document-type suffix: NĐ-CP, TT-BTC, QĐ-TTg, QH14, NQ-UBTVQH15, TTLT/BQP-BLĐTBXH-BTC. Only the National
# Assembly's suffixes carry digits (its term), so "NĐ-CP46/2020" does not swallow the next number's digits.
# Its last capital is not the first letter of the next title ("…/TT-BTPThông tư…").
_SUFFIX_PART = r"(?:[A-ZĐ]*QH\d{2}|TTg|[A-ZĐ]+(?![a-zà-ỹ]))"
_SUFFIX = rf"{_SUFFIX_PART}(?:[-/_]{_SUFFIX_PART})*"
_GLUED_NGAY = re.compile(r"(?<=[A-ZĐ])(?=ngày\b)")  # "53/2025/TT-BCAngày 01/7/2025": a missing space
# "66.7/2025/NQ-CP" has a decimal number; "…năm 2025.09/2026/TT-BNNMT" is a year, a full stop, a number.
# Numbers may carry a letter: "08.a/2010/TT-BTP", "09b/2013/TT-BTP".
_DOC_NUMBER = re.compile(
    rf"((?<!\d)\d{{1,3}}\.(?:\d+|[a-z])|\d+[a-z]?)/(?:(\d{{4}})(?:/({_SUFFIX}))?|({_SUFFIX}))"
)
_CELL_PREFIX = re.compile(
    r"(?:Luật|Bộ luật|Nghị định|Thông tư(?: liên tịch)?|Quyết định|Nghị quyết|Pháp lệnh|Lệnh)?(?: số)?\s*$"
)
# A number cell with its own words, glued to the title before it ("…Luật Chăn nuôiNghị định số 13/2020/…").
_GLUED_PREFIX = re.compile(
    r"[a-zà-ỹ.;:)](?:Luật|Bộ luật|Nghị định|Thông tư(?: liên tịch)?|Quyết định|Nghị quyết|Pháp lệnh|Lệnh)"
    r"(?: số)?\s*$"
)
_DATE_TAIL = re.compile(r"(?:\d{1,2}/\d{1,2}/|năm\s|tháng\s\d{1,2}\snăm\s)$", re.IGNORECASE)


@dataclass
class _Number:
    start: int  # where the number (without the title's glued digits) starts
    end: int
    number: str
    complete: bool  # has a year and a document-type suffix, or a suffix alone


def parse_legal_basis(text: str, *, page: str = "", problems: list[FieldProblem]) -> list[LegalBasis]:
    """Title + number pairs of `can_cu_phap_ly`."""
    fld = "can_cu_phap_ly"
    text = _clean(text)
    if not _stated(text):
        return []
    if not text.startswith(_LEGAL_HEADER):
        problems.append(FieldProblem(fld, "the legal-basis table has no header; nothing was read", text))
        return []
    body = _GLUED_NGAY.sub(" ", text[len(_LEGAL_HEADER) :])
    out: list[LegalBasis] = []
    pos = 0
    for num in _number_cells(body, page, problems):
        title = body[pos : num.start]
        prefix = _cell_prefix(title)
        title = title[: len(title) - len(prefix)] if prefix else title
        out.append(LegalBasis(number=num.number, title=" ".join(title.split())))
        if not num.complete:
            problems.append(
                FieldProblem(
                    fld, f"the number {num.number!r} lacks its year or document type", body[pos : num.end]
                )
            )
        pos = num.end
    rest = body[pos:].strip()
    if rest:
        problems.append(FieldProblem(fld, "the text ends with a title that has no number (truncated?)", rest))
    return out


def _cell_prefix(title: str) -> str:
    """'Luật số ' glued after the previous title ("…môi trườngLuật số 146/2025/QH15"): the number cell's
    own words, not the title's."""
    for i in range(len(title) - 1, 0, -1):
        if title[i - 1].islower() and title[i].isupper():
            tail = title[i:]
            if _CELL_PREFIX.fullmatch(tail) and tail.strip():
                return tail
            return ""
    return ""


def _number_cells(body: str, page: str, problems: list[FieldProblem]) -> list[_Number]:
    cells: list[_Number] = []
    expected = -1  # a title ended with a number glued to a digit: the number cell must start there
    for m in _DOC_NUMBER.finditer(body):
        if expected >= 0 and m.start() != expected:
            problems.append(
                FieldProblem(
                    "can_cu_phap_ly",
                    "a number cell after a title ending in a number is not a document number",
                    body[max(0, expected - 80) : m.start()],
                )
            )
        expected = m.end() if body[m.end() : m.end() + 1].isdigit() else -1
        if not _ends_pair(body, m):
            continue
        start = m.start()
        if len(m.group(1).split(".")[0].rstrip("abcdefghijklmnopqrstuvwxyz")) > 4:  # a title's digits glued
            split = _split_glued(body, m, page)
            if split is None:
                problems.append(
                    FieldProblem(
                        "can_cu_phap_ly",
                        f"the number {m.group()!r} is glued to digits of its title and cannot be split",
                        body[max(0, m.start() - 80) : m.end()],
                    )
                )
            else:
                start = split
        # Complete: number/year/type ("123/2015/NĐ-CP") or number/type ("163/QĐ-BTP"), not "08/2026".
        complete = m.group(3) is not None or m.group(4) is not None
        cells.append(_Number(start, m.end(), body[start : m.end()], complete))
    if expected >= 0:
        problems.append(
            FieldProblem(
                "can_cu_phap_ly",
                "a number cell after a title ending in a number is not a document number",
                body[max(0, expected - 80) :],
            )
        )
    return cells


def _ends_pair(body: str, m: re.Match[str]) -> bool:
    """Whether this number is a number cell (it ends a title + number pair) or a mention inside a title."""
    after = body[m.end() :]
    if not after:
        return True
    ch = after[0]
    if ch.isdigit():
        return False  # the title ends with this number and the number cell follows, glued
    if ch.isupper():
        return True
    if ch.islower():
        return True  # a title that starts in lower case ("…40/2025/TT-BTCsửa đổi một số điều…")
    if ch.isspace():
        before = body[m.start() - 1 : m.start()]
        glued_before = bool(before) and (before.isalpha() or before in ".;:)")
        glued_before = glued_before or _GLUED_PREFIX.search(body[: m.start()]) is not None
        return glued_before and after.lstrip()[:1].isupper()
    return False


def _split_glued(body: str, m: re.Match[str], page: str) -> int | None:
    """Where the number starts when digits of the title are glued before it: after a date's year
    ("ngày 29/6/2024" + "43/2024/QH15"), after the number's own year ("Luật Cư trú 2020" +
    "68/2020/QH14"), or where the page writes one of the possible numbers on its own."""
    digits = m.group(1).split(".")[0]
    rest = m.group()[len(digits) :]
    year = int(digits[:4])
    latest = int(m.group(2)) if m.group(2) else 2100
    if _DATE_TAIL.search(body[: m.start()]) and 1945 <= year <= latest:
        return m.start() + 4
    if 1945 <= year <= latest and body[m.start() - 1 : m.start()] in (" ", ""):
        return m.start() + 4  # "Luật Doanh nghiệp 2020" + "76/2025/QH15": a title ending with a year
    elsewhere = page.replace(m.group(), "")
    found = [
        k
        for k in range(1, len(digits))
        if re.search(rf"(?<![\d/.]){re.escape(digits[k:] + rest)}", elsewhere)
    ]
    return m.start() + found[0] if len(found) == 1 else None


# --- Results ------------------------------------------------------------------------------------------------

_CODE_MARK = re.compile(r"Mã:\s*")
# A code ends with a digit ("KQ.G15.000031", "000.00.00.G11-KQ1711"); the next result's name follows it.
_CODE_TOKEN = re.compile(r"[A-Za-z0-9][\w.\-]*\d")


def parse_results(text: str, *, problems: list[FieldProblem]) -> list[ResultDocument]:
    """Name + "Mã: <code>" pairs of `ket_qua_xu_ly`, without the portal's search block after them."""
    fld = "ket_qua_xu_ly"
    text = _clean(text)
    cut = text.find(_UI_BLOCK)
    if cut >= 0:
        text = text[:cut].strip()
    if not _stated(text):
        return []
    pieces = _CODE_MARK.split(text)
    out: list[ResultDocument] = []
    name = pieces[0].strip().lstrip(_BULLETS).strip()
    for i, piece in enumerate(pieces[1:], start=1):
        last = i == len(pieces) - 1
        piece = piece.strip()
        m = _CODE_TOKEN.match(piece)
        if last and (m is None or m.end() < len(piece)) and piece and " " not in piece:
            code, following = piece, ""  # a code of letters only ("dsfas"): kept as the page has it
        elif m is not None:
            code, following = m.group(), piece[m.end() :]
        else:
            problems.append(FieldProblem(fld, "a result code is not a code", piece[:300]))
            code, following = "", ("" if last else piece)
        if not name:
            problems.append(FieldProblem(fld, "a result code has no name before it", text[:300]))
        out.append(ResultDocument(name=name, code=code))
        name = following.strip().lstrip(_BULLETS).strip()
    if name:
        out.append(ResultDocument(name=name))  # a name with no code after it
    return out


# --- Levels, related procedures, online level ---------------------------------------------------------------

_LEVELS: dict[str, Level] = {
    "cấp bộ": "ministry",
    "cấp tỉnh": "province",
    "cấp xã": "commune",
    "cơ quan khác": "other",
}


def parse_levels(text: str, *, problems: list[FieldProblem]) -> list[Level]:
    out: list[Level] = []
    for part in _clean(text).split(","):
        word = " ".join(part.split()).lower()
        if not word or word == NO_INFO.lower():
            continue
        level = _LEVELS.get(word)
        if level is None:
            problems.append(FieldProblem("cap_thuc_hien", f"unknown level {part.strip()!r}", text))
        elif level not in out:
            out.append(level)
    return out


_RELATED_CODE = re.compile(r"(?<![\d.])[1-3]\.\d{6}(?![\d.])")


def parse_related(text: str, *, own_code: str = "") -> list[str]:
    out: list[str] = []
    for code in _RELATED_CODE.findall(text):
        if code != own_code and code not in out:
            out.append(code)
    return out


_FULL = re.compile(r"toàn\s+trình", re.IGNORECASE)
_PARTIAL = re.compile(r"(?:trực\s+tuyến|dịch\s+vụ\s+công)\s+một\s+phần", re.IGNORECASE)
_FULL_STATEMENT = re.compile(r"đủ điều kiện thực hiện dịch vụ công trực tuyến toàn trình", re.IGNORECASE)


def online_level(name: str, channels: list[ChannelRule]) -> OnlineLevel:
    """What the page says of the online service level (docs/domain/one-stop.md §9), or "unknown".

    The page has no field for it: the level is read from the procedure's name ("… thực hiện bằng dịch vụ
    công trực tuyến toàn trình" / "… một phần") or from a channel description that states it of this
    procedure. A page with no online channel is information only [derived]. With an online channel and no
    statement, *toàn trình* and *một phần* cannot be told apart (both accept online submission), so the
    answer is "unknown" rather than a guess.
    """
    if _FULL.search(name):
        return "full"
    if _PARTIAL.search(name):
        return "partial"
    if any(_FULL_STATEMENT.search(c.description) for c in channels):
        return "full"
    if not any(c.channel == "online" for c in channels):
        return "information"
    return "unknown"


# --- Coverage: what the page states and what was parsed (the import report and its regression test) ---------

COVERAGE_FIELDS = (
    "time",
    "time_with_unit",
    "fee",
    "fee_amount_on_page",
    "papers",
    "legal_basis",
    "results",
    "levels",
    "online_level",
)
# A time cell that is only a number: the portal left the unit empty (mostly "1", a placeholder).
_NUMBER_ONLY = re.compile(r"\d[\d.,]*(?: ?(?:VNĐ|Việt Nam Đồng|USD|Đồng))?")


def coverage(parsed: ParsedProcedure) -> dict[str, tuple[bool, bool]]:
    """(stated, parsed) per measured field of one record; see the module docstring for the definitions."""
    with_problem = {p.field for p in parsed.problems}
    time_rows = [c for c in parsed.channels if c.time_text not in ("", NO_INFO)]
    fee_rows = [c for c in parsed.channels if c.fee_text not in ("", NO_INFO)]
    # The same, without the rows that state no value: a number without a unit, a fee left to another
    # regulation.
    unit_rows = [c for c in time_rows if not (c.time_unit is None and _NUMBER_ONLY.fullmatch(c.time_text))]
    amount_rows = [c for c in fee_rows if c.fee_kind != "regulated"]

    def listed(items: list[object], fld: str) -> tuple[bool, bool]:
        stated = bool(items) or fld in with_problem
        return stated, bool(items) and fld not in with_problem

    return {
        "time": (
            bool(time_rows),
            bool(time_rows) and all(c.time_value is not None and c.time_unit for c in time_rows),
        ),
        "time_with_unit": (
            bool(unit_rows),
            bool(unit_rows) and all(c.time_value is not None and c.time_unit for c in unit_rows),
        ),
        "fee": (bool(fee_rows), bool(fee_rows) and all(c.fee_kind in ("free", "amounts") for c in fee_rows)),
        "fee_amount_on_page": (
            bool(amount_rows),
            bool(amount_rows) and all(c.fee_kind in ("free", "amounts") for c in amount_rows),
        ),
        "papers": listed(list(parsed.papers), "thanh_phan_ho_so"),
        "legal_basis": listed(list(parsed.legal_basis), "can_cu_phap_ly"),
        "results": listed(list(parsed.results), "ket_qua_xu_ly"),
        "levels": listed(list(parsed.levels), "cap_thuc_hien"),
        "online_level": (True, parsed.online_level != "unknown"),
    }
