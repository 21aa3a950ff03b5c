"""Back office for the procedure catalog (Django admin).

Who may do what (by role, not by Django model permissions, so that a new catalog administrator needs
nothing but the role):
- every official the admin admits (staff) may look at the catalog, its versions and problems;
- catalog administrators and system administrators (`selectors.user_edits_catalog`) correct a
  procedure's content (a new version), bind procedures to agencies or stop applying them, and set
  internal processes.

Versions are immutable: nothing here edits or deletes one. Every write goes through a service function,
which writes the audit entry in the same transaction.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tinhso.accounts.models import Agency, User
from tinhso.core.text import fold_words
from tinhso.procedures import forms as f
from tinhso.procedures import selectors, services, services_admin
from tinhso.procedures.models import (
    ChannelRule,
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
)
from tinhso.procedures.templatetags.procedure_format import duration, money


def _views_catalog(request: HttpRequest) -> bool:
    # The admin site itself admits active staff officials only (accounts/admin_site.py).
    user = request.user
    return bool(user.is_active and user.is_staff)


def _edits_catalog(request: HttpRequest) -> bool:
    return selectors.user_edits_catalog(request.user)


class CatalogReadOnlyMixin:
    """Visible to every official in the admin; changed only through the views and services below."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _views_catalog(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _views_catalog(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyTabularInline(CatalogReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return list(self.fields or [])


def _folded_search(queryset: QuerySet[Any], term: str, field: str, code_field: str) -> QuerySet[Any]:
    """Admin search that ignores diacritics ("khai sinh" = "khai sinh" = "KHAI SINH") or takes a code."""
    term = term.strip()
    if not term:
        return queryset
    if term[0].isdigit():
        return queryset.filter(**{f"{code_field}__startswith": term})
    for word in fold_words(term):
        queryset = queryset.filter(**{f"{field}__contains": word})
    return queryset


# --- Fields ---------------------------------------------------------------------------------------------


@admin.register(ProcedureField)
class ProcedureFieldAdmin(CatalogReadOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "procedure_count"]
    search_fields = ["name", "name_folded"]
    ordering = ["name_folded"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProcedureField]:
        return super().get_queryset(request).annotate(n=Count("procedures"))

    @admin.display(description=gettext_lazy("số thủ tục"), ordering="n")
    def procedure_count(self, obj: ProcedureField) -> HttpResponse | str:
        url = reverse("admin:procedures_procedure_changelist") + f"?field__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.n)  # type: ignore[attr-defined]


# --- Procedures and their versions ----------------------------------------------------------------------


