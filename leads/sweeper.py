"""The leads' part of the sweep (pipeline/sweeper.py): submissions still waiting for their
acknowledgment and outbox messages due for sending are enqueued again."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from leadops.queues import sweep_enqueue
from leads.choices import AckState, MessageState
from leads.messaging import deliver_message, mark_stuck_messages_uncertain
from leads.models import Inquiry, Message
from leads.tasks import acknowledge_inquiry

log = logging.getLogger(__name__)
GRACE = timedelta(seconds=10)
BATCH = 500


def sweep(now=None) -> dict[str, int]:
    """Re-enqueue overdue acknowledgments and messages; counts per kind."""
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
    return counts
