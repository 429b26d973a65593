import importlib

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate

TRIGGERS = "reports.migrations.0002_sla_rollup_triggers"


class ReportsConfig(AppConfig):
    name = "reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pipeline import sweeper
        from reports import rollup

        sweeper.register(rollup.sweep_task)
        post_migrate.connect(restore_sqlite_triggers, sender=self)


def restore_sqlite_triggers(sender, using="default", plan=None, **kwargs) -> None:
    """SQLite drops a table's triggers when a migration rebuilds the table: put the SLA
    rollup's back (reports/migrations/0002) after every migrate, once they were created."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    tables = connection.introspection.table_names()
    if "reports_rollupdirty" not in tables or "booking_meeting" not in tables:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM django_migrations WHERE app = 'reports' AND name = '0002_sla_rollup_triggers'")
        if cursor.fetchone() is None:
            return
        importlib.import_module(TRIGGERS).create_sqlite_triggers(cursor.execute)
