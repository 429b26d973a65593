"""The integrations' part of the sweep (pipeline/sweeper.py): announced leads still to
fetch and webhook deliveries still to send are enqueued again when their job was lost
(Redis down when they were stored, a worker killed mid-job)."""

from __future__ import annotations

from datetime import timedelta

from integrations import tasks
from integrations.choices import DeliveryState, FetchState
from integrations.delivery import release_stuck
from integrations.models import RemoteFetch, WebhookDelivery
from leadops.queues import sweep_enqueue

GRACE = timedelta(seconds=10)
BATCH = 500
QUEUE = "integrations"


def sweep(now) -> dict[str, int]:
    counts = {"remote_fetches": 0, "webhooks": 0, "webhooks_released": release_stuck(now)}
    due_fetches = RemoteFetch.objects.filter(state=FetchState.PENDING, next_attempt_at__lt=now - GRACE)
    for fetch_id, attempts in due_fetches.order_by("next_attempt_at").values_list("pk", "attempts")[:BATCH]:
        counts["remote_fetches"] += sweep_enqueue(
            tasks.fetch_remote_lead, fetch_id, job_id=f"hook-fetch-{fetch_id}-{attempts}", queue=QUEUE
        )
    due_deliveries = WebhookDelivery.objects.filter(
        state=DeliveryState.PENDING, next_attempt_at__lt=now - GRACE, subscription__active=True
    )
    for delivery_id, attempts in due_deliveries.order_by("next_attempt_at").values_list("pk", "attempts")[:BATCH]:
        counts["webhooks"] += sweep_enqueue(
            tasks.send_webhook, delivery_id, job_id=f"webhook-{delivery_id}-{attempts}", queue=QUEUE
        )
    return counts
