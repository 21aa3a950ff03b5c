"""The statistics pages (`report_views`): the report, the dossiers behind a number, their downloads."""

from django.urls import path

from tinhso.reports import report_views as views

app_name = "reports"

urlpatterns = [
    path("thong-ke/", views.report_page, name="report"),
    path("thong-ke/bao-cao.csv", views.export_csv, name="export_csv"),
    path("thong-ke/bao-cao.xlsx", views.export_xlsx, name="export_xlsx"),
    path("thong-ke/ho-so/", views.report_dossiers, name="dossiers"),
    path("thong-ke/ho-so.csv", views.dossiers_csv, name="dossiers_csv"),
    path("thong-ke/ho-so.xlsx", views.dossiers_xlsx, name="dossiers_xlsx"),
]
