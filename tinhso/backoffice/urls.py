from django.urls import path

from tinhso.backoffice import views

app_name = "backoffice"

urlpatterns = [
    path("backoffice/", views.worklist_page, name="worklist"),
    path("backoffice/reception/", views.reception_page, name="reception"),
    path("backoffice/register/<int:year>.pdf", views.register_pdf, name="register"),
    path("backoffice/citizens/new/", views.citizen_new, name="citizen_new"),
    path("backoffice/citizens/<int:citizen_id>/submit/", views.on_behalf_submit, name="on_behalf"),
    path("backoffice/dossiers/<str:code>/", views.dossier_page, name="dossier"),
    path("backoffice/dossiers/<str:code>/actions/<str:action>/", views.dossier_action, name="dossier_action"),
    path("backoffice/dossiers/<str:code>/forms/<str:form>.pdf", views.dossier_form, name="dossier_form"),
    path(
        "backoffice/dossiers/<str:code>/papers/<int:paper_id>/files/",
        views.paper_file_upload,
        name="paper_file_upload",
    ),
    path(
        "backoffice/dossiers/<str:code>/files/<int:file_id>/<str:kind>/",
        views.paper_file_view,
        name="paper_file",
    ),
]
