"""The routing part of the demo (SPEC §3.5-3.6), called by demo/seed.py: rep profiles with
working hours, territories, an on-call rota, one routing rule per strategy, the lines
seed_demo prints about them (the history's owners come from demo/history_routing.py).

Idempotent like the rest of the seed: a profile, territory or rule is configured when it is
created and left alone afterwards (a manager may have changed it); on-call shifts are
matched on team, rep and start, so a later run only adds the days that came into view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import User
from django.db.models import Count

from leadops.timezones import zone
from leads.models import Lead
from routing.decision import OPEN_STAGES
from routing.models import (
    Fallback,
    LeavePeriod,
    OnCallRole,
    OnCallShift,
    RepProfile,
    RepStatus,
    RoutingRule,
    Strategy,
    Team,
    Territory,
    WorkingHours,
)

ON_CALL_DAYS = 14
LEAVE_DAYS = 7

EASTERN_STATES = ("CT", "DC", "DE", "FL", "GA", "MA", "MD", "ME", "NC", "NH", "NJ", "NY", "PA", "RI", "SC", "VA", "VT")
EU_COUNTRIES = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
)  # fmt: skip
TERRITORIES = {
    "US East": {"countries": ["US"], "regions": list(EASTERN_STATES)},
    "US": {"countries": ["US"]},
    "UK & Ireland": {"countries": ["GB", "IE"]},
    "Europe": {"countries": list(EU_COUNTRIES)},
}


@dataclass(frozen=True)
class RuleSpec:
    name: str
    strategy: str
    team: str | None = None
    fallback: str = Fallback.ON_CALL_THEN_QUEUE
    temperatures: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    named_account_only: bool = False


# First match wins; positions 10, 20, ... leave room for a manager's own rules in between.
RULES = (
    RuleSpec("Named accounts → account owner", Strategy.ACCOUNT_OWNER, fallback=Fallback.NEXT_RULE,
             named_account_only=True),
    RuleSpec("Returning companies → account owner", Strategy.ACCOUNT_OWNER, fallback=Fallback.NEXT_RULE),
    RuleSpec("Hot US leads → East Coast", Strategy.ROUND_ROBIN, "East Coast", temperatures=("hot",),
             countries=("US",)),
    RuleSpec("US leads → East Coast", Strategy.WEIGHTED, "East Coast", countries=("US",)),
    RuleSpec("Hot EMEA leads → EMEA best performer", Strategy.BEST_PERFORMER, "EMEA", temperatures=("hot",),
             countries=("GB", *EU_COUNTRIES)),
    RuleSpec("Everything else → EMEA least loaded", Strategy.LEAST_LOADED, "EMEA"),
)  # fmt: skip


# --- seeding -----------------------------------------------------------------------------------


def ensure_territories(summary) -> dict[str, Territory]:
    territories = {}
    for name, fields in TERRITORIES.items():
        territories[name], created = Territory.objects.get_or_create(name=name, defaults=fields)
        summary.count("territories", created)
    return territories


def _local_today(time_zone: str, now: datetime) -> date:
    return now.astimezone(zone(time_zone)).date()


def ensure_rep_profiles(team_specs, users: dict[str, User], territories: dict[str, Territory], now, summary) -> None:
    """A profile per rep in the team's zone, with the team's weekly hours; every rep starts
    available so the demo routes at once. Configured on creation only."""
    for spec in team_specs:
        for rep in spec.reps:
            profile, created = RepProfile.objects.get_or_create(
                user=users[rep.username],
                defaults={
                    "time_zone": spec.time_zone,
                    "weight": rep.weight,
                    "capacity": rep.capacity,
                    "product_skills": list(rep.skills),
                    "status": RepStatus.AVAILABLE,
                    "status_changed_at": now,
                },
            )
            if not created:
                continue
            summary.count("rep profiles")
            WorkingHours.objects.bulk_create(
                WorkingHours(rep=profile, weekday=day, starts=time(9), ends=spec.closes) for day in range(5)
            )
            profile.territories.set([territories[name] for name in rep.territories])
            if rep.on_leave:
                first = _local_today(spec.time_zone, now)
                LeavePeriod.objects.create(
                    rep=profile, starts_on=first, ends_on=first + timedelta(days=LEAVE_DAYS), reason="Annual leave"
                )
                summary.count("leave periods")


def _on_call_windows(spec, now: datetime, days: int) -> list[tuple[date, datetime, datetime]]:
    """After hours in the team's zone, from the one under way on: each weeknight from
    closing to 09:00 the next morning, and each weekend whole, Friday's closing to Monday 09:00."""
    tz = zone(spec.time_zone)
    today = _local_today(spec.time_zone, now)
    windows = []
    for offset in range(-3, days):  # from -3: on a Sunday, the weekend began on Friday
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        next_morning = day + timedelta(days=3 if day.weekday() == 4 else 1)
        starts = datetime.combine(day, spec.closes, tzinfo=tz)
        ends = datetime.combine(next_morning, time(9), tzinfo=tz)
        if ends > now:
            windows.append((day, starts, ends))
    return windows


