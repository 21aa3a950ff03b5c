"""The officials' pages: worklists, counter reception, the dossier page with the actions the role allows.

Thin views: they load through the permission-checked selectors and call the transitions; every rule and
message comes from there. Pages work without JavaScript (plain forms and redirects).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tinhso.accounts import services as accounts_services
from tinhso.accounts.models import Agency, Role, User
from tinhso.accounts.selectors import user_sees_everything
from tinhso.backoffice.forms import ActionForm, CitizenAccountForm, OnBehalfForm, ReceptionForm
from tinhso.core.errors import Refusal
from tinhso.dossiers import documents, feedback, selectors
from tinhso.dossiers import services as dossier_services
from tinhso.dossiers import transitions as tr
from tinhso.dossiers.api import paper_file_response
from tinhso.dossiers.models import Consultation, Dossier, DossierStep, PaperFile
from tinhso.payments import services as payment_services
from tinhso.procedures.models import ProcedureBinding

ACTION_LABELS = {
    "receive": gettext_lazy("Tiếp nhận"),
    "refuse": gettext_lazy("Từ chối tiếp nhận (Mẫu 03)"),
    "request_supplement": gettext_lazy("Yêu cầu bổ sung (Mẫu 02)"),
    "supplement_complete": gettext_lazy("Đã nhận đủ hồ sơ bổ sung"),
    "assign": gettext_lazy("Phân công"),
    "hand_over": gettext_lazy("Chuyển xử lý"),
    "send_back": gettext_lazy("Trả lại bước trước"),
    "consult": gettext_lazy("Lấy ý kiến cơ quan khác"),
    "pause_for_payment": gettext_lazy("Tạm dừng chờ nghĩa vụ tài chính"),
    "resume_after_payment": gettext_lazy("Tiếp tục xử lý (đã thực hiện nghĩa vụ)"),
    "extend": gettext_lazy("Xin lỗi và gia hạn (Mẫu 04)"),
    "stop": gettext_lazy("Dừng giải quyết (Mẫu 05)"),
    "withdraw": gettext_lazy("Rút hồ sơ theo đề nghị"),
    "approve": gettext_lazy("Phê duyệt kết quả"),
    "reject": gettext_lazy("Từ chối giải quyết"),
    "return_result": gettext_lazy("Trả kết quả"),
}
# The history's words for the events that are not actions of this page.
EVENT_LABELS = {
    **ACTION_LABELS,
    "submit": gettext_lazy("Nộp hồ sơ"),
    "consult": gettext_lazy("Lấy ý kiến cơ quan khác"),
    "consult_answer": gettext_lazy("Cơ quan được hỏi trả lời"),
}
# The fields each action's form shows.
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "receive": (),
    "refuse": ("reason",),
    "request_supplement": ("items",),
    "supplement_complete": ("note",),
    "assign": ("assignee", "note"),
    "hand_over": ("to", "note"),
    "send_back": ("reason",),
    "consult": ("agency", "question", "days"),
    "pause_for_payment": ("reason", "amount_vnd"),
    "resume_after_payment": (),
    "extend": ("new_due", "reason"),
    "stop": ("reason", "legal_basis"),
    "withdraw": ("reason",),
    "approve": ("note",),
    "reject": ("reason",),
    "return_result": ("method", "note"),
}
FORM_TITLES = {
    "01": gettext_lazy("Giấy tiếp nhận hồ sơ và hẹn trả kết quả (Mẫu 01)"),
    "02": gettext_lazy("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02)"),
    "03": gettext_lazy("Phiếu từ chối tiếp nhận giải quyết hồ sơ (Mẫu 03)"),
    "04": gettext_lazy("Văn bản xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)"),
    "05": gettext_lazy("Thông báo dừng giải quyết hồ sơ (Mẫu 05)"),
    "06": gettext_lazy("Phiếu kiểm soát quá trình giải quyết hồ sơ (Mẫu 06)"),
}


def official_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        # An official with no role (the counter's rating kiosk account) has no work here: its screen faces
        # the public.
        if not (isinstance(user, User) and user.is_official and user.agency_id and user.roles):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _load(request: HttpRequest, code: str) -> Dossier:
    try:
        return selectors.dossier_get_for_user(_user(request), code)
    except (selectors.DossierNotFound, PermissionDenied):
        raise Http404(_("Không tìm thấy hồ sơ")) from None


ANSWER_MAX = 5000  # characters of an answer to a consultation (as the API's)


def may_open(user: User) -> dict[str, bool]:
    """Which of the back office's pages the user's roles open (the same checks the pages make), so that a
    page links to those only."""
    fees = user.agency is not None and payment_services.official_may_handle(user, user.agency)
    return {
        "reception": user.has_role(Role.COUNTER_OFFICER),
        "citizen_new": user.has_role(Role.COUNTER_OFFICER),
        "register": user.has_role(Role.COUNTER_OFFICER, Role.AGENCY_LEADER, Role.DEPARTMENT_HEAD),
        "feedback": user_sees_everything(user) or user.has_role(*feedback.ANSWER_ROLES),
        "payments": fees,
        "rating_paper": user.has_role(Role.COUNTER_OFFICER),
    }


@official_required
def worklist_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    lists = selectors.worklists_for(user)
    key = request.GET.get("list") or lists[0].key
    if key not in selectors.WORKLIST_KEYS:
        key = lists[0].key
    now = timezone.now()
    counts = selectors.worklist_counts(user, now=now)
    query = request.GET.get("q", "").strip()[:100]
    rows, label = selectors.worklist(user, key, now=now), None
    if query:
        # A code typed whole opens its dossier; anything else lists what it finds (selectors.search).
        if (found := selectors.search_exact(user, query)) is not None:
            return redirect("backoffice:dossier", code=found)
        result = selectors.search(user, query)
        if result.name_refused:
            messages.info(
                request,
                _("Tìm theo tên: nhập ít nhất %(n)s ký tự, trong đó có một từ từ hai chữ cái trở lên.")
                % {"n": selectors.SEARCH_MIN},
            )
        if result.more:
            messages.info(
                request,
                _(
                    "Có hơn %(n)s hồ sơ khớp: chỉ hiện %(n)s hồ sơ mới nhất, hãy thêm từ để thu hẹp. "
                    "/ Too many matches: add words to narrow."
                )
                % {"n": selectors.SEARCH_LIMIT},
            )
        rows = result.rows.select_related("procedure_version", "holder")
        label = _("Kết quả tìm “%(q)s”") % {"q": query}
    page = Paginator(rows, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/worklist.html",
        {
            "lists": [(w, counts[w.key]) for w in lists],
            "current": "" if query else key,
            "current_label": label or next((w.label for w in selectors.WORKLISTS if w.key == key), key),
            "query": query,
            "page": page,
            "page_keep": urlencode({"q": query} if query else {"list": key}) + "&",
            "now": now,
            "may": may_open(user),
        },
    )


def _bindings(user: User) -> Any:
    assert user.agency is not None
    return (
        ProcedureBinding.objects.filter(
            is_active=True,
            current_process__isnull=False,
            agency__in=Agency.objects.subtree_of(user.agency).values("pk"),
        )
        .select_related("procedure")
        .order_by("procedure__name")
    )


@official_required
@require_http_methods(["GET", "POST"])
def reception_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not user.has_role(Role.COUNTER_OFFICER):
        raise PermissionDenied
    bindings = _bindings(user)
    chosen = request.POST.get("binding") or request.GET.get("binding")
    binding = bindings.filter(pk=chosen).first() if chosen and chosen.isdigit() else None
    if request.method == "POST" and "lookup" in request.POST and binding is not None:
        form = _reception_looked_up(request, user, bindings, binding)
    elif request.method == "POST":
        form = ReceptionForm(request.POST, bindings=bindings, binding=binding)
        if form.is_valid():
            data = form.cleaned_data
            papers = [tr.PaperSpec(required_paper_id=p.pk, name=p.name) for p in data["papers"]]
            papers += [
                tr.PaperSpec(name=line.strip()) for line in data["other_papers"].splitlines() if line.strip()
            ]
            try:
                d = tr.receive_at_counter(
                    binding=data["binding"],
                    channel=data["channel"],
                    applicant=tr.Applicant(
                        name=data["applicant_name"],
                        id_number=data["applicant_id_number"],
                        phone=data["applicant_phone"],
                        email=data["applicant_email"],
                        address=data["applicant_address"],
                    ),
                    actor=user,
                    papers=papers,
                    sets=data["sets"],
                )
            except Refusal as exc:  # a transition's, or a payment's it made (an amount refused)
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _(
                        "Đã tiếp nhận hồ sơ %(code)s. In Giấy tiếp nhận và hẹn trả kết quả (Mẫu 01) "
                        "cho người nộp."
                    )
                    % {"code": d.code},
                )
                return redirect("backoffice:dossier", code=d.code)
    else:
        form = ReceptionForm(
            bindings=bindings, binding=binding, initial={"binding": binding.pk if binding else None}
        )
    return render(request, "backoffice/reception.html", {"form": form, "binding": binding})


APPLICANT_FIELDS = ("applicant_name", "applicant_phone", "applicant_email", "applicant_address")


def _reception_looked_up(
    request: HttpRequest, user: User, bindings: Any, binding: ProcedureBinding | None
) -> ReceptionForm:
    """The reception form as typed, the applicant's empty fields filled from what the province knows of
    the ID number typed (`dossier_services.applicant_lookup`: counted, checked, audited): nothing is
    received."""
    typed = {name: request.POST.get(name, "") for name in ReceptionForm.base_fields if name != "papers"}
    typed["papers"] = request.POST.getlist("papers")  # type: ignore[assignment]
    typed["sets"] = typed["sets"] or "1"
    try:
        found = dossier_services.applicant_lookup(actor=user, id_number=typed["applicant_id_number"].strip())
    except Refusal as exc:  # the hour's lookups used up, or not an ID number
        messages.error(request, exc.message)
        return ReceptionForm(bindings=bindings, binding=binding, initial=typed)
    if found is None:
        messages.info(request, _("Chưa có người nộp nào với số định danh này: nhập thông tin người nộp."))
        return ReceptionForm(bindings=bindings, binding=binding, initial=typed)
    known = dict(zip(APPLICANT_FIELDS, (found.name, found.phone, found.email, found.address), strict=True))
    for name, value in known.items():
        if not typed[name].strip():
            typed[name] = value
    if found.source == "account":
        messages.info(request, _("Đã điền theo tài khoản công dân của người nộp: đối chiếu với giấy tờ."))
    else:
        messages.info(
            request,
            _("Đã điền theo hồ sơ %(code)s của người nộp: đối chiếu với giấy tờ.")
            % {"code": found.dossier_code},
        )
    return ReceptionForm(bindings=bindings, binding=binding, initial=typed)


def _colleagues(d: Dossier, roles: tuple[str, ...]) -> list[User]:
    return list(
        User.objects.filter(
            kind=User.Kind.OFFICIAL,
            is_active=True,
            agency__in=Agency.objects.subtree_of(d.agency).values("pk"),
            groups__name__in=roles,
        )
        .distinct()
        .order_by("full_name")
    )


def _hand_over_roles(d: Dossier) -> tuple[str, ...]:
    step = d.current_step
    if step is None:
        return ()
    following = DossierStep.objects.filter(dossier=d, order__gt=step.order).order_by("order").first()
    if following is None:
        return ()
    if following.role == Role.SPECIALIST:
        return (Role.SPECIALIST, Role.DEPARTMENT_HEAD)
    return (following.role,)


@official_required
def dossier_page(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    d = _load(request, code)
    actions = [a for a in tr.available_actions(d, user) if a in ACTION_FIELDS]
    choices: dict[str, list[User]] = {}
    if "hand_over" in actions:
        choices["to"] = _colleagues(d, _hand_over_roles(d))
    if "assign" in actions:
        choices["assignee"] = _colleagues(d, (Role.SPECIALIST,))
    # Agencies that may be consulted: active, and not in the dossier agency's own line (itself, above, below).
    assert d.agency is not None
    agencies = (
        Agency.objects.filter(is_active=True)
        .exclude(pk__in=d.agency.line_ids)
        .exclude(path__startswith=d.agency.path)
        .order_by("name")
        .only("code", "name")
        if "consult" in actions
        else []
    )
    return render(
        request,
        "backoffice/dossier.html",
        {
            "d": d,
            "papers": d.papers.prefetch_related("files"),
            "form_rows": selectors.form_rows(d.form_data),
            "steps": d.steps.select_related("assignee"),
            "events": [(e, EVENT_LABELS.get(e.action, e.action)) for e in d.events.all()],
            "forms": [(f, FORM_TITLES[f]) for f in documents.issued_forms(d) if f in FORM_TITLES],
            "actions": [(a, ACTION_LABELS[a], ACTION_FIELDS[a]) for a in actions],
            "choices": choices,
            "agencies": agencies,
            "consultations": d.consultations.select_related("agency", "asked_by", "answered_by"),
            "can_upload": dossier_services.may_add_files(d, user),
            "may": may_open(user),
        },
    )


@official_required
@require_POST
def dossier_action(request: HttpRequest, code: str, action: str) -> HttpResponse:
    user = _user(request)
    d = _load(request, code)
    if action not in ACTION_FIELDS:
        raise Http404
    form = ActionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("backoffice:dossier", code=d.code)
    data = form.cleaned_data
    common: dict[str, Any] = {"actor": user, "expected_revision": data["expected_revision"]}

    def consulted(code: str) -> Agency:
        found = Agency.objects.filter(code=code.strip()).first() if code.strip() else None
        if found is None:
            raise tr.DossierRuleError(_("Chọn cơ quan được hỏi ý kiến trong danh sách."))
        return found

    def colleague(pk: int | None) -> User:
        found = User.objects.filter(pk=pk, kind=User.Kind.OFFICIAL).first() if pk else None
        if found is None:
            raise tr.DossierRuleError(_("Chọn người nhận hồ sơ."))
        return found

    runs: dict[str, Callable[[], Any]] = {
        "receive": lambda: tr.receive(d, **common),
        "refuse": lambda: tr.refuse(d, reason=data["reason"], **common),
        "request_supplement": lambda: tr.request_supplement(d, items=form.missing_items(), **common),
        "supplement_complete": lambda: tr.supplement_complete(d, note=data["note"], **common),
        "assign": lambda: tr.assign(d, assignee=colleague(data["assignee"]), note=data["note"], **common),
        "hand_over": lambda: tr.hand_over(d, to=colleague(data["to"]), note=data["note"], **common),
        "send_back": lambda: tr.send_back(d, reason=data["reason"], **common),
        "consult": lambda: tr.consult(
            d, agency=consulted(data["agency"]), question=data["question"], days=data["days"] or 0, **common
        ),
        "pause_for_payment": lambda: tr.pause_for_payment(
            d, reason=data["reason"], amount_vnd=data["amount_vnd"] or 0, **common
        ),
        "resume_after_payment": lambda: tr.resume_after_payment(d, **common),
        "extend": lambda: _extend(d, form, common),
        "stop": lambda: tr.stop(d, reason=data["reason"], legal_basis=data["legal_basis"], **common),
        "withdraw": lambda: tr.withdraw(d, reason=data["reason"], **common),
        "approve": lambda: tr.approve(d, result_note=data["note"], **common),
        "reject": lambda: tr.reject(d, reason=data["reason"], **common),
        "return_result": lambda: tr.return_result(
            d, method=data["method"] or "counter", note=data["note"], **common
        ),
    }
    try:
        runs[action]()
    except Refusal as exc:  # a transition's, or a payment's it made (an amount refused)
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã thực hiện: %(action)s.") % {"action": ACTION_LABELS[action]})
    return redirect("backoffice:dossier", code=d.code)


def _extend(d: Dossier, form: ActionForm, common: dict[str, Any]) -> Any:
    due = form.due()
    if due is None:
        raise tr.DossierRuleError(_("Chọn ngày hẹn trả mới."))
    if timezone.is_naive(due):
        due = timezone.make_aware(due)
    return tr.extend(d, reason=form.cleaned_data["reason"], new_due=due, **common)


@official_required
@never_cache  # personal data: not kept by the browser of a shared counter PC
def dossier_form(request: HttpRequest, code: str, form: str) -> HttpResponse:
    d = _load(request, code)
    try:
        pdf = documents.render_form(d, form)
    except documents.FormNotIssued:
        raise Http404(_("Hồ sơ chưa có biểu mẫu này")) from None
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{d.code}-mau-{form}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Accounts for people who have none, and dossiers submitted on their behalf ---------------------------

# Letters and digits that cannot be mistaken for one another on a printed slip (no 0/O, 1/l/I).
_SLIP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _slip_password() -> str:
    return "-".join("".join(secrets.choice(_SLIP_ALPHABET) for _ in range(4)) for _ in range(3))


@official_required
@never_cache  # the slip shows a password: Back or the history of a shared counter PC must not show it again
@require_http_methods(["GET", "POST"])
def citizen_new(request: HttpRequest) -> HttpResponse:
    """A counter officer makes an account for a person without a smartphone or e-mail; the credentials are
    printed on a slip handed over on paper (shown once, never stored in clear)."""
    user = _user(request)
    if not user.has_role(Role.COUNTER_OFFICER):
        raise PermissionDenied
    form = CitizenAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if User.objects.filter(national_id=data["national_id"]).exists():
            form.add_error(
                "national_id", _("Số định danh này đã có tài khoản: hướng dẫn người dân đăng nhập.")
            )
        else:
            password = _slip_password()
            try:
                citizen = accounts_services.user_create_citizen(
                    username=data["national_id"],
                    password=password,
                    full_name=data["full_name"],
                    phone=data["phone"],
                    national_id=data["national_id"],
                    date_of_birth=data["date_of_birth"],
                    actor=user,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                return render(
                    request,
                    "backoffice/citizen_slip.html",
                    {
                        "citizen": citizen,
                        "password": password,
                        "login_url": request.build_absolute_uri("/accounts/login/"),
                    },
                )
    return render(request, "backoffice/citizen_new.html", {"form": form})


@official_required
@require_http_methods(["GET", "POST"])
def on_behalf_submit(request: HttpRequest, citizen_id: int) -> HttpResponse:
    """*Nộp hồ sơ hộ*: an online dossier in the citizen's name, submitted by the official with the consent
    recorded; it then awaits reception like any online dossier."""
    user = _user(request)
    if not user.has_role(Role.COUNTER_OFFICER):
        raise PermissionDenied
    citizen = User.objects.filter(pk=citizen_id, kind=User.Kind.CITIZEN, is_active=True).first()
    if citizen is None:
        raise Http404
    form = OnBehalfForm(request.POST or None, bindings=_bindings(user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            d = tr.submit(
                binding=data["binding"],
                channel="online",
                applicant=tr.Applicant(
                    name=citizen.full_name,
                    id_number=citizen.national_id or "",
                    phone=citizen.phone or "",
                    email=citizen.email,
                    user=citizen,
                ),
                actor=user,
                on_behalf_consent=data["consent"],
            )
        except Refusal as exc:  # a transition's, or a payment's it made (an amount refused)
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Đã nộp hồ sơ %(code)s thay cho %(name)s; hồ sơ chờ tiếp nhận.")
                % {"code": d.code, "name": citizen.full_name},
            )
            return redirect("backoffice:dossier", code=d.code)
    return render(request, "backoffice/on_behalf.html", {"form": form, "citizen": citizen})


@official_required
@never_cache
def register_pdf(request: HttpRequest, year: int) -> HttpResponse:
    """Mẫu 07, the tracking book of the official's unit for a year (*sổ theo dõi hồ sơ*)."""
    user = _user(request)
    if not user.has_role(Role.COUNTER_OFFICER, Role.AGENCY_LEADER, Role.DEPARTMENT_HEAD):
        raise PermissionDenied
    if not 2000 <= year <= timezone.localdate().year:
        raise Http404
    assert user.agency is not None
    pdf = documents.render_register(user.agency, year)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="so-theo-doi-ho-so-{user.agency.code}-{year}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@official_required
