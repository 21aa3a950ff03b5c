"""The Decision 766 index pages (included from tinhso/reports/urls.py)."""

from django.urls import path

from tinhso.reports import index_views

app_name = "index766"

urlpatterns = [
    path("chi-so-766/", index_views.index_page, name="index"),
    path("chi-so-766/ho-so/", index_views.index_list_page, name="list"),
]
