"""Roles are Django groups (SPEC §6): Reps, Managers, Leadership.

`ensure_groups` runs after every migrate and gives each group its model permissions:
managers edit routing, SLA and cadence configuration in the admin; leadership reads;
reps work their own leads through the app, not the admin."""

from __future__ import annotations

REPS, MANAGERS, LEADERSHIP = "Reps", "Managers", "Leadership"

MANAGER_EDITS = {
    "leads": ["leadsource", "intakekey", "slapolicy", "lead"],
    "routing": [
        "businessschedule",
        "weeklyhours",
        "closedday",
        "team",
        "namedaccount",
        "territory",
        "repprofile",
        "workinghours",
        "leaveperiod",
        "oncallshift",
        "routingrule",
    ],  # fmt: skip
    "cadences": ["cadence", "cadencestep"],
    # Connections and subscriptions; "change" on a remote fetch or webhook delivery is the
    # right to retry or replay it (their admin pages add and edit nothing).
    "integrations": ["connection", "subscription", "remotefetch", "webhookdelivery"],
    "booking": ["bookingsettings", "calendarfeed"],
    # A rep's mailbox (password write-only); "change" includes the "Sync now" action.
    "mailboxes": ["mailbox"],
    "goals": ["goal", "reward"],
}
READ_ONLY = {
    "leads": ["lead", "inquiry", "leadevent", "attempt", "message", "leadsource", "slapolicy"],
    "routing": ["businessschedule", "weeklyhours", "closedday", "team", "namedaccount", "routingrule", "territory"],
    "cadences": ["cadence", "cadencestep", "enrollment", "plannedstep", "optout"],
    "integrations": ["hookdelivery", "webhookattempt"],
    "booking": ["bookingsettings", "calendarfeed", "meeting"],
    "goals": ["goal", "reward", "award", "leadsurveyanswer", "repsurveyanswer"],
}


def in_group(user, *names: str) -> bool:
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_leadops_groups", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._leadops_groups = cached
    return bool(cached.intersection(names))


def sees_all_leads(user) -> bool:
    return user.is_superuser or in_group(user, MANAGERS, LEADERSHIP)


def is_manager(user) -> bool:
    return user.is_superuser or in_group(user, MANAGERS)


def ensure_groups(**kwargs) -> None:
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    def permissions(table: dict, actions: tuple[str, ...]):
        codenames = [f"{action}_{model}" for models in table.values() for model in models for action in actions]
        return Permission.objects.filter(content_type__app_label__in=list(table), codename__in=codenames)

    if not apps.is_installed("django.contrib.auth"):
        return
    Group.objects.get_or_create(name=REPS)
    managers, _ = Group.objects.get_or_create(name=MANAGERS)
    leadership, _ = Group.objects.get_or_create(name=LEADERSHIP)
    managers.permissions.set(
        list(permissions(MANAGER_EDITS, ("add", "change", "delete", "view"))) + list(permissions(READ_ONLY, ("view",)))
    )
    leadership.permissions.set(permissions(READ_ONLY, ("view",)))
