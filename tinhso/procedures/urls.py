from django.urls import path

from tinhso.procedures import views

app_name = "procedures"

urlpatterns = [
    path("procedures/", views.procedure_list, name="procedure_list"),
    path("procedures/<str:code>/", views.procedure_detail, name="procedure_detail"),
]
