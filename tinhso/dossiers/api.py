"""Dossier API for other clients (a kiosk, the national portal adapter, the citizen portal's scripts).

Authentication: a bearer token (`tinhso create-api-token`) or the browser's session (CSRF checked). An
official reaches the dossiers of their agency and the units under it; a citizen their own. Errors:
400 a rule refused it (the message cites the article), 403 the role may not, 404 unknown or not yours,
409 the dossier changed meanwhile (another official acted first, or `expected_revision` is stale).
Creation honours `Idempotency-Key`: a retry returns the first dossier (200, `Idempotent-Replayed: true`).
"""

import dataclasses
import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import prefetch_related_objects
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Field, File, Header, Query, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile

from tinhso.accounts.api_auth import API_AUTH
from tinhso.accounts.models import Agency, Role, User
from tinhso.accounts.national_id import validate_national_id
from tinhso.accounts.schemas import ErrorOut
from tinhso.core import rows
from tinhso.core.errors import Refusal
from tinhso.dossiers import documents, selectors, services
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.models import (
    NATIONAL_STATUS_LABELS,
    Consultation,
    Dossier,
    DossierEvent,
    DossierPaper,
    DossierStep,
    PaperFile,
    Status,
)
from tinhso.dossiers.schemas import (
    ActionIn,
    ConsultationAnswerIn,
    ConsultationDetailOut,
    ConsultationListOut,
    ConsultationOut,
    DossierCreateIn,
    DossierOut,
    KnownApplicantOut,
    PaperFileOut,
    WorklistOut,
)
from tinhso.procedures.models import ProcedureBinding
from tinhso.procedures.templatetags.procedure_format import duration

router = Router(tags=["dossiers"], auth=API_AUTH)

NOT_FOUND = "Không tìm thấy hồ sơ / no such dossier"
ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def _load(request: HttpRequest, code: str) -> Dossier:
    try:
        return selectors.dossier_get_for_user(_user(request), code)
    except (selectors.DossierNotFound, PermissionDenied):
        raise HttpError(404, NOT_FOUND) from None


class UtcJSONEncoder(DjangoJSONEncoder):
    """Instants in UTC ("…Z"), whichever zone the value was computed in: a dossier just received carries
    its due times in Vietnam's zone, one read back from the database in UTC, and both answers must match."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime) and o.tzinfo is not None:
            o = o.astimezone(dt.UTC)
        return super().default(o)


def _name(user: User | None) -> str:
    return (user.full_name or user.get_username()) if user else ""


def _within(relation: Any) -> list[str]:
    """The child model's own order among one parent's rows: its `Meta.ordering` without the parent."""
    return [o for o in relation.field.model._meta.ordering if o != relation.field.name]


def _children(parent: Any, name: str, *, related: tuple[str, ...] = ()) -> list[Any]:
    """`parent.<name>.all()` (a reverse foreign key): the rows a transition handed over, else read by one
    hand-built statement (core.rows), in the model's order."""
    if tr.handed_over(parent, name):
        return list(getattr(parent, name).all())
    relation = getattr(type(parent), name)
    return rows.select(
        relation.field.model, {relation.field.attname: parent.pk}, order_by=_within(relation), related=related
    )


def _answer_rows(d: Dossier) -> tuple[list[DossierPaper], list[DossierStep], list[DossierEvent]]:
    """The dossier's papers (each with its files handed over), its steps with their assignees and its
    events, as the answer shows them: what a transition handed over already (a dossier just created comes
    with its papers, steps and events: `transitions.receive_at_counter`), the rest read by hand-built
    statements (core.rows: the ORM's queries and prefetching were most of a dossier read's time), the files
    of all papers in one. The dossier itself is left as it was."""
    papers: list[DossierPaper] = _children(d, "papers")
    unread = [p for p in papers if not tr.handed_over(p, "files")]
    if unread:
        files: dict[int, list[PaperFile]] = {p.pk: [] for p in unread}
        order = _within(DossierPaper.files)
        for row in rows.select(PaperFile, {"paper_id": list(files)}, order_by=order):
            files[row.paper_id].append(row)
        for p in unread:
            tr.prefetched(p, "files", files[p.pk])
    steps: list[DossierStep] = _children(d, "steps", related=("assignee",))
    if not all(s.assignee_id is None or DossierStep.assignee.is_cached(s) for s in steps):
        prefetch_related_objects(steps, "assignee")  # handed over without them
    return papers, steps, _children(d, "events")


