from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class RoutingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "routing"

    def ready(self) -> None:
        # Models and what imports them load only once the app registry is ready.
        from routing.config import forget_on_change
        from routing.models import LeavePeriod, NamedAccount, RepProfile, RoutingRule, Team, Territory, WorkingHours

        for model in (RoutingRule, Team, NamedAccount, WorkingHours, LeavePeriod, Territory):
            post_save.connect(forget_on_change, sender=model, dispatch_uid=f"forget-config-{model.__name__}")
            post_delete.connect(forget_on_change, sender=model, dispatch_uid=f"forget-config-del-{model.__name__}")
        for through in (RoutingRule.reps.through, Team.members.through, RepProfile.territories.through):
            m2m_changed.connect(forget_on_change, sender=through, dispatch_uid=f"forget-config-{through.__name__}")
