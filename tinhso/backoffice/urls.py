from django.urls import path

from tinhso.backoffice import payments_views, views

app_name = "backoffice"

urlpatterns = [
    path("backoffice/", views.worklist_page, name="worklist"),
    path("backoffice/reception/", views.reception_page, name="reception"),
    path("backoffice/register/<int:year>.pdf", views.register_pdf, name="register"),
    path("backoffice/citizens/new/", views.citizen_new, name="citizen_new"),
    path("backoffice/consultations/", views.consultations_page, name="consultations"),
    path(
        "backoffice/consultations/<int:consultation_id>/answer/",
        views.consultation_answer,
        name="consultation_answer",
    ),
    path(
        "backoffice/consultations/<int:consultation_id>/",
        views.consultation_page,
        name="consultation",
    ),
    path(
        "backoffice/consultations/<int:consultation_id>/files/<int:file_id>/<str:kind>/",
        views.consultation_file,
        name="consultation_file",
    ),
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
    # Fees: a dossier's payments at the counter, the reconciliation queue, bank statements.
    path(
        "backoffice/dossiers/<str:code>/payments/", payments_views.dossier_payments, name="dossier_payments"
    ),
    path(
        "backoffice/dossiers/<str:code>/payments/<str:reference>/exempt/",
        payments_views.payment_exempt,
        name="payment_exempt",
    ),
    path(
        "backoffice/dossiers/<str:code>/payments/<str:reference>/cash/",
        payments_views.payment_cash,
        name="payment_cash",
    ),
    path(
        "backoffice/dossiers/<str:code>/payments/<str:reference>/cancel/",
        payments_views.payment_cancel,
        name="payment_cancel",
    ),
    path("backoffice/payments/queue/", payments_views.queue_page, name="payment_queue"),
    path(
        "backoffice/payments/queue/<int:issue_id>/resolve/",
        payments_views.issue_resolve,
        name="payment_issue_resolve",
    ),
    path(
        "backoffice/payments/queue/<int:issue_id>/match/",
        payments_views.issue_match,
        name="payment_issue_match",
    ),
    path("backoffice/payments/statements/", payments_views.statement_upload, name="payment_statements"),
]
