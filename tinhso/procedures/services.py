"""Writes for the procedure catalog: importing versions, binding procedures, internal processes."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tinhso.accounts.models import Agency, User
from tinhso.core.audit import audit_record
from tinhso.core.text import fold
from tinhso.procedures import parsed as p
from tinhso.procedures.models import (
    ChannelRule,
    Fee,
    InternalProcess,
    LegalBasis,
    ParseProblem,
    Procedure,
    ProcedureBinding,
    ProcedureField,
    ProcedureVersion,
    ProcessStep,
    RequiredPaper,
    ResultDocument,
    TimeUnit,
)

CATALOG_PATH = Path(__file__).resolve().parent / "data" / "catalog.jsonl.gz"

Outcome = Literal["created", "updated", "unchanged"]


# --- The normalized catalog: ParsedProcedure <-> JSON ---------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Canonical: "7", "7.0" and "7.00" are one value, so they hash alike ("0.5", never "5E-1").
        return format(value.normalize(), "f")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def parsed_to_dict(parsed: p.ParsedProcedure) -> dict[str, Any]:
    return _jsonable(dataclasses.asdict(parsed))


def parsed_from_dict(data: dict[str, Any]) -> p.ParsedProcedure:
    """The inverse of `parsed_to_dict` (the shipped catalog's lines)."""
    d = dict(data)
    d["channels"] = [
        p.ChannelRule(
            **{
                **c,
                "time_value": Decimal(c["time_value"]) if c["time_value"] is not None else None,
                "fees": [p.Fee(**f) for f in c["fees"]],
            }
        )
        for c in d["channels"]
    ]
    d["papers"] = [p.RequiredPaper(**x) for x in d["papers"]]
    d["legal_basis"] = [p.LegalBasis(**x) for x in d["legal_basis"]]
    d["results"] = [p.ResultDocument(**x) for x in d["results"]]
    d["problems"] = [p.FieldProblem(**x) for x in d.get("problems", [])]
    return p.ParsedProcedure(**d)


def content_hash(parsed: p.ParsedProcedure) -> str:
    """SHA-256 of the canonical JSON of everything the record says (problems included: a better parse of
    the same page is a new version, so what officials see always matches what was parsed)."""
    canonical = json.dumps(parsed_to_dict(parsed), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def catalog_write(records: Iterable[p.ParsedProcedure], path: Path = CATALOG_PATH) -> int:
    """Write the normalized catalog (JSON lines, gzip, sorted by code, byte-for-byte reproducible)."""
    rows = sorted(records, key=lambda r: r.code)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        for r in rows:
            line = json.dumps(parsed_to_dict(r), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            gz.write(line.encode("utf-8") + b"\n")
    return len(rows)


def catalog_read(path: Path = CATALOG_PATH) -> Iterator[p.ParsedProcedure]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield parsed_from_dict(json.loads(line))


# --- Importing one record -------------------------------------------------------------------------------


def _body_text(parsed: p.ParsedProcedure) -> str:
    """The searched body (procedures/search.py): its folded words (runs of a-z and 0-9) joined by single
    spaces, punctuation, symbols and stray private-use glyphs dropped, so that every database's full-text
    index splits it into the same words."""
    parts = [
        parsed.field_name,
        parsed.applicants,
        parsed.steps,
        parsed.conditions,
        *(paper.name for paper in parsed.papers),
        *(paper.form_template for paper in parsed.papers),
        *(r.name for r in parsed.results),
    ]
    return " ".join(re.findall(r"[a-z0-9]+", fold(" ".join(x for x in parts if x))))


@dataclass
class ImportResult:
    code: str
    outcome: Outcome
    version: ProcedureVersion | None


@transaction.atomic
def procedure_import(
    *,
    parsed: p.ParsedProcedure,
    actor: User | None = None,
    source: str = ProcedureVersion.Source.IMPORT,
    note: str = "",
) -> ImportResult:
    """Import one parsed record, whole or not at all. The same content again changes nothing; changed
    content makes a new version, which becomes current.

    An import is compared with the last *imported* version, not with the current one: an official's
    correction (source "edit") stays current when the same national record is imported again, and is
    superseded only when the national record itself changes.
    """
    digest = content_hash(parsed)
    procedure = Procedure.objects.select_for_update().filter(code=parsed.code).first()
    if procedure is not None:
        if source == ProcedureVersion.Source.IMPORT:
            compared = procedure.versions.filter(source=source).order_by("-number").first()
        else:
            compared = procedure.current_version
        if compared is not None and compared.content_hash == digest:
            return ImportResult(parsed.code, "unchanged", procedure.current_version)
    field, _created = ProcedureField.objects.get_or_create(
        name=parsed.field_name or "Chưa phân loại", defaults={"name_folded": fold(parsed.field_name)}
    )
    outcome: Outcome = "updated" if procedure is not None else "created"
    if procedure is None:
        procedure = Procedure(code=parsed.code)
    procedure.full_clean(
        exclude=["name", "name_folded", "field", "online_level", "current_version", "body_folded"]
    )
    procedure.name = parsed.name
    procedure.name_folded = fold(parsed.name)
    procedure.field = field
    procedure.online_level = parsed.online_level
    procedure.body_folded = _body_text(parsed)
    levels = set(parsed.levels)
    procedure.level_ministry = "ministry" in levels
    procedure.level_province = "province" in levels
    procedure.level_commune = "commune" in levels
    procedure.level_other = "other" in levels
    procedure.save()

    last = procedure.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        number=last + 1,
        content_hash=digest,
        source=source,
        source_url=parsed.source_url[:300],
        decision_number=parsed.decision_number[:100],
        name=parsed.name,
        field_name=parsed.field_name,
        levels=list(parsed.levels),
        procedure_type=parsed.procedure_type[:200],
        applicants=parsed.applicants,
        competent_agency=parsed.competent_agency,
        implementing_agency=parsed.implementing_agency,
        receiving_address=parsed.receiving_address,
        delegated_agency=parsed.delegated_agency,
        coordinating_agency=parsed.coordinating_agency,
        related_codes=list(parsed.related_procedures),
        steps=parsed.steps,
        conditions=parsed.conditions,
        online_level=parsed.online_level,
        created_by=actor,
        note=note,
    )
    for order, c in enumerate(parsed.channels):
        rule = ChannelRule.objects.create(
            version=version,
            order=order,
            channel=c.channel,
            time_value=c.time_value,
            time_unit=c.time_unit or "",
            time_text=c.time_text,
            fee_kind=c.fee_kind,
            fee_text=c.fee_text,
            description=c.description,
        )
        Fee.objects.bulk_create(
            Fee(rule=rule, order=i, label=f.label[:300], amount_vnd=f.amount_vnd, currency=f.currency)
            for i, f in enumerate(c.fees)
        )
    RequiredPaper.objects.bulk_create(
        RequiredPaper(
            version=version,
            order=i,
            group=x.group[:300],
            name=x.name,
            kind=x.kind,
            quantity=x.quantity,
            originals=x.originals,
            copies=x.copies,
            quantity_text=x.quantity_text[:300],
            form_template=x.form_template[:500],
        )
        for i, x in enumerate(parsed.papers)
    )
    LegalBasis.objects.bulk_create(
        LegalBasis(version=version, order=i, number=x.number[:100], title=x.title)
        for i, x in enumerate(parsed.legal_basis)
    )
    ResultDocument.objects.bulk_create(
        ResultDocument(version=version, order=i, name=x.name, code=x.code[:40])
        for i, x in enumerate(parsed.results)
    )
    ParseProblem.objects.bulk_create(
        ParseProblem(version=version, field=x.field[:60], message=x.message, raw=x.raw)
        for x in parsed.problems
    )
    procedure.current_version = version
    procedure.save(update_fields=["current_version"])
    audit_record(
        event="procedure.version_created",
        target_type="procedures.procedure",
        target_id=procedure.code,
        actor_id=actor.pk if actor else None,
        actor_label=actor.get_username() if actor else "system",
        new={
            "version": version.number,
            "content_hash": digest,
            "source": source,
            "problems": len(parsed.problems),
            **({"note": note} if note else {}),
        },
    )
    return ImportResult(parsed.code, outcome, version)


def catalog_load(records: Iterable[p.ParsedProcedure]) -> Counter[str]:
    """Import many records; those whose last import has the same content are skipped with one query for
    all of them (re-running `make run` stays fast)."""
    last_import: dict[str, str] = {}
    for code, digest in (
        ProcedureVersion.objects.filter(source=ProcedureVersion.Source.IMPORT)
        .order_by("procedure__code", "number")
        .values_list("procedure__code", "content_hash")
    ):
        last_import[code] = digest  # ordered by number: the last one wins
    outcomes: Counter[str] = Counter()
    for parsed in records:
        if last_import.get(parsed.code) == content_hash(parsed):
            outcomes["unchanged"] += 1
            continue
        outcomes[procedure_import(parsed=parsed).outcome] += 1
    return outcomes


# --- The province's bindings and internal processes -----------------------------------------------------


def _local_code(procedure: Procedure, agency: Agency) -> str:
    return f"{procedure.code}.{agency.code}"


@transaction.atomic
def binding_ensure(
    *, procedure: Procedure, agency: Agency, actor: User | None
) -> tuple[ProcedureBinding, bool]:
    binding = ProcedureBinding.objects.filter(procedure=procedure, agency=agency).first()
    if binding is not None:
        return binding, False
    binding = ProcedureBinding.objects.create(
        procedure=procedure, agency=agency, local_code=_local_code(procedure, agency)
    )
    audit_record(
        event="procedure.bound",
        target_type="procedures.binding",
        target_id=binding.local_code,
        agency_code=agency.code,
        actor_id=actor.pk if actor else None,
        actor_label=actor.get_username() if actor else "system",
        new={"procedure": procedure.code, "agency": agency.code},
    )
    return binding, True


@dataclass(frozen=True)
class StepSpec:
    name: str
    role: str
    duration_value: Decimal
    duration_unit: str


def legal_time(procedure: Procedure, channel: str = ChannelRule.Channel.DIRECT) -> tuple[Decimal, str] | None:
    """The statutory time of the current version for a channel (its first row: a later row is a special
    case), or of the first channel that states one when that channel has none; None when none is stated."""
    rules = (
        ChannelRule.objects.filter(version_id=procedure.current_version_id)
        .exclude(time_value=None)
        .exclude(time_unit="")
        .order_by("order")
    )
    rule = rules.filter(channel=channel).first() or rules.first()
    if rule is None or rule.time_value is None:
        return None
    return rule.time_value, rule.time_unit


@transaction.atomic
def internal_process_create(
    *, binding: ProcedureBinding, steps: list[StepSpec], actor: User | None, note: str = ""
) -> InternalProcess:
    """A new version of the binding's internal process; the step budgets must add up to the legal time
    of the direct channel, in its unit (TT 01/2018 Art. 13; docs/domain/one-stop.md OS-DL12)."""
    if not steps:
        raise ValidationError(_("Quy trình nội bộ phải có ít nhất một bước."))
    binding = (
        ProcedureBinding.objects.select_for_update().select_related("procedure", "agency").get(pk=binding.pk)
    )
    legal = legal_time(binding.procedure)
    if legal is None:
        raise ValidationError(
            _("Thủ tục %(code)s chưa có thời hạn giải quyết đọc được: sửa danh mục trước khi lập quy trình.")
            % {"code": binding.procedure.code}
        )
    total, unit = legal
    units = {s.duration_unit for s in steps}
    if units != {unit}:
        raise ValidationError(
            _("Mọi bước phải tính bằng %(unit)s, như thời hạn giải quyết của thủ tục.")
            % {"unit": TimeUnit(unit).label}
        )
    budget = sum((s.duration_value for s in steps), Decimal(0))
    if budget != total:
        raise ValidationError(
            _("Tổng thời gian các bước (%(sum)s) phải bằng thời hạn giải quyết (%(total)s %(unit)s).")
            % {"sum": budget.normalize(), "total": total.normalize(), "unit": TimeUnit(unit).label}
        )
    last = binding.processes.order_by("-number").values_list("number", flat=True).first() or 0
    process = InternalProcess.objects.create(
        binding=binding, number=last + 1, total_value=total, total_unit=unit, created_by=actor, note=note
    )
    ProcessStep.objects.bulk_create(
        ProcessStep(
            process=process,
            order=i + 1,
            name=s.name,
            role=s.role,
            duration_value=s.duration_value,
            duration_unit=s.duration_unit,
        )
        for i, s in enumerate(steps)
    )
    binding.current_process = process
    binding.save(update_fields=["current_process"])
    audit_record(
        event="procedure.process_created",
        target_type="procedures.binding",
        target_id=binding.local_code,
        agency_code=binding.agency.code,
        actor_id=actor.pk if actor else None,
        actor_label=actor.get_username() if actor else "system",
        new={
            "process": process.number,
            "steps": [[s.name, s.role, str(s.duration_value), s.duration_unit] for s in steps],
        },
    )
    return process


def version_to_parsed(version: ProcedureVersion) -> p.ParsedProcedure:
    """The content of a stored version as a ParsedProcedure: an edit starts from it, changes what the
    official corrected, and goes through `procedure_edit`, which makes a new version."""
    return p.ParsedProcedure(
        code=version.procedure.code,
        name=version.name,
        source_url=version.source_url,
        decision_number=version.decision_number,
        field_name=version.field_name,
        levels=list(version.levels),
        procedure_type=version.procedure_type,
        applicants=version.applicants,
        competent_agency=version.competent_agency,
        implementing_agency=version.implementing_agency,
        receiving_address=version.receiving_address,
        delegated_agency=version.delegated_agency,
        coordinating_agency=version.coordinating_agency,
        related_procedures=list(version.related_codes),
        steps=version.steps,
        conditions=version.conditions,
        channels=[
            p.ChannelRule(
                channel=c.channel,  # type: ignore[arg-type]
                time_value=c.time_value,
                time_unit=c.time_unit or None,  # type: ignore[arg-type]
                time_text=c.time_text,
                fee_kind=c.fee_kind,  # type: ignore[arg-type]
                fees=[
                    p.Fee(label=f.label, amount_vnd=f.amount_vnd, currency=f.currency)  # type: ignore[arg-type]
                    for f in c.fees.all()
                ],
                fee_text=c.fee_text,
                description=c.description,
            )
            for c in version.channels.all()
        ],
        papers=[
            p.RequiredPaper(
                name=x.name,
                group=x.group,
                kind=x.kind,  # type: ignore[arg-type]
                quantity=x.quantity,
                originals=x.originals,
                copies=x.copies,
                form_template=x.form_template,
                quantity_text=x.quantity_text,
            )
            for x in version.papers.all()
        ],
        legal_basis=[p.LegalBasis(number=x.number, title=x.title) for x in version.legal_basis.all()],
        results=[p.ResultDocument(name=x.name, code=x.code) for x in version.results.all()],
        online_level=version.online_level,  # type: ignore[arg-type]
        problems=[
            p.FieldProblem(field=x.field, message=x.message, raw=x.raw) for x in version.problems.all()
        ],
    )


def procedure_edit(*, parsed: p.ParsedProcedure, actor: User | None, note: str = "") -> ImportResult:
    """An official's correction of a procedure's content: a new version (source "edit"), audited."""
    return procedure_import(parsed=parsed, actor=actor, source=ProcedureVersion.Source.EDIT, note=note)