@require_POST
def paper_file_upload(request: HttpRequest, code: str, paper_id: int) -> HttpResponse:
    """A scan or phone photo of a paper, from the dossier page (JPEG, PNG, HEIC, PDF; checked by content)."""
    d = _load(request, code)
    paper = d.papers.filter(pk=paper_id).first()
    upload = request.FILES.get("file")
    if paper is None:
        raise Http404
    if upload is None:
        messages.error(request, _("Chọn tệp ảnh chụp hoặc bản quét để tải lên."))
        return redirect("backoffice:dossier", code=d.code)
    try:
        dossier_services.paper_file_add(
            paper=paper, upload=upload, name=upload.name or "", actor=_user(request)
        )
    except Refusal as exc:  # a bad file, or the dossier no longer takes files
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã thêm tệp cho: %(paper)s.") % {"paper": paper.name[:80]})
    return redirect("backoffice:dossier", code=d.code)


@official_required
def paper_file_view(request: HttpRequest, code: str, file_id: int, kind: str) -> HttpResponseBase:
    d = _load(request, code)
    row = PaperFile.objects.filter(pk=file_id, paper__dossier=d).first()
    if row is None or kind not in ("original", "rendition"):
        raise Http404
    return paper_file_response(row, kind)


# --- Consultations asked of the official's agency (*lấy ý kiến*) ---------------------------------------


