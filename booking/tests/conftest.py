"""Booking fixtures: a team of two reps in New York working the standard Mon-Fri 09:00-17:00,
a hot lead of the rep persona enrolled in the hot cadence, and the clock standing on
Monday 23 November 2026 at 08:00 in New York."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.utils import timezone

from booking import actions
from cadences.progress import enroll
from leadops.timezones import zone
from notifications.tests.test_push import layer, listen  # noqa: F401  (fixtures: the real channel layer)
from routing.models import RepProfile
from tests.workspace_kit import make_lead, make_team

NY = zone("America/New_York")
MONDAY_8_NY = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)


def ny(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NY)


@pytest.fixture
def clock():
    """The clock, standing at MONDAY_8_NY; clock.move(moment) travels on."""
    traveller = time_machine.travel(MONDAY_8_NY, tick=False)
    traveller.start()

    class Clock:
        def move(self, moment):
            nonlocal traveller
            traveller.stop()
            traveller = time_machine.travel(moment, tick=False)
            traveller.start()

    yield Clock()
    traveller.stop()


@pytest.fixture
def team(rep, other_rep, manager):
    for user in (rep, other_rep):
        RepProfile.objects.create(user=user, time_zone="America/New_York")
    return make_team("East", manager=manager, members=[rep, other_rep])


@pytest.fixture
def lead(team, rep, clock):
    """Rita's hot lead, submitted a minute ago from Paris, in the hot cadence."""
    lead = make_lead(rep, team=team, at=timezone.now(), resolved_time_zone="Europe/Paris", country="FR")
    enroll(lead, at=timezone.now())
    return lead


@pytest.fixture
def book(django_capture_on_commit_callbacks):
    """Book (or move) as the lead does, running what waits for the commit (no Redis here:
    the jobs it enqueues are logged and left to the sweeper)."""

    def run(lead, start, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return actions.book(lead.pk, start, **kwargs)

    return run
