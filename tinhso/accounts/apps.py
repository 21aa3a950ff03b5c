from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tinhso.accounts"
    label = "accounts"
    verbose_name = "Người dùng và cơ quan"

    def ready(self) -> None:
        # A second-factor device saved or deleted leaves the shared cache (middleware.CachedOTPMiddleware).
        from django.apps import apps
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
        from django.db.models.signals import post_delete, post_save
        from django_otp.models import Device

        from tinhso.accounts import checks, login_audit  # noqa: F401 - checks: registers the system checks
        from tinhso.accounts.middleware import otp_device_changed

        for model in apps.get_models():
            if issubclass(model, Device):
                uid = f"accounts.otp_device_changed.{model._meta.label_lower}"
                post_save.connect(otp_device_changed, sender=model, dispatch_uid=uid + ".save")
                post_delete.connect(otp_device_changed, sender=model, dispatch_uid=uid + ".delete")

        # Every login, logout and failed login in the audit log (login_audit.py). After django-axes' own
        # receivers (its app comes first in INSTALLED_APPS): a failure's entry says whether it locked.
        user_logged_in.connect(login_audit.logged_in, dispatch_uid="accounts.audit.logged_in")
        user_logged_out.connect(login_audit.logged_out, dispatch_uid="accounts.audit.logged_out")
        user_login_failed.connect(login_audit.login_failed, dispatch_uid="accounts.audit.login_failed")