def ensure_on_call(team_specs, teams: dict[str, Team], users: dict[str, User], now, summary, days=ON_CALL_DAYS):
    """Primary and backup shifts rotating through each team's reps by date (so a later run
    continues the same rota); only shifts not yet there (same team, rep and start) are made."""
    for spec in team_specs:
        team, reps = teams[spec.name], [users[rep.username] for rep in spec.reps]
        windows = _on_call_windows(spec, now, days)
        existing = set(
            OnCallShift.objects.filter(
                team=team, starts_at__gte=windows[0][1], starts_at__lte=windows[-1][1]
            ).values_list("user_id", "starts_at")
        )
        shifts = []
        for day, starts, ends in windows:
            index = day.toordinal() % len(reps)
            for role, user in ((OnCallRole.PRIMARY, reps[index]), (OnCallRole.BACKUP, reps[(index + 1) % len(reps)])):
                if (user.pk, starts) not in existing:
                    shifts.append(OnCallShift(team=team, user=user, role=role, starts_at=starts, ends_at=ends))
        OnCallShift.objects.bulk_create(shifts)
        summary.count("on-call shifts", len(shifts))


def ensure_rules(teams: dict[str, Team], summary) -> None:
    """One rule per strategy, created as rows (RoutingRule.clean is the admin form's check)."""
    existing = set(RoutingRule.objects.filter(name__in=[rule.name for rule in RULES]).values_list("name", flat=True))
    for position, spec in enumerate(RULES, start=1):
        if spec.name in existing:
            continue
        RoutingRule.objects.create(
            position=position * 10,
            name=spec.name,
            strategy=spec.strategy,
            team=teams[spec.team] if spec.team else None,
            fallback=spec.fallback,
            temperatures=list(spec.temperatures),
            countries=list(spec.countries),
            named_account_only=spec.named_account_only,
        )
        summary.count("routing rules")


# --- what seed_demo prints ---------------------------------------------------------------------


@dataclass(frozen=True)
class DemoRep:
    username: str
    status: str
    weight: int
    capacity: int
    open_leads: int
    territories: tuple[str, ...]
    skills: tuple[str, ...]
    on_leave_until: date | None


@dataclass(frozen=True)
class DemoTeam:
    name: str
    time_zone: str
    hours: str
    manager: str
    reps: tuple[DemoRep, ...]
    on_call_now: tuple[str, ...]  # "primary rep.x until Thu 09:00"


@dataclass(frozen=True)
class DemoRule:
    position: int
    name: str
    active: bool
    strategy: str
    team: str
    fallback: str


