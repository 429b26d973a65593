"""A routing configuration as plain objects in memory: the rules with their pools, each
rep's routing settings, the on-call rota, named accounts and SLA policies, read once from
the database — and the same with one admin edit laid over it, without saving the edit.

The replay (whatif/replay.py) feeds these to routing's real `decide()`; nothing here writes."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta

from django.contrib.auth import get_user_model

from leads.models import SlaPolicy
from routing import config
from routing.models import LeavePeriod, NamedAccount, OnCallShift, RepProfile, Territory, WorkingHours


@dataclass
class RepSettings:
    """What routing knows of a rep apart from status and open leads (which the replay keeps)."""

    user_id: int
    username: str
    name: str
    has_profile: bool
    time_zone: str = "UTC"
    capacity: int = 0
    weight: int = 1
    product_skills: list[str] = field(default_factory=list)
    hours: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    territories: list = field(default_factory=list)
    leave: list[tuple[date, date]] = field(default_factory=list)

    @property
    def snapshot_fields(self) -> dict:
        """The fields of routing.eligibility.RepSnapshot this rep's settings fill (built once)."""
        fields = self.__dict__.get("_snapshot_fields")
        if fields is None:
            fields = self.__dict__["_snapshot_fields"] = {
                "user_id": self.user_id, "username": self.username, "name": self.name, "time_zone": self.time_zone,
                "hours": self.hours, "leave": self.leave, "capacity": self.capacity, "weight": self.weight,
                "territories": self.territories, "product_skills": self.product_skills, "has_profile": True,
            }  # fmt: skip
        return fields


@dataclass
class Configuration:
    rules: list  # RoutingRule objects in order, each with `pool_ids`
    reps: dict[int, RepSettings]  # active users only, as routing.decision.load_reps
    shifts: dict[int, list]  # team id -> OnCallShift objects
    account_owners: dict[int, int | None]  # named account id -> owner id
    policies: list  # active SlaPolicy objects in order

    def copy(self) -> Configuration:
        return Configuration(
            rules=[copy.copy(rule) for rule in self.rules],
            reps={pk: replace(rep) for pk, rep in self.reps.items()},
            shifts={team: list(shifts) for team, shifts in self.shifts.items()},
            account_owners=dict(self.account_owners),
            policies=[copy.copy(policy) for policy in self.policies],
        )


def load_configuration(starts, ends) -> Configuration:
    """Routing's configuration as it is now, with the on-call shifts between `starts` and `ends`."""
    rules = [copy.copy(rule) for rule in config.routing_rules()]
    users = get_user_model().objects.filter(is_active=True).select_related("rep_profile")
    reps: dict[int, RepSettings] = {}
    profiles: dict[int, RepSettings] = {}
    for user in users:
        profile = getattr(user, "rep_profile", None)
        name = user.get_full_name() or user.get_username()
        if profile is None:
            reps[user.pk] = RepSettings(user.pk, user.get_username(), name, has_profile=False)
            continue
        reps[user.pk] = profiles[profile.pk] = RepSettings(
            user_id=user.pk,
            username=user.get_username(),
            name=name,
            has_profile=True,
            time_zone=profile.time_zone,
            capacity=profile.capacity,
            weight=profile.weight,
            product_skills=list(profile.product_skills or []),
        )
    hours: dict[int, dict] = {}
    for row in WorkingHours.objects.order_by("weekday", "starts"):
        hours.setdefault(row.rep_id, {}).setdefault(row.weekday, []).append((row.starts, row.ends))
    for profile_id, weekly in hours.items():
        if profile_id in profiles:
            profiles[profile_id].hours = {day: tuple(spans) for day, spans in weekly.items()}
    links = RepProfile.territories.through.objects.select_related("territory").order_by("territory_id")
    for link in links:
        if link.repprofile_id in profiles:
            profiles[link.repprofile_id].territories.append(link.territory)
    for leave in LeavePeriod.objects.filter(ends_on__gte=starts.date() - timedelta(days=1)).order_by("starts_on"):
        if leave.rep_id in profiles:
            profiles[leave.rep_id].leave.append((leave.starts_on, leave.ends_on))
    shifts: dict[int, list] = {}
    for shift in OnCallShift.objects.filter(starts_at__lt=ends, ends_at__gt=starts).order_by("role", "starts_at"):
        shifts.setdefault(shift.team_id, []).append(shift)
    return Configuration(
        rules=rules,
        reps=reps,
        shifts=shifts,
        account_owners=dict(NamedAccount.objects.values_list("pk", "owner_id")),
        policies=list(SlaPolicy.objects.filter(active=True).order_by("position", "id")),
    )


@dataclass
class Edit:
    """One unsaved admin edit: the changed object (not saved) and what its form's
    many-to-many fields and inlines hold. Pickled into the what-if job."""

    kind: str  # "rule", "rep", "territory" or "sla_policy"
    instance: object
    pool_ids: list[int] = field(default_factory=list)  # rule: its reps, else its team's members
    territory_ids: list[int] = field(default_factory=list)  # rep
    hours: dict[int, tuple] = field(default_factory=dict)  # rep
    leave: list[tuple[date, date]] = field(default_factory=list)  # rep

    @property
    def label(self) -> str:
        noun = {"rule": "routing rule", "rep": "rep", "territory": "territory", "sla_policy": "SLA policy"}[self.kind]
        return f"{noun} {self.instance}"


def _ordered(objects: list) -> list:
    return sorted((item for item in objects if item.active), key=lambda item: (item.position, item.pk or 10**12))


def apply_edit(current: Configuration, edit: Edit) -> Configuration:
    """The configuration with the edit laid over it; `current` is left as it was."""
    edited = current.copy()
    target = edit.instance
    if edit.kind == "rule":
        rule = copy.copy(target)
        rule.pool_ids = sorted(edit.pool_ids)
        others = [item for item in edited.rules if target.pk is None or item.pk != target.pk]
        edited.rules = _ordered([*others, rule])
    elif edit.kind == "sla_policy":
        others = [item for item in edited.policies if target.pk is None or item.pk != target.pk]
        edited.policies = _ordered([*others, copy.copy(target)])
    elif edit.kind == "rep":
        rep = edited.reps.get(target.user_id)
        if rep is not None:
            territories = {t.pk: t for t in Territory.objects.filter(pk__in=edit.territory_ids)}
            edited.reps[target.user_id] = replace(
                rep,
                has_profile=True,
                time_zone=target.time_zone,
                capacity=target.capacity,
                weight=target.weight,
                product_skills=list(target.product_skills or []),
                hours=dict(edit.hours),
                territories=[territories[pk] for pk in sorted(territories)],
                leave=sorted(edit.leave),
            )
    elif edit.kind == "territory":
        for rep in edited.reps.values():
            rep.territories = [target if item.pk == target.pk else item for item in rep.territories]
    else:
        raise ValueError(f"unknown edit kind {edit.kind!r}")
    return edited
