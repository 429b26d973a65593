"""Routing fixtures: a team of three available reps working every day, around the clock
unless a test says otherwise, and a lead factory."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from django.contrib.auth.models import Group, User

from leadops.roles import MANAGERS, REPS
from leads.models import Lead, LeadSource, SlaPolicy
from routing.models import BusinessSchedule, RepProfile, RoutingRule, Team, WorkingHours

TUESDAY_11_NY = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


@pytest.fixture
def now():
    return TUESDAY_11_NY


def make_rep(username: str, team: Team | None = None, *, status="available", all_day=True, **profile) -> User:
    user = User.objects.create_user(username=username, email=f"{username}@example.com", first_name=username.title())
    user.groups.add(Group.objects.get(name=REPS))
    rep = RepProfile.objects.create(
        user=user, status=status, time_zone=profile.pop("time_zone", "America/New_York"), **profile
    )
    if all_day:
        WorkingHours.objects.bulk_create(
            WorkingHours(rep=rep, weekday=day, starts=time(0), ends=time(23, 59, 59)) for day in range(7)
        )
    if team:
        team.members.add(user)
    return user


@pytest.fixture
def team(db):
    manager = User.objects.create_user("boss", email="boss@example.com", is_staff=True)
    manager.groups.add(Group.objects.get(name=MANAGERS))
    return Team.objects.create(name="East", schedule=BusinessSchedule.objects.get(is_default=True), manager=manager)


@pytest.fixture
def reps(team):
    return [make_rep(name, team) for name in ("ava", "ben", "cleo")]


@pytest.fixture
def rule(team):
    return RoutingRule.objects.create(position=10, name="Everything to East", team=team, strategy="round_robin")


@pytest.fixture
def make_lead(db, now):
    source = LeadSource.objects.create(name="Web", slug="web", default_source="organic")
    hot = SlaPolicy.objects.get(name="Hot")
    counter = iter(range(1, 100_000))

    def make(**fields) -> Lead:
        number = next(counter)
        values = dict(
            lead_source=source, email=f"lead{number}@firm{number}.io", company_domain=f"firm{number}.io",
            source="organic", inquiry_type="demo_request", temperature="hot", score=60, country="US",
            resolved_time_zone="America/New_York", submitted_at=now, received_at=now, sla_policy=hot,
            first_contact_due_at=now, route_after=now,
        )  # fmt: skip
        values.update(fields)
        return Lead.objects.create(**values)

    return make
