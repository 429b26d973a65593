"""Cadence fixtures: a hot lead owned by the rep persona, in New York, with a phone and
SMS consent; clocks at fixed New York business times (no public holiday in the weeks)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from cadences.models import Cadence, PlannedStep
from cadences.progress import enroll
from leadops.timezones import zone
from leads.models import Lead, LeadEvent
from notifications.tests.test_push import layer, listen  # noqa: F401  (fixtures: the real channel layer)

NEW_YORK = zone("America/New_York")
TUESDAY_10_NY = datetime(2026, 10, 13, 14, 0, tzinfo=UTC)  # Tuesday 13 October 2026, 10:00 EDT
FRIDAY_1650_NY = datetime(2026, 10, 16, 20, 50, tzinfo=UTC)  # Friday 16 October 2026, 16:50 EDT


def ny(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 10) -> datetime:
    """A New York wall time in 2026, as an aware datetime."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=NEW_YORK)


def local(moment: datetime) -> str:
    return moment.astimezone(NEW_YORK).strftime("%a %d %H:%M")


def plan_rows(lead: Lead) -> list[tuple]:
    """(number, channel, New York due time, status) of the lead's plan."""
    return [
        (planned.number, planned.channel, local(planned.due_at), planned.status)
        for planned in PlannedStep.objects.filter(enrollment__lead=lead).order_by("number")
    ]


def step(lead: Lead, number: int) -> PlannedStep:
    return PlannedStep.objects.get(enrollment__lead=lead, number=number)


def events(lead: Lead, kind: str) -> list[dict]:
    return list(LeadEvent.objects.filter(lead=lead, kind=kind).order_by("at", "pk").values_list("data", flat=True))


@pytest.fixture
def make_lead(db, rep, lead_source):
    counter = iter(range(1, 1_000_000))

    def make(**fields) -> Lead:
        number = next(counter)
        values = dict(
            lead_source=lead_source, email=f"ada{number}@analytical.io", phone="+1 646 555 0142",
            phone_e164="+16465550142", first_name="Ada", last_name="Lovelace", company="Analytical Engines",
            source="organic", inquiry_type="demo_request", message="We need a demo for 40 reps next week.",
            temperature="hot", country="US", resolved_time_zone="America/New_York", consent_sms=True,
            submitted_at=TUESDAY_10_NY, received_at=TUESDAY_10_NY, owner=rep, stage="assigned",
        )  # fmt: skip
        values.update(fields)
        return Lead.objects.create(**values)

    return make


@pytest.fixture
def at():
    """Travel to a moment (the clock stands still there)."""
    travels = []

    def travel(moment: datetime):
        if travels:
            travels.pop().stop()
        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        travels.append(traveller)

    yield travel
    for traveller in travels:
        traveller.stop()


@pytest.fixture
def hot_cadence(db) -> Cadence:
    return Cadence.objects.get(name__startswith="Hot")


@pytest.fixture
def enroll_now(at, django_capture_on_commit_callbacks, real_redis):
    """Enroll at a moment, the clock standing there, and schedule its jobs (on commit)."""

    def run(lead, moment=TUESDAY_10_NY):
        at(moment)
        with django_capture_on_commit_callbacks(execute=True):
            enrollment = enroll(lead, at=moment)
        return enrollment

    return run


@pytest.fixture
def jobs(run_jobs, django_capture_on_commit_callbacks):
    """Run the queued jobs, executing the on-commit callbacks they register (wake-ups)."""

    def run() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return run_jobs()

    return run


@pytest.fixture
def one_step_cadence(db):
    """A cadence of its own for chat leads, to look at one step at a time."""

    def make(channel: str, **fields) -> Cadence:
        cadence = Cadence.objects.create(name=f"Chat {channel}", position=1, sources=["chat"])
        cadence.steps.create(order=1, channel=channel, **fields)
        return cadence

    return make
