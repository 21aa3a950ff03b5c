"""The officials' feedback queue, the paper rating form and the unit's ratings (included from
tinhso/urls.py)."""

from django.urls import path

from tinhso.backoffice import feedback_views

app_name = "backoffice_feedback"

urlpatterns = [
    path("backoffice/phan-anh/", feedback_views.feedback_queue, name="queue"),
    path("backoffice/phan-anh/<int:pk>/", feedback_views.feedback_detail, name="detail"),
    path("backoffice/danh-gia/", feedback_views.ratings_overview, name="ratings"),
    path(
        "backoffice/dossiers/<str:code>/phieu-danh-gia/",
        feedback_views.rating_paper_form,
        name="rating_paper",
    ),
]