@official_required
def consultations_page(request: HttpRequest) -> HttpResponse:
    """*Ý kiến được hỏi*: what other agencies asked the official's agency (or a unit under it) about their
    dossiers, by due time, with the answer form; the answered ones in their own tab."""
    user = _user(request)
    answered = request.GET.get("show") == "answered"
    page = Paginator(selectors.consultations_for(user, answered=answered), 20).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    return render(
        request,
        "backoffice/consultations.html",
        {
            "page": page,
            "rows": [(c, selectors.consultation_punctuality(c, now)) for c in page.object_list],
            "answered": answered,
            "page_keep": "show=answered&" if answered else "",
            "open_count": selectors.consultations_for(user).count(),
            "may_answer": user.has_role(*tr.CONSULTATION_ANSWERERS),
        },
    )


def _consultation(user: User, consultation_id: int) -> Consultation:
    found = selectors.consultation_get_for_user(user, consultation_id)
    if found is None:
        raise Http404
    return found


@official_required
def consultation_page(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """One consultation asked of the official's agency: the question, the dossier's papers while it is
    open (to give a view on them), the answer or its form. Another agency's is 404."""
    user = _user(request)
    c = _consultation(user, consultation_id)
    shared = dossier_services.consultation_shares_papers(c, user)
    still_open = selectors.consultation_open(c)
    return render(
        request,
        "backoffice/consultation.html",
        {
            "c": c,
            "d": c.dossier,
            "state": selectors.consultation_punctuality(c, timezone.now()),
            "shared": shared,
            "open": still_open,
            # The form for those who may answer (tr.consult_answer): the same who see the papers.
            "may_answer": still_open and user.has_role(*tr.CONSULTATION_ANSWERERS),
            "papers": c.dossier.papers.prefetch_related("files") if shared else (),
            "form_rows": selectors.form_rows(c.dossier.form_data) if shared else (),
            "answer_max": ANSWER_MAX,
        },
    )


@official_required
@require_safe
def consultation_file(
    request: HttpRequest, consultation_id: int, file_id: int, kind: str
) -> HttpResponseBase:
    """A file of the consulted dossier's papers, for the asked agency while the consultation is open; each
    opening audited once the file is open (a HEAD request reads nothing and is not)."""
    user = _user(request)
    c = _consultation(user, consultation_id)
    if kind not in ("original", "rendition"):
        raise Http404
    row = dossier_services.consultation_paper_file(consultation=c, file_id=file_id, actor=user)
    if row is None:
        raise Http404
    response = paper_file_response(row, kind)
    if request.method != "HEAD":
        dossier_services.consultation_paper_viewed(consultation=c, row=row, kind=kind, actor=user)
    return response


@official_required
@require_POST
def consultation_answer(request: HttpRequest, consultation_id: int) -> HttpResponse:
    user = _user(request)
    found = selectors.consultation_get_for_user(user, consultation_id)
    if found is None:
        raise Http404
    answer = request.POST.get("answer", "")
    # Back where the form was: the consultation's own page, or the list.
    back = (
        redirect("backoffice:consultation", consultation_id=found.pk)
        if request.POST.get("from") == "page"
        else redirect("backoffice:consultations")
    )
    if len(answer) > ANSWER_MAX:
        messages.error(request, _("Ý kiến dài quá %(n)s ký tự.") % {"n": ANSWER_MAX})
        return back
    try:
        tr.consult_answer(found, actor=user, answer=answer)
    except Refusal as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã gửi ý kiến về hồ sơ %(code)s.") % {"code": found.dossier.code})
    return back
