import datetime as dt

from ninja import Schema

from tinhso.procedures.models import Level, OnlineLevel, Procedure


def _online_label(value: str) -> str:
    # Not get_online_level_display(): it rebuilds the translated choices dict for every row.
    return str(OnlineLevel(value).label) if value in OnlineLevel.values else value


class FacetValueOut(Schema):
    value: str
    label: str
    count: int


class ProcedureSummaryOut(Schema):
    code: str
    name: str
    field_id: int
    field_name: str
    levels: list[str]
    online_level: str
    online_level_label: str

    @staticmethod
    def resolve_field_name(obj: Procedure) -> str:
        return obj.field.name

    @staticmethod
    def resolve_online_level_label(obj: Procedure) -> str:
        return _online_label(obj.online_level)


class ProcedureListOut(Schema):
    items: list[ProcedureSummaryOut]
    count: int
    page: int
    page_size: int
    # field, level, online_level, agency: every value with the number of procedures it would give.
    facets: dict[str, list[FacetValueOut]]
    # Words of `q` read as another word of the catalog ("sihn" -> "sinh").
    corrections: dict[str, str]


class FeeOut(Schema):
    label: str
    # In `currency` units: đồng ("VND"), or US dollars ("USD") for the few fees stated in dollars.
    amount_vnd: int
    currency: str


class ChannelOut(Schema):
    channel: str
    channel_label: str
    time_value: float | None
    time_unit: str
    time_unit_label: str
    time_text: str
    fee_kind: str
    fee_kind_label: str
    fees: list[FeeOut]
    fee_text: str
    description: str


class PaperOut(Schema):
    group: str
    name: str
    kind: str
    kind_label: str
    quantity: int | None
    originals: int | None
    copies: int | None
    quantity_text: str
    form_template: str


class LegalBasisOut(Schema):
    number: str
    title: str


class ResultOut(Schema):
    name: str
    code: str


class BindingOut(Schema):
    local_code: str
    agency_code: str
    agency_name: str


class RelatedOut(Schema):
    code: str
    name: str


class ProcedureDetailOut(Schema):
    code: str
    name: str
    field_id: int
    field_name: str
    levels: list[str]
    level_labels: list[str]
    online_level: str
    online_level_label: str
    version: int
    decision_number: str
    source_url: str
    updated_at: dt.datetime
    procedure_type: str
    applicants: str
    competent_agency: str
    implementing_agency: str
    receiving_address: str
    delegated_agency: str
    coordinating_agency: str
    steps: str
    conditions: str
    channels: list[ChannelOut]
    papers: list[PaperOut]
    legal_basis: list[LegalBasisOut]
    results: list[ResultOut]
    # The province's agencies that carry the procedure out (where to submit), with their local codes.
    bindings: list[BindingOut]
    # Related procedures found in the catalog; `related_codes` lists every code the record names.
    related: list[RelatedOut]
    related_codes: list[str]


class VersionOut(Schema):
    number: int
    is_current: bool
    source: str
    decision_number: str
    content_hash: str
    created_at: dt.datetime
    created_by: str | None
    note: str
    problem_count: int


class FieldOut(Schema):
    id: int
    name: str
    procedure_count: int


def level_labels(levels: list[str]) -> list[str]:
    return [str(Level(v).label) for v in levels if v in Level.values]
