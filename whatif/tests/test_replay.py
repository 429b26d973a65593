"""The replay is exact: recorded routing, replayed through the unchanged configuration,
gives every lead its recorded owner; and it writes nothing."""

from __future__ import annotations

from django.apps import apps
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from leads.models import Lead, LeadEvent
from routing.models import RepStatusChange, RotationCount, RoutingRule
from whatif.compare import what_if
from whatif.configuration import Edit


def test_it_gives_every_lead_its_recorded_owner_through_the_unchanged_configuration(history):
    ends, leads, reps, rules = history
    recorded = dict(Lead.objects.filter(pk__in=[lead.pk for lead in leads]).values_list("pk", "owner_id"))
    outcomes = [(lead.routing_trace or {}).get("outcome") for lead in Lead.objects.order_by("received_at")]
    assert {"assigned", "morning_queue", "on_call"} <= set(outcomes)  # all three: a meaningful check
    assert LeadEvent.objects.filter(kind="lead.reassigned").count() >= 5  # and moves after the decision
    assert sum(owner is not None for owner in recorded.values()) >= 50

    report = what_if(None, days=11, until=ends)

    assert report["changed_count"] == 0
    exactness = report["exactness"]
    assert exactness["checked"] >= 30 and exactness["checked_after_wait"] >= 3
    assert exactness["matched"] == exactness["checked"]
    assert exactness["matched_after_wait"] == exactness["checked_after_wait"]
    on_call_at_arrival = sum(
        event.at == event.lead.received_at
        for event in LeadEvent.objects.filter(kind="lead.assigned", data__outcome="on_call").select_related("lead")
    )
    assert report["current"]["on_call"] == on_call_at_arrival > 0
    given_at_arrival = Lead.objects.filter(assigned_at=F("received_at")).count()
    assert report["current"]["assigned_at_arrival"] == given_at_arrival - on_call_at_arrival
    queued = LeadEvent.objects.filter(kind="lead.morning_queue").values("lead").distinct().count()
    assert report["current"]["morning_queue"] == queued
    assert report["current"]["never_assigned"] == Lead.objects.filter(owner__isnull=True).count()


def test_it_shows_owners_changing_when_the_rotation_changes(history):
    """A weighted rotation instead of round robin gives other owners, while the current
    side of the same run still replays exactly."""
    ends, leads, reps, (hot_rule, warm_rule) = history
    edited = RoutingRule.objects.get(pk=hot_rule.pk)
    edited.strategy = "weighted"
    report = what_if(Edit("rule", edited, pool_ids=[user.pk for user in reps]), days=11, until=ends)
    assert report["changed_count"] > 0
    assert report["exactness"]["matched"] == report["exactness"]["checked"]  # "current" stays exact


def _reading(sql: str) -> str:
    """SELECT for a SELECT, and for PostgreSQL's server-side cursor over one (.iterator())."""
    words = sql.split()
    if words[0].upper() == "DECLARE" and "CURSOR" in (word.upper() for word in words):
        return words[words.index("FOR") + 1].upper() if "FOR" in words else "DECLARE"
    return words[0].upper()


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models() if model._meta.managed}


def test_it_writes_nothing(history):
    ends, leads, reps, (hot_rule, warm_rule) = history
    edited = RoutingRule.objects.get(pk=warm_rule.pk)
    edited.strategy = "round_robin"
    before = _row_counts()
    cursors = list(RoutingRule.objects.values_list("pk", "rotation_cursor"))
    counts = list(RotationCount.objects.values_list("pk", "assigned"))
    with CaptureQueriesContext(connection) as queries:
        what_if(Edit("rule", edited, pool_ids=[reps[0].pk]), days=11, until=ends)
    statements = [_reading(query["sql"]) for query in queries.captured_queries]
    assert statements and set(statements) == {"SELECT"}, [query["sql"][:80] for query in queries.captured_queries]
    assert _row_counts() == before
    assert list(RoutingRule.objects.values_list("pk", "rotation_cursor")) == cursors
    assert list(RotationCount.objects.values_list("pk", "assigned")) == counts
    assert RepStatusChange.objects.count() == before["routing.RepStatusChange"]
