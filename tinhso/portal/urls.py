from django.urls import path

from tinhso.portal import mine_views, submit_views, tracking_views, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    # Online submission; the procedure page links to /nop-ho-so/<code>/ (procedures.views.procedure_detail).
    path("nop-ho-so/<str:code>/", submit_views.submit_choose, name="submit_choose"),
    path("nop-ho-so/<str:code>/<str:agency_code>/", submit_views.submit_form, name="submit_form"),
    # The applicant's dossiers.
    path("ho-so-cua-toi/", mine_views.my_dossiers, name="my_dossiers"),
    path("ho-so-cua-toi/<str:code>/", mine_views.my_dossier, name="my_dossier"),
    path("ho-so-cua-toi/<str:code>/da-nop/", submit_views.submitted, name="submitted"),
    path("ho-so-cua-toi/<str:code>/mau/<str:form>.pdf", mine_views.my_dossier_form, name="my_dossier_form"),
    path(
        "ho-so-cua-toi/<str:code>/tep/<int:file_id>/<str:kind>/",
        mine_views.my_dossier_file,
        name="my_dossier_file",
    ),
    path("ho-so-cua-toi/<str:code>/tai-len/", mine_views.my_dossier_upload, name="my_dossier_upload"),
    path(
        "ho-so-cua-toi/<str:code>/bo-sung-xong/",
        mine_views.my_dossier_supplement_complete,
        name="my_dossier_supplement_complete",
    ),
    # Anonymous look-up by code and phone number or ID number.
    path("tra-cuu-ho-so/", tracking_views.track, name="track"),
]
