"""Who a lead can book and when: the database side of booking/slots.py.

A lead with an owner books that rep. A lead nobody owns yet (routing still running, or
waiting for the team's next opening) sees its team's pooled slots: the team routing put it
in, else the team of the first routing rule it matches. A rep's calendar is their working
hours and leave (routing's cached configuration), their meetings booked in LeadOps and the
busy times of their calendar feed as the worker last fetched it (booking/feeds.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.dateparse import parse_datetime

from booking import feeds
from booking.models import BookingSettings, CalendarFeed, Meeting
from booking.slots import DEFAULT_RULES, RepCalendar, SlotRules, free_slots, pooled_slots
from leadops.timezones import zone
from leads.models import Lead
from routing import config
from routing.models import RepProfile, Team
from routing.rules import mismatch

REP, POOL, NOBODY = "rep", "pool", "nobody"


def safe_zone(name: str):
    try:
        return zone(name or settings.LEADOPS_DEFAULT_TIMEZONE)
    except ValueError:
        return zone(settings.LEADOPS_DEFAULT_TIMEZONE)


def lead_zone(lead: Lead):
    return safe_zone(lead.resolved_time_zone)


def rules_for_team(team_id: int | None) -> SlotRules:
    row = BookingSettings.objects.filter(team_id=team_id).first() if team_id else None
    return row.rules() if row else DEFAULT_RULES


def team_for(lead: Lead) -> int | None:
    """The lead's team: where routing put it, else the team of the first rule it matches."""
    if lead.team_id:
        return lead.team_id
    for rule in config.routing_rules():
        if rule.team_id and not mismatch(rule, lead):
            return rule.team_id
    return None


def rules_for_rep(lead: Lead, rep_id: int) -> SlotRules:
    team_id = lead.team_id or Team.objects.filter(members=rep_id).order_by("pk").values_list("pk", flat=True).first()
    return rules_for_team(team_id)


def _feed_busy(rep_ids: list[int], now: datetime) -> dict[int, list[tuple[datetime, datetime]]]:
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    for feed in CalendarFeed.objects.filter(rep_id__in=rep_ids, active=True):
        feeds.refresh_if_stale(feed, now)
        intervals = []
        for start_text, end_text in feed.busy or []:
            start, end = parse_datetime(start_text), parse_datetime(end_text)
            if start and end and start.tzinfo and end.tzinfo:
                intervals.append((start, end))
        busy[feed.rep_id] = intervals
    return busy


def rep_calendars(
    rep_ids: list[int], now: datetime, horizon: timedelta, *, ignore_meeting: int | None = None
) -> dict[int, RepCalendar]:
    """Each rep's calendar from now to the horizon; `ignore_meeting` (being moved) is not busy."""
    if not rep_ids:
        return {}
    profiles = {profile.user_id: profile for profile in RepProfile.objects.filter(user_id__in=rep_ids)}
    routing_calendars = config.rep_calendars(sorted(p.pk for p in profiles.values()), now.date()) if profiles else {}
    meetings = Meeting.objects.booked().filter(rep_id__in=rep_ids).overlapping(now - timedelta(days=1), now + horizon)
    if ignore_meeting:
        meetings = meetings.exclude(pk=ignore_meeting)
    busy: dict[int, list] = {rep_id: [] for rep_id in rep_ids}
    for rep_id, starts_at, ends_at in meetings.values_list("rep_id", "starts_at", "ends_at"):
        busy[rep_id].append((starts_at, ends_at))
    for rep_id, intervals in _feed_busy(rep_ids, now).items():
        busy[rep_id].extend(intervals)
    calendars = {}
    for rep_id in rep_ids:
        profile = profiles.get(rep_id)
        hours, _territories, leave = routing_calendars.get(profile.pk, ({}, [], [])) if profile else ({}, [], [])
        calendars[rep_id] = RepCalendar(
            tz=safe_zone(profile.time_zone if profile else ""),
            hours=hours,
            leave=tuple(leave),
            busy=tuple(busy[rep_id]),
        )
    return calendars


def pool_ids(team_id: int | None) -> list[int]:
    if not team_id:
        return []
    users = get_user_model().objects.filter(teams=team_id, is_active=True, rep_profile__isnull=False)
    return sorted(users.values_list("pk", flat=True))


@dataclass
class Offer:
    """What the lead is offered: a rep's slots, the team's pooled slots, or nothing."""

    mode: str
    rules: SlotRules
    rep: object | None = None  # the owner (mode REP)
    team_id: int | None = None
    slots: list[datetime] = field(default_factory=list)
    free_reps: dict[datetime, tuple[int, ...]] = field(default_factory=dict)  # mode POOL

    @property
    def rep_name(self) -> str:
        return (self.rep.get_full_name() or self.rep.get_username()) if self.rep else ""


def offer_for(
    lead: Lead, now: datetime, *, limit: int | None = None, ignore_meeting: int | None = None, rep=None
) -> Offer:
    """The lead's offer; `rep` (a meeting's rep, when moving it) instead of its owner."""
    rep = rep or (lead.owner if lead.owner_id else None)
    if rep is not None:
        rules = rules_for_rep(lead, rep.pk)
        calendar = rep_calendars([rep.pk], now, rules.horizon, ignore_meeting=ignore_meeting)[rep.pk]
        return Offer(REP, rules, rep=rep, team_id=lead.team_id, slots=free_slots(calendar, rules, now, limit=limit))
    team_id = team_for(lead)
    members = pool_ids(team_id)
    rules = rules_for_team(team_id)
    if not members:
        return Offer(NOBODY, rules, team_id=team_id)
    calendars = rep_calendars(members, now, rules.horizon, ignore_meeting=ignore_meeting)
    pooled = pooled_slots(calendars, rules, now, limit=limit)
    return Offer(POOL, rules, team_id=team_id, slots=[start for start, _ in pooled], free_reps=dict(pooled))
