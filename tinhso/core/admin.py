from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from tinhso.core.calendar import calendar_day_delete, calendar_day_set, package_holidays
from tinhso.core.models import AuditChainHead, AuditEntry, CalendarDay

# The entry's page shows everything; nothing is editable.
_FIELDS = (
    "seq",
    "created_at",
    "event",
    "actor_id",
    "actor_label",
    "agency_code",
    "target_type",
    "target_id",
    "old_pretty",
    "new_pretty",
    "request_id",
    "prev_hash",
    "hash",
)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only, and only `audit_record()` appends."""

    list_display = ["seq", "created_at", "event", "actor_label", "agency_code", "target_type", "target_id"]
    list_filter = ["event", "created_at", "agency_code"]
    search_fields = ["event", "actor_label", "=agency_code", "target_type", "=target_id", "=request_id"]
    date_hierarchy = "created_at"
    ordering = ["-seq"]
    # Counting a table that only grows gets slower every day; the filtered count is enough.
    show_full_result_count = False
    fields = _FIELDS
    readonly_fields = _FIELDS

    @admin.display(description="old")
    def old_pretty(self, entry: AuditEntry) -> str:
        return _pretty(entry.old)

    @admin.display(description="new")
    def new_pretty(self, entry: AuditEntry) -> str:
        return _pretty(entry.new)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(admin.ModelAdmin):
    """Read-only view of the chain head (what `tinhso audit-verify` compares the last entry with)."""

    list_display = ["id", "last_seq", "last_hash"]
    readonly_fields = ["id", "last_seq", "last_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _pretty(value: Any) -> str:
    if value is None:
        return "—"
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))


# The role group of system administrators (accounts.Role.SYSTEM_ADMIN; core imports no app, so by name).
_SYSTEM_ADMIN_GROUP = "system_admin"
_WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


def _may_edit_calendar(request: HttpRequest) -> bool:
    user = request.user
    if not (user.is_active and user.is_staff):
        return False
    return bool(user.is_superuser or user.groups.filter(name=_SYSTEM_ADMIN_GROUP).exists())


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """The year's decided days off and make-up working days. Superusers and system administrators edit
    them; every write goes through the audited services of `tinhso.core.calendar`."""

    list_display = ["date", "weekday", "kind", "name_vi", "decision", "package_says"]
    list_filter = ["kind", ("date", admin.DateFieldListFilter)]
    search_fields = ["name_vi", "decision"]
    date_hierarchy = "date"
    ordering = ["-date"]
    fields = ["date", "kind", "name_vi", "decision", "package_says"]
    readonly_fields = ["package_says"]

    @admin.display(description="thứ")
    def weekday(self, obj: CalendarDay) -> str:
        return _WEEKDAYS_VI[obj.date.weekday()]

    @admin.display(description="theo gói holidays")
    def package_says(self, obj: CalendarDay) -> str:
        if obj.date is None:
            return "—"
        return package_holidays(obj.date.year).get(obj.date) or "—"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A row is the decision for its date: to move it, delete it and add another (both audited).
        return [*self.readonly_fields, "date"] if obj is not None else list(self.readonly_fields)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_edit_calendar(request) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_edit_calendar(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _may_edit_calendar(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_edit_calendar(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_edit_calendar(request)

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        saved = calendar_day_set(
            day=obj.date, kind=obj.kind, name_vi=obj.name_vi, decision=obj.decision, actor=request.user
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        calendar_day_delete(day=obj.date, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> None:
        with transaction.atomic():
            for day in queryset.values_list("date", flat=True):
                calendar_day_delete(day=day, actor=request.user)
