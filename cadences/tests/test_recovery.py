"""Exactly once when a worker dies, and the catch-up rule after a long outage
(cadences/dispatch.py, cadences/delivery.py, the leads sweeper).

A worker "killed" is a BaseException raised at the named point: nothing after it runs,
as with SIGKILL, and the open transaction rolls back as PostgreSQL would roll it back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from cadences import delivery, dispatch
from cadences.tests.conftest import TUESDAY_10_NY, events, local, ny, plan_rows, step
from leadops.queues import get_queue
from leads.models import Message
from pipeline.sweeper import sweep

pytestmark = pytest.mark.django_db


class Killed(BaseException):
    """The worker process is gone."""


def kill(*args, **kwargs):
    raise Killed


@pytest.fixture
def warm_lead(make_lead, enroll_now):
    """The warm cadence: its first step is an email due at once (10:00); no job has run."""
    lead = make_lead(temperature="warm", inquiry_type="webinar")
    enroll_now(lead)
    get_queue().empty()
    return lead


def test_a_worker_killed_before_the_batch_commits_sends_nothing_and_the_step_runs_later_once(
    warm_lead, monkeypatch, at, jobs
):
    monkeypatch.setattr(dispatch, "_set_messages", kill)  # after the outbox row, before the commit
    with pytest.raises(Killed):
        dispatch.dispatch(None)
    monkeypatch.undo()
    first = step(warm_lead, 1)
    assert first.status == "scheduled" and first.message is None
    assert not Message.objects.filter(lead=warm_lead).exists() and not mail.outbox
    at(TUESDAY_10_NY + timedelta(seconds=20))  # the next sweep, after its grace period
    assert sweep()["cadence_steps"] == 1
    jobs()
    assert len(mail.outbox) == 1 and step(warm_lead, 1).status == "done"


def test_a_worker_killed_after_the_commit_but_before_sending_delivers_through_the_outbox_once(
    warm_lead, monkeypatch, at, jobs
):
    monkeypatch.setattr(dispatch, "deliver", kill)
    with pytest.raises(Killed):
        dispatch.dispatch(None)
    monkeypatch.undo()
    first = step(warm_lead, 1)
    assert first.status == "done" and first.message.state == "pending" and not mail.outbox
    at(TUESDAY_10_NY + timedelta(seconds=20))
    counts = sweep()
    assert (counts["messages"], counts["cadence_steps"]) == (1, 0)  # the message, not the step again
    jobs()
    assert len(mail.outbox) == 1
    sweep()
    jobs()
    assert len(mail.outbox) == 1 and Message.objects.filter(lead=warm_lead).count() == 1


def test_a_worker_killed_while_sending_never_sends_that_message_twice(warm_lead, monkeypatch, at, jobs):
    class DyingTransport:
        def send(self, outgoing):
            raise Killed

    monkeypatch.setattr(delivery, "transport_for", lambda channel: DyingTransport())
    with pytest.raises(Killed):
        dispatch.dispatch(None)
    monkeypatch.undo()
    first = step(warm_lead, 1)
    assert (first.status, first.message.state) == ("done", "sending")
    at(TUESDAY_10_NY + timedelta(minutes=6))  # past the outbox's 5-minute sending timeout
    assert sweep()["uncertain"] == 1
    jobs()
    first.message.refresh_from_db()
    assert first.message.state == "uncertain" and not mail.outbox  # maybe sent once; never twice


def test_a_worker_down_overnight_sends_one_overdue_email_and_moves_the_rest_instead_of_a_burst(
    make_lead, enroll_now, at, jobs
):
    lead = make_lead()
    enroll_now(lead)  # hot, Tuesday 10:00: calls 10:00, 10:07, 10:27, email 10:32, call 14:32, SMS 15:32 ...
    get_queue().empty()  # the worker dies at once and is back on Wednesday at 11:00 (inside business hours)
    at(ny(14, 11))
    sweep()
    jobs()
    assert [email.subject for email in mail.outbox] == ["Ada, about your demo request"]  # not the SMS too
    assert (step(lead, 4).status, local(step(lead, 4).done_at)) == ("done", "Wed 14 11:00")
    # The rest follows the time the email really went: nothing is skipped, nothing bursts.
    assert plan_rows(lead)[4:8] == [
        (5, "call", "Wed 14 15:00", "scheduled"),
        (6, "sms", "Wed 14 16:00", "scheduled"),
        (7, "call", "Thu 15 11:00", "scheduled"),
        (8, "email", "Fri 16 14:00", "scheduled"),
    ]
    assert [data["step"] for data in events(lead, "task.due")] == [1, 2, 3]  # overdue calls: the rep's queue
    at(ny(14, 16, 0, 1))
    get_queue().enqueue(dispatch.dispatch, None)
    jobs()
    assert len(mail.outbox) == 1 and step(lead, 6).status == "done"  # the SMS at its new time (console)
    assert len(events(lead, "cadence.step_done")) == 2


def test_an_any_hour_step_more_than_two_hours_late_at_night_waits_for_the_morning(
    make_lead, enroll_now, one_step_cadence, at, jobs
):
    one_step_cadence("email", subject="Hello", body="Hi", business_hours_only=False, delay=timedelta(hours=10))
    lead = make_lead(source="chat")
    enroll_now(lead)  # Tuesday 10:00 + 10 h wall clock: due 20:00
    assert local(step(lead, 1).due_at) == "Tue 13 20:00"
    get_queue().empty()
    at(ny(13, 21, 30))  # 1 h 30 late: still sent
    sweep()
    jobs()
    assert len(mail.outbox) == 1

    other = make_lead(source="chat")
    enroll_now(other, ny(13, 10))
    get_queue().empty()
    at(ny(13, 22, 30))  # 2 h 30 late at night: the next opening
    sweep()
    jobs()
    assert len(mail.outbox) == 1
    assert (step(other, 1).status, local(step(other, 1).due_at)) == ("scheduled", "Wed 14 09:00")
