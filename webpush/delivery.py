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


def payload(event: LeadEvent, kind: str, time_zone: str | None, now: datetime, language: str | None = None) -> bytes:
    """What the service worker shows (static/webpush/sw.js): the same content and link
    as the rep's SMS (notifications.alerts.alert_content), in the rep's language."""
    content = alert_content(event.lead, kind, time_zone, language)
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
    if outcome.result == "gone":
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


def _claim(event_id: int, now: datetime) -> list[PushDelivery]:
    """Take the event's due rows (pending -> sending, in one UPDATE) and read them back with
    their devices and the reps' time zones. The claim's mark (next_try_at) tells this run's
    rows from another run's."""
    mark = now + STUCK_AFTER
    claimed = PushDelivery.objects.filter(
        event_id=event_id, status=DeliveryStatus.PENDING, next_try_at__lte=now + EARLY
    ).update(status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, next_try_at=mark)
    if not claimed:
        return []
    return list(
        PushDelivery.objects.filter(event_id=event_id, status=DeliveryStatus.SENDING, next_try_at=mark)
        .select_related("subscription__user__rep_profile")
        .order_by("pk")
    )


def _zone_and_language(delivery: PushDelivery) -> tuple[str | None, str | None]:
    profile = getattr(delivery.subscription.user, "rep_profile", None)
    return (profile.time_zone, profile.language) if profile else (None, None)


def send_pushes(event_id: int, now: datetime | None = None) -> dict[str, int]:
    """The job: push the event to every device whose row is due; retries come back later."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    deliveries = _claim(event_id, now)
    if not deliveries:
        return counts
    event = LeadEvent.objects.select_related("lead").filter(pk=event_id).first()
    sent: list[PushDelivery] = []
    for delivery in deliveries:
        if event is None or now - delivery.created_at > GIVE_UP_AFTER:
            PushDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.EXPIRED)
            counts["expired"] = counts.get("expired", 0) + 1
            continue
        subscription = delivery.subscription
        device = webpush.Device(subscription.endpoint, subscription.p256dh, subscription.auth)
        urgency = "high" if delivery.kind in ("lead.assigned", "lead.reassigned") else "normal"
        time_zone, language = _zone_and_language(delivery)
        outcome = webpush.send(device, payload(event, delivery.kind, time_zone, now, language), urgency=urgency)
        if outcome.result == "sent":
            sent.append(delivery)
        else:
            _record(delivery, outcome, now)
        counts[outcome.result] = counts.get(outcome.result, 0) + 1
    if sent:  # one write for all of them
        PushDelivery.objects.filter(pk__in=[row.pk for row in sent]).update(
            status=DeliveryStatus.SENT, sent_at=now, response="201"
        )
        PushSubscription.objects.filter(pk__in=[row.subscription_id for row in sent]).update(last_sent_at=now)
    if counts.get("retry"):
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
