from django.urls import path

from tinhso.payments import views

app_name = "payments"

urlpatterns = [
    path("thanh-toan/<str:reference>/bien-lai/<int:match_id>.pdf", views.receipt_pdf, name="receipt"),
]
