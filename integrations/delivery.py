"""Sending outbound webhooks: at least once, signed, with backoff, logged, replayable.

A send job claims its row (pending -> sending, a conditional UPDATE), POSTs the payload
with the Standard Webhooks headers and records the try (WebhookAttempt). A 2xx delivers
it. Anything else waits RETRY_DELAYS (about 24 h in all) before the next try; when the
last try fails and the endpoint has not answered 2xx since the event was queued, the
subscription is disabled and the team's manager (else every manager) is emailed. A 410
Gone disables at once. A row left in `sending` by a dead worker goes back to pending (the
sweeper): a receiver may see a message twice, never zero times - it dedupes on webhook-id."""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone

from integrations import http
from integrations.choices import DeliveryState
from integrations.models import Subscription, WebhookAttempt, WebhookDelivery
from integrations.secret_store import SecretUnreadable, decrypt
from integrations.signatures import standard_signature
from integrations.webhooks import schedule_send
from leadops.roles import MANAGERS
from leadops.transports import Outgoing, TransportError, transport_for
from leads import policies

log = logging.getLogger(__name__)
RETRY_DELAYS = tuple(
    timedelta(seconds=seconds) for seconds in (5, 60, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 8 * 3600, 8 * 3600)
)  # after tries 1..8; 9 tries over ~23.6 h
MAX_TRIES = len(RETRY_DELAYS) + 1
SENDING_TIMEOUT = timedelta(minutes=2)


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def signed_headers(secret: str, message_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(secret, message_id, timestamp, body),
    }


def url_allowed(url: str) -> bool:
    scheme = urllib.parse.urlsplit(url).scheme
    return scheme == "https" or (scheme == "http" and settings.LEADOPS_WEBHOOK_ALLOW_HTTP)


def _claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id,
        state=DeliveryState.PENDING,
        next_attempt_at__lte=now + timedelta(seconds=1),
        subscription__active=True,
    ).update(state=DeliveryState.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("subscription__team__manager").get(pk=delivery_id)


def _post(delivery: WebhookDelivery) -> tuple[int | None, str, str, int]:
    """One try: (status code or None, error, response excerpt, milliseconds)."""
    subscription = delivery.subscription
    started = time.monotonic()
    if not url_allowed(subscription.url):
        return None, "the URL must use https (LEADOPS_WEBHOOK_ALLOW_HTTP is off)", "", 0
    try:
        body = body_of(delivery)
        headers = signed_headers(subscription_secret(subscription), delivery.message_id, body)
        reply = http.call("POST", subscription.url, headers=headers, body=body, limit=4096)
    except (http.OutboundError, SecretUnreadable) as error:
        return None, str(error)[:500], "", int((time.monotonic() - started) * 1000)
    elapsed = int((time.monotonic() - started) * 1000)
    return reply.status, "" if reply.ok else f"HTTP {reply.status}", reply.excerpt(), elapsed


def subscription_secret(subscription: Subscription) -> str:
    return decrypt(subscription.secret)


def send_webhook(delivery_id: int, now: datetime | None = None) -> str:
    """Try one delivery; what happened ("delivered", "retry", "failed", "not due")."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return "not due"
    status, error, excerpt, elapsed = _post(delivery)
    WebhookAttempt.objects.create(
        delivery=delivery, at=now, status_code=status, duration_ms=elapsed, error=error, response_excerpt=excerpt
    )
    if status is not None and 200 <= status < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.DELIVERED, delivered_at=now, last_status_code=status, last_error=""
        )
        Subscription.objects.filter(pk=delivery.subscription_id).update(last_success_at=now, consecutive_failures=0)
        return "delivered"
    return _failed(delivery, status, error, now)


def _failed(delivery: WebhookDelivery, status: int | None, error: str, now: datetime) -> str:
    Subscription.objects.filter(pk=delivery.subscription_id).update(consecutive_failures=F("consecutive_failures") + 1)
    log.warning("webhook %s to %s failed (try %s): %s", delivery.message_id, delivery.subscription.url,
                delivery.attempts, error)  # fmt: skip
    if status == 410 or delivery.attempts >= MAX_TRIES:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.FAILED, last_status_code=status, last_error=error
        )
        subscription = Subscription.objects.get(pk=delivery.subscription_id)
        if status == 410:
            disable(subscription, "the endpoint answered 410 Gone", now)
        elif subscription.last_success_at is None or subscription.last_success_at < delivery.created_at:
            disable(subscription, f"no 2xx answer for {delivery.attempts} tries over ~24 hours ({error})", now)
        return "failed"
    delivery.next_attempt_at = now + RETRY_DELAYS[delivery.attempts - 1]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.PENDING, next_attempt_at=delivery.next_attempt_at, last_status_code=status,
        last_error=error,
    )  # fmt: skip
    schedule_send(delivery)
    return "retry"


def disable(subscription: Subscription, reason: str, now: datetime) -> bool:
    """Turn a failing endpoint off (once) and tell its team's manager, else every manager."""
    turned_off = Subscription.objects.filter(pk=subscription.pk, active=True).update(
        active=False, disabled_at=now, disabled_reason=reason[:300]
    )
    if not turned_off:
        return False
    policies.forget()
    log.error("webhook subscription %s (%s) disabled: %s", subscription.pk, subscription.url, reason)
    for address in _managers_to_tell(subscription):
        try:
            transport_for("email").send(
                Outgoing(
                    recipient=address,
                    subject=f"Webhook '{subscription.name}' disabled",
                    body=(
                        f"LeadOps stopped sending lead events to {subscription.url}: {reason}.\n\n"
                        "Fix the receiver, then tick 'active' on the subscription in the admin and replay the "
                        "failed deliveries: "
                        + settings.LEADOPS_PUBLIC_URL.rstrip("/")
                        + f"/admin/integrations/subscription/{subscription.pk}/change/\n"
                    ),
                )
            )
        except TransportError as error:
            log.error("could not tell %s that webhook %s was disabled: %s", address, subscription.pk, error)
    return True


def _managers_to_tell(subscription: Subscription) -> list[str]:
    team = subscription.team
    if team is not None and team.manager_id and team.manager.email:
        return [team.manager.email]
    users = get_user_model().objects.filter(groups__name=MANAGERS, is_active=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def replay(delivery_ids, now: datetime | None = None) -> int:
    """The admin's replay: the deliveries go out again now (same webhook-id), with a fresh
    round of retries."""
    now = now or timezone.now()
    count = 0
    for delivery in WebhookDelivery.objects.filter(pk__in=list(delivery_ids)).exclude(state=DeliveryState.SENDING):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.PENDING, attempts=0, next_attempt_at=now
        )
        delivery.attempts, delivery.next_attempt_at = 0, now
        schedule_send(delivery)
        count += 1
    return count


def release_stuck(now: datetime) -> int:
    """Deliveries a dead worker left in `sending` are sent again (at least once)."""
    return WebhookDelivery.objects.filter(state=DeliveryState.SENDING, claimed_at__lt=now - SENDING_TIMEOUT).update(
        state=DeliveryState.PENDING, next_attempt_at=now
    )
