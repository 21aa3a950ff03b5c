from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tinhso.accounts"
    label = "accounts"
    verbose_name = "Người dùng và cơ quan"

    def ready(self) -> None:
        # A second-factor device saved or deleted leaves the shared cache (middleware.CachedOTPMiddleware).
        from django.apps import apps
        from django.db.models.signals import post_delete, post_save
        from django_otp.models import Device

        from tinhso.accounts import checks  # noqa: F401 - registers the system checks
        from tinhso.accounts.middleware import otp_device_changed

        for model in apps.get_models():
            if issubclass(model, Device):
                uid = f"accounts.otp_device_changed.{model._meta.label_lower}"
                post_save.connect(otp_device_changed, sender=model, dispatch_uid=uid + ".save")
                post_delete.connect(otp_device_changed, sender=model, dispatch_uid=uid + ".delete")
