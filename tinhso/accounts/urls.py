from django.urls import path

from tinhso.accounts import auth_views, views

app_name = "accounts"

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/2fa/setup/", auth_views.two_factor_setup, name="two_factor_setup"),
    path("accounts/2fa/verify/", auth_views.two_factor_verify, name="two_factor_verify"),
    path("accounts/vneid/start/", auth_views.vneid_start, name="vneid_start"),
    path("accounts/vneid/callback/", auth_views.vneid_callback, name="vneid_callback"),
    path("communes/", views.commune_list, name="commune_list"),
    path("agencies/", views.agency_list, name="agency_list"),
    path("agencies/<str:code>/", views.agency_detail, name="agency_detail"),
]