def dossier_payload(d: Dossier, user: User) -> dict[str, Any]:
    """The dossier as the API and the pages' scripts see it (built directly: see procedures/api.py)."""
    papers, steps, events = _answer_rows(d)
    return {
        "code": d.code,
        "revision": d.revision,
        "status": d.status,
        "status_label": str(Status(d.status).label),
        "national_status": d.national_status,
        "national_status_label": NATIONAL_STATUS_LABELS[d.national_status],
        "channel": d.channel,
        "procedure": {"code": d.procedure.code, "name": d.procedure_version.name},
        "procedure_version": d.procedure_version.number,
        "agency": {"code": d.agency.code, "name": d.agency.name},
        "applicant_name": d.applicant_name,
        "applicant_kind": d.applicant_kind,
        "form_data": d.form_data,
        "submitted_at": d.submitted_at,
        "received_at": d.received_at,
        "due_at": d.due_at,
        "finished_at": d.finished_at,
        "returned_at": d.returned_at,
        "punctuality": d.punctuality,
        "outcome": d.outcome,
        "holder": _name(d.holder),
        "current_step": d.current_step.order if d.current_step else None,
        "papers": [
            {
                "id": p.pk,
                "name": p.name,
                "kind": p.kind,
                "quantity": p.quantity,
                "provided": p.provided,
                "files": len(p.files.all()),
            }
            for p in papers
        ],
        "steps": [
            {
                "order": s.order,
                "name": s.name,
                "role": s.role,
                "budget": duration(s.budget_value, s.budget_unit),
                "assignee": _name(s.assignee),
                "started_at": s.started_at,
                "due_at": s.due_at,
                "finished_at": s.finished_at,
                "punctuality": s.punctuality,
            }
            for s in steps
        ],
        "events": [
            {
                "seq": e.seq,
                "action": e.action,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "national_status": e.national_status,
                "actor": e.actor_label,
                "at": e.at,
                "form": e.form,
                "note": e.note,
                "data": e.data,
            }
            for e in events
        ],
        "forms": [
            f for f in documents.issued_forms(d, events) if user.is_official or f in documents.APPLICANT_FORMS
        ],
        "actions": tr.available_actions(d, user),
    }


def _respond(
    d: Dossier, user: User, status: int = 200, headers: dict[str, str] | None = None
) -> JsonResponse:
    response = JsonResponse(
        dossier_payload(d, user),
        status=status,
        encoder=UtcJSONEncoder,
        json_dumps_params={"ensure_ascii": False},
    )
    for k, v in (headers or {}).items():
        response[k] = v
    return response


def _check_applicant(body: DossierCreateIn) -> None:
    a = body.applicant
    if a.kind == "citizen" and a.id_number:
        try:
            validate_national_id(a.id_number)
        except ValidationError as exc:
            raise HttpError(400, " ".join(str(m) for m in exc.messages)) from None


def _binding(local_code: str) -> ProcedureBinding | None:
    """The binding with its agency, procedure, current version and internal process, in one hand-built
    statement (core.rows): what `select_related` gives, without compiling it on every reception."""
    found = rows.select(
        ProcedureBinding,
        {"local_code": local_code},
        related=("agency", "procedure", "procedure__current_version", "current_process"),
    )
    return found[0] if found else None


