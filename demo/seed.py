"""Demo data for `manage.py seed_demo` (SPEC §6): two teams in different time zones, demo
logins, lead sources with intake keys that are the same on every run, named accounts, the
routing set-up (rep profiles, territories, an on-call rota and one rule per strategy, in
demo/routing.py) and two weeks of realistic history (built in demo/history.py).

Idempotent: every object is looked up before it is created, and the history is skipped
when demo leads (`extra.demo` true) already exist.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from demo import routing as demo_routing
from demo.cast import (
    ADMIN,
    DEMO_EMAIL_DOMAIN,
    HISTORY_DAYS,
    LEADER,
    NAMED_ACCOUNTS,
    RANDOM_SEED,
    SOURCES,
    TEAMS,
    SourceSpec,
    TeamSpec,
    demo_intake_key,
    demo_password,
)
from demo.history import History
from demo.translations import ensure_acknowledgment_translations
from leadops.roles import LEADERSHIP, MANAGERS, REPS
from leadops.timezones import zone
from leads.models import IntakeKey, Lead, LeadSource, hash_intake_key
from leads.sla import public_holidays
from routing.models import BusinessSchedule, ClosedDay, NamedAccount, Team, WeeklyHours

# --- the summary seed_demo prints --------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    team: str
    own_password: bool = False  # an account that existed before, not a demo one: untouched


@dataclass(frozen=True)
class DemoSource:
    name: str
    slug: str
    raw_key: str
    revoked: bool


@dataclass
class SeedSummary:
    password: str
    logins: list[DemoLogin] = field(default_factory=list)
    sources: list[DemoSource] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    teams: list[demo_routing.DemoTeam] = field(default_factory=list)
    rules: list[demo_routing.DemoRule] = field(default_factory=list)

    def count(self, name: str, number: int = 1) -> None:
        if number:
            self.created[name] = self.created.get(name, 0) + number


# --- seeding -------------------------------------------------------------------------------------


def seed(*, days: int = HISTORY_DAYS, now: datetime | None = None, password: str | None = None) -> SeedSummary:
    """Create whatever part of the demo data is missing; return what seed_demo prints."""
    now = now or timezone.now()
    summary = SeedSummary(password=password or demo_password())
    with transaction.atomic():
        users = _ensure_users(summary)
        teams = {spec.name: _ensure_team(spec, users, now, summary) for spec in TEAMS}
        sources = [_ensure_source(spec, summary) for spec in SOURCES]
        for company_name, domain, owner in NAMED_ACCOUNTS:
            _, created = NamedAccount.objects.get_or_create(
                domain=domain, defaults={"company_name": company_name, "owner": users.get(owner)}
            )
            summary.count("named accounts", created)
        territories = demo_routing.ensure_territories(summary)
        demo_routing.ensure_rep_profiles(TEAMS, users, territories, now, summary)
        demo_routing.ensure_on_call(TEAMS, teams, users, now, summary)
        demo_routing.ensure_rules(teams, summary)
        summary.count("acknowledgment translations (Malay, Indonesian)", ensure_acknowledgment_translations())
        built = not Lead.objects.filter(extra__demo=True).exists()
        if built:
            history = History(random.Random(RANDOM_SEED), now, users, teams, sources)
            summary.count(f"leads ({days} days of history)", history.build(days))
        summary.teams, summary.rules = demo_routing.describe(teams, now)
    if built:  # the dashboard's SLA rollup over the history (reports/rollup.py), by name: demo may not import reports
        call_command("rebuild_sla_rollup", now=now, verbosity=0)
    return summary


@dataclass(frozen=True)
class _Account:
    username: str
    first_name: str
    last_name: str
    role: str
    team: str = ""

    @property
    def email(self) -> str:
        local = "admin" if self.role == "Superuser" else self.first_name.lower()
        return f"{local}@{DEMO_EMAIL_DOMAIN}"


def _accounts() -> list[_Account]:
    accounts = [_Account(*ADMIN, role="Superuser"), _Account(*LEADER, role="Leadership")]
    for spec in TEAMS:
        accounts.append(_Account(*spec.manager, role="Manager", team=spec.name))
        accounts += [_Account(rep.username, rep.first_name, rep.last_name, "Rep", spec.name) for rep in spec.reps]
    return accounts


ROLE_GROUPS = {"Leadership": LEADERSHIP, "Manager": MANAGERS, "Rep": REPS}


def _ensure_users(summary: SeedSummary) -> dict[str, User]:
    """The demo accounts, all with the demo password. An existing account is a demo one
    when it has its demo email; any other (say a developer's own `admin`) keeps its
    password. One hash serves all: hashing or checking a dozen passwords takes seconds."""
    accounts = _accounts()
    existing = {user.username: user for user in User.objects.filter(username__in=[a.username for a in accounts])}
    ours = [user for account in accounts if (user := existing.get(account.username)) and user.email == account.email]
    hashed = None
    if ours and not ours[0].check_password(summary.password):
        hashed = make_password(summary.password)  # DEMO_PASSWORD changed: move every demo login to it
        User.objects.filter(pk__in=[user.pk for user in ours]).update(password=hashed)
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ROLE_GROUPS.values()}
    users = {}
    for account in accounts:
        user = existing.get(account.username)
        if user is None:
            hashed = hashed or make_password(summary.password)
            user = User.objects.create(
                username=account.username,
                first_name=account.first_name,
                last_name=account.last_name,
                email=account.email,
                password=hashed,
                is_staff=account.role in ("Superuser", "Manager"),  # managers edit rules in the admin
                is_superuser=account.role == "Superuser",
            )
            summary.count("users")
        if account.role in ROLE_GROUPS:
            user.groups.add(groups[ROLE_GROUPS[account.role]])
        own_password = account.username in existing and user not in ours
        summary.logins.append(DemoLogin(account.username, account.role, account.team, own_password))
        users[account.username] = user
    return users


def _ensure_team(spec: TeamSpec, users: dict[str, User], now: datetime, summary: SeedSummary) -> Team:
    schedule, created = BusinessSchedule.objects.get_or_create(
        name=spec.schedule_name, defaults={"time_zone": spec.time_zone}
    )
    if created:
        summary.count("business schedules")
        WeeklyHours.objects.bulk_create(
            WeeklyHours(schedule=schedule, weekday=day, opens=time(9), closes=spec.closes) for day in range(5)
        )
        offset, name = spec.closed_day
        closed = now.astimezone(zone(spec.time_zone)).date() + timedelta(days=offset)
        while closed.weekday() >= 5 or closed in public_holidays(spec.holiday_country, closed.year):
            closed += timedelta(days=1)
        ClosedDay.objects.create(schedule=schedule, date=closed, name=name)
    team, created = Team.objects.get_or_create(
        name=spec.name, defaults={"schedule": schedule, "manager": users[spec.manager[0]]}
    )
    summary.count("teams", created)
    team.members.add(*(users[rep.username] for rep in spec.reps))
    return team


def _ensure_source(spec: SourceSpec, summary: SeedSummary) -> LeadSource:
    lead_source = LeadSource.objects.filter(Q(slug=spec.slug) | Q(name=spec.name)).first()
    if lead_source is None:
        lead_source = LeadSource.objects.create(
            name=spec.name,
            slug=spec.slug,
            default_source=spec.default_source,
            allowed_sources=list(spec.allowed_sources),
            segment=spec.segment,
        )
        summary.count("lead sources")
    raw_key = demo_intake_key(lead_source.slug)
    key = IntakeKey.objects.filter(key_hash=hash_intake_key(raw_key)).first()
    if key is None:
        key, _ = IntakeKey.issue(lead_source, label="demo", raw_key=raw_key)
        summary.count("intake keys")
    summary.sources.append(DemoSource(lead_source.name, lead_source.slug, raw_key, key.revoked_at is not None))
    return lead_source


# --- what seed_demo prints -----------------------------------------------------------------------


def render_summary(summary: SeedSummary, base_url: str) -> str:
    """The text seed_demo prints on every run: where to go, who to log in as, which keys."""
    if summary.created:
        made = ", ".join(f"{number} {name}" for name, number in summary.created.items())
        lines = [f"Demo data created: {made}."]
    else:
        lines = ["Demo data already in place: nothing new created."]
    lines += [
        "",
        f"Open {base_url}/  (reps: /queue/, leadership: /dashboard/, managers: /admin/)",
        "",
        f"Demo logins: log in at {base_url}/accounts/login/ with the password {summary.password} (every account;",
        "set DEMO_PASSWORD to change it. A demo convenience, not a secret: never seed a production database.)",
        f"  {'username':<15} {'role':<11} team",
    ]
    for login in summary.logins:
        note = "  (existing account: keeps its own password)" if login.own_password else ""
        lines.append(f"  {login.username:<15} {login.role:<11} {login.team or '-'}{note}")
    lines += ["", "Lead sources, hosted forms and demo intake keys (the same on every run; stored only as hashes):"]
    name_width = max(len(source.name) for source in summary.sources)
    form_width = max(len(source.slug) for source in summary.sources) + len(base_url) + 5
    for source in summary.sources:
        note = "  (revoked in the admin: will not authenticate)" if source.revoked else ""
        form = f"{base_url}/f/{source.slug}/"
        lines.append(f"  {source.name:<{name_width}}  {form:<{form_width}}  key {source.raw_key}{note}")
    lines += demo_routing.render(summary.teams, summary.rules)
    website = next((source for source in summary.sources if source.slug == "website"), summary.sources[0])
    body = (
        '{"email": "jordan.reyes@example.com", "first_name": "Jordan", "last_name": "Reyes", '
        '"inquiry_type": "demo_request", "phone": "+1 929 555 0142", "region": "NY"}'
    )
    lines += [
        "",
        f"Send a lead with the {website.name} intake key:",
        f'  curl -X POST {base_url}/api/v1/leads -H "Authorization: Bearer {website.raw_key}" '
        f"-H \"Content-Type: application/json\" -d '{body}'",
        "The worker routes it at once by the rules above (hot and in New York: rule 30 in working hours, else",
        "the East Coast on-call rep); its owner and trace show in the admin and at GET /api/v1/leads/{id}.",
    ]
    return "\n".join(lines)
