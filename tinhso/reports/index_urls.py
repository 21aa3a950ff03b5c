from django.urls import URLPattern

app_name = "index766"

urlpatterns: list[URLPattern] = []
