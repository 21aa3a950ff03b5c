"""The inputs of forms Mẫu 01–07 (*biểu mẫu*), as frozen dataclasses independent of the models.

A caller (a service of the dossiers app) builds these from a dossier and its history; the renderers in
`render.py` only print them. Nothing here computes a deadline or a result: times, deadlines, the statutory
time text and each hand-over's early / on time / late result come in ready-made. Datetimes must be aware;
they are printed in Vietnam time.

Validation here is of shape only (a reason on every supplement item, a known hand-over result, register
entries numbered 01, 02, … without gaps), so that a form can never print something the rules forbid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

HandoverResult = Literal["early", "on_time", "late"]

# TT 01/2018 Art. 13 and the control sheet's result column: *Trước hạn / Đúng hạn / Quá hạn*.
HANDOVER_RESULT_LABELS: dict[str, str] = {
    "early": "Trước hạn",
    "on_time": "Đúng hạn",
    "late": "Quá hạn",
}


def _require_aware(name: str, value: datetime | None) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be an aware datetime, got {value!r}")


def _require_text(name: str, value: str) -> None:
    if not value.strip():
        raise ValueError(f"{name} must not be empty")


@dataclass(frozen=True)
class Agency:
    """An agency as printed at the head of a form (*cơ quan*).

    `name` is the issuing body itself (e.g. "Trung tâm Phục vụ hành chính công xã Mỹ Bằng", or the one-stop
    unit, *Bộ phận Một cửa*); `parent_name` the body it belongs to ("Ủy ban nhân dân xã Mỹ Bằng"), printed
    above it (empty when there is none); `locality` the place name of the place-and-date line
    ("Tuyên Quang", "Mỹ Bằng").
    """

    name: str
    parent_name: str = ""
    locality: str = ""

    def __post_init__(self) -> None:
        _require_text("Agency.name", self.name)


@dataclass(frozen=True)
class Person:
    """The applicant (*người nộp hồ sơ*, a citizen or an organisation) as printed on a form.

    `id_number` is the personal identification number (*số định danh cá nhân*) or, for an organisation,
    its enterprise or tax code; empty when not printed.
    """

    name: str
    address: str = ""
    phone: str = ""
    email: str = ""
    id_number: str = ""

    def __post_init__(self) -> None:
        _require_text("Person.name", self.name)


@dataclass(frozen=True)
class Paper:
    """One component of a dossier (*thành phần hồ sơ*): "Tờ khai …", "Bản chính" / "Bản sao" …, 1."""

    name: str
    kind_label: str
    quantity: int = 1

    def __post_init__(self) -> None:
        _require_text("Paper.name", self.name)
        if self.quantity < 1:
            raise ValueError(f"Paper.quantity must be at least 1, got {self.quantity}")


@dataclass(frozen=True)
class ReceiptData:
    """Mẫu 01, *Giấy tiếp nhận hồ sơ và hẹn trả kết quả* (receipt and appointment; TT 01/2018 Mẫu 01)."""

    agency: Agency
    dossier_code: str
    procedure_name: str
    applicant: Person
    papers: tuple[Paper, ...]
    sets: int
    statutory_time: str  # as published for the procedure, e.g. "05 ngày làm việc"
    received_at: datetime
    appointment_at: datetime
    return_place: str
    register_book: str  # the book (*quyển số*), one per year: usually the year, "2025"
    register_entry: int  # the entry number (*số thứ tự*) in that book
    receiving_officer: str
    fees: str = ""  # e.g. "Lệ phí: 8.000 đồng"; empty when the procedure has none
    copy_label: str = ""  # e.g. "Liên 1: Lưu" / "Liên 2: Giao người nộp hồ sơ"
    # The fee still due, payable by VietQR: the payload (EMVCo, from `payments.vietqr`), its reference and
    # amount. Empty when nothing is due or the agency has no collection account (pay at the counter).
    payment_qr: str = ""
    payment_reference: str = ""
    payment_amount_vnd: int = 0

    def __post_init__(self) -> None:
        _require_text("dossier_code", self.dossier_code)
        _require_aware("received_at", self.received_at)
        _require_aware("appointment_at", self.appointment_at)
        if self.sets < 1:
            raise ValueError(f"sets must be at least 1, got {self.sets}")
        if self.register_entry < 1:
            raise ValueError(f"register_entry must be at least 1, got {self.register_entry}")
        if self.payment_qr and (not self.payment_reference or self.payment_amount_vnd <= 0):
            raise ValueError("a payment QR code comes with its reference and a positive amount")


@dataclass(frozen=True)
class SupplementItem:
    """One thing to add or correct, with its reason: a reason is mandatory (ND 61 Art. 17; OS-UX2)."""

    content: str
    reason: str

    def __post_init__(self) -> None:
        _require_text("SupplementItem.content", self.content)
        _require_text("SupplementItem.reason", self.reason)


@dataclass(frozen=True)
class SupplementRequestData:
    """Mẫu 02, *Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ* (supplement request), issued once and complete."""

    agency: Agency
    dossier_code: str
    applicant: Person
    procedure_name: str
    received_at: datetime
    items: tuple[SupplementItem, ...]
    contact_officer: str
    contact_phone: str
    issued_on: date
    signer_name: str  # the officer giving the guidance (*người hướng dẫn*)
    legal_basis: str = ""  # "Căn cứ …": the procedure or the legal text requiring the papers

    def __post_init__(self) -> None:
        _require_text("dossier_code", self.dossier_code)
        _require_aware("received_at", self.received_at)
        if not self.items:
            raise ValueError("a supplement request lists at least one item")


@dataclass(frozen=True)
class RefusalData:
    """Mẫu 03, *Phiếu từ chối tiếp nhận giải quyết hồ sơ* (refusal), with its specific reason."""

    agency: Agency
    dossier_code: str
    applicant: Person
    procedure_name: str
    received_at: datetime
    reason: str
    issued_on: date
    signer_name: str

    def __post_init__(self) -> None:
        _require_text("dossier_code", self.dossier_code)
        _require_text("reason", self.reason)
        _require_aware("received_at", self.received_at)


@dataclass(frozen=True)
class ApologyData:
    """Mẫu 04, *Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết* (apology and extension; 2018: *Phiếu
    xin lỗi và hẹn lại ngày trả kết quả*), signed by the head of the agency (ND 61 Art. 19)."""

    agency: Agency
    dossier_code: str
    applicant: Person
    procedure_name: str
    received_at: datetime
    original_due: datetime
    delay_reason: str
    new_return_at: datetime
    issued_on: date
    head_name: str
    head_title: str = "Thủ trưởng cơ quan"  # e.g. "Chủ tịch", "Giám đốc"
    document_number: str = ""  # "Số: …", when the agency numbers it as an outgoing document

    def __post_init__(self) -> None:
        _require_text("dossier_code", self.dossier_code)
        _require_text("delay_reason", self.delay_reason)
        for name in ("received_at", "original_due", "new_return_at"):
            _require_aware(name, getattr(self, name))


@dataclass(frozen=True)
class StopNoticeData:
    """Mẫu 05, *Thông báo dừng giải quyết hồ sơ* (notice of stopping). Provisional: the 2025 form has not
    been read (one-stop.md §3, §15 item 2)."""

    agency: Agency
    dossier_code: str
    applicant: Person
    procedure_name: str
    received_at: datetime
    reason: str
    legal_basis: str
    issued_on: date
    signer_name: str
    signer_title: str = "Thủ trưởng cơ quan"
    document_number: str = ""

    def __post_init__(self) -> None:
        _require_text("dossier_code", self.dossier_code)
        _require_text("reason", self.reason)
        _require_text("legal_basis", self.legal_basis)
        _require_aware("received_at", self.received_at)


@dataclass(frozen=True)
class Handover:
    """One hand-over of the paper dossier on the control sheet: `from_unit` gives it to `to_unit` at
    `given_at`, signed by `giver` and `receiver`. `result` is the giving unit's step result (early / on time /
    late) as the caller computed it; None while not yet known."""

    from_unit: str
    to_unit: str
    given_at: datetime
    giver: str
    receiver: str
    result: HandoverResult | None = None
    note: str = ""

    def __post_init__(self) -> None:
        _require_aware("given_at", self.given_at)
        if self.result is not None and self.result not in HANDOVER_RESULT_LABELS:
            raise ValueError(
                f"result must be one of {sorted(HANDOVER_RESULT_LABELS)} or None, got {self.result!r}"
            )

    @property
    def result_label(self) -> str:
        return HANDOVER_RESULT_LABELS[self.result] if self.result else ""


@dataclass(frozen=True)
class ControlSheetData:
    """Mẫu 06, *Phiếu kiểm soát quá trình giải quyết hồ sơ* (control sheet; 2018: Mẫu 05)."""

    agency: Agency
    dossier_code: str
    applicant: Person
    procedure_name: str
    received_at: datetime
    lead_agency: str  # *cơ quan chủ trì giải quyết*
    handovers: tuple[Handover, ...]
    coordinating_agencies: tuple[str, ...] = ()  # *cơ quan phối hợp giải quyết*

    def __post_init__(self) -> None:
        _require_text("dossier_code", self.dossier_code)
        _require_aware("received_at", self.received_at)


@dataclass(frozen=True)
class RegisterEntry:
    """One line of the tracking book: a dossier from reception to return. Later dates stay None until
    they happen."""

    number: int
    dossier_code: str
    procedure_name: str
    applicant: Person
    received_at: datetime
    appointment_at: datetime
    sets: int = 1
    lead_agency: str = ""
    transferred_at: datetime | None = None  # sent to the processing agency
    result_received_at: datetime | None = None  # result back from the processing agency
    returned_at: datetime | None = None  # result handed to the applicant
    receiving_officer: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        for name in ("received_at", "appointment_at", "transferred_at", "result_received_at", "returned_at"):
            _require_aware(name, getattr(self, name))


@dataclass(frozen=True)
class RegisterData:
    """Mẫu 07, *Sổ theo dõi hồ sơ* (tracking book; 2018: Mẫu 06): one book per agency per year, entries
    numbered continuously from 01 (TT 01/2018 Art. 9–10)."""

    agency: Agency
    year: int
    entries: tuple[RegisterEntry, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for expected, entry in enumerate(self.entries, start=1):
            if entry.number != expected:
                raise ValueError(
                    f"register entries are numbered continuously from 01: entry {expected} has number "
                    f"{entry.number}"
                )


@dataclass(frozen=True)
class ResultNoticeData:
    """*Thông báo kết quả giải quyết hồ sơ*: the decision on the dossier (approved with its result, or
    rejected with its reason, ND 61 Art. 19), as delivered into the applicant's e-document store. Not one of
    Mẫu 01–07: the result itself (a certificate, an extract) is issued by the procedure's own form; until
    results are signed (issue 7), this notice carries the decision and its signer."""

    agency: Agency
    dossier_code: str
    applicant: Person
    procedure_name: str
    received_at: datetime
    decided_at: datetime
    approved: bool
    note: str
    signer_name: str
    issued_on: date
    signer_title: str = "Thủ trưởng cơ quan"

    def __post_init__(self) -> None:
        _require_text("dossier_code", self.dossier_code)
        _require_aware("received_at", self.received_at)
        _require_aware("decided_at", self.decided_at)
        if not self.approved:
            _require_text("note", self.note)  # a rejection states its reason
