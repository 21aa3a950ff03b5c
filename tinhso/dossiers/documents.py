"""The forms Mẫu 01–07 of a dossier, rendered from its data and its events (`paper_forms` draws them).

A form is drawn from the event that issued it, which holds everything it prints (the deadline, the
checklist of a supplement request, the reason of a refusal), so the paper and the record cannot disagree.
The result and the forms handed to the applicant (Mẫu 01–05) are then signed with the agency's certificate
and entered in the register of signed papers (`edocs.register`) the first time they are asked for; the
register keeps that signed copy, so the same paper asked for again is the same file with the same QR code.

The register number of Mẫu 01 (*số thứ tự trong sổ theo dõi*) is the dossier's rank
among the unit's receptions of the year, by reception time: continuous from 01, and stable because
receptions are never deleted or re-dated.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from django.db.models import Q
from django.utils import timezone

from tinhso.accounts.models import Agency, User
from tinhso.core import pdf
from tinhso.dossiers import fees
from tinhso.dossiers import paper_forms as pf
from tinhso.dossiers.models import Dossier, DossierEvent, DossierPaper, Punctuality, Status
from tinhso.edocs.models import SignedDocument
from tinhso.edocs.register import signed_document_issue
from tinhso.procedures.templatetags.procedure_format import duration

FORM_ACTIONS = {"01": "receive", "02": "request_supplement", "03": "refuse", "04": "extend", "05": "stop"}
PER_DOSSIER_FORMS = ("01", "02", "03", "04", "05", "06")
# The forms handed to the applicant; Mẫu 06, the control sheet, travels with the dossier inside the agencies.
APPLICANT_FORMS = ("01", "02", "03", "04", "05")
# Signed (PAdES, the agency's certificate): the papers the agency issues to the applicant with legal effect,
# the result, and Mẫu 01–05 (the receipt with its appointment, the supplement request, the refusal, the
# apology with its new date, the stop notice), each of which the applicant may have to show someone else.
# Mẫu 06 (the control sheet) and Mẫu 07 (the register book) stay inside the agencies: not signed.
SIGNED_FORMS = APPLICANT_FORMS
FORM_TITLES = {
    "01": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    "02": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    "03": "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
    "04": "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
    "05": "Thông báo dừng giải quyết hồ sơ",
}


class FormNotIssued(LookupError):
    """The dossier has no such form (no event issued it)."""


def _locality(agency: Agency) -> str:
    name = agency.commune.name if agency.commune_id and agency.commune else ""
    for prefix in ("Phường ", "Xã ", "Thị trấn ", "Đặc khu "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name or "Tuyên Quang"


def _agency(agency: Agency) -> pf.Agency:
    parent = agency.parent.name if agency.parent_id and agency.parent else ""
    return pf.Agency(name=agency.name, parent_name=parent, locality=_locality(agency))


def _person(d: Dossier) -> pf.Person:
    return pf.Person(
        name=d.applicant_name,
        address=d.applicant_address,
        phone=d.applicant_phone,
        email=d.applicant_email,
        id_number=d.applicant_id_number,
    )


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value)


def _event(d: Dossier, form: str) -> DossierEvent:
    event = DossierEvent.objects.filter(dossier=d, form=form).order_by("-seq").first()
    if event is None:
        raise FormNotIssued(form)
    return event


def register_number(d: Dossier) -> int:
    """The dossier's entry in its unit's register of the year (Mẫu 07), from 1."""
    assert d.received_at is not None
    year_start = _local(d.received_at).replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    earlier = Dossier.objects.filter(
        Q(received_at__lt=d.received_at) | Q(received_at=d.received_at, pk__lt=d.pk),
        agency_id=d.agency_id,
        received_at__gte=year_start,
    )
    return earlier.count() + 1


def _papers(d: Dossier) -> tuple[pf.Paper, ...]:
    return tuple(
        pf.Paper(name=p.name, kind_label=str(DossierPaper.Kind(p.kind).label), quantity=p.quantity)
        for p in d.papers.filter(provided=True)
    )


def _receipt(d: Dossier) -> bytes:
    event = _event(d, "01")
    assert d.received_at is not None and d.legal_value is not None
    due = dt.datetime.fromisoformat(event.data["deadline"]["due"])
    fee = pdf.dong(d.fee_due_vnd) if d.fee_due_vnd else ""
    # The reception fee's payment request (its VietQR code while unpaid: `fees.receipt_payment`).
    shown = fees.receipt_payment(d)
    payment = {"fees": fee} if shown is None else dataclasses.asdict(shown)
    data = pf.ReceiptData(
        agency=_agency(d.agency),
        dossier_code=d.code,
        procedure_name=d.procedure_version.name,
        applicant=_person(d),
        papers=_papers(d),
        sets=d.sets,
        statutory_time=duration(d.legal_value, d.legal_unit),
        received_at=_local(d.received_at),
        appointment_at=_local(due),
        return_place=f"Bộ phận Một cửa, {d.agency.name}"
        + (f", {d.agency.address}" if d.agency.address else ""),
        register_book=str(_local(d.received_at).year),
        register_entry=register_number(d),
        receiving_officer=d.received_by.full_name if d.received_by else "",
        **payment,
    )
    return pf.render_mau01(data)


def _supplement(d: Dossier) -> bytes:
    event = _event(d, "02")
    data = pf.SupplementRequestData(
        agency=_agency(d.agency),
        dossier_code=d.code,
        applicant=_person(d),
        procedure_name=d.procedure_version.name,
        received_at=_local(d.received_at or d.submitted_at),
        items=tuple(pf.SupplementItem(content=i["paper"], reason=i["reason"]) for i in event.data["items"]),
        contact_officer=event.data.get("contact", ""),
        contact_phone=event.data.get("contact_phone", ""),
        issued_on=_local(event.at).date(),
        signer_name=event.actor.full_name if event.actor else "",
        legal_basis=f"Thủ tục {d.procedure.code}: {d.procedure_version.name}",
    )
    return pf.render_mau02(data)


def _refusal(d: Dossier) -> bytes:
    event = _event(d, "03")
    data = pf.RefusalData(
        agency=_agency(d.agency),
        dossier_code=d.code,
        applicant=_person(d),
        procedure_name=d.procedure_version.name,
        received_at=_local(d.submitted_at),
        reason=event.data.get("reason", event.note),
        issued_on=_local(event.at).date(),
        signer_name=event.actor.full_name if event.actor else "",
    )
    return pf.render_mau03(data)


def _apology(d: Dossier) -> bytes:
    event = _event(d, "04")
    deadline = event.data["deadline"]
    data = pf.ApologyData(
        agency=_agency(d.agency),
        dossier_code=d.code,
        applicant=_person(d),
        procedure_name=d.procedure_version.name,
        received_at=_local(d.received_at or d.submitted_at),
        original_due=dt.datetime.fromisoformat(deadline["previous_due"]),
        delay_reason=event.data.get("reason", event.note),
        new_return_at=dt.datetime.fromisoformat(deadline["due"]),
        issued_on=_local(event.at).date(),
        head_name=event.actor.full_name if event.actor else "",
        head_title=(event.actor.position if event.actor and event.actor.position else "Thủ trưởng cơ quan"),
    )
    return pf.render_mau04(data)


def _stop(d: Dossier) -> bytes:
    event = _event(d, "05")
    data = pf.StopNoticeData(
        agency=_agency(d.agency),
        dossier_code=d.code,
        applicant=_person(d),
        procedure_name=d.procedure_version.name,
        received_at=_local(d.received_at or d.submitted_at),
        reason=event.data.get("reason", event.note),
        legal_basis=event.data.get("legal_basis", ""),
        issued_on=_local(event.at).date(),
        signer_name=event.actor.full_name if event.actor else "",
        signer_title=(event.actor.position if event.actor and event.actor.position else "Thủ trưởng cơ quan"),
    )
    return pf.render_mau05(data)


def _control_sheet(d: Dossier) -> bytes:
    """Mẫu 06: one row per hand-over, each with its own early / on time / late (the step just finished)."""
    if d.received_at is None:
        raise FormNotIssued("06")
    rows = []
    steps = {s.order: s for s in d.steps.select_related("agency")}
    for event in d.events.filter(
        action__in=["hand_over", "approve", "reject", "return_result"]
    ).select_related("actor"):
        if event.action == "hand_over":
            step_from, step_to = steps.get(event.data.get("from_step")), steps.get(event.data.get("to_step"))
            rows.append(
                pf.Handover(
                    from_unit=step_from.name if step_from else "",
                    to_unit=step_to.name if step_to else "",
                    given_at=_local(event.at),
                    giver=event.actor.full_name if event.actor else event.actor_label,
                    receiver=event.data.get("to_name", ""),
                    result=event.data.get("punctuality") or None,
                    note=event.note,
                )
            )
        else:
            rows.append(
                pf.Handover(
                    from_unit="Lãnh đạo phê duyệt" if event.action != "return_result" else "Bộ phận Một cửa",
                    to_unit="Bộ phận Một cửa" if event.action != "return_result" else "Người nộp hồ sơ",
                    given_at=_local(event.at),
                    giver=event.actor.full_name if event.actor else event.actor_label,
                    receiver=d.applicant_name if event.action == "return_result" else "",
                    result=event.data.get("step_punctuality") or None,
                    note=event.note,
                )
            )
    data = pf.ControlSheetData(
        agency=_agency(d.agency),
        dossier_code=d.code,
        applicant=_person(d),
        procedure_name=d.procedure_version.name,
        received_at=_local(d.received_at),
        lead_agency=d.agency.name,
        handovers=tuple(rows),
    )
    return pf.render_mau06(data)


def render_result(d: Dossier, *, actor: User | None = None) -> bytes:
    """The result notice of a decided dossier (approved or rejected), from its decision event: what the
    applicant's e-document store receives when the result is returned. Signed by the dossier's agency and
    entered in the register of signed papers (`edocs.register`), once: asked for again, it is the same
    file. Unsigned, with a note saying so, when the agency has no certificate."""
    event = (
        DossierEvent.objects.filter(dossier=d, action__in=["approve", "reject"])
        .select_related("actor")
        .order_by("-seq")
        .first()
    )
    if event is None:
        raise FormNotIssued("result")
    data = pf.ResultNoticeData(
        agency=_agency(d.agency),
        dossier_code=d.code,
        applicant=_person(d),
        procedure_name=d.procedure_version.name,
        received_at=_local(d.received_at or d.submitted_at),
        decided_at=_local(event.at),
        approved=event.action == "approve",
        note=event.note,
        signer_name=event.actor.full_name if event.actor else "",
        signer_title=(event.actor.position if event.actor and event.actor.position else "Thủ trưởng cơ quan"),
        issued_on=_local(event.at).date(),
    )
    approved = event.action == "approve"
    title = "Thông báo kết quả giải quyết hồ sơ" if approved else "Thông báo không giải quyết hồ sơ"
    return signed_document_issue(
        issuer=d.agency,
        render=lambda: pf.render_result_notice(data),
        kind=SignedDocument.Kind.RESULT,
        title=f"{title}: {d.procedure_version.name}",
        source_dossier_code=d.code,
        source_ref=f"result:{event.seq}",
        signer_name=data.signer_name,
        actor=actor,
    ).content


_RENDER = {
    "01": _receipt,
    "02": _supplement,
    "03": _refusal,
    "04": _apology,
    "05": _stop,
    "06": _control_sheet,
}


def issued_forms(d: Dossier, events: Sequence[DossierEvent] | None = None) -> list[str]:
    """The forms this dossier has: those its events issued (its events, when the caller has them), and the
    control sheet once received."""
    if events is not None:
        forms = {e.form for e in events if e.form}
    else:
        forms = set(DossierEvent.objects.filter(dossier=d).exclude(form="").values_list("form", flat=True))
    if d.received_at is not None:
        forms.add("06")
    return sorted(forms)


def render_form(d: Dossier, form: str, *, actor: User | None = None) -> bytes:
    """Form `form` of the dossier. The forms handed to the applicant (`SIGNED_FORMS`) are signed by the
    dossier's agency the first time they are asked for, and registered; asked for again, the registered
    copy is returned (the same bytes, the same verification address)."""
    if form not in _RENDER:
        raise FormNotIssued(form)
    if form not in SIGNED_FORMS:
        return _RENDER[form](d)
    event = _event(d, form)
    signer = event.actor.full_name if event.actor else ""
    if form == "01" and d.received_by is not None:
        signer = d.received_by.full_name
    return signed_document_issue(
        issuer=d.agency,
        render=lambda: _RENDER[form](d),
        kind=SignedDocument.Kind.FORM,
        form=form,
        title=f"Mẫu {form}. {FORM_TITLES[form]}",
        source_dossier_code=d.code,
        source_ref=f"form:{form}:{event.seq}",
        signer_name=signer,
        actor=actor,
    ).content


def render_register(agency: Agency, year: int) -> bytes:
    """Mẫu 07, the unit's tracking book for a year: every dossier it received, numbered from 01."""
    start = timezone.make_aware(dt.datetime(year, 1, 1))
    end = timezone.make_aware(dt.datetime(year + 1, 1, 1))
    dossiers = (
        Dossier.objects.filter(agency=agency, received_at__gte=start, received_at__lt=end)
        .select_related("received_by", "procedure_version")
        .order_by("received_at", "pk")
    )
    entries = []
    for n, d in enumerate(dossiers, start=1):
        assert d.received_at is not None
        entries.append(
            pf.RegisterEntry(
                number=n,
                dossier_code=d.code,
                procedure_name=d.procedure_version.name,
                applicant=_person(d),
                received_at=_local(d.received_at),
                appointment_at=_local(d.due_at or d.received_at),
                sets=d.sets,
                lead_agency=agency.name,
                result_received_at=_local(d.finished_at) if d.finished_at else None,
                returned_at=_local(d.returned_at) if d.returned_at else None,
                receiving_officer=d.received_by.full_name if d.received_by else "",
                note=_register_note(d),
            )
        )
    return pf.render_mau07(pf.RegisterData(agency=_agency(agency), year=year, entries=tuple(entries)))


def _register_note(d: Dossier) -> str:
    if d.status in (Status.WITHDRAWN, Status.STOPPED, Status.SUPPLEMENT, Status.PAUSED):
        return str(Status(d.status).label)
    if d.punctuality:
        return str(Punctuality(d.punctuality).label)
    return ""
