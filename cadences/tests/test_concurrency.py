"""Several dispatchers at once on PostgreSQL (row locks, SKIP LOCKED): every due step
runs exactly once, and a rep's attempt on a lead never deadlocks with the dispatcher."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection

from cadences import dispatch
from cadences.models import PlannedStep
from cadences.progress import enroll
from cadences.tests.conftest import TUESDAY_10_NY
from conftest import postgresql_only
from leads.lifecycle import log_attempt
from leads.models import Message

pytestmark = [postgresql_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def in_threads(count: int, work) -> None:
    barrier = threading.Barrier(count)
    errors = []

    def run(index: int):
        barrier.wait()
        try:
            work(index)
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    [thread.start() for thread in threads]
    [thread.join() for thread in threads]
    assert not errors, errors


def test_concurrent_dispatchers_send_each_step_once(make_lead, at, monkeypatch):
    monkeypatch.setattr(dispatch, "BATCH", 7)
    # On a loaded machine a dispatcher past YIELD_AFTER hands the rest to a queued job (the
    # wake-ups enroll wrote), which no worker runs here: keep every step in these threads.
    monkeypatch.setattr(dispatch, "YIELD_AFTER", 60.0)
    monkeypatch.setattr(dispatch, "MAX_JOB_SECONDS", 60.0)
    at(TUESDAY_10_NY)
    for _ in range(40):
        enroll(make_lead(temperature="warm", inquiry_type="webinar"), at=TUESDAY_10_NY)
    in_threads(4, lambda index: dispatch.dispatch(None))
    assert len(mail.outbox) == 40
    assert Message.objects.filter(purpose="cadence").count() == 40
    firsts = PlannedStep.objects.filter(number=1)
    assert set(firsts.values_list("status", flat=True)) == {"done"}
    assert firsts.exclude(message=None).count() == 40


def test_a_reps_attempt_and_the_dispatcher_do_not_deadlock(make_lead, rep, at):
    at(TUESDAY_10_NY)
    leads = [make_lead(temperature="warm", inquiry_type="webinar") for _ in range(20)]
    for lead in leads:
        enroll(lead, at=TUESDAY_10_NY)

    def work(index: int):
        if index == 0:
            dispatch.dispatch(None)
        else:
            for lead in leads[index - 1 :: 3]:
                log_attempt(lead, channel="email", outcome="sent", by=rep)

    in_threads(4, work)
    firsts = PlannedStep.objects.filter(number=1)
    assert set(firsts.values_list("status", flat=True)) == {"done"}
    sent_by_dispatcher = firsts.exclude(message=None).count()
    done_by_rep = firsts.exclude(attempt=None).count()
    assert sent_by_dispatcher + done_by_rep == 20  # each first step done once, by one of them
    assert len(mail.outbox) == sent_by_dispatcher
