from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pipeline import sweeper
        from reports import rollup

        sweeper.register(rollup.sweep_task)
