from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "goals"
    verbose_name = "Goals, rewards and feedback"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from goals import closing, panels
        from pipeline import sweeper
        from reports import panels as report_panels

        report_panels.register(report_panels.MY_STATS, panels.my_stats_panel)
        report_panels.register(report_panels.DASHBOARD, panels.dashboard_panel)
        sweeper.register(closing.run)
