from django.apps import AppConfig


class EdocsConfig(AppConfig):
    name = "tinhso.edocs"
    label = "edocs"
    verbose_name = "Kho giấy tờ điện tử"

    def ready(self) -> None:
        from tinhso.edocs import checks  # noqa: F401 (registers the deployment check)
