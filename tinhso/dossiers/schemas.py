import datetime as dt
import json
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import field_validator

# --- In -------------------------------------------------------------------------------------------------


class ApplicantIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    kind: Literal["citizen", "business"] = "citizen"
    id_number: str = Field("", max_length=20)
    phone: str = Field("", max_length=20)
    email: str = Field("", max_length=254)
    address: str = Field("", max_length=300)
    authorised_name: str = Field("", max_length=200)
    authorised_id_number: str = Field("", max_length=20)


class PaperIn(Schema):
    required_paper_id: int | None = Field(None, ge=1, le=2**62)
    name: str = Field("", max_length=2000)
    kind: Literal["original", "copy", "certified_copy", "electronic"] = "original"
    quantity: int = Field(1, ge=0, le=99)
    provided: bool = True
    note: str = Field("", max_length=300)


FORM_DATA_MAX = 64 * 1024  # bytes of an e-form's JSON a dossier keeps
FORM_DATA_DEPTH = 6  # levels of nested objects and lists in it


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether objects and lists nest more than `limit` levels in `value` (without recursion: a body may
    nest as deep as the JSON parser allows)."""
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            if level + 1 > limit:
                return True
            stack.extend((inner, level + 1) for inner in (item.values() if isinstance(item, dict) else item))
    return False


class DossierCreateIn(Schema):
    # The province's procedure code: `<national code>.<agency identifier>` (e.g. 1.004222.000.00.30.H60).
    procedure: str = Field(..., min_length=3, max_length=40)
    channel: Literal["counter", "online", "postal", "national_portal"]
    applicant: ApplicantIn
    papers: list[PaperIn] = Field(default_factory=list, max_length=60)
    form_data: dict[str, Any] = Field(
        default_factory=dict,
        description=f"Tờ khai điện tử, tối đa {FORM_DATA_MAX // 1024} KB JSON, {FORM_DATA_DEPTH} cấp "
        f"/ the e-form's data, at most {FORM_DATA_MAX // 1024} KB of JSON, {FORM_DATA_DEPTH} levels deep",
    )
    summary: str = Field("", max_length=500)
    on_behalf_consent: str = Field("", max_length=1000)
    sets: int = Field(1, ge=1, le=20)
    # A paper dossier found complete at the counter is received at once (Mẫu 01 ready).
    receive: bool = False

    @field_validator("form_data")
    @classmethod
    def _form_data_bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        if _deeper_than(value, FORM_DATA_DEPTH) or (
            len(json.dumps(value, ensure_ascii=False, default=str).encode()) > FORM_DATA_MAX
        ):
            raise ValueError(
                f"Tờ khai điện tử tối đa {FORM_DATA_MAX // 1024} KB và {FORM_DATA_DEPTH} cấp lồng nhau. "
                f"/ The e-form's data is at most {FORM_DATA_MAX // 1024} KB, {FORM_DATA_DEPTH} levels deep."
            )
        return value


class MissingItemIn(Schema):
    paper: str = Field(..., min_length=1, max_length=500)
    reason: str = Field(..., min_length=1, max_length=1000)


class ActionIn(Schema):
    # The revision the client's page showed; a different current revision gives 409.
    expected_revision: int | None = Field(None, ge=0)
    reason: str = Field("", max_length=2000)
    note: str = Field("", max_length=2000)
    to: str = Field("", max_length=150, description="username of the official who receives the dossier")
    assignee: str = Field("", max_length=150)
    items: list[MissingItemIn] = Field(default_factory=list, max_length=50)
    new_due: dt.datetime | None = None
    method: Literal["counter", "post", "online"] = "counter"
    amount_vnd: int = Field(0, ge=0, le=10**12)
    agency: str = Field("", max_length=16, description="the consulted agency's identifier code")
    question: str = Field("", max_length=2000)
    days: Decimal = Field(Decimal(0), ge=0, le=30)
    legal_basis: str = Field("", max_length=1000)


# --- Out ------------------------------------------------------------------------------------------------


class NamedOut(Schema):
    code: str
    name: str


class PaperOut(Schema):
    id: int
    name: str
    kind: str
    quantity: int
    provided: bool
    files: int


class StepOut(Schema):
    order: int
    name: str
    role: str
    budget: str
    assignee: str
    started_at: dt.datetime | None
    due_at: dt.datetime | None
    finished_at: dt.datetime | None
    punctuality: str


class EventOut(Schema):
    seq: int
    action: str
    from_status: str
    to_status: str
    national_status: int
    actor: str
    at: dt.datetime
    form: str
    note: str
    data: dict[str, Any]


class DossierOut(Schema):
    code: str
    revision: int
    status: str
    status_label: str
    national_status: int
    national_status_label: str
    channel: str
    procedure: NamedOut
    procedure_version: int
    agency: NamedOut
    applicant_name: str
    applicant_kind: str
    form_data: dict[str, Any] = Field(
        default_factory=dict, description="Tờ khai điện tử như đã nhận / the e-form's data as received"
    )
    submitted_at: dt.datetime
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    finished_at: dt.datetime | None
    returned_at: dt.datetime | None
    punctuality: str
    outcome: str
    holder: str
    current_step: int | None
    papers: list[PaperOut]
    steps: list[StepOut]
    events: list[EventOut]
    forms: list[str]
    actions: list[str]


class DossierSummaryOut(Schema):
    code: str
    status: str
    status_label: str
    national_status: int
    procedure_name: str
    applicant_name: str
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    holder: str


class WorklistOut(Schema):
    list_: str = Field(..., alias="list")
    counts: dict[str, int]
    items: list[DossierSummaryOut]
    count: int
    page: int
    page_size: int
    more: bool = Field(
        False,
        description="Tra cứu: còn hồ sơ khớp ngoài những hồ sơ liệt kê / a search "
        "matched more dossiers than it lists (the newest are listed)",
    )
    refused: bool = Field(
        False,
        description="Tra cứu: câu tìm không có chữ số quá ngắn để tìm theo tên (ít nhất 3 ký tự, một từ "
        "hai chữ cái) / a search without a digit, too short to search names by (3 characters, a word of two "
        "letters)",
    )


class PaperFileOut(Schema):
    id: int
    paper_id: int
    name: str
    content_type: str
    size: int
    sha256: str
    pages: int


# --- Consultations (*lấy ý kiến*) -----------------------------------------------------------------------


class ConsultationOut(Schema):
    id: int
    dossier_code: str
    procedure: str
    asking_agency: NamedOut
    agency: NamedOut  # the agency asked
    question: str
    asked_by: str
    asked_at: dt.datetime
    due_at: dt.datetime
    answer: str
    answered_by: str
    answered_at: dt.datetime | None
    punctuality: str  # answered: early | on_time | late (against `due_at`); open: pending | overdue


class ConsultationFileOut(Schema):
    id: int
    name: str
    content_type: str
    pages: int | None
    url: str  # the PDF rendition; `…/original` for the file as received


class ConsultationPaperOut(Schema):
    name: str
    kind: str
    quantity: int
    provided: bool
    files: list[ConsultationFileOut]


class ConsultationDetailOut(ConsultationOut):
    # The dossier's papers, while the consultation is open and to its answerers (else empty, and false).
    papers_shared: bool
    applicant_name: str  # with the papers only; else empty
    form_data: dict[str, Any] = Field(default_factory=dict)  # the dossier's e-form, with the papers only
    papers: list[ConsultationPaperOut]


class ConsultationListOut(Schema):
    state: Literal["open", "answered"]
    items: list[ConsultationOut]
    count: int
    page: int
    page_size: int


class ConsultationAnswerIn(Schema):
    answer: str = Field(..., max_length=5000)


class KnownApplicantOut(Schema):
    """What the province knows of a person by their ID number, to fill a counter's form."""

    id_number: str
    name: str
    phone: str
    email: str
    address: str
    source: Literal["account", "dossier"]
    dossier_code: str