@router.post(
    "/dossiers",
    response={200: DossierOut, 201: DossierOut, **ERRORS},
    summary="Nộp / tiếp nhận hồ sơ / Submit or receive a dossier",
)
def dossier_create(
    request: HttpRequest,
    body: DossierCreateIn,
    idempotency_key: str = Header("", alias="Idempotency-Key"),
) -> HttpResponse:
    user = _user(request)
    binding = _binding(body.procedure)
    if binding is None:
        raise HttpError(404, "Không có thủ tục này tại đơn vị / no such procedure at this unit")
    _check_applicant(body)
    a = body.applicant
    applicant = tr.Applicant(
        name=a.name,
        kind=a.kind,
        id_number=a.id_number,
        phone=a.phone,
        email=a.email,
        address=a.address,
        user=None if user.is_official else user,
        authorised_name=a.authorised_name,
        authorised_id_number=a.authorised_id_number,
    )
    papers = [
        tr.PaperSpec(
            name=p.name,
            required_paper_id=p.required_paper_id,
            kind=p.kind,
            quantity=p.quantity,
            provided=p.provided,
            note=p.note,
        )
        for p in body.papers
    ]

    def create() -> Dossier:
        if body.receive:
            return tr.receive_at_counter(
                binding=binding,
                applicant=applicant,
                actor=user,
                papers=papers,
                channel=body.channel,
                form_data=body.form_data,
                summary=body.summary,
                sets=body.sets,
            )
        return tr.submit(
            binding=binding,
            channel=body.channel,
            applicant=applicant,
            actor=user,
            papers=papers,
            form_data=body.form_data,
            summary=body.summary,
            on_behalf_consent=body.on_behalf_consent,
            sets=body.sets,
            binding_read=True,  # just read by `_binding`, with what submit needs of it
        )

    try:
        if idempotency_key:
            fingerprint = services.request_fingerprint(body.dict())
            # Not looked up first: a counter's keys are new but for a retry (services.dossier_create_once).
            d, replayed = services.dossier_create_once(
                user=user, key=idempotency_key, fingerprint=fingerprint, create=create, look_first=False
            )
        else:
            d, replayed = create(), False
    except Refusal as exc:  # a dossier rule, or the fee request's (payments), each with its status
        raise HttpError(exc.status_code, exc.message) from None
    if replayed:
        return _respond(d, user, 200, {"Idempotent-Replayed": "true"})
    return _respond(d, user, 201, {"Location": f"/api/dossiers/{d.code}"})


class WorklistParams(Schema):
    list: str = "mine"
    page: int = 1
    page_size: int = 20
    q: str = Field(
        "",
        max_length=100,
        description=(
            "Tra cứu (khi có, `list` không dùng và `counts` rỗng): có chữ số là số định danh (trọn) "
            "hoặc đầu mã hồ sơ (từ mã đơn vị trở đi); không có chữ số là họ tên, ít nhất 3 ký tự và "
            "một từ hai chữ cái, có dấu hay không / Search (when given, `list` is not used and `counts` "
            "is empty): with a digit, an ID number (whole) or the start of a code (the unit's identifier "
            "at least); without, a name of 3 characters or more with a word of two letters, diacritics "
            "optional"
        ),
    )


@router.get("/dossiers", response={200: WorklistOut, **ERRORS}, summary="Danh sách công việc / Worklists")
def dossier_worklist(request: HttpRequest, params: Query[WorklistParams]) -> HttpResponse:
    user = _user(request)
    if params.q.strip():
        # A search, in whatever state, among the dossiers the user may see (selectors.search), for officials
        # and citizens alike; "more" says the newest SEARCH_LIMIT of more are listed, "refused" that a query
        # without a digit was too short to be searched as a name.
        result = selectors.search(user, params.q)
        payload = selectors.page_payload(
            result.rows, "search", {}, result.count, params.page, params.page_size
        )
        payload["more"], payload["refused"] = result.more, result.name_refused
        return JsonResponse(payload, encoder=UtcJSONEncoder, json_dumps_params={"ensure_ascii": False})
    if user.is_official:
        if params.list not in selectors.WORKLIST_KEYS:
            raise HttpError(422, f"list: one of {', '.join(selectors.WORKLIST_KEYS)}")
        body = selectors.worklist_page_json(user, params.list, page=params.page, page_size=params.page_size)
        return HttpResponse(body, content_type="application/json")
    # A citizen: their own dossiers, with no worklists.
    qs = selectors.dossiers_visible_to(user)  # newest first (the model's order)
    payload = selectors.page_payload(qs, "mine", {}, qs.count(), params.page, params.page_size)
    return JsonResponse(payload, json_dumps_params={"ensure_ascii": False})


class ApplicantLookupIn(Schema):
    id_number: str = Field(..., min_length=1, max_length=20, description="Số định danh cá nhân / ID number")


