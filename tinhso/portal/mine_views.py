"""*Hồ sơ của tôi*: the applicant's dossiers, one dossier's progress, its forms and files, and the
supplement a unit asked for (upload the missing papers, then "Đã bổ sung đủ", which resumes processing),
and the fees due with their VietQR code and reference, then their e-receipts (`payments`; showing the code
marks nothing paid, PAY-2).

Every page loads the dossier through `access.own_dossier`: another person's dossier is a 404, whatever the
page. Uploads and the supplement go through `dossiers.services.paper_file_add` and
`dossiers.transitions.supplement_complete`, whose rules (state, applicant, revision) decide.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from tinhso.core.errors import Refusal
from tinhso.core.text import fold
from tinhso.dossiers import documents, fees, selectors, services
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.api import paper_file_response
from tinhso.dossiers.models import Dossier, DossierEvent, DossierPaper, PaperFile, Status
from tinhso.payments import services as payment_services
from tinhso.payments import vietqr
from tinhso.payments.references import grouped
from tinhso.portal import drafts
from tinhso.portal.access import current_user, own_dossier
from tinhso.portal.labels import EVENT_LABELS, FORM_TITLES, NEXT_STEPS, NOTES_FOR_APPLICANT
from tinhso.portal.plain import plain
from tinhso.portal.submission import MAX_FILES_PER_PAPER, file_errors
from tinhso.procedures.models import Procedure

PER_PAGE = 20


@login_required
@require_safe
def my_dossiers(request: HttpRequest) -> HttpResponse:
    """The applicant's dossiers, newest first, with their state in words, the national status and the due
    date; and the drafts not yet submitted."""
    user = current_user(request)
    qs = (
        selectors.dossiers_visible_to(user)
        .filter(applicant_user=user)
        .select_related("procedure_version", "agency")
        .only(
            "code",
            "status",
            "submitted_at",
            "due_at",
            "punctuality",
            "procedure_version__name",
            "agency__name",
        )
        .order_by("-submitted_at", "-pk")
    )
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    saved = drafts.drafts_list(request.session)
    names = (
        dict(Procedure.objects.filter(code__in=[c for c, _d in saved]).values_list("code", "name"))
        if saved
        else {}
    )
    return render(
        request,
        "portal/my_dossiers.html",
        {
            "page": page,
            "drafts": [(code, names.get(code, code), draft) for code, draft in saved if code in names],
        },
    )


def _supplement_request(d: Dossier, events: list[DossierEvent]) -> DossierEvent | None:
    """The supplement request now open (Mẫu 02), when the dossier waits for a supplement."""
    if d.status != Status.SUPPLEMENT:
        return None
    return next((e for e in reversed(events) if e.action == "request_supplement"), None)


def _best_paper(item: str, papers: list[DossierPaper]) -> DossierPaper | None:
    """The dossier's paper a supplement item most likely names (the officer writes it freely): the same
    name, else one name inside the other, else the papers outside the checklist."""
    wanted = fold(item)
    for paper in papers:
        if fold(paper.name) == wanted:
            return paper
    for paper in papers:
        name = fold(paper.name)
        if wanted and (wanted in name or name in wanted):
            return paper
    return next((p for p in papers if p.required_paper_id is None), papers[0] if papers else None)


def _payments(d: Dossier) -> list[dict[str, Any]]:
    """The dossier's fees and obligations: what is due (with its VietQR code to scan), what was paid (with
    its e-receipt). Showing the code marks nothing paid (PAY-2): the bank's statement does."""
    rows = []
    for r, paid in fees.dossier_payments_with_receipts(d):
        payload = payment_services.payment_request_qr(r)
        rows.append(
            {
                "r": r,
                "reference": grouped(r.reference),
                "qr_svg": vietqr.qr_svg(payload) if payload else "",
                "payments": paid,
            }
        )
    return rows


