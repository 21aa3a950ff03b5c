"""Configuration in the admin (PAY-3: the BIN and account per receiving agency is configuration): collection
accounts and the banks that push, for system administrators and superusers. Each save is audited. Requests,
transactions and the queue are not edited here: they change only through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tinhso.accounts.selectors import user_sees_everything
from tinhso.core.audit import audit_record
from tinhso.payments.models import BankFeed, CollectionAccount


def _is_system_admin(request: HttpRequest) -> bool:
    user: Any = request.user
    return bool(user.is_active and user.is_staff and user_sees_everything(user))


class _SystemAdminOnly(admin.ModelAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_system_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_system_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _is_system_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_system_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # requests and transactions point to them: deactivate instead


@admin.register(CollectionAccount)
class CollectionAccountAdmin(_SystemAdminOnly):
    list_display = ["account_number", "bank_name", "bank_bin", "account_name", "agency", "is_active"]
    list_filter = ["is_active", "bank_bin"]
    search_fields = ["account_number", "account_name", "agency__name", "agency__code"]
    raw_id_fields = ["agency"]

    def save_model(self, request: HttpRequest, obj: CollectionAccount, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        user: Any = request.user
        audit_record(
            event="collection_account.changed" if change else "collection_account.created",
            target_type="payments.collectionaccount",
            target_id=obj.pk,
            actor_id=user.pk,
            actor_label=user.get_username(),
            agency_code=obj.agency.code,
            new={
                "bank_bin": obj.bank_bin,
                "account_number": obj.account_number,
                "account_name": obj.account_name,
                "is_active": obj.is_active,
            },
        )


@admin.register(BankFeed)
class BankFeedAdmin(_SystemAdminOnly):
    list_display = ["code", "name", "bank_bin", "is_active"]

    def save_model(self, request: HttpRequest, obj: BankFeed, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        user: Any = request.user
        audit_record(
            event="bank_feed.changed" if change else "bank_feed.created",
            target_type="payments.bankfeed",
            target_id=obj.code,
            actor_id=user.pk,
            actor_label=user.get_username(),
            # The secret itself is never written to the log: only that it changed.
            new={
                "bank_bin": obj.bank_bin,
                "is_active": obj.is_active,
                "secret_changed": "secret" in form.changed_data,
            },
        )
