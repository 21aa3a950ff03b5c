"""The dashboards (`dashboard_views`): the leaders' page and its tables' downloads, the public figures."""

from django.urls import path

from tinhso.reports import dashboard_views as views

app_name = "dashboard"

urlpatterns = [
    path("bang-dieu-khien/", views.dashboard_page, name="page"),
    path("bang-dieu-khien/<slug:key>.csv", views.dashboard_csv, name="csv"),
    path("bang-dieu-khien/<slug:key>.xlsx", views.dashboard_xlsx, name="xlsx"),
    path("so-lieu/", views.public_figures, name="public"),
]
