"""Routing's part of the sweep: unowned leads due for routing, owned leads past their
reassignment time and offers past their time to accept are re-enqueued, whatever
happened to their jobs."""

from __future__ import annotations

from datetime import timedelta

from leadops.queues import ROUTING, sweep_enqueue
from leads.models import Inquiry, Lead
from routing import offers
from routing.assignment import waiting_lead_ids
from routing.tasks import assign_lead, reassign_if_untouched

GRACE = timedelta(seconds=5)
BATCH = 500


def sweep(now) -> dict[str, int]:
    counts = {"routing": 0, "reassignments": 0}
    waiting = waiting_lead_ids(now - GRACE, limit=BATCH)
    # A new lead's own job (handle_new_inquiry, "inquiry-<id>") routes it: while that job
    # still waits in a backlog, a second routing job would only double the backlog.
    intake_jobs: dict[int, list[str]] = {}
    for lead_id, inquiry_id in Inquiry.objects.filter(lead_id__in=waiting).values_list("lead_id", "pk"):
        intake_jobs.setdefault(lead_id, []).append(f"inquiry-{inquiry_id}")
    for lead_id in waiting:
        counts["routing"] += sweep_enqueue(
            assign_lead,
            lead_id,
            job_id=f"assign-{lead_id}",
            also_pending=tuple(intake_jobs.get(lead_id, ())),
            queue=ROUTING,
        )
    overdue = Lead.objects.filter(reassign_due_at__lt=now - GRACE, first_attempt_at__isnull=True)
    for lead_id in overdue.order_by("reassign_due_at").values_list("pk", flat=True)[:BATCH]:
        counts["reassignments"] += sweep_enqueue(reassign_if_untouched, lead_id, job_id=f"reassign-{lead_id}")
    counts.update(offers.sweep(now))  # assignments not accepted in time
    return counts
