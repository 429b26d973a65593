"""Sending the pushes of one event to its rep's devices (the job), and the sweep behind it.

Each device's row is claimed with a conditional UPDATE (pending -> sending) before the
push leaves, so two runs of the job never push the same row twice. The push service's
answer decides the rest (leadops.webpush.send): sent; gone (404/410) removes the
subscription; retry comes back with backoff (5 s, 10 s, 20 s, ...) up to MAX_ATTEMPTS;
refused is failed. An alert older than GIVE_UP_AFTER is no longer worth a buzz: expired."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from leadops import webpush
from leadops.queues import enqueue_now, sweep_enqueue
from leads.models import LeadEvent
from notifications.alerts import alert_content, alert_summary
from routing.models import RepProfile
from webpush.alerts import SEND_JOB, job_id
from webpush.models import DeliveryStatus, PushDelivery, PushSubscription

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
BACKOFF = timedelta(seconds=5)
GIVE_UP_AFTER = timedelta(minutes=15)
STUCK_AFTER = timedelta(seconds=60)  # a row left "sending" this long: its worker died
EARLY = timedelta(seconds=1)
GRACE = timedelta(seconds=5)
BATCH = 500


def payload(event: LeadEvent, kind: str, time_zone: str | None, now: datetime) -> bytes:
    """What the service worker shows (static/webpush/sw.js): the same content and link
    as the rep's SMS (notifications.alerts.alert_content)."""
    content = alert_content(event.lead, kind, time_zone)
    body = {
        "type": kind,
        "title": f"{content['headline']}: {content['name']}",
        "body": alert_summary(content),
        "tag": f"lead-{event.lead_id}-{kind}",
        "lead": event.lead_id,
        "event": event.pk,
        "sent_at": now.isoformat(),
        **{key: content[key] for key in ("name", "company", "phone", "tel", "source", "temperature", "url")},
        "sla_due_at": content["sla_due_at"],
    }
    if kind == "task.due":
        body["task"] = {key: event.data.get(key) for key in ("step", "channel", "title")}
    return json.dumps(body, separators=(",", ":")).encode()


def _record(delivery: PushDelivery, outcome: webpush.Outcome, now: datetime) -> str:
    response = f"{outcome.status or ''} {outcome.detail}".strip()[:200]
    if outcome.result == "sent":
        PushDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENT, sent_at=now, response=response)
        PushSubscription.objects.filter(pk=delivery.subscription_id).update(last_sent_at=now)
    elif outcome.result == "gone":
        log.info("push subscription %s is gone (%s): removed", delivery.subscription_id, outcome.status)
        PushSubscription.objects.filter(pk=delivery.subscription_id).delete()
    elif outcome.result == "retry" and delivery.attempts < MAX_ATTEMPTS:
        later = now + BACKOFF * 2 ** (delivery.attempts - 1)
        PushDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING, next_try_at=later, response=response
        )
    else:
        log.warning("push %s to subscription %s failed: %s", delivery.kind, delivery.subscription_id, response)
        PushDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, response=response)
    return outcome.result


def _claim(delivery_id: int, now: datetime) -> PushDelivery | None:
    claimed = PushDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, next_try_at=now + STUCK_AFTER
    )
    if not claimed:
        return None
    return PushDelivery.objects.select_related("subscription").get(pk=delivery_id)


def send_pushes(event_id: int, now: datetime | None = None) -> dict[str, int]:
    """The job: push the event to every device whose row is due; retries come back later."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    due = PushDelivery.objects.filter(event_id=event_id, status=DeliveryStatus.PENDING, next_try_at__lte=now + EARLY)
    delivery_ids = list(due.values_list("pk", flat=True))
    event = LeadEvent.objects.select_related("lead").filter(pk=event_id).first() if delivery_ids else None
    zones: dict[int, str] = {}
    for delivery_id in delivery_ids:
        delivery = _claim(delivery_id, now)
        if delivery is None:
            continue
        if event is None or now - delivery.created_at > GIVE_UP_AFTER:
            PushDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.EXPIRED)
            counts["expired"] = counts.get("expired", 0) + 1
            continue
        user_id = delivery.subscription.user_id
        if user_id not in zones:
            zones[user_id] = RepProfile.objects.filter(user_id=user_id).values_list("time_zone", flat=True).first()
        device = webpush.Device(
            delivery.subscription.endpoint, delivery.subscription.p256dh, delivery.subscription.auth
        )
        urgency = "high" if delivery.kind in ("lead.assigned", "lead.reassigned") else "normal"
        outcome = webpush.send(device, payload(event, delivery.kind, zones[user_id], now), urgency=urgency)
        result = _record(delivery, outcome, now)
        counts[result] = counts.get(result, 0) + 1
    _schedule_retry(event_id)
    return counts


def _schedule_retry(event_id: int) -> None:
    later = (
        PushDelivery.objects.filter(event_id=event_id, status=DeliveryStatus.PENDING)
        .order_by("next_try_at")
        .values_list("next_try_at", flat=True)
        .first()
    )
    if later is not None:
        enqueue_now(SEND_JOB, event_id, at=later)


def sweep(now: datetime) -> dict[str, int]:
    """The guarantee behind the jobs: rows a dead worker left "sending" are pending again,
    pending rows whose job was lost get one, and alerts too old to matter expire."""
    PushDelivery.objects.filter(status=DeliveryStatus.SENDING, next_try_at__lt=now).update(
        status=DeliveryStatus.PENDING, next_try_at=now
    )
    old = now - GIVE_UP_AFTER
    expired = PushDelivery.objects.filter(status=DeliveryStatus.PENDING, created_at__lt=old).update(
        status=DeliveryStatus.EXPIRED
    )
    due = (
        PushDelivery.objects.filter(status=DeliveryStatus.PENDING, next_try_at__lt=now - GRACE)
        .order_by("next_try_at")
        .values_list("event_id", flat=True)[:BATCH]
    )
    pushes = sum(sweep_enqueue(SEND_JOB, event_id, job_id=job_id(event_id)) for event_id in sorted(set(due)))
    return {"pushes": pushes, "pushes_expired": expired}
