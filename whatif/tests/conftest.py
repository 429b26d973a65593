"""What-if fixtures: routing's team of reps, rule and lead factory, and a recorded history
made by the real routing code (assign_lead, set_rep_status) under a moving clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User

from leads.actions import sla_targets_for
from leads.choices import Stage
from leads.models import Lead
from routing.assignment import assign_lead, reassign_if_untouched, set_rep_status, waiting_lead_ids
from routing.models import OnCallShift, RepProfile, RoutingRule
from routing.tests.conftest import make_lead, make_rep, now, team  # noqa: F401 (fixtures)


@pytest.fixture
def history(team, make_lead):  # noqa: F811
    """Ten days of leads routed by two rules, with reps going away and back, leads closing,
    a capacity limit, an on-call shift and leads moved on when nobody called them.
    Returns (the moment it ends, the leads in arrival order, the reps, the two rules)."""
    from routing.tests.conftest import TUESDAY_11_NY

    reps = [make_rep(name, team, capacity=5) for name in ("ava", "ben", "cleo", "dan")]
    hot_rule = RoutingRule.objects.create(position=10, name="Hot to East", team=team, temperatures=["hot"])
    warm_rule = RoutingRule.objects.create(
        position=20, name="Warm, least loaded", team=team, temperatures=["warm"], strategy="least_loaded"
    )
    warm_rule.reps.set(reps[1:])
    starts = TUESDAY_11_NY - timedelta(days=10)
    eve = make_rep("eve", capacity=100)  # on call for two days, in no pool
    OnCallShift.objects.create(
        team=team, user=eve, starts_at=starts + timedelta(days=2), ends_at=starts + timedelta(days=4)
    )
    with time_machine.travel(starts - timedelta(days=1), tick=False):
        for user in [*reps, eve]:  # the first recorded status of each rep
            set_rep_status(user, "offline")
            set_rep_status(user, "available")
    leads = []
    moment = starts
    for number in range(72):
        moment += timedelta(minutes=97)
        changed_at = moment - timedelta(minutes=5)
        with time_machine.travel(changed_at, tick=False):
            if number % 7 == 3:
                set_rep_status(reps[number % 4], "away")
            if number % 7 == 5:
                set_rep_status(reps[(number - 2) % 4], "available")
        sweep(changed_at)
        if number % 3:
            closed_at = moment - timedelta(minutes=2)
            oldest = Lead.objects.filter(stage=Stage.ASSIGNED).order_by("assigned_at", "pk").first()
            if oldest:
                Lead.objects.filter(pk=oldest.pk).update(stage=Stage.QUALIFIED, decided_at=closed_at)
                sweep(closed_at)
        temperature = "hot" if number % 2 else "warm"
        lead = make_lead(submitted_at=moment, received_at=moment, temperature=temperature, route_after=moment)
        targets = sla_targets_for(lead, moment)
        Lead.objects.filter(pk=lead.pk).update(
            sla_policy_id=targets.policy_id, first_contact_due_at=targets.first_contact_by
        )
        with time_machine.travel(moment, tick=False):
            assign_lead(lead.pk, at=moment)
        if number % 5 == 1:  # nobody called it within reassign_after: routing moves it on
            late = moment + timedelta(minutes=6)
            with time_machine.travel(late, tick=False):
                reassign_if_untouched(lead.pk, at=late)
        leads.append(lead)
    return moment + timedelta(minutes=1), leads, reps, (hot_rule, warm_rule)


def sweep(at) -> None:
    """What the sweeper does every minute (routing.tasks.route_waiting_leads), at `at`."""
    with time_machine.travel(at, tick=False):
        for lead_id in waiting_lead_ids(at):
            assign_lead(lead_id, at=at)


def user(username: str) -> User:
    return User.objects.get(username=username)


def profile(username: str) -> RepProfile:
    return RepProfile.objects.get(user__username=username)