@router.post(
    "/applicants/lookup",
    response={200: KnownApplicantOut, **ERRORS, 429: ErrorOut},
    summary="Người nộp theo số định danh / An applicant by ID number",
)
def applicant_lookup(request: HttpRequest, body: ApplicantLookupIn) -> Any:
    """For a counter officer's client: the person's name and contacts from their verified citizen account,
    else from the newest dossier the officer may see with that number (`selectors.applicant_known`), to
    fill a reception; 404 when the province knows neither. A POST (the number stays out of URLs and logs,
    and a session needs its CSRF token); counted, checked and audited as the reception page's
    (`services.applicant_lookup`: 429 beyond the hour's limit, with Retry-After; 422 for a number that is
    not one)."""
    user = _user(request)
    if not user.is_official or not user.has_role(Role.COUNTER_OFFICER):
        raise HttpError(403, "Chỉ cán bộ một cửa tra người nộp. / Only counter officers look applicants up.")
    id_number = body.id_number.strip()
    try:
        found = services.applicant_lookup(actor=user, id_number=id_number)
    except services.LookupsUsedUp as exc:
        answer = JsonResponse({"detail": exc.message}, status=429, json_dumps_params={"ensure_ascii": False})
        answer["Retry-After"] = str(max(1, exc.retry_after))
        return answer
    except Refusal as exc:  # not an ID number: 422
        raise HttpError(exc.status_code, exc.message) from None
    if found is None:
        raise HttpError(404, "Chưa có người nộp với số định danh này. / No applicant with this ID number.")
    return {"id_number": id_number, **dataclasses.asdict(found)}


@router.get("/dossiers/{code}", response={200: DossierOut, **ERRORS}, summary="Một hồ sơ / One dossier")
def dossier_detail(request: HttpRequest, code: str) -> HttpResponse:
    return _respond(_load(request, code), _user(request))


def _official(username: str, field: str) -> User:
    user = User.objects.filter(username=username, kind=User.Kind.OFFICIAL, is_active=True).first()
    if user is None:
        raise HttpError(400, f"{field}: không có cán bộ {username!r} / no such official")
    return user


def _run(action: str, d: Dossier, user: User, body: ActionIn) -> Any:
    common: dict[str, Any] = {"actor": user, "expected_revision": body.expected_revision}
    if action == "receive":
        return tr.receive(d, **common)
    if action == "refuse":
        return tr.refuse(d, reason=body.reason, **common)
    if action == "request_supplement":
        items = [tr.MissingItem(i.paper, i.reason) for i in body.items]
        return tr.request_supplement(d, items=items, **common)
    if action == "supplement_complete":
        return tr.supplement_complete(d, note=body.note, **common)
    if action == "assign":
        return tr.assign(d, assignee=_official(body.assignee, "assignee"), note=body.note, **common)
    if action == "hand_over":
        return tr.hand_over(d, to=_official(body.to, "to"), note=body.note, **common)
    if action == "send_back":
        return tr.send_back(d, reason=body.reason, **common)
    if action == "consult":
        agency = Agency.objects.filter(code=body.agency).first()
        if agency is None:
            raise HttpError(400, "agency: không có cơ quan này / no such agency")
        return tr.consult(d, agency=agency, question=body.question, days=body.days, **common)
    if action == "pause_for_payment":
        return tr.pause_for_payment(d, reason=body.reason, amount_vnd=body.amount_vnd, **common)
    if action == "resume_after_payment":
        return tr.resume_after_payment(d, **common)
    if action == "extend":
        if body.new_due is None:
            raise HttpError(400, "new_due: cần ngày hẹn trả mới / the new due date is required")
        return tr.extend(d, reason=body.reason, new_due=body.new_due, **common)
    if action == "stop":
        return tr.stop(d, reason=body.reason, legal_basis=body.legal_basis, **common)
    if action == "withdraw":
        return tr.withdraw(d, reason=body.reason, **common)
    if action == "approve":
        return tr.approve(d, result_note=body.note, **common)
    if action == "reject":
        return tr.reject(d, reason=body.reason, **common)
    if action == "return_result":
        return tr.return_result(d, method=body.method, note=body.note, **common)
    raise HttpError(404, f"Không có thao tác {action!r} / unknown action")


ACTIONS = (
    "receive",
    "refuse",
    "request_supplement",
    "supplement_complete",
    "assign",
    "hand_over",
    "send_back",
    "consult",
    "pause_for_payment",
    "resume_after_payment",
    "extend",
    "stop",
    "withdraw",
    "approve",
    "reject",
    "return_result",
)