@admin.register(Procedure)
class ProcedureAdmin(CatalogReadOnlyMixin, admin.ModelAdmin):
    list_display = ["code", "name", "field", "online_level", "version_number", "updated_at"]
    list_filter = [
        "online_level",
        "level_commune",
        "level_province",
        "level_ministry",
        "level_other",
        ("field", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["code", "name_folded"]
    search_help_text = gettext_lazy("Mã thủ tục hoặc tên (có dấu hay không dấu đều được).")
    list_select_related = ["field", "current_version"]
    fields = (
        "code",
        "name",
        "field",
        "levels_display",
        "online_level",
        "version_display",
        "links",
        "updated_at",
    )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Procedure], search_term: str
    ) -> tuple[QuerySet[Procedure], bool]:
        return _folded_search(queryset, search_term, "name_folded", "code"), False

    @admin.display(description=gettext_lazy("phiên bản"), ordering="current_version__number")
    def version_number(self, obj: Procedure) -> int | None:
        return obj.current_version.number if obj.current_version else None

    @admin.display(description=gettext_lazy("cấp thực hiện"))
    def levels_display(self, obj: Procedure) -> str:
        from tinhso.procedures.templatetags.procedure_format import level_labels

        return ", ".join(level_labels(obj.levels))

    @admin.display(description=gettext_lazy("phiên bản hiện hành"))
    def version_display(self, obj: Procedure) -> str:
        v = obj.current_version
        if v is None:
            return "—"
        url = reverse("admin:procedures_procedureversion_change", args=[v.pk])
        return format_html(
            '<a href="{}">{}</a> ({}, {})',
            url,
            _("Phiên bản %d") % v.number,
            v.get_source_display(),
            date_format(localtime(v.created_at), "SHORT_DATETIME_FORMAT"),
        )

    @admin.display(description=gettext_lazy("liên kết"))
    def links(self, obj: Procedure) -> str:
        items = [
            (
                reverse("admin:procedures_procedureversion_changelist") + f"?procedure__id__exact={obj.pk}",
                _("Mọi phiên bản"),
            ),
            (
                reverse("admin:procedures_procedurebinding_changelist") + f"?procedure__id__exact={obj.pk}",
                _("Các cơ quan thực hiện"),
            ),
            (reverse("procedures:procedure_detail", args=[obj.code]), _("Trang công khai")),
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', items)

    @admin.display(description=gettext_lazy("sửa nội dung"))
    def content_link(self, obj: Procedure) -> str:
        url = reverse("admin:procedures_procedure_content", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Sửa nội dung (tạo phiên bản mới)"))

    def get_fields(self, request: HttpRequest, obj: Procedure | None = None) -> list[Any]:
        # The correction link is for those who may correct.
        fields = list(self.fields or ())
        return [*fields, "content_link"] if _edits_catalog(request) else fields

    def get_readonly_fields(self, request: HttpRequest, obj: Procedure | None = None) -> list[Any]:
        return self.get_fields(request, obj)

    def get_urls(self) -> list[Any]:
        custom = [
            path(
                "<path:object_id>/content/",
                self.admin_site.admin_view(self.content_view),
                name="procedures_procedure_content",
            )
        ]
        return custom + super().get_urls()

    def content_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Correct the current version's content: channels (time, fees), papers and a few texts. Saving
        makes a new version through `services.procedure_edit`; the old one stays as it was."""
        if not _edits_catalog(request):
            raise PermissionDenied
        procedure = get_object_or_404(Procedure.objects.select_related("current_version"), pk=object_id)
        version = procedure.current_version
        if version is None:
            raise PermissionDenied
        parsed = services.version_to_parsed(version)
        if request.method == "POST":
            form = f.ContentForm(request.POST, problems=parsed.problems)
            channels = f.ChannelFormSet(request.POST, prefix="channels")
            papers = f.PaperFormSet(request.POST, prefix="papers")
            if form.is_valid() and channels.is_valid() and papers.is_valid():
                result = self._save_content(request, procedure, parsed, form, channels, papers)
                if result is not None:
                    return result
        else:
            form = f.ContentForm(
                problems=parsed.problems,
                initial={
                    "base_version": version.pk,
                    "online_level": parsed.online_level,
                    "receiving_address": parsed.receiving_address,
                    "steps": parsed.steps,
                    "conditions": parsed.conditions,
                },
            )
            channels = f.ChannelFormSet(prefix="channels", initial=f.channel_initial(parsed.channels))
            papers = f.PaperFormSet(prefix="papers", initial=f.paper_initial(parsed.papers))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Sửa nội dung thủ tục %(code)s") % {"code": procedure.code},
            "procedure": procedure,
            "version": version,
            "form": form,
            "channels": channels,
            "papers": papers,
            "errors": [*form.non_field_errors(), *channels.non_form_errors(), *papers.non_form_errors()],
        }
        return TemplateResponse(request, "procedures/admin/content_form.html", context)

    def _save_content(
        self,
        request: HttpRequest,
        procedure: Procedure,
        parsed: Any,
        form: f.ContentForm,
        channels: Any,
        papers: Any,
    ) -> HttpResponse | None:
        data = form.cleaned_data
        resolved = set(data["resolved_problems"])
        edited = dataclasses.replace(
            parsed,
            online_level=data["online_level"],
            receiving_address=data["receiving_address"],
            steps=data["steps"],
            conditions=data["conditions"],
            channels=channels.to_parsed(),
            papers=papers.to_parsed(),
            problems=[x for i, x in enumerate(parsed.problems) if str(i) not in resolved],
        )
        baseline = dataclasses.replace(
            parsed,
            channels=[
                dataclasses.replace(c, time_value=f.least_digits(c.time_value)) for c in parsed.channels
            ],
        )
        if services.content_hash(edited) == services.content_hash(baseline):
            # Compared with the stored version read back the same way, not with its stored hash: the
            # import's hash covers number spellings ("7" vs "7.00") that the database does not keep.
            self.message_user(
                request, _("Nội dung không thay đổi: không tạo phiên bản mới."), messages.WARNING
            )
            return HttpResponseRedirect(reverse("admin:procedures_procedure_change", args=[procedure.pk]))
        actor: User = request.user  # type: ignore[assignment]
        try:
            with transaction.atomic():
                # Someone else may have saved a version since this form was opened: refuse rather than
                # silently overwrite their correction with content built from the older version.
                current = Procedure.objects.select_for_update().values_list("current_version_id", flat=True)
                if current.get(pk=procedure.pk) != data["base_version"]:
                    form.add_error(
                        None,
                        _("Thủ tục vừa được người khác sửa. Mở lại trang để sửa từ phiên bản mới nhất."),
                    )
                    return None
                result = services.procedure_edit(parsed=edited, actor=actor, note=data["note"])
        except ValidationError as exc:
            form.add_error(None, exc)
            return None
        if result.outcome == "unchanged":
            self.message_user(
                request, _("Nội dung không thay đổi: không tạo phiên bản mới."), messages.WARNING
            )
        else:
            assert result.version is not None
            self.log_change(request, procedure, _("Phiên bản %d") % result.version.number)
            self.message_user(
                request,
                _("Đã lưu phiên bản %(number)d của thủ tục %(code)s.")
                % {"number": result.version.number, "code": procedure.code},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:procedures_procedure_change", args=[procedure.pk]))


class ChannelRuleInline(ReadOnlyTabularInline):
    model = ChannelRule
    fields = ["channel", "time_display", "time_text", "fee_kind", "fees_display", "fee_text"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ChannelRule]:
        return super().get_queryset(request).prefetch_related("fees")

    @admin.display(description=gettext_lazy("thời hạn"))
    def time_display(self, obj: ChannelRule) -> str:
        return duration(obj.time_value, obj.time_unit) or "—"

    @admin.display(description=gettext_lazy("các khoản thu"))
    def fees_display(self, obj: ChannelRule) -> str:
        return "; ".join(f"{x.label}: {money(x)}" if x.label else money(x) for x in obj.fees.all())


class RequiredPaperInline(ReadOnlyTabularInline):
    model = RequiredPaper
    fields = ["group", "name", "kind", "quantity", "originals", "copies", "quantity_text", "form_template"]


class LegalBasisInline(ReadOnlyTabularInline):
    model = LegalBasis
    fields = ["number", "title"]


class ResultDocumentInline(ReadOnlyTabularInline):
    model = ResultDocument
    fields = ["name", "code"]


class ParseProblemInline(ReadOnlyTabularInline):
    model = ParseProblem
    fields = ["field", "message", "raw"]


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(CatalogReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "procedure",
        "number",
        "source",
        "is_current",
        "decision_number",
        "problem_count",
        "created_at",
        "created_by",
    ]
    list_filter = ["source"]
    search_fields = ["procedure__code", "name"]
    list_select_related = ["procedure", "created_by"]
    inlines = [
        ChannelRuleInline,
        RequiredPaperInline,
        LegalBasisInline,
        ResultDocumentInline,
        ParseProblemInline,
    ]
    fields = (
        "procedure",
        "number",
        "source",
        "note",
        "created_at",
        "created_by",
        "decision_number",
        "source_url",
        "content_hash",
        "name",
        "field_name",
        "levels",
        "online_level",
        "procedure_type",
        "applicants",
        "competent_agency",
        "implementing_agency",
        "receiving_address",
        "delegated_agency",
        "coordinating_agency",
        "related_codes",
        "steps",
        "conditions",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProcedureVersion]:
        return super().get_queryset(request).annotate(n_problems=Count("problems"))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[ProcedureVersion], search_term: str
    ) -> tuple[QuerySet[ProcedureVersion], bool]:
        return _folded_search(queryset, search_term, "procedure__name_folded", "procedure__code"), False

    @admin.display(description=gettext_lazy("hiện hành"), boolean=True)
    def is_current(self, obj: ProcedureVersion) -> bool:
        return obj.procedure.current_version_id == obj.pk

    @admin.display(description=gettext_lazy("lỗi đọc"), ordering="n_problems")
    def problem_count(self, obj: ProcedureVersion) -> int:
        return obj.n_problems  # type: ignore[attr-defined]


@admin.register(ParseProblem)
class ParseProblemAdmin(CatalogReadOnlyMixin, admin.ModelAdmin):
    """The fix-up worklist: what the importer could not read in the versions in force."""

    list_display = ["procedure_code", "field", "message", "raw_excerpt", "fix_link"]
    list_filter = ["field"]
    search_fields = ["version__procedure__code", "message", "raw"]
    list_select_related = ["version__procedure"]
    fields = ("version", "field", "message", "raw")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ParseProblem]:
        # Problems of superseded versions are history, not work: they show in the version's page.
        return super().get_queryset(request).filter(version_id=F("version__procedure__current_version_id"))

    @admin.display(description=gettext_lazy("thủ tục"), ordering="version__procedure__code")
    def procedure_code(self, obj: ParseProblem) -> str:
        procedure = obj.version.procedure
        url = reverse("admin:procedures_procedure_change", args=[procedure.pk])
        return format_html('<a href="{}">{}</a> {}', url, procedure.code, procedure.name[:60])

    @admin.display(description=gettext_lazy("nguyên văn"))
    def raw_excerpt(self, obj: ParseProblem) -> str:
        return obj.raw[:120] + ("…" if len(obj.raw) > 120 else "")

    @admin.display(description="")
    def fix_link(self, obj: ParseProblem) -> str:
        url = reverse("admin:procedures_procedure_content", args=[obj.version.procedure_id])
        return format_html('<a href="{}">{}</a>', url, _("Sửa"))


# --- The province's bindings and internal processes -----------------------------------------------------


class InternalProcessInline(ReadOnlyTabularInline):
    model = InternalProcess
    fk_name = "binding"
    fields = ["number", "total_display", "created_at", "created_by", "note"]
    show_change_link = True
    ordering = ["-number"]

    @admin.display(description=gettext_lazy("tổng thời gian"))
    def total_display(self, obj: InternalProcess) -> str:
        return duration(obj.total_value, obj.total_unit)


@admin.register(ProcedureBinding)
class ProcedureBindingAdmin(admin.ModelAdmin):
    list_display = ["local_code", "procedure_name", "agency", "is_active", "current_process"]
    list_filter = ["is_active", "agency__kind"]
    search_fields = ["local_code", "agency__name", "procedure__name"]
    list_select_related = ["procedure", "agency", "current_process"]
    autocomplete_fields = ["procedure"]
    actions = ["deactivate", "activate"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _views_catalog(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _views_catalog(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _edits_catalog(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _edits_catalog(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # never deleted: dossiers and audit entries refer to the local code

    def get_inlines(self, request: HttpRequest, obj: ProcedureBinding | None = None) -> list[Any]:
        return [InternalProcessInline] if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: ProcedureBinding | None = None) -> list[Any]:
        if obj is None:
            return ["procedure", "agency"]
        return ["local_code", "procedure", "agency", "is_active", "process_display", "created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: ProcedureBinding | None = None) -> list[str]:
        if obj is None:
            return []
        return ["local_code", "procedure", "agency", "process_display", "created_at"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "agency":
            kwargs["queryset"] = Agency.objects.filter(is_active=True).order_by("path")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[ProcedureBinding], search_term: str
    ) -> tuple[QuerySet[ProcedureBinding], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        if term[0].isdigit():
            return queryset.filter(local_code__startswith=term), False
        for word in fold_words(term):
            queryset = queryset.filter(
                Q(procedure__name_folded__contains=word) | Q(agency__name_folded__contains=word)
            )
        return queryset, False

    @admin.display(description=gettext_lazy("thủ tục"), ordering="procedure__code")
    def procedure_name(self, obj: ProcedureBinding) -> str:
        return obj.procedure.name

    @admin.display(description=gettext_lazy("quy trình nội bộ hiện hành"))
    def process_display(self, obj: ProcedureBinding) -> str:
        add = reverse("admin:procedures_internalprocess_add") + f"?binding={obj.local_code}"
        legal = services.legal_time(obj.procedure)
        legal_text = (
            _("Thời hạn giải quyết theo danh mục: %s.") % duration(*legal)
            if legal
            else _("Danh mục chưa có thời hạn giải quyết đọc được.")
        )
        if obj.current_process is None:
            return format_html(
                '{} {} <a href="{}">{}</a>', _("Chưa có."), legal_text, add, _("Lập quy trình nội bộ")
            )
        url = reverse("admin:procedures_internalprocess_change", args=[obj.current_process.pk])
        return format_html(
            '<a href="{}">{}</a> {} <a href="{}">{}</a>',
            url,
            _("Phiên bản %d") % obj.current_process.number,
            legal_text,
            add,
            _("Lập phiên bản mới"),
        )

    def save_model(self, request: HttpRequest, obj: ProcedureBinding, form: Any, change: bool) -> None:
        # Writes go through the services, which write the audit entry.
        actor: User = request.user  # type: ignore[assignment]
        if change:
            services_admin.binding_set_active(binding=obj, is_active=obj.is_active, actor=actor)
        else:
            binding, _created = services.binding_ensure(
                procedure=obj.procedure, agency=obj.agency, actor=actor
            )
            obj.pk, obj.local_code = binding.pk, binding.local_code

    def _set_active(self, request: HttpRequest, queryset: QuerySet[ProcedureBinding], active: bool) -> None:
        actor: User = request.user  # type: ignore[assignment]
        changed = sum(
            services_admin.binding_set_active(binding=b, is_active=active, actor=actor) for b in queryset
        )
        self.message_user(request, _("Đã cập nhật %d thủ tục của cơ quan.") % changed, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Ngừng áp dụng các thủ tục đã chọn"), permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[ProcedureBinding]) -> None:
        self._set_active(request, queryset, False)

    @admin.action(description=gettext_lazy("Áp dụng lại các thủ tục đã chọn"), permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[ProcedureBinding]) -> None:
        self._set_active(request, queryset, True)


class ProcessStepInline(ReadOnlyTabularInline):
    model = ProcessStep
    fields = ["order", "name", "role", "duration_display"]

    @admin.display(description=gettext_lazy("thời gian"))
    def duration_display(self, obj: ProcessStep) -> str:
        return duration(obj.duration_value, obj.duration_unit)


@admin.register(InternalProcess)
class InternalProcessAdmin(admin.ModelAdmin):
    list_display = ["binding", "number", "total_display", "is_current", "created_at", "created_by"]
    list_filter = ["binding__agency__kind"]
    search_fields = ["binding__local_code"]
    list_select_related = ["binding", "created_by"]
    inlines = [ProcessStepInline]
    fields = ("binding", "number", "total_display", "created_at", "created_by", "note")
    readonly_fields = fields

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _views_catalog(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _views_catalog(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _edits_catalog(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a process is never changed: a new one is created

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("tổng thời gian"))
    def total_display(self, obj: InternalProcess) -> str:
        return duration(obj.total_value, obj.total_unit)

    @admin.display(description=gettext_lazy("hiện hành"), boolean=True)
    def is_current(self, obj: InternalProcess) -> bool:
        return obj.binding.current_process_id == obj.pk

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        """A new version of a binding's internal process: the steps, each with its role and time. The
        service checks that they add up to the legal time; its refusal is shown on the form."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = f.ProcessForm(request.POST)
            steps = f.StepFormSet(request.POST, prefix="steps")
            if form.is_valid() and steps.is_valid():
                binding: ProcedureBinding = form.cleaned_data["binding"]
                specs = [
                    services.StepSpec(
                        name=s["name"],
                        role=s["role"],
                        duration_value=s["duration_value"],
                        duration_unit=s["duration_unit"],
                    )
                    for s in steps.cleaned_data
                    if s
                ]
                try:
                    process = services.internal_process_create(
                        binding=binding,
                        steps=specs,
                        actor=request.user,  # type: ignore[arg-type]
                        note=form.cleaned_data["note"],
                    )
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    self.log_addition(request, process, _("Quy trình nội bộ phiên bản %d") % process.number)
                    self.message_user(
                        request,
                        _("Đã lập quy trình nội bộ phiên bản %(number)d cho %(code)s.")
                        % {"number": process.number, "code": binding.local_code},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:procedures_procedurebinding_change", args=[binding.pk])
                    )
            binding_obj = form.cleaned_data.get("binding")
        else:
            code = request.GET.get("binding", "")
            binding_obj = (
                ProcedureBinding.objects.select_related("procedure", "current_process")
                .filter(local_code=code)
                .first()
            )
            form = f.ProcessForm(initial={"binding": code})
            initial = []
            if binding_obj is not None and binding_obj.current_process is not None:
                initial = [
                    {
                        "name": s.name,
                        "role": s.role,
                        "duration_value": s.duration_value,
                        "duration_unit": s.duration_unit,
                    }
                    for s in binding_obj.current_process.steps.all()
                ]
            steps = f.StepFormSet(prefix="steps", initial=initial)
        if not isinstance(binding_obj, ProcedureBinding):
            binding_obj = None
        legal = services.legal_time(binding_obj.procedure) if binding_obj is not None else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Lập quy trình nội bộ"),
            "form": form,
            "steps": steps,
            "binding": binding_obj,
            "legal_time": duration(*legal) if legal else "",
            "errors": [*form.non_field_errors(), *steps.non_form_errors()],
        }
        return TemplateResponse(request, "procedures/admin/process_form.html", context)
