"""Read-mostly configuration the intake needs on every request (SLA policies, business
schedules), cached in the process for a few seconds: edits in the admin apply within
CONFIG_TTL seconds, and no process keeps anything that is not also in the database."""

from __future__ import annotations

import time

from routing.models import BusinessSchedule

CONFIG_TTL = 10.0
_cache: dict = {}


def _cached(key, load):
    entry = _cache.get(key)
    now = time.monotonic()
    if entry is None or now - entry[0] > CONFIG_TTL:
        if len(_cache) > 1000:  # keys per rep pool and day: drop the old ones now and then
            _cache.clear()
        entry = (now, load())
        _cache[key] = entry
    return entry[1]


def forget() -> None:
    """Drop the cache (tests, and right after an admin edit in this process)."""
    _cache.clear()


def active_policies() -> list:
    from leads.models import SlaPolicy

    return _cached("policies", lambda: list(SlaPolicy.objects.filter(active=True).order_by("position", "id")))


def intake_key(raw_key: str):
    """The active key for a raw bearer key (with its lead source), or None. Only found
    keys are cached, so a revoked key stops working within CONFIG_TTL seconds."""
    from leads.models import IntakeKey, hash_intake_key

    key_hash = hash_intake_key(raw_key)
    entry = _cache.get(("key", key_hash))
    if entry and time.monotonic() - entry[0] <= CONFIG_TTL:
        return entry[1]
    key = IntakeKey.objects.for_raw_key(raw_key)
    if key is not None:
        _cache[("key", key_hash)] = (time.monotonic(), key)
    return key


def named_accounts() -> dict[str, tuple[int, int | None]]:
    """Named account domain -> (account id, owner id)."""
    from routing.models import NamedAccount

    return _cached(
        "named_accounts",
        lambda: {
            domain: (pk, owner) for pk, domain, owner in NamedAccount.objects.values_list("pk", "domain", "owner_id")
        },
    )


def schedule(schedule_id: int | None) -> BusinessSchedule | None:
    def load():
        queryset = BusinessSchedule.objects.prefetch_related("hours", "closed_days")
        chosen = queryset.filter(pk=schedule_id).first() if schedule_id else None
        return chosen or queryset.filter(is_default=True).first()

    return _cached(("schedule", schedule_id), load)


def routing_rules() -> list:
    """The active routing rules in order, each with `pool_ids`: its reps, else its team's
    members (ids, in id order). Rotation state is not part of it: callers read a rule's
    cursor fresh (routing.assignment.decide)."""
    from routing.models import RoutingRule, Team

    def load():
        rules = list(
            RoutingRule.objects.filter(active=True)
            .select_related("team")
            .prefetch_related("reps")
            .order_by("position", "id")
        )
        members: dict[int, list[int]] = {}
        for team_id, user_id in Team.members.through.objects.filter(
            team_id__in={rule.team_id for rule in rules if rule.team_id}
        ).values_list("team_id", "user_id"):
            members.setdefault(team_id, []).append(user_id)
        for rule in rules:
            rule.pool_ids = sorted(user.pk for user in rule.reps.all()) or sorted(members.get(rule.team_id, []))
        return rules

    return _cached("routing_rules", load)


def rep_calendars(profile_ids: list[int], day) -> dict[int, tuple[dict, list, list]]:
    """Rep profile id -> (weekly hours {weekday: ((starts, ends), ...)}, territories, leave
    periods [(starts_on, ends_on)] still running on or after the day before `day`). The
    fast-changing part of a rep (status, capacity, open leads) is not here: routing reads
    it fresh for every decision."""
    from datetime import timedelta

    from routing.models import LeavePeriod, RepProfile, WorkingHours

    def load():
        calendars: dict[int, tuple[dict, list, list]] = {pk: ({}, [], []) for pk in profile_ids}
        for row in WorkingHours.objects.filter(rep_id__in=profile_ids).order_by("weekday", "starts"):
            calendars[row.rep_id][0].setdefault(row.weekday, []).append((row.starts, row.ends))
        links = RepProfile.territories.through.objects.filter(repprofile_id__in=profile_ids).select_related("territory")
        for link in links.order_by("territory_id"):
            calendars[link.repprofile_id][1].append(link.territory)
        for leave in LeavePeriod.objects.filter(rep_id__in=profile_ids, ends_on__gte=day - timedelta(1)):
            calendars[leave.rep_id][2].append((leave.starts_on, leave.ends_on))
        return {
            pk: ({d: tuple(s) for d, s in hours.items()}, terr, leave) for pk, (hours, terr, leave) in calendars.items()
        }

    return _cached(("rep_calendars", tuple(sorted(profile_ids)), day), load)
