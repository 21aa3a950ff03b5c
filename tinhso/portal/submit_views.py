"""Online submission pages: choose the receiving agency, fill in the e-form, see the dossier code.

Thin views: the checklist comes from `checklist.py`, the writes from `submission.py` (which calls the
dossiers transitions and services). Plain forms, no JavaScript needed; htmx only filters the agency list as
the person types.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from tinhso.accounts.models import Agency
from tinhso.core.errors import Refusal
from tinhso.dossiers import transitions as tr
from tinhso.portal import drafts, edocs_seam
from tinhso.portal.access import citizen_required, current_user, own_dossier
from tinhso.portal.checklist import (
    ChecklistGroup,
    checklist_for,
    has_online_channel,
    online_channel_rules,
    uploadable_items,
)
from tinhso.portal.forms import ApplicantForm
from tinhso.portal.labels import NEXT_STEPS
from tinhso.portal.plain import plain
from tinhso.portal.submission import MAX_FILES, file_errors, online_submit
from tinhso.procedures.models import Procedure, ProcedureBinding

OTHER_FIELD = "paper-other"
MAX_QUERY_LENGTH = 100


def _procedure(code: str) -> Procedure:
    procedure = (
        Procedure.objects.select_related("current_version")
        .filter(code=code, current_version__isnull=False)
        .first()
    )
    if procedure is None:
        raise Http404(_("Không có thủ tục này trong danh mục."))
    return procedure


def online_bindings(procedure: Procedure) -> QuerySet[ProcedureBinding]:
    """The agencies that receive this procedure online: the binding is active, has its internal process
    (without one a dossier could not be received) and the agency is active; the catalog must give the
    procedure an online channel."""
    assert procedure.current_version is not None
    if not has_online_channel(procedure.current_version):
        return ProcedureBinding.objects.none()
    return (
        ProcedureBinding.objects.filter(
            procedure=procedure, is_active=True, current_process__isnull=False, agency__is_active=True
        )
        .select_related("agency")
        .order_by("agency__name_folded", "agency__code")
    )


def _form_url(procedure: Procedure, binding: ProcedureBinding) -> str:
    return reverse("portal:submit_form", args=[procedure.code, binding.agency.code])


@require_safe
def submit_choose(request: HttpRequest, code: str) -> HttpResponse:
    """Where to submit: straight to the e-form when one agency receives the procedure; otherwise the list
    of agencies, filtered by name (diacritics-insensitive) with a plain GET form."""
    procedure = _procedure(code)
    bindings = online_bindings(procedure)
    total = bindings.count()
    if total == 0:
        return render(request, "portal/submit_unavailable.html", {"procedure": procedure}, status=404)
    q = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    if total == 1 and not q:
        binding = bindings.first()
        assert binding is not None
        return redirect(_form_url(procedure, binding))
    if q:
        bindings = bindings.filter(agency__in=Agency.objects.search(q).values("pk"))
    context = {
        "procedure": procedure,
        "version": procedure.current_version,
        "choices": [(b, _form_url(procedure, b)) for b in bindings],
        "total": total,
        "q": q,
    }
    fragment = request.headers.get("HX-Request") == "true"
    template = "portal/_agency_choices.html" if fragment else "portal/submit_choose.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _new_token() -> str:
    return secrets.token_urlsafe(24)


def _groups_for_page(
    groups: list[ChecklistGroup], errors: dict[str, list[str]], user: Any
) -> list[dict[str, Any]]:
    return [
        {
            "group": g,
            "items": [
                {
                    "item": item,
                    "errors": errors.get(item.field_name, []),
                    "stored": edocs_seam.stored_documents_for(user, item.paper) if item.uploadable else [],
                }
                for item in g.items
            ],
        }
        for g in groups
    ]


@citizen_required
@require_http_methods(["GET", "POST"])
def submit_form(request: HttpRequest, code: str, agency_code: str) -> HttpResponseBase:
    """The e-form (*tờ khai điện tử*): the applicant's details from the account, the checklist with a file
    input per paper, the fees, the declaration; "Lưu nháp" keeps what was typed, "Nộp hồ sơ" submits."""
    user = current_user(request)
    procedure = _procedure(code)
    binding = online_bindings(procedure).filter(agency__code=agency_code).first()
    if binding is None:
        raise Http404(_("Cơ quan này không nhận thủ tục này trực tuyến."))
    version = procedure.current_version
    assert version is not None
    groups = checklist_for(version)
    items = uploadable_items(groups)
    locked = {"name": user.full_name, "id_number": user.national_id or ""}
    draft = drafts.draft_get(request.session, code)
    errors: dict[str, list[str]] = {}
    status = 200

    if request.method == "POST":
        form = ApplicantForm(request.POST, locked=locked)
        token = (request.POST.get("token") or "")[:100] or _new_token()
        if request.POST.get("action") == "draft":
            # The account's identity is not copied into the draft: it comes from the account again.
            values = {k: request.POST.get(k, "") for k in drafts.FIELDS if k not in form.locked}
            drafts.draft_save(request.session, code, agency_code=agency_code, token=token, values=values)
            messages.success(
                request,
                _("Đã lưu nháp lúc %(time)s. Bạn có thể quay lại trang này để khai tiếp và nộp.")
                % {"time": timezone.localtime().strftime("%H:%M %d/%m/%Y")},
            )
            if request.FILES:
                messages.warning(
                    request,
                    _("Bản nháp không lưu tệp đã chọn: khi nộp hồ sơ, hãy chọn lại các tệp."),
                )
            return redirect(_form_url(procedure, binding))

        valid = form.is_valid()
        if not request.POST.get("declaration"):
            form.add_error("declaration", _("Đánh dấu ô cam đoan để nộp hồ sơ."))
            valid = False
        files: dict[int | None, list[Any]] = {}
        reused: dict[int, str] = {}
        count = 0
        for item in items:
            chosen = request.FILES.getlist(item.field_name)
            reuse = (request.POST.get(f"reuse-{item.paper.pk}") or "").strip()
            problems = file_errors(chosen)
            if reuse and reuse not in {doc.id for doc in edocs_seam.stored_documents_for(user, item.paper)}:
                # Only one's own stored documents offered for this paper; never an id sent from elsewhere.
                problems.append(
                    _("Giấy tờ đã chọn trong kho dữ liệu không còn dùng được: chọn lại hoặc tải lên.")
                )
                reuse = ""
            if item.required and not chosen and not reuse:
                problems.append(
                    _("Chưa có giấy tờ bắt buộc này: chụp ảnh giấy tờ hoặc chọn tệp ảnh, tệp PDF để tải lên.")
                )
            if problems:
                errors[item.field_name] = problems
            if chosen:
                files[item.paper.pk] = chosen
            if reuse:
                reused[item.paper.pk] = reuse
            count += len(chosen)
        others = request.FILES.getlist(OTHER_FIELD)
        if others:
            files[None] = others
            count += len(others)
            if problems := file_errors(others):
                errors[OTHER_FIELD] = problems
        if items and not count and not reused and not errors:
            errors["__all__"] = [_("Hồ sơ chưa có giấy tờ nào: tải lên ít nhất một giấy tờ theo danh sách.")]
        if count > MAX_FILES:
            errors["__all__"] = [
                _("Một lần nộp tối đa %(n)s tệp: hãy gộp nhiều trang vào một tệp PDF.") % {"n": MAX_FILES}
            ]
        if valid and not errors:
            data = form.cleaned_data
            try:
                d, replayed = online_submit(
                    user=user,
                    binding=binding,
                    applicant=tr.Applicant(
                        name=data["name"],
                        id_number=data["id_number"],
                        phone=data["phone"],
                        email=data["email"],
                        address=data["address"],
                        user=user,
                    ),
                    items=items,
                    files=files,
                    reused=reused,
                    token=token,
                    form_data={
                        "source": "portal",
                        "declaration": str(form.fields["declaration"].label),
                        "declared_at": timezone.now().isoformat(),
                    },
                )
            except Refusal as exc:  # a rule, a bad file, a stored document revoked or expired meanwhile
                form.add_error(None, plain(exc.message))
            except Http404:  # a stored document that is not (or no longer) the citizen's
                form.add_error(
                    None, _("Giấy tờ đã chọn trong kho dữ liệu không còn dùng được: chọn lại hoặc tải lên.")
                )
            else:
                drafts.draft_delete(request.session, code)
                if replayed:
                    messages.info(request, _("Hồ sơ này đã được nộp trước đó; đây là hồ sơ đã nộp."))
                return redirect("portal:submitted", code=d.code)
        status = 400
    else:
        initial: dict[str, Any] = {"phone": user.phone or "", "email": user.email}
        token = _new_token()
        if draft:
            initial.update({k: draft.get(k, "") for k in drafts.FIELDS if draft.get(k)})
            token = str(draft.get("token") or token)
        initial["token"] = token
        form = ApplicantForm(initial=initial, locked=locked)

    rules, rules_online = online_channel_rules(version)
    draft_saved = parse_datetime(draft["saved_at"]) if draft and draft.get("saved_at") else None
    return render(
        request,
        "portal/submit_form.html",
        {
            "procedure": procedure,
            "version": version,
            "binding": binding,
            "form": form,
            "token": token,
            "groups": _groups_for_page(groups, errors, user),
            "required_names": [i.short_name for i in items if i.required],
            "other_errors": errors.get(OTHER_FIELD, []),
            "page_errors": errors.get("__all__", []),
            "has_errors": bool(errors) or bool(form.errors),
            "rules": rules,
            "rules_online": rules_online,
            "draft_saved": draft_saved,
            "draft_other_agency": draft and draft.get("agency") != agency_code,
        },
        status=status,
    )


@login_required
@require_safe
def submitted(request: HttpRequest, code: str) -> HttpResponse:
    """After submitting: the dossier code, large, and what happens next."""
    d = own_dossier(request, code)
    rules, rules_online = online_channel_rules(d.procedure_version)
    return render(
        request,
        "portal/submitted.html",
        {"d": d, "rules": rules, "rules_online": rules_online, "next_step": NEXT_STEPS.get(d.status, "")},
    )