@login_required
@require_safe
def my_dossier(request: HttpRequest, code: str) -> HttpResponse:
    """One dossier: state, who holds it and in which step, due date, early / on time / late, the timeline,
    the forms, the papers and files; and, when a supplement is asked for, its checklist with an upload form
    per item and the button that resumes processing."""
    user = current_user(request)
    d = own_dossier(request, code)
    events = list(d.events.select_related("actor").order_by("seq"))
    papers = list(d.papers.prefetch_related("files"))
    request_event = _supplement_request(d, events)
    supplement_items: list[dict[str, Any]] = []
    uploaded_since: list[tuple[PaperFile, DossierPaper]] = []
    if request_event is not None:
        for item in request_event.data.get("items", []):
            best = _best_paper(item.get("paper", ""), papers)
            supplement_items.append(
                {"paper": item.get("paper", ""), "reason": item.get("reason", ""), "best": best}
            )
        uploaded_since = [(f, p) for p in papers for f in p.files.all() if f.uploaded_at >= request_event.at]
    timeline = [
        {
            "event": e,
            "label": EVENT_LABELS.get(e.action, e.action),
            "note": e.note if e.action in NOTES_FOR_APPLICANT else "",
            "by_me": e.actor_id == user.pk,
            "actor": (e.actor.full_name or "") if e.actor and e.actor_id != user.pk else "",
        }
        for e in events
    ]
    forms = [(f, FORM_TITLES[f]) for f in documents.issued_forms(d, events) if f in FORM_TITLES]
    return render(
        request,
        "portal/my_dossier.html",
        {
            "d": d,
            "timeline": timeline,
            "papers": papers,
            "papers_provided": [p for p in papers if p.provided],
            "papers_missing": [p for p in papers if not p.provided],
            "running": d.status in (Status.RECEIVED, Status.IN_PROCESS),
            "forms": forms,
            "next_step": NEXT_STEPS.get(d.status, ""),
            "can_upload": services.may_add_files(d, user),
            "request_event": request_event,
            "supplement_items": supplement_items,
            "uploaded_since": uploaded_since,
            "may_complete": "supplement_complete" in tr.available_actions(d, user),
            "max_files": MAX_FILES_PER_PAPER,
            "payments": _payments(d),
        },
    )


@login_required
@require_safe
def my_dossier_form(request: HttpRequest, code: str, form: str) -> HttpResponse:
    """A form addressed to the applicant (Mẫu 01–05), as PDF."""
    d = own_dossier(request, code)
    if form not in FORM_TITLES:
        raise Http404(_("Hồ sơ không có biểu mẫu này"))
    try:
        pdf = documents.render_form(d, form)
    except documents.FormNotIssued:
        raise Http404(_("Hồ sơ không có biểu mẫu này")) from None
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{d.code}-mau-{form}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def my_dossier_file(request: HttpRequest, code: str, file_id: int, kind: str) -> HttpResponseBase:
    """A file the dossier holds, as the applicant uploaded it or as its PDF rendition."""
    d = own_dossier(request, code)
    row = PaperFile.objects.filter(pk=file_id, paper__dossier=d).first()
    if row is None or kind not in ("original", "rendition"):
        raise Http404(_("Không có tệp này"))
    return paper_file_response(row, kind)


@login_required
@require_POST
def my_dossier_upload(request: HttpRequest, code: str) -> HttpResponse:
    """Add photos, scans or PDFs to one paper of the dossier (while it awaits reception or a supplement)."""
    user = current_user(request)
    d = own_dossier(request, code)
    paper_id = request.POST.get("paper", "")
    paper = d.papers.filter(pk=int(paper_id)).first() if paper_id.isdigit() else None
    uploads = request.FILES.getlist("files")
    if paper is None:
        messages.error(request, _("Chọn giấy tờ cần tải lên."))
        return redirect("portal:my_dossier", code=d.code)
    if not uploads:
        messages.error(request, _("Chọn tệp ảnh chụp hoặc tệp PDF của giấy tờ để tải lên."))
        return redirect("portal:my_dossier", code=d.code)
    if problems := file_errors(uploads):
        for problem in problems:
            messages.error(request, problem)
        return redirect("portal:my_dossier", code=d.code)
    paper.dossier = d
    added = 0
    for upload in uploads:
        try:
            services.paper_file_add(paper=paper, upload=upload, name=upload.name or "", actor=user)
        except Refusal as exc:
            messages.error(request, plain(exc.message))
            break
        added += 1
    if added:
        messages.success(
            request,
            _("Đã tải lên %(n)s tệp cho: %(paper)s.") % {"n": added, "paper": paper.name[:80]},
        )
    return redirect("portal:my_dossier", code=d.code)


@login_required
@require_POST
def my_dossier_supplement_complete(request: HttpRequest, code: str) -> HttpResponse:
    """*Đã bổ sung đủ*: the applicant has sent what the unit asked for; processing resumes and the full
    statutory time restarts (ND 61 Art. 19(4); the transition decides who may and when)."""
    user = current_user(request)
    d = own_dossier(request, code)
    request_event = _supplement_request(d, list(d.events.order_by("seq")))
    revision = request.POST.get("expected_revision", "")
    if (
        request_event is not None
        and not PaperFile.objects.filter(paper__dossier=d, uploaded_at__gte=request_event.at).exists()
    ):
        messages.error(
            request,
            _("Bạn chưa tải lên giấy tờ bổ sung nào. Tải lên các giấy tờ cơ quan yêu cầu rồi bấm lại."),
        )
        return redirect("portal:my_dossier", code=d.code)
    try:
        tr.supplement_complete(
            d,
            actor=user,
            note=request.POST.get("note", "")[:500],
            expected_revision=int(revision) if revision.isdigit() else None,
        )
    except tr.DossierError as exc:
        messages.error(request, plain(exc.message))
    else:
        messages.success(request, _("Đã gửi hồ sơ bổ sung. Cơ quan tiếp tục giải quyết hồ sơ của bạn."))
    return redirect("portal:my_dossier", code=d.code)
