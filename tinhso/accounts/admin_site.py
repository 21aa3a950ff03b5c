from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


class TinhSoAdminSite(admin.AdminSite):
    site_header = _("Quản trị Tỉnh Số")
    site_title = _("Quản trị Tỉnh Số")
    index_title = _("Quản trị hệ thống")

    def has_permission(self, request: HttpRequest) -> bool:
        # Only officials, never citizens, even if someone ticked "staff" on a citizen by mistake.
        user = request.user
        return bool(super().has_permission(request) and getattr(user, "kind", None) == "official")


class TinhSoAdminConfig(AdminConfig):
    default_site = "tinhso.accounts.admin_site.TinhSoAdminSite"