def describe(teams: dict[str, Team], now: datetime) -> tuple[list[DemoTeam], list[DemoRule]]:
    """The routing set-up as it is in the database now (a manager may have changed it)."""
    open_leads = dict(
        Lead.objects.filter(stage__in=OPEN_STAGES, owner__isnull=False)
        .values("owner_id")
        .annotate(open=Count("id"))
        .values_list("owner_id", "open")
    )
    described = []
    for team in teams.values():
        schedule = team.schedule
        hours = sorted({(row.opens, row.closes) for row in schedule.hours.all()})
        days = sorted({row.weekday for row in schedule.hours.all()})
        span = "Mon-Fri" if days == [0, 1, 2, 3, 4] else f"{len(days)} days a week"
        hours_text = ", ".join(f"{span} {opens:%H:%M}-{closes:%H:%M}" for opens, closes in hours) or "no hours"
        reps = []
        profiles = RepProfile.objects.filter(user__in=team.members.all()).select_related("user")
        for profile in profiles.prefetch_related("territories", "leave"):
            today = _local_today(profile.time_zone, now)
            leave = [period.ends_on for period in profile.leave.all() if period.starts_on <= today <= period.ends_on]
            reps.append(
                DemoRep(
                    username=profile.user.username,
                    status=profile.status,
                    weight=profile.weight,
                    capacity=profile.capacity,
                    open_leads=open_leads.get(profile.user_id, 0),
                    territories=tuple(territory.name for territory in profile.territories.all()),
                    skills=tuple(profile.product_skills or ()),
                    on_leave_until=max(leave) if leave else None,
                )
            )
        tz = zone(schedule.time_zone)
        shifts = OnCallShift.objects.covering(now).filter(team=team).select_related("user")
        on_call = tuple(
            f"{shift.role} {shift.user.username} until {shift.ends_at.astimezone(tz):%a %d %b %H:%M}"
            for shift in sorted(shifts, key=lambda shift: (shift.role != OnCallRole.PRIMARY, shift.starts_at))
        )
        manager = team.manager.username if team.manager else "-"
        described.append(DemoTeam(team.name, schedule.time_zone, hours_text, manager, tuple(reps), on_call))
    rules = [
        DemoRule(
            rule.position, rule.name, rule.active, rule.strategy, rule.team.name if rule.team else "-", rule.fallback
        )
        for rule in RoutingRule.objects.select_related("team").order_by("position", "id")
    ]
    return described, rules


FALLBACK_WORDS = {Fallback.NEXT_RULE: "else the next rule", Fallback.ON_CALL_THEN_QUEUE: "else on-call, then queue"}


def render(teams: list[DemoTeam], rules: list[DemoRule]) -> list[str]:
    lines = ["", "Teams and reps (all reps start available; a rep sets away with POST /api/v1/me/status):"]
    for team in teams:
        lines.append(f"  {team.name} ({team.time_zone}, {team.hours}), manager {team.manager}")
        for rep in team.reps:
            where = ", ".join(rep.territories) or "everywhere"
            notes = [f"sells {', '.join(rep.skills)}"] if rep.skills else []
            notes += [f"on leave until {rep.on_leave_until:%a %d %b}"] if rep.on_leave_until else []
            lines.append(
                f"    {rep.username:<12} {rep.status:<10} weight {rep.weight}  capacity {rep.capacity:>2}"
                f" ({rep.open_leads} open)  territories: {where}" + "".join(f"; {note}" for note in notes)
            )
        on_call = ", ".join(team.on_call_now) or "nobody (outside the after-hours rota)"
        lines.append(f"    on call now: {on_call}")
    lines += ["", "Routing rules, first match wins (edit and dry-run them in the admin, Routing > Routing rules):"]
    for rule in rules:
        inactive = " (inactive)" if not rule.active else ""
        fallback = FALLBACK_WORDS.get(rule.fallback, rule.fallback)
        lines.append(
            f"  {rule.position:>3}. {rule.name:<38} {rule.strategy:<15} team {rule.team:<11} {fallback}{inactive}"
        )
    return lines
