"""The outbox in the admin: read-only, for system administrators (*quản trị hệ thống*) and superusers only
(the recipients are citizens' phone numbers and addresses), with one action, "Gửi lại" (send again now),
which goes through the audited service `message_retry`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tinhso.notifications.models import OutboxMessage
from tinhso.notifications.services import message_retry

# The role group of system administrators (accounts.Role.SYSTEM_ADMIN; notifications imports only core,
# so by name, as core/admin.py does).
SYSTEM_ADMIN_GROUP = "system_admin"


def _is_system_admin(request: HttpRequest) -> bool:
    user = request.user
    if not (user.is_active and user.is_staff):
        return False
    return bool(user.is_superuser or user.groups.filter(name=SYSTEM_ADMIN_GROUP).exists())


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "created_at",
        "channel",
        "recipient",
        "topic",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "short_error",
    ]
    list_filter = ["state", "channel"]
    search_fields = ["recipient", "topic"]
    ordering = ["-id"]
    date_hierarchy = "created_at"
    # The outbox only grows; counting all of it on every page gets slower every day.
    show_full_result_count = False
    fields = readonly_fields = (
        "channel",
        "recipient",
        "subject",
        "body_shown",
        "dedupe_key",
        "topic",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "provider_id",
        "claim_token",
        "created_at",
        "sent_at",
    )
    actions = ["retry_now"]

    @admin.display(description=gettext_lazy("nội dung"))
    def body_shown(self, obj: OutboxMessage) -> str:
        if obj.sensitive:
            return str(gettext_lazy("— nội dung bảo mật (mã xác nhận), không hiển thị —"))
        return obj.body

    @admin.display(description=gettext_lazy("lỗi gần nhất"))
    def short_error(self, obj: OutboxMessage) -> str:
        return obj.last_error[:80] + ("…" if len(obj.last_error) > 80 else "")

    @admin.action(description=gettext_lazy("Gửi lại"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        user = request.user
        done = message_retry(message_ids=ids, actor_id=user.pk, actor_label=user.get_username())
        self.message_user(
            request,
            _("Đã xếp %(done)d/%(total)d tin gửi lại ngay (tin đã gửi hoặc đang gửi được giữ nguyên).")
            % {"done": done, "total": len(ids)},
            messages.SUCCESS if done else messages.WARNING,
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_system_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_system_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
