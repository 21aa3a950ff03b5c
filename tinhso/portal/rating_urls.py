"""The citizen's rating and feedback pages, and the counter's rating screen (included from tinhso/urls.py
before the portal's own URLs)."""

from django.urls import path

from tinhso.portal import kiosk_views, rating_views

app_name = "rating"

urlpatterns = [
    # The applicant's dossier: rate it, send feedback or a complaint about it.
    path("ho-so-cua-toi/<str:code>/danh-gia/", rating_views.rate, name="rate"),
    path("ho-so-cua-toi/<str:code>/phan-anh/", rating_views.feedback_dossier, name="feedback_dossier"),
    # Feedback about a procedure (?thu-tuc=<procedure code>), with or without an account.
    path("phan-anh-kien-nghi/", rating_views.feedback_new, name="feedback_new"),
    path("phan-anh-kien-nghi/da-gui/", rating_views.feedback_sent, name="feedback_sent"),
    path("phan-anh-kien-nghi/cua-toi/", rating_views.my_feedback, name="my_feedback"),
    path("phan-anh-kien-nghi/cua-toi/<int:pk>/", rating_views.my_feedback_detail, name="my_feedback_detail"),
    path(
        "phan-anh-kien-nghi/cua-toi/<int:pk>/y-kien/", rating_views.my_feedback_rate, name="my_feedback_rate"
    ),
    # The counter's rating screen (kiosk account or counter officer).
    path("kiosk/danh-gia/", kiosk_views.kiosk_scan, name="kiosk"),
    path("kiosk/danh-gia/gui/", kiosk_views.kiosk_submit, name="kiosk_submit"),
    path("kiosk/danh-gia/cam-on/", kiosk_views.kiosk_thanks, name="kiosk_thanks"),
]
