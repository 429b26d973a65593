"""The guarantee behind the jobs: a periodic sweep over indexed "pending" columns that
re-enqueues whatever a lost job left undone (Redis down at intake, Redis restarted
without persistence, a worker killed). Jobs are the latency shortcut; this is the floor.

The worker process (`manage.py leadops_worker`) runs `sweep()` every
LEADOPS_SWEEP_INTERVAL seconds; a Redis lock keeps several workers from sweeping at once
(and a double sweep would only enqueue idempotent jobs twice)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from leadops.queues import sweep_enqueue
from leads.choices import AckState, MessageState
from leads.messaging import mark_stuck_messages_uncertain
from leads.models import Inquiry, Message

log = logging.getLogger(__name__)
GRACE = timedelta(seconds=10)
BATCH = 500


def sweep(now=None) -> dict[str, int]:
    """Re-enqueue overdue work; returns counts per kind (for logs and tests)."""
    from leads.tasks import acknowledge_inquiry, deliver_message

    now = now or timezone.now()
    counts = {"acknowledgments": 0, "messages": 0, "uncertain": mark_stuck_messages_uncertain(now)}
    pending_inquiries = Inquiry.objects.filter(ack_state=AckState.PENDING, received_at__lt=now - GRACE)
    for inquiry_id in pending_inquiries.order_by("received_at").values_list("pk", flat=True)[:BATCH]:
        counts["acknowledgments"] += sweep_enqueue(
            acknowledge_inquiry, inquiry_id, job_id=f"ack-{inquiry_id}", also_pending=(f"inquiry-{inquiry_id}",)
        )
    pending_messages = Message.objects.filter(state=MessageState.PENDING, not_before__lt=now - GRACE)
    for message_id in pending_messages.order_by("not_before").values_list("pk", flat=True)[:BATCH]:
        counts["messages"] += sweep_enqueue(deliver_message, message_id, job_id=f"message-{message_id}")
    from cadences.sweeper import sweep as sweep_cadences
    from routing.sweeper import sweep as sweep_routing

    counts.update(sweep_routing(now))
    counts.update(sweep_cadences(now))
    if any(counts.values()):
        log.info("sweep re-enqueued %s", counts)
    return counts
