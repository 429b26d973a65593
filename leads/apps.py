from django.apps import AppConfig
from django.db.models.signals import post_migrate


class LeadsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "leads"

    def ready(self) -> None:
        from leadops import checks  # noqa: F401 (registers the deploy checks)
        from leadops.roles import ensure_groups

        # After every app's migrate (not only this one's): the permissions of apps migrated
        # later, such as routing, exist only by then.
        post_migrate.connect(ensure_groups, dispatch_uid="leadops-ensure-groups")
