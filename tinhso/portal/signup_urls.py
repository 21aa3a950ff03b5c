"""Sign-up and forgotten-password pages (signup_views.py), beside the portal's own URLs."""

from django.urls import path

from tinhso.portal import signup_views

app_name = "signup"

urlpatterns = [
    path("accounts/signup/", signup_views.signup_start, name="start"),
    path("accounts/signup/verify/", signup_views.signup_verify, name="verify"),
    path("accounts/signup/resend/", signup_views.signup_resend, name="resend"),
    path("accounts/password/reset/", signup_views.password_reset, name="password_reset"),
    path("accounts/password/reset/verify/", signup_views.password_reset_verify, name="password_reset_verify"),
    path("accounts/password/reset/resend/", signup_views.password_reset_resend, name="password_reset_resend"),
]
