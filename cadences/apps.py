from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class CadencesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cadences"

    def ready(self) -> None:
        # Enrolment reads the cadences from the routing configuration's cache; an edit drops
        # it in every process before their next enrolment (routing/config.py).
        from cadences.models import Cadence, CadenceStep
        from routing.config import forget_on_change

        for model in (Cadence, CadenceStep):
            post_save.connect(forget_on_change, sender=model, dispatch_uid=f"forget-config-{model.__name__}")
            post_delete.connect(forget_on_change, sender=model, dispatch_uid=f"forget-config-del-{model.__name__}")

        # The acknowledgment's translated versions live with the cadences' templates.
        from cadences.translations import acknowledgment_version
        from leads.acknowledgments import register_translations

        register_translations(acknowledgment_version)
