"""The store in the admin: read-only, for system administrators (*quản trị hệ thống*) and superusers only.

Documents are citizens' personal papers: nobody edits them here (every write goes through `services.py`,
with its audit entry), and nobody downloads them here either (the file field shows the stored name, not a
link: the private storage has no URLs). Share links show their hash and prefix, never a token.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.selectors import user_sees_everything
from tinhso.edocs.models import EDocument, ShareLink, SignedDocument


def _is_system_admin(request: HttpRequest) -> bool:
    user: Any = request.user
    return bool(user.is_active and user.is_staff and user_sees_everything(user))


class _ReadOnly(admin.ModelAdmin):
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_system_admin(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_system_admin(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ShareLinkInline(admin.TabularInline):
    model = ShareLink
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "token_prefix",
        "created_at",
        "expires_at",
        "revoked_at",
        "access_count",
        "last_accessed_at",
        "created_by",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EDocument)
class EDocumentAdmin(_ReadOnly):
    list_display = [
        "id",
        "title",
        "kind",
        "owner",
        "issuer_code",
        "issued_on",
        "source_dossier_code",
        "revoked_at",
    ]
    list_filter = ["kind", "created_at"]
    search_fields = ["=source_dossier_code", "=sha256", "=owner__username", "=issuer_code"]
    list_select_related = ["owner"]
    ordering = ["-id"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = readonly_fields = (
        "owner",
        "kind",
        "title",
        "issuer_name",
        "issuer_code",
        "issued_on",
        "valid_until",
        "source_dossier_code",
        "original_name",
        "content_type",
        "size",
        "pages",
        "sha256",
        "stored_file",
        "created_at",
        "created_by",
        "revoked_at",
        "revoked_reason",
    )
    inlines = [ShareLinkInline]

    @admin.display(description=_("tệp lưu trữ"))
    def stored_file(self, obj: EDocument) -> str:
        return obj.file.name or ""


@admin.register(ShareLink)
class ShareLinkAdmin(_ReadOnly):
    list_display = [
        "id",
        "token_prefix",
        "document",
        "created_at",
        "expires_at",
        "revoked_at",
        "access_count",
    ]
    list_select_related = ["document"]
    search_fields = ["=token_prefix", "=document__id"]
    ordering = ["-id"]
    show_full_result_count = False
    fields = readonly_fields = (
        "document",
        "token_prefix",
        "token_hash",
        "created_at",
        "expires_at",
        "created_by",
        "revoked_at",
        "access_count",
        "last_accessed_at",
    )


@admin.register(SignedDocument)
class SignedDocumentAdmin(_ReadOnly):
    """The register of signed papers, read-only. Revoking is done from the paper's verification page (a
    form shown to the issuing agency's leader and to system administrators), through the service."""

    list_display = ["id", "title", "kind", "form", "issuer", "issued_at", "source_dossier_code", "revoked_at"]
    list_filter = ["kind", "form", "issued_at"]
    search_fields = ["=source_dossier_code", "=sha256", "=token", "=signer_fingerprint"]
    list_select_related = ["issuer"]
    ordering = ["-id"]
    date_hierarchy = "issued_at"
    show_full_result_count = False
    fields = readonly_fields = (
        "token",
        "kind",
        "form",
        "title",
        "issuer",
        "issuer_name",
        "issued_at",
        "source_dossier_code",
        "source_ref",
        "signer_subject",
        "signer_fingerprint",
        "signature_profile",
        "sha256",
        "size",
        "created_by",
        "revoked_at",
        "revoked_reason",
        "revoked_by",
    )