@router.post(
    "/dossiers/{code}/actions/{action}",
    response={200: DossierOut, **ERRORS},
    summary="Chuyển trạng thái hồ sơ / Run a transition",
    description="Actions: " + ", ".join(ACTIONS),
)
def dossier_action(request: HttpRequest, code: str, action: str, body: ActionIn) -> HttpResponse:
    user = _user(request)
    d = _load(request, code)
    try:
        _run(action, d, user, body)
    except Refusal as exc:  # a transition's, or a payment's it made
        raise HttpError(exc.status_code, exc.message) from None
    return _respond(selectors.dossier_get_for_user(user, code), user)


# --- Consultations asked of the caller's agency ----------------------------------------------------------


def consultation_payload(c: Consultation, *, now: dt.datetime | None = None) -> dict[str, Any]:
    d = c.dossier
    return {
        "id": c.pk,
        "dossier_code": d.code,
        "procedure": d.procedure.name,
        "asking_agency": {"code": d.agency.code, "name": d.agency.name},
        "agency": {"code": c.agency.code, "name": c.agency.name},
        "question": c.question,
        "asked_by": _name(c.asked_by),
        "asked_at": c.asked_at,
        "due_at": c.due_at,
        "answer": c.answer,
        "answered_by": _name(c.answered_by),
        "answered_at": c.answered_at,
        "punctuality": selectors.consultation_punctuality(c, now or timezone.now()),
    }


class ConsultationParams(Schema):
    state: str = "open"
    page: int = 1
    page_size: int = 20


@router.get(
    "/consultations",
    response={200: ConsultationListOut, **ERRORS},
    summary="Ý kiến được hỏi / Consultations asked of my agency",
)
def consultation_list(request: HttpRequest, params: Query[ConsultationParams]) -> Any:
    user = _user(request)
    if not user.is_official:
        raise HttpError(403, "Chỉ cán bộ / officials only")
    if params.state not in ("open", "answered"):
        raise HttpError(400, "state: open | answered")
    size = max(1, min(params.page_size, selectors.MAX_PAGE_SIZE))
    paginator = Paginator(selectors.consultations_for(user, answered=params.state == "answered"), size)
    page = paginator.get_page(params.page)
    now = timezone.now()
    return {
        "state": params.state,
        "items": [consultation_payload(c, now=now) for c in page.object_list],
        "count": paginator.count,
        "page": page.number,
        "page_size": size,
    }


def _consultation(user: User, consultation_id: int) -> Consultation:
    found = selectors.consultation_get_for_user(user, consultation_id)
    if found is None:  # not asked of this agency (answered or closed: the transition says so, 409)
        raise HttpError(404, "Không có yêu cầu lấy ý kiến này / no such consultation")
    return found


@router.get(
    "/consultations/{consultation_id}",
    response={200: ConsultationDetailOut, **ERRORS},
    summary="Một yêu cầu lấy ý kiến, với giấy tờ của hồ sơ / One consultation, with the dossier's papers",
    description="The papers (and the applicant's name) while the consultation is open, to the officials "
    "who may answer it; each file at `url` (the PDF rendition) or `url` with `original` for `rendition`.",
)
def consultation_detail(request: HttpRequest, consultation_id: int) -> Any:
    user = _user(request)
    c = _consultation(user, consultation_id)
    shared = services.consultation_shares_papers(c, user)
    papers = list(c.dossier.papers.prefetch_related("files")) if shared else []
    base = f"/api/consultations/{c.pk}/files"
    return {
        **consultation_payload(c),
        "papers_shared": shared,
        "applicant_name": c.dossier.applicant_name if shared else "",
        "form_data": c.dossier.form_data if shared else {},
        "papers": [
            {
                "name": p.name,
                "kind": p.kind,
                "quantity": p.quantity,
                "provided": p.provided,
                "files": [
                    {
                        "id": f.pk,
                        "name": f.original_name,
                        "content_type": f.content_type,
                        "pages": f.pages,
                        "url": f"{base}/{f.pk}/rendition",
                    }
                    for f in p.files.all()
                ],
            }
            for p in papers
        ],
    }


@router.get(
    "/consultations/{consultation_id}/files/{file_id}/{kind}",
    response={200: None, **ERRORS},
    summary="Tải tệp giấy tờ của hồ sơ được hỏi ý kiến / Download a consulted dossier's file",
)
def consultation_file(request: HttpRequest, consultation_id: int, file_id: int, kind: str) -> Any:
    user = _user(request)
    c = _consultation(user, consultation_id)
    row = services.consultation_paper_file(consultation=c, file_id=file_id, actor=user)
    if row is None or kind not in ("original", "rendition"):
        raise HttpError(404, "Không có tệp này / no such file")
    response = paper_file_response(row, kind)
    services.consultation_paper_viewed(consultation=c, row=row, kind=kind, actor=user)
    return response


