"""Escalation (SPEC §3.6): an untouched hot lead moves on after reassign_after, the
manager is told, and after two moves it lands in the manager's queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from leads.models import Lead, Message
from routing.assignment import assign_lead, reassign_if_untouched
from routing.sweeper import sweep

pytestmark = pytest.mark.django_db


def test_an_untouched_hot_lead_moves_twice_then_reaches_the_manager(reps, rule, make_lead, now, team, redis_down):
    lead = make_lead()
    assign_lead(lead.pk, at=now)
    lead.refresh_from_db()
    assert lead.owner.username == "ava" and lead.reassign_due_at == now + timedelta(minutes=5)

    assert reassign_if_untouched(lead.pk, at=now + timedelta(minutes=4)) == "not due yet"
    assert reassign_if_untouched(lead.pk, at=now + timedelta(minutes=5)) == "reassigned"
    lead.refresh_from_db()
    assert (lead.owner.username, lead.reassignment_count) == ("ben", 1)
    assert lead.reassign_due_at == now + timedelta(minutes=10)
    event = lead.events.get(kind="lead.reassigned")
    assert (event.data["previous_owner"], event.data["owner"], event.data["reason"]) == (
        "ava", "ben", "no attempt within 5 min",
    )  # fmt: skip
    alert = Message.objects.get(purpose="manager_alert")
    assert alert.recipient == "boss@example.com" and "ava did not call in time" in alert.subject

    assert reassign_if_untouched(lead.pk, at=now + timedelta(minutes=10)) == "reassigned"
    lead.refresh_from_db()
    assert lead.owner.username == "cleo"
    candidates = {row["rep"]: row["reasons"] for row in lead.routing_trace["candidates"]}
    assert "already had this lead and did not call in time" in candidates["ava"]

    assert reassign_if_untouched(lead.pk, at=now + timedelta(minutes=15)) == "escalated"
    lead.refresh_from_db()
    assert lead.owner == team.manager and lead.escalated_at == now + timedelta(minutes=15)
    assert lead.reassign_due_at is None and lead.reassignment_count == 3
    assert lead.events.filter(kind="lead.escalated").count() == 1
    assert Message.objects.filter(purpose="manager_alert").count() == 3
    assert reassign_if_untouched(lead.pk, at=now + timedelta(minutes=30)) == "nothing to do"


def test_a_first_attempt_in_time_stops_the_escalation(reps, rule, make_lead, now):
    lead = make_lead()
    assign_lead(lead.pk, at=now)
    Lead.objects.filter(pk=lead.pk).update(first_attempt_at=now + timedelta(minutes=2))
    assert reassign_if_untouched(lead.pk, at=now + timedelta(minutes=5)) == "nothing to do"
    assert Lead.objects.get(pk=lead.pk).owner.username == "ava"


def test_with_nobody_else_eligible_the_lead_goes_straight_to_the_manager(reps, rule, make_lead, now, team):
    from routing.assignment import set_rep_status

    lead = make_lead()
    assign_lead(lead.pk, at=now)
    set_rep_status(reps[1], "away")
    set_rep_status(reps[2], "away")
    assert reassign_if_untouched(lead.pk, at=now + timedelta(minutes=5)) == "escalated"
    assert Lead.objects.get(pk=lead.pk).owner == team.manager


def test_the_sweeper_finds_overdue_reassignments_when_the_delayed_job_was_lost(reps, rule, make_lead, now, real_redis):
    from leadops.queues import get_queue

    lead = make_lead()
    with time_machine.travel(now, tick=False):
        assign_lead(lead.pk, at=now)
    real_redis.flushdb()  # Redis restarted without persistence: the delayed job is gone
    counts = sweep(now + timedelta(minutes=6))
    assert counts["reassignments"] == 1
    assert counts["offers"] == 1  # the time to accept (2 min for hot) is past too: routing/offers.py
    assert sorted(job.func_name for job in get_queue().jobs) == [
        "routing.tasks.expire_offer",
        "routing.tasks.reassign_if_untouched",
    ]


def test_the_deadline_job_of_a_second_escalates_every_untouched_lead_due_in_it(reps, rule, make_lead, now, redis_down):
    """routing/deadlines.py: one job per second of deadline runs the escalations due then
    (accepting the leads first, so that only reassign_after is at play)."""
    from routing import deadlines
    from routing.assignment import accept_lead

    leads = [make_lead(), make_lead(), make_lead()]
    for lead in leads:
        assign_lead(lead.pk, at=now)
        lead.refresh_from_db()
        accept_lead(lead, by=lead.owner)
    Lead.objects.filter(pk=leads[2].pk).update(first_attempt_at=now + timedelta(minutes=1))  # attempted: stays
    assert deadlines.run_due(now + timedelta(minutes=4)) == {"reassignments": 0, "offers": 0}
    assert deadlines.run_due(now + timedelta(minutes=5)) == {"reassignments": 2, "offers": 0}
    moved = Lead.objects.filter(pk__in=[lead.pk for lead in leads], reassignment_count=1)
    assert sorted(moved.values_list("pk", flat=True)) == [leads[0].pk, leads[1].pk]
    assert deadlines.run_due(now + timedelta(minutes=5)) == {"reassignments": 0, "offers": 0}  # once
