from django.apps import AppConfig


class EdocsConfig(AppConfig):
    name = "tinhso.edocs"
    label = "edocs"
    verbose_name = "Kho giấy tờ điện tử"
