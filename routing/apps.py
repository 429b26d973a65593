from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save

from leadops.languages import register_profile_language


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
        register_profile_language(rep_language, save_rep_language)


def rep_language(user) -> str:
    """The language saved on a user's rep profile ("" when none)."""
    from routing.models import RepProfile

    return RepProfile.objects.filter(user=user).values_list("language", flat=True).first() or ""


def save_rep_language(user, language: str) -> None:
    from routing.models import RepProfile

    RepProfile.objects.filter(user=user).update(language=language)
