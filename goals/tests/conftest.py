"""Goals fixtures: team East with two available reps, Ava and Ben, routed round robin; a
clock that travels (time-machine, standing still between moves); and the real paths a
lead and an attempt take: POST /api/v1/leads with an intake key, the routing job on the
real Redis, POST /api/v1/leads/{id}/attempts with the owner's API token."""

from __future__ import annotations

import json
from datetime import datetime
from itertools import count

import pytest
import time_machine

from goals.models import Goal, Reward
from leadops.timezones import zone
from leads.models import Lead
from routing.models import RoutingRule
from routing.tests.conftest import make_rep
from tests.workspace_kit import api_token, make_team

NY = zone("America/New_York")


def ny(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=NY)


@pytest.fixture(autouse=True)
def organisation_in_new_york(settings):
    settings.LEADOPS_DEFAULT_TIMEZONE = "America/New_York"


@pytest.fixture
def clock():
    """clock.move(moment): the clock jumps there and stands still."""
    travels = []

    class Clock:
        def move(self, moment: datetime) -> None:
            if travels:
                travels.pop().stop()
            traveller = time_machine.travel(moment, tick=False)
            traveller.start()
            travels.append(traveller)

    yield Clock()
    for traveller in travels:
        traveller.stop()


def named(user, first: str, last: str):
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])
    return user


@pytest.fixture
def east(db, manager):
    return make_team("East", manager=manager)


@pytest.fixture
def ava(east):
    return named(make_rep("ava", east), "Ava", "Adams")


@pytest.fixture
def ben(east):
    return named(make_rep("ben", east), "Ben", "Brown")


@pytest.fixture
def routed_to_east(east, ava, ben):
    return RoutingRule.objects.create(position=10, name="Everything to East", team=east, strategy="round_robin")


@pytest.fixture
def badge(db):
    return Reward.objects.create(name="Five-minute hero", kind="badge", badge="⚡")


@pytest.fixture
def speed_goal(east, badge):
    return Goal.objects.create(
        name="Call back in 5 minutes", metric="median_response", target=5, period="week", team=east,
        minimum_leads=1, reward=badge, starts_on=ny(23, 0).date(),
    )  # fmt: skip


_emails = count(1)


@pytest.fixture
def submit(client, intake_key, run_jobs, django_capture_on_commit_callbacks, routed_to_east):
    """Post a hot lead through the intake API and run its routing job: the stored Lead."""

    def post(**fields) -> Lead:
        payload = {
            "email": f"lead{next(_emails)}@firm.io", "first_name": "Lee", "inquiry_type": "demo_request",
            "country": "US", "timezone": "America/New_York", **fields,
        }  # fmt: skip
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/api/v1/leads", data=json.dumps(payload), content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {intake_key}",
            )  # fmt: skip
        assert response.status_code == 201, response.content
        run_jobs()
        return Lead.objects.get(pk=response.json()["id"])

    return post


@pytest.fixture
def attempt(client, django_capture_on_commit_callbacks):
    """Log a touch as the lead's owner does, through POST /api/v1/leads/{id}/attempts."""
    tokens: dict[int, str] = {}

    def post(lead: Lead, outcome: str = "no_answer", channel: str = "call") -> dict:
        lead.refresh_from_db()
        owner = lead.owner
        tokens.setdefault(owner.pk, api_token(owner))
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/api/v1/leads/{lead.pk}/attempts", data=json.dumps({"channel": channel, "outcome": outcome}),
                content_type="application/json", HTTP_AUTHORIZATION=f"Token {tokens[owner.pk]}",
            )  # fmt: skip
        assert response.status_code == 201, response.content
        return response.json()

    return post
