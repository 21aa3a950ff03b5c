from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tinhso.accounts import selectors, services
from tinhso.accounts.models import Agency, Commune, FormerCommune, Province, User


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "division_type", "phone_code"]
    search_fields = ["code", "name", "name_folded"]
    readonly_fields = ["name_folded"]


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "division_type", "province"]
    list_filter = ["division_type", "province"]
    search_fields = ["code", "name", "name_folded"]
    list_select_related = ["province"]
    readonly_fields = ["name_folded"]


@admin.register(FormerCommune)
class FormerCommuneAdmin(admin.ModelAdmin):
    list_display = ["old_code", "old_name", "old_district", "old_province", "merge", "new_commune"]
    list_filter = ["merge"]
    search_fields = ["old_code", "old_name", "old_name_folded", "new_commune__name"]
    list_select_related = ["new_commune__province"]
    raw_id_fields = ["new_commune"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "name_folded"]
    list_select_related = ["parent"]
    raw_id_fields = ["parent", "commune"]
    readonly_fields = ["path", "name_folded"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Agency]:
        return selectors.agencies_visible_to(request.user).select_related("parent")  # type: ignore[arg-type]

    def save_model(self, request: HttpRequest, obj: Agency, form, change: bool) -> None:
        # Writes go through the services so the tree paths and the audit log stay right.
        actor = request.user
        if change:
            services.agency_update(
                agency=obj,
                actor=actor,  # type: ignore[arg-type]
                name=obj.name,
                kind=obj.kind,
                parent=obj.parent,
                commune_id=obj.commune_id,
                is_active=obj.is_active,
            )
        else:
            created = services.agency_create(
                code=obj.code,
                name=obj.name,
                kind=obj.kind,
                parent=obj.parent,
                commune_id=obj.commune_id,
                address=obj.address,
                phone=obj.phone,
                actor=actor,  # type: ignore[arg-type]
            )
            obj.pk = created.pk

    def has_delete_permission(self, request: HttpRequest, obj: Agency | None = None) -> bool:
        return False  # agencies are deactivated, never deleted: dossiers and audit rows refer to them


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "full_name", "kind", "agency", "position", "is_active"]
    list_filter = ["kind", "is_active", "groups"]
    search_fields = ["username", "full_name", "phone", "national_id", "email"]
    list_select_related = ["agency"]
    raw_id_fields = ["agency"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (
            _("Thông tin cá nhân"),
            {
                "fields": [
                    "kind",
                    "full_name",
                    "phone",
                    "national_id",
                    "national_id_verified",
                    "date_of_birth",
                    "email",
                ]
            },
        ),
        (_("Cơ quan"), {"fields": ["agency", "position"]}),
        (_("Quyền"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Thời gian"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "kind", "full_name", "agency", "password1", "password2"],
            },
        ),
    ]

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        # Snapshot before the form's changes reach the database; audited in save_related, once the roles
        # (many-to-many) are saved too. The admin wraps both in one transaction.
        request._audit_user_before = (  # type: ignore[attr-defined]
            services.user_snapshot(User.objects.get(pk=obj.pk)) if change else None
        )
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.user_changes_record(
            user=form.instance,
            before=getattr(request, "_audit_user_before", None),
            actor=request.user,  # type: ignore[arg-type]
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        qs = super().get_queryset(request)
        user: User = request.user  # type: ignore[assignment]
        if selectors.user_sees_everything(user):
            return qs
        # Agency leaders manage the officials of their own agency tree, not citizens nor other agencies.
        return qs.filter(pk__in=selectors.officials_visible_to(user).values("pk"))
