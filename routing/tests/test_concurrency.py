"""Fair and single assignment under concurrent workers (real PostgreSQL row locks)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from conftest import postgresql_only
from leads.models import Lead, LeadEvent
from routing.assignment import assign_lead
from routing.models import RepProfile

pytestmark = [postgresql_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def run_concurrently(lead_ids: list[int], workers: int, at) -> None:
    """Each worker thread (its own database connection) tries every lead, in its own order."""
    barrier = threading.Barrier(workers)
    errors = []

    def work(offset: int):
        barrier.wait()
        try:
            for lead_id in lead_ids[offset:] + lead_ids[:offset]:
                assign_lead(lead_id, at=at)
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(index * 7,)) for index in range(workers)]
    [thread.start() for thread in threads]
    [thread.join() for thread in threads]
    assert not errors, errors


@pytest.mark.parametrize("strategy", ["round_robin", "weighted", "least_loaded"])
def test_concurrent_workers_never_double_assign_and_stay_fair(reps, rule, make_lead, now, strategy):
    rule.strategy = strategy
    rule.save()
    RepProfile.objects.update(capacity=1000)
    lead_ids = [make_lead().pk for _ in range(60)]
    run_concurrently(lead_ids, workers=6, at=now)
    owners = Counter(Lead.objects.filter(pk__in=lead_ids).values_list("owner__username", flat=True))
    assert sum(owners.values()) == 60 and None not in owners
    assert max(owners.values()) - min(owners.values()) <= 1, owners
    assigned_events = Counter(
        LeadEvent.objects.filter(kind="lead.assigned", lead_id__in=lead_ids).values_list("lead_id", flat=True)
    )
    assert set(assigned_events.values()) == {1}  # each lead assigned exactly once


def test_weighted_rotation_stays_proportional_under_concurrency(reps, rule, make_lead, now):
    rule.strategy = "weighted"
    rule.save()
    RepProfile.objects.update(capacity=1000)
    RepProfile.objects.filter(user__username="ava").update(weight=2)
    lead_ids = [make_lead().pk for _ in range(80)]
    run_concurrently(lead_ids, workers=4, at=now)
    owners = Counter(Lead.objects.filter(pk__in=lead_ids).values_list("owner__username", flat=True))
    assert abs(owners["ava"] - 40) <= 1 and abs(owners["ben"] - 20) <= 1 and abs(owners["cleo"] - 20) <= 1, owners
