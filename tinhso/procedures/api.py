"""Public API of the procedure catalog: search with facets, one procedure in full, its versions, fields.

Everything here is public information (the catalog is published by law), so no login is needed.
"""

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import get_language
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from tinhso.accounts.schemas import ErrorOut
from tinhso.procedures import search, selectors
from tinhso.procedures.models import ChannelRule, Level, OnlineLevel, RequiredPaper, TimeUnit
from tinhso.procedures.schemas import (
    FieldOut,
    ProcedureDetailOut,
    ProcedureListOut,
    VersionOut,
    level_labels,
)

router = Router(tags=["procedures"])

NOT_FOUND = "Không có thủ tục này trong danh mục / no such procedure in the catalog"


class ProcedureParams(Schema):
    q: str = ""
    field: int | None = Field(None, ge=1, le=2**31 - 1)
    level: Level | None = None
    online_level: OnlineLevel | None = None
    agency: str = ""
    page: int = 1
    # Clamped to 1–100 rather than refused.
    page_size: int = 20


@router.get(
    "/procedures",
    response=ProcedureListOut,
    summary="Tìm thủ tục hành chính / Search the procedure catalog",
)
def procedure_list(request: HttpRequest, params: Query[ProcedureParams]):
    question = {
        "q": params.q.strip()[:100],
        "field_id": params.field,
        "level": params.level.value if params.level else "",
        "online_level": params.online_level.value if params.online_level else "",
        "agency_code": params.agency.strip()[:40],
    }
    # The whole answer is kept under the catalog's stamp (as the ranked result is: search.py), per page
    # and language: a repeated search costs one query for the stamp and one cache read.
    key = search.cache_key(**question)  # type: ignore[arg-type]
    if key is not None:
        key = f"{key}:json:{params.page}:{params.page_size}:{get_language()}"
        body = cache.get(key)
        if isinstance(body, bytes):
            return HttpResponse(body, content_type="application/json")
    result = selectors.catalog_search(**question, page=params.page, page_size=params.page_size)  # type: ignore[arg-type]
    labels = {value: str(label) for value, label in OnlineLevel.choices}
    payload = {
        "items": [
            {
                "code": p.code,
                "name": p.name,
                "field_id": p.field_id,
                "field_name": p.field.name,
                "levels": list(p.levels),
                "online_level": p.online_level,
                "online_level_label": labels.get(p.online_level, p.online_level),
            }
            for p in result.items
        ],
        "count": result.total,
        "page": result.page,
        "page_size": result.page_size,
        "facets": {
            name: [{"value": v, "label": label, "count": n} for v, label, n in values]
            for name, values in result.facets.items()
        },
        "corrections": result.corrections,
    }
    # Built here rather than validated through ProcedureListOut: ninja's validation of the hundreds of facet
    # values cost more than the search itself (bench/README.md). The schema still documents the answer, and
    # tests/test_api.py validates real answers against it so the two cannot drift.
    response = JsonResponse(payload, json_dumps_params={"ensure_ascii": False})
    if key is not None:
        cache.set(key, response.content, search.cache_seconds())
    return response


def _label(choices: type, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value  # type: ignore[attr-defined]


@router.get(
    "/procedures/{code}",
    response={200: ProcedureDetailOut, 404: ErrorOut},
    summary="Một thủ tục: giấy tờ, thời hạn, phí, nơi nộp / One procedure in full",
)
def procedure_detail(request: HttpRequest, code: str):
    detail = selectors.procedure_detail(code)
    if detail is None:
        raise HttpError(404, NOT_FOUND)
    p, v = detail.procedure, detail.version
    return {
        "code": p.code,
        "name": v.name,
        "field_id": p.field_id,
        "field_name": p.field.name,
        "levels": list(v.levels),
        "level_labels": level_labels(list(v.levels)),
        "online_level": v.online_level,
        "online_level_label": _label(OnlineLevel, v.online_level),
        "version": v.number,
        "decision_number": v.decision_number,
        "source_url": v.source_url,
        "updated_at": v.created_at,
        "procedure_type": v.procedure_type,
        "applicants": v.applicants,
        "competent_agency": v.competent_agency,
        "implementing_agency": v.implementing_agency,
        "receiving_address": v.receiving_address,
        "delegated_agency": v.delegated_agency,
        "coordinating_agency": v.coordinating_agency,
        "steps": v.steps,
        "conditions": v.conditions,
        "channels": [
            {
                "channel": c.channel,
                "channel_label": _label(ChannelRule.Channel, c.channel),
                "time_value": float(c.time_value) if c.time_value is not None else None,
                "time_unit": c.time_unit,
                "time_unit_label": _label(TimeUnit, c.time_unit) if c.time_unit else "",
                "time_text": c.time_text,
                "fee_kind": c.fee_kind,
                "fee_kind_label": _label(ChannelRule.FeeKind, c.fee_kind),
                "fees": [
                    {"label": f.label, "amount_vnd": f.amount_vnd, "currency": f.currency}
                    for f in c.fees.all()
                ],
                "fee_text": c.fee_text,
                "description": c.description,
            }
            for c in detail.channels
        ],
        "papers": [
            {
                "group": x.group,
                "name": x.name,
                "kind": x.kind,
                "kind_label": _label(RequiredPaper.Kind, x.kind),
                "quantity": x.quantity,
                "originals": x.originals,
                "copies": x.copies,
                "quantity_text": x.quantity_text,
                "form_template": x.form_template,
            }
            for x in detail.papers
        ],
        "legal_basis": [{"number": x.number, "title": x.title} for x in v.legal_basis.all()],
        "results": [{"name": x.name, "code": x.code} for x in v.results.all()],
        "bindings": [
            {"local_code": b.local_code, "agency_code": b.agency.code, "agency_name": b.agency.name}
            for b in detail.bindings
        ],
        "related": [{"code": r.code, "name": r.name} for r in detail.related],
        "related_codes": list(v.related_codes),
    }


@router.get(
    "/procedures/{code}/versions",
    response={200: list[VersionOut], 404: ErrorOut},
    summary="Các phiên bản của một thủ tục / A procedure's versions, newest first",
)
def procedure_versions(request: HttpRequest, code: str):
    versions = selectors.version_list(code)
    if versions is None:
        raise HttpError(404, NOT_FOUND)
    rows = list(versions)
    current = rows[0].procedure.current_version_id if rows else None
    return [
        {
            "number": v.number,
            "is_current": v.pk == current,
            "source": v.source,
            "decision_number": v.decision_number,
            "content_hash": v.content_hash,
            "created_at": v.created_at,
            "created_by": v.created_by.get_username() if v.created_by else None,
            "note": v.note,
            "problem_count": v.problem_count,  # type: ignore[attr-defined]
        }
        for v in rows
    ]


@router.get("/fields", response=list[FieldOut], summary="Lĩnh vực / Fields, with their procedure counts")
def field_list(request: HttpRequest):
    return selectors.field_list()
