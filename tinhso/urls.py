from django.contrib import admin
from django.urls import include, path

from tinhso.api import api
from tinhso.core.views import health

urlpatterns = [
    path("health", health, name="health"),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("tinhso.accounts.urls")),
    path("", include("tinhso.procedures.urls")),
    path("", include("tinhso.backoffice.urls")),
    path("", include("tinhso.edocs.urls")),
    path("", include("tinhso.payments.urls")),
    path("", include("tinhso.portal.signup_urls")),
    path("", include("tinhso.backoffice.feedback_urls")),
    path("", include("tinhso.portal.rating_urls")),
    path("", include("tinhso.reports.urls")),
    path("", include("tinhso.portal.urls")),
]
