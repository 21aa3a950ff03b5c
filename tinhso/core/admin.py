from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from tinhso.core.models import AuditChainHead, AuditEntry

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
