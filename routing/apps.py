from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


def _forget_cached_config(**kwargs) -> None:
    """A routing rule, a team's members or a rep's hours, leave or territories changed:
    this process re-reads them at once (the others within leads.policies.CONFIG_TTL s)."""
    from leads import policies

    policies.forget()


class RoutingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "routing"

    def ready(self) -> None:
        from routing.models import LeavePeriod, NamedAccount, RepProfile, RoutingRule, Team, Territory, WorkingHours

        for model in (RoutingRule, Team, NamedAccount, WorkingHours, LeavePeriod, Territory):
            post_save.connect(_forget_cached_config, sender=model, dispatch_uid=f"forget-config-{model.__name__}")
            post_delete.connect(_forget_cached_config, sender=model, dispatch_uid=f"forget-config-del-{model.__name__}")
        for through in (RoutingRule.reps.through, Team.members.through, RepProfile.territories.through):
            m2m_changed.connect(_forget_cached_config, sender=through, dispatch_uid=f"forget-config-{through.__name__}")