@router.post(
    "/consultations/{consultation_id}/answer",
    response={200: ConsultationOut, **ERRORS},
    summary="Trả lời lấy ý kiến / Answer a consultation",
)
def consultation_answer(request: HttpRequest, consultation_id: int, body: ConsultationAnswerIn) -> Any:
    user = _user(request)
    found = _consultation(user, consultation_id)
    try:
        c = tr.consult_answer(found, actor=user, answer=body.answer)
    except Refusal as exc:
        raise HttpError(exc.status_code, exc.message) from None
    c = selectors.consultations_for(user, answered=True).get(pk=c.pk)
    return consultation_payload(c)


@router.get(
    "/dossiers/{code}/forms/{form}.pdf",
    response={200: None, **ERRORS},
    summary="Biểu mẫu của hồ sơ (Mẫu 01–06) / A form of the dossier, as PDF",
)
def dossier_form(request: HttpRequest, code: str, form: str) -> HttpResponse:
    d = _load(request, code)
    if not _user(request).is_official and form not in documents.APPLICANT_FORMS:
        raise HttpError(404, f"Hồ sơ chưa có Mẫu {form} / this dossier has no form {form}")
    try:
        pdf = documents.render_form(d, form)
    except documents.FormNotIssued:
        raise HttpError(404, f"Hồ sơ chưa có Mẫu {form} / this dossier has no form {form}") from None
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{d.code}-mau-{form}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


ERRORS_UPLOAD: dict[int, type[Schema]] = {**ERRORS, 413: ErrorOut, 415: ErrorOut}


@router.post(
    "/dossiers/{code}/papers/{paper_id}/files",
    response={201: PaperFileOut, **ERRORS_UPLOAD},
    summary="Thêm bản chụp / tệp cho một giấy tờ / Attach a scan, photo or PDF to a paper",
    description="JPEG, PNG, HEIC or PDF, checked by content; at most DOSSIER_UPLOAD_MAX_BYTES.",
)
def paper_file_upload(
    request: HttpRequest, code: str, paper_id: int, file: File[UploadedFile]
) -> HttpResponse:
    user = _user(request)
    d = _load(request, code)
    paper = DossierPaper.objects.select_related("dossier__agency").filter(dossier=d, pk=paper_id).first()
    if paper is None:
        raise HttpError(404, "Không có giấy tờ này trong hồ sơ / no such paper in this dossier")
    try:
        row = services.paper_file_add(paper=paper, upload=file, name=file.name or "", actor=user)
    except Refusal as exc:  # a bad file, or the dossier no longer takes files
        raise HttpError(exc.status_code, exc.message) from None
    return JsonResponse(_file_payload(row), status=201, json_dumps_params={"ensure_ascii": False})


def _file_payload(row: PaperFile) -> dict[str, Any]:
    return {
        "id": row.pk,
        "paper_id": row.paper_id,
        "name": row.original_name,
        "content_type": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
        "pages": row.pages,
    }


@router.get(
    "/dossiers/{code}/files/{file_id}/{kind}",
    response={200: None, **ERRORS},
    summary="Tải tệp gốc hoặc bản PDF / Download a paper's original file or its PDF rendition",
)
def paper_file_download(
    request: HttpRequest, code: str, file_id: int, kind: str
) -> HttpResponse | FileResponse:
    d = _load(request, code)
    row = PaperFile.objects.filter(pk=file_id, paper__dossier=d).first()
    if row is None or kind not in ("original", "rendition"):
        raise HttpError(404, "Không có tệp này / no such file")
    return paper_file_response(row, kind)


def paper_file_response(row: PaperFile, kind: str) -> FileResponse:
    """A stored file with safe headers: the type checked at upload, never sniffed, never run as a page."""
    if kind == "original":
        response = FileResponse(
            row.original.open("rb"),
            content_type=row.content_type,
            as_attachment=True,
            filename=row.original_name,
        )
    else:
        stem = row.original_name.rsplit(".", 1)[0]
        response = FileResponse(
            row.rendition.open("rb"), content_type="application/pdf", filename=f"{stem}.pdf"
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
