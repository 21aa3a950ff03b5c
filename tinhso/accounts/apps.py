from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tinhso.accounts"
    label = "accounts"
    verbose_name = "Người dùng và cơ quan"

    def ready(self) -> None:
        from tinhso.accounts import checks  # noqa: F401 - registers the system checks
