"""Routing's read-mostly configuration (rules with their pools, reps' hours, territories and
leave), cached in the process with the intake's configuration (leads/policies.py).

An edit must count for the very next routing decision in every process, not after the
cache's CONFIG_TTL: each edit (signals in routing/apps.py) bumps a generation number in
Redis once it commits, and every read here first compares it with the generation this
process loaded (one Redis GET, ~0.1 ms). With Redis down, the cache falls back to the TTL.
A rep's status, capacity and open leads are never cached (routing.decision.load_reps)."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import timedelta

import redis
from django.db import transaction

from leadops.queues import redis_connection
from leads.policies import cached, forget
from routing.models import LeavePeriod, RepProfile, RoutingRule, Team, WorkingHours

log = logging.getLogger(__name__)
GENERATION_KEY = "leadops:routing-config:generation"
_loaded = {"generation": None}


def _current_generation() -> bytes | None:
    try:
        return redis_connection().get(GENERATION_KEY)
    except redis.RedisError:
        return _loaded["generation"]  # Redis down: keep what we have until the TTL ends


def _fresh() -> None:
    """Drop this process's cache when another process edited the configuration (checked
    once per `one_configuration()` block, else at every read)."""
    if _loaded.get("pinned"):
        return
    generation = _current_generation()
    if generation != _loaded["generation"]:
        forget()
        _loaded["generation"] = generation


@contextmanager
def one_configuration():
    """One job's work sees one configuration: the generation is checked once on entry, not
    at each of the job's reads (a lead's routing, enrolment and acknowledgment read it
    several times). An edit committed meanwhile counts from the next job on."""
    if _loaded.get("pinned"):
        yield
        return
    _fresh()
    _loaded["pinned"] = True
    try:
        yield
    finally:
        _loaded["pinned"] = False
        _loaded.pop("profiles", None)


def _bump_generation() -> None:
    try:
        redis_connection().incr(GENERATION_KEY)
    except redis.RedisError as error:
        log.warning("routing config edited but Redis is down (%s): other processes see it within the TTL", error)


def routing_rules() -> list:
    """The active routing rules in order, each with `pool_ids`: its reps, else its team's
    members (ids, in id order). Rotation state is not part of it: callers read a rule's
    cursor fresh (routing.decision.decide)."""

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

    _fresh()
    return cached("routing_rules", load)


def rep_calendars(profile_ids: list[int], day) -> dict[int, tuple[dict, list, list]]:
    """Rep profile id -> (weekly hours {weekday: ((starts, ends), ...)}, territories, leave
    periods [(starts_on, ends_on)] still running on or after the day before `day`). The
    fast-changing part of a rep (status, capacity, open leads) is not here: routing reads
    it fresh for every decision."""

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

    _fresh()
    return cached(("rep_calendars", tuple(sorted(profile_ids)), day), load)


def fresh_cached(key, load):
    """`load()` cached in the process like the routing configuration, and dropped the same
    way when any process edits what forget_on_change watches (other apps connect their
    read-mostly models to it: the cadences' definitions)."""
    _fresh()
    return cached(key, load)


def team_chat_webhook(team_id: int | None) -> str:
    """The team's Slack/Teams incoming webhook for hot-lead alerts ("" when none)."""
    if not team_id:
        return ""
    webhooks = fresh_cached(
        "team_chat_webhooks",
        lambda: dict(Team.objects.exclude(chat_webhook_url="").values_list("pk", "chat_webhook_url")),
    )
    return webhooks.get(team_id, "")


def remember_profiles(profiles) -> None:
    """The rep profiles a routing decision just read (routing.decision.load_reps). Inside a
    `one_configuration()` block, i.e. one job, the alerts that follow the decision use them
    (rep_profile) instead of reading the chosen rep's profile again; outside one, nothing
    is kept. Forgotten when the block ends."""
    if _loaded.get("pinned"):
        _loaded.setdefault("profiles", {}).update((profile.user_id, profile) for profile in profiles)


def rep_profile(user_id: int) -> RepProfile | None:
    """A rep's profile: the one this job's decision read, else from the database."""
    profile = _loaded.get("profiles", {}).get(user_id) if _loaded.get("pinned") else None
    return profile or RepProfile.objects.filter(user_id=user_id).first()


def team_schedule_id(team_id: int):
    """The business schedule of a team (None: the default hours)."""
    schedules = fresh_cached("team_schedules", lambda: dict(Team.objects.values_list("pk", "schedule_id")))
    return schedules.get(team_id)


def forget_on_change(**kwargs) -> None:
    """A routing rule, a team's members or a rep's hours, leave or territories changed
    (signals connected in routing/apps.py): this process re-reads them at once, the
    others at their next routing decision after the commit."""
    forget()
    transaction.on_commit(_bump_generation)
