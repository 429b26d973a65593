from django.apps import AppConfig


class CadencesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cadences"

    def ready(self) -> None:
        from cadences.translations import acknowledgment_version
        from leads.acknowledgments import register_translations

        register_translations(acknowledgment_version)
