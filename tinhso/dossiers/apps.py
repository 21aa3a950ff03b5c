from django.apps import AppConfig


class DossiersConfig(AppConfig):
    name = "tinhso.dossiers"
    label = "dossiers"
    verbose_name = "Hồ sơ thủ tục hành chính"

    def ready(self) -> None:
        # DESIGN.md: a lower app tells a higher one through a hook registered explicitly at start-up. A
        # settled financial obligation resumes the dossier paused for it (DL10).
        from tinhso.dossiers.fees import dossier_payment_settled
        from tinhso.payments.hooks import on_paid

        on_paid(dossier_payment_settled)

        # Every saved dossier renews the stamps its unit's kept worklist pages are read under.
        from django.db.models.signals import post_save

        from tinhso.dossiers.models import Dossier
        from tinhso.dossiers.selectors import dossier_saved

        post_save.connect(dossier_saved, sender=Dossier, dispatch_uid="dossiers.worklist_stamps")
