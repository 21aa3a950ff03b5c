"""The reports' pages: statistics (`report_urls`) and the Decision 766 index (`index_urls`)."""

from django.urls import include, path

urlpatterns = [
    path("", include("tinhso.reports.report_urls")),
    path("", include("tinhso.reports.index_urls")),
    path("", include("tinhso.reports.dashboard_urls")),
]
