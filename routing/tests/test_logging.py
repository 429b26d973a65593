"""Routing's log lines say which lead they are about (leadops/logs.py)."""

from __future__ import annotations

import logging

from routing.assignment import assign_lead
from routing.models import RoutingRule


def routing_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "routing.assignment"]


def test_it_logs_an_assignment_with_the_lead_id(reps, rule, make_lead, now, caplog):
    lead = make_lead()
    with caplog.at_level(logging.INFO, logger="routing.assignment"):
        decision = assign_lead(lead.pk, at=now)

    (entry,) = routing_records(caplog)
    assert entry.lead_id == lead.pk
    assert entry.getMessage() == f"lead {lead.pk} assigned to user {decision.chosen_id} (assigned)"


def test_it_logs_a_lead_left_unrouted_once_with_the_lead_id(reps, make_lead, now, team, caplog):
    RoutingRule.objects.create(position=1, name="UK only", team=team, countries=["GB"])
    lead = make_lead()
    with caplog.at_level(logging.INFO, logger="routing.assignment"):
        assign_lead(lead.pk, at=now)
        assign_lead(lead.pk, at=now)  # a retry with the same outcome logs nothing new

    (entry,) = routing_records(caplog)
    assert entry.lead_id == lead.pk and entry.getMessage() == f"lead {lead.pk} not assigned: unrouted"
