"""What the importer's parser makes of one raw national procedure record (pure data, no Django).

The parser (`parsing.py`) never guesses: a value it cannot read with certainty is left empty (None) and
a `FieldProblem` names the field, says why, and keeps the original text, so that an official can fix it
in the admin. The importer stores these structures as the content of a procedure version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

Channel = Literal["direct", "online", "postal"]
# ngày làm việc | ngày (calendar) | giờ (working hours) | tháng | năm
TimeUnit = Literal["working_day", "day", "hour", "month", "year"]
# regulated: the page sends the reader to the regulation (or council) that sets the amount, states none.
FeeKind = Literal["free", "amounts", "regulated", "text", "unknown"]
# The page's fee amounts are in đồng, except consular and some exit-entry fees, stated in US dollars.
Currency = Literal["VND", "USD"]
# "original_and_copy": the quantity cell asks for both ("1 bản chính,1 bản sao"); see `originals`/`copies`.
PaperKind = Literal["original", "copy", "certified_copy", "original_or_copy", "original_and_copy", "unknown"]
# "unknown": the page has an online channel but does not say whether it is toàn trình or một phần.
OnlineLevel = Literal["full", "partial", "information", "unknown"]
Level = Literal["ministry", "province", "commune", "other"]


@dataclass
class FieldProblem:
    field: str  # the raw record's field name, e.g. "cach_thuc_thuc_hien"
    message: str  # English, for the import report: what could not be read and why
    raw: str  # the original text (or the part of it concerned)


@dataclass
class Fee:
    label: str  # e.g. "Lệ phí", "Phí cấp bản sao" ("" when the page gives the amount alone)
    amount_vnd: int  # the amount in `currency` units: đồng, or US dollars when currency == "USD"
    currency: Currency = "VND"


@dataclass
class ChannelRule:
    """One row of the portal's channel table (*cách thức thực hiện*)."""

    channel: Channel
    time_value: Decimal | None  # None when not stated or not readable
    time_unit: TimeUnit | None
    time_text: str  # the time cell as written
    fee_kind: FeeKind
    fees: list[Fee] = field(default_factory=list)
    fee_text: str = ""  # the fee cell as written
    description: str = ""


@dataclass
class RequiredPaper:
    """One item of the required papers (*thành phần hồ sơ*)."""

    name: str
    group: str = ""  # the heading it sits under, e.g. "Giấy tờ phải nộp", "Giấy tờ phải xuất trình"
    kind: PaperKind = "unknown"  # bản chính / bản sao / bản sao chứng thực
    quantity: int | None = None
    form_template: str = ""  # the form's name (*mẫu đơn, tờ khai*) when given
    quantity_text: str = ""  # the quantity cell as written ("1 bản chính, 1 bản sao")
    # The counts of the quantity cell; `quantity` is their sum for "original_and_copy".
    originals: int | None = None
    copies: int | None = None


@dataclass
class LegalBasis:
    number: str  # e.g. "123/2015/NĐ-CP"
    title: str


@dataclass
class ResultDocument:
    name: str
    code: str = ""  # e.g. "KQ.G15.000031"


@dataclass
class ParsedProcedure:
    code: str  # national code, e.g. "1.001193"
    name: str
    source_url: str
    decision_number: str  # so_quyet_dinh, e.g. "163/QĐ-BTP"
    field_name: str  # linh_vuc (*lĩnh vực*)
    levels: list[Level]
    procedure_type: str  # loai_thu_tuc
    applicants: str  # doi_tuong_thuc_hien
    competent_agency: str
    implementing_agency: str
    receiving_address: str
    delegated_agency: str
    coordinating_agency: str
    related_procedures: list[str]  # national codes
    steps: str
    conditions: str
    channels: list[ChannelRule]
    papers: list[RequiredPaper]
    legal_basis: list[LegalBasis]
    results: list[ResultDocument]
    online_level: OnlineLevel
    problems: list[FieldProblem] = field(default_factory=list)
