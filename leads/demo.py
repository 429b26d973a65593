"""Demo data for `manage.py seed_demo` (SPEC §6): two teams in different time zones, demo
logins, lead sources with intake keys that are the same on every run, named accounts, the
routing set-up (rep profiles, territories, an on-call rota and one rule per strategy, in
leads/demo_routing.py) and two weeks of realistic history (built in leads/demo_history.py).

Idempotent: every object is looked up before it is created, and the history is skipped
when demo leads (`extra.demo` true) already exist.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from leadops.roles import LEADERSHIP, MANAGERS, REPS
from leadops.timezones import zone
from leads import demo_routing
from leads.choices import Segment, Source
from leads.demo_data import B2B_PRODUCTS, B2C_PRODUCTS
from leads.models import IntakeKey, Lead, LeadSource, hash_intake_key
from leads.sla import public_holidays
from routing.models import BusinessSchedule, ClosedDay, NamedAccount, Team, WeeklyHours

# A demo convenience, printed by seed_demo and documented: not a secret.
DEFAULT_DEMO_PASSWORD = "leadops-demo"  # noqa: S105
DEMO_EMAIL_DOMAIN = "leadops.example"
RANDOM_SEED = 20261123
HISTORY_DAYS = 14


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD


def demo_intake_key(slug: str) -> str:
    """The demo key of a source: derived from SECRET_KEY, so every run can print it
    although only its hash is stored."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"demo-intake:{slug}".encode(), hashlib.sha256).hexdigest()
    return "lo_demo_" + digest[:32]


# --- who and what ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rep:
    """A demo rep and how they work: shares of first attempts within 5 minutes and after
    an hour or more, share of leads never attempted, and most attempts per lead; then the
    rep's routing profile (territory names from demo_routing.TERRITORIES, none: everywhere;
    product skills, none: every product; on leave for the coming week or not)."""

    first_name: str
    last_name: str
    fast: float
    slow: float
    never: float
    persistence: int
    weight: int = 1
    capacity: int = 25
    territories: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    on_leave: bool = False

    @property
    def username(self) -> str:
        return f"rep.{self.first_name.lower()}"


@dataclass(frozen=True)
class TeamSpec:
    name: str
    schedule_name: str
    time_zone: str
    closes: time
    holiday_country: str
    closed_day: tuple[int, str]  # days from now, name
    manager: tuple[str, str, str]  # username, first, last
    reps: tuple[Rep, ...]


EAST = TeamSpec(
    "East Coast",
    "East Coast hours",
    "America/New_York",
    time(17),
    "US",
    (16, "Team offsite"),
    ("manager.east", "Maria", "Lopez"),
    (
        Rep("Ava", "Thompson", fast=0.75, slow=0.05, never=0.04, persistence=6, weight=2, territories=("US",)),
        Rep("Ben", "Carter", fast=0.55, slow=0.15, never=0.08, persistence=4, territories=("US East",)),
        Rep("Chloe", "Martinez", fast=0.35, slow=0.25, never=0.12, persistence=3, territories=("US",),
            skills=(*B2C_PRODUCTS, "Furniture subscription", "Hybrid work bundle")),
        Rep("Daniel", "Kim", fast=0.6, slow=0.1, never=0.07, persistence=5, capacity=8, territories=("US",)),
    ),
)  # fmt: skip
EMEA = TeamSpec(
    "EMEA",
    "EMEA hours",
    "Europe/London",
    time(17, 30),
    "GB",
    (23, "Company training day"),
    ("manager.emea", "Oliver", "Hughes"),
    (
        Rep("Emma", "Clarke", fast=0.8, slow=0.04, never=0.03, persistence=6, weight=2,
            territories=("UK & Ireland", "Europe")),
        Rep("Finn", "O'Brien", fast=0.45, slow=0.2, never=0.1, persistence=3, territories=("UK & Ireland",),
            skills=tuple(product for product in B2B_PRODUCTS if product)),
        # No territory: Grace takes what no other territory covers ("Everything else").
        Rep("Grace", "Patel", fast=0.6, slow=0.1, never=0.06, persistence=5),
        Rep("Hugo", "Schmidt", fast=0.3, slow=0.3, never=0.14, persistence=2, territories=("Europe",), on_leave=True),
    ),
)  # fmt: skip
TEAMS = (EAST, EMEA)
LEADER = ("leader", "Leah", "Park")
ADMIN = ("admin", "Site", "Admin")


@dataclass(frozen=True)
class SourceSpec:
    name: str
    slug: str
    default_source: str
    allowed_sources: tuple[str, ...]
    segment: str
    share: float  # of the daily leads
    inquiry_weights: dict[str, int]


SOURCES = (
    SourceSpec("Website", "website", Source.ORGANIC, (), Segment.B2B, 0.36,
               {"demo_request": 25, "pricing": 15, "contact_sales": 10, "content_download": 20, "webinar": 10,
                "newsletter": 10, "general": 10}),
    SourceSpec("Google Ads", "google-ads", Source.PAID_ADS, (Source.PAID_ADS,), Segment.B2B, 0.26,
               {"demo_request": 35, "pricing": 25, "contact_sales": 10, "content_download": 20, "webinar": 10}),
    SourceSpec("Partner referrals", "partners", Source.REFERRAL, (), Segment.B2B, 0.1,
               {"demo_request": 40, "contact_sales": 30, "pricing": 10, "general": 20}),
    SourceSpec("Shop", "shop", Source.DIRECT, (), Segment.B2C, 0.21,
               {"cart_abandonment": 35, "pricing": 20, "contact_sales": 10, "general": 20, "newsletter": 15}),
    SourceSpec("Trade shows", "events", Source.EVENT, (), Segment.B2B, 0.07,
               {"demo_request": 30, "contact_sales": 20, "content_download": 20, "general": 30}),
)  # fmt: skip
NAMED_ACCOUNTS = (("Acme Corp", "acme-corp.com", "rep.ava"), ("Globex", "globex.co.uk", "rep.emma"))
NAMED_ACCOUNTS += (("Initech", "initech.com", None),)


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
        if not Lead.objects.filter(extra__demo=True).exists():
            from leads.demo_history import History  # it imports the team and source specs above

            history = History(random.Random(RANDOM_SEED), now, users, teams, sources)
            summary.count(f"leads ({days} days of history)", history.build(days))
        summary.teams, summary.rules = demo_routing.describe(teams, now)
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
