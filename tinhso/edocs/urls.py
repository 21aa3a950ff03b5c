from django.urls import path

from tinhso.edocs import verify_views, views

app_name = "edocs"

urlpatterns = [
    path("giay-to/", views.edoc_list, name="list"),
    path("giay-to/tai-len/", views.edoc_upload, name="upload"),
    path("giay-to/<int:pk>/", views.edoc_detail, name="detail"),
    path("giay-to/<int:pk>/tai-ve/", views.edoc_download, name="download"),
    path("giay-to/<int:pk>/chia-se/", views.share_create, name="share_create"),
    path("giay-to/<int:pk>/chia-se/<int:link_id>/thu-hoi/", views.share_revoke, name="share_revoke"),
    path("chia-se/<str:token>/", views.share_page, name="share"),
    path("chia-se/<str:token>/tai-ve/", views.share_download, name="share_download"),
    path("xac-thuc/", verify_views.verify_any, name="verify_any"),
    path("xac-thuc/<str:token>/", verify_views.verify_page, name="verify"),
    path("xac-thuc/<str:token>/thu-hoi/", verify_views.revoke, name="verify_revoke"),
]
