"""Outbound webhooks: which lead events go out, and the outbox rows they become.

`queue_webhooks` follows TIMELINE_RECORDED (pipeline/flow.py): every timeline event of a
lead passes here; the kinds below map to public event names. For each active
subscription that wants the event, a WebhookDelivery row is written in the emitter's
transaction (so it commits or rolls back with the change) and its send job is enqueued
after the commit, on the "integrations" queue: intake and routing only pay for a dict
lookup, or, when someone subscribes, an insert. Junk and test leads are not sent.

    lead.submitted                                   -> lead.created
    lead.assigned                                    -> lead.assigned
    lead.reassigned, lead.handed_over, lead.escalated -> lead.reassigned
    attempt.logged                                   -> lead.contacted (+ lead.connected when reached)
    stage.changed                                    -> lead.stage_changed
    sla.breached                                     -> sla.breached
    meeting.booked                                   -> meeting.booked"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from integrations.models import Subscription, WebhookDelivery
from leadops.queues import enqueue_on_commit
from leads import policies
from leads.models import Lead, LeadEvent

INTEGRATIONS_QUEUE = "integrations"
TIMELINE_TO_EVENTS: dict[str, tuple[str, ...]] = {
    "lead.submitted": ("lead.created",),
    "lead.assigned": ("lead.assigned",),
    "lead.reassigned": ("lead.reassigned",),
    "lead.handed_over": ("lead.reassigned",),
    "lead.escalated": ("lead.reassigned",),
    "attempt.logged": ("lead.contacted",),
    "stage.changed": ("lead.stage_changed",),
    "sla.breached": ("sla.breached",),
    "meeting.booked": ("meeting.booked",),
}
REACHED_OUTCOMES = ("connected", "replied")


def public_events(event: LeadEvent) -> tuple[str, ...]:
    names = TIMELINE_TO_EVENTS.get(event.kind, ())
    if event.kind == "attempt.logged" and (event.data or {}).get("outcome") in REACHED_OUTCOMES:
        names = (*names, "lead.connected")
    return names


def active_subscriptions() -> list[Subscription]:
    """Cached like the intake's configuration (leads.policies): admin edits apply within
    CONFIG_TTL seconds, at once in the process that saved them."""
    return policies.cached(
        "webhook-subscriptions", lambda: list(Subscription.objects.filter(active=True).only("pk", "events", "team_id"))
    )


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def lead_data(lead: Lead) -> dict:
    owner = None
    if lead.owner_id:
        row = get_user_model().objects.filter(pk=lead.owner_id).values("username", "first_name", "last_name").first()
        if row:
            name = f"{row['first_name']} {row['last_name']}".strip() or row["username"]
            owner = {"id": lead.owner_id, "username": row["username"], "name": name}
    return {
        "id": lead.pk, "url": settings.LEADOPS_PUBLIC_URL.rstrip("/") + reverse("workspace-lead", args=[lead.pk]),
        "name": lead.display_name, "first_name": lead.first_name, "last_name": lead.last_name, "email": lead.email,
        "phone": lead.phone_e164 or lead.phone, "company": lead.company, "job_title": lead.job_title,
        "country": lead.country, "source": lead.source, "inquiry_type": lead.inquiry_type,
        "external_id": lead.external_id, "temperature": lead.temperature, "score": lead.score, "stage": lead.stage,
        "owner": owner, "team_id": lead.team_id, "submitted_at": _iso(lead.submitted_at),
        "sla": {"assign_by": _iso(lead.assign_due_at), "first_contact_by": _iso(lead.first_contact_due_at),
                "after_hours": lead.after_hours},
    }  # fmt: skip


def event_payload(event_type: str, lead: Lead, event: LeadEvent, data: dict | None = None) -> dict:
    """The body: {"type", "timestamp", "data": {"lead": {...}, "event": {...}}}."""
    return {
        "type": event_type,
        "timestamp": _iso(event.at),
        "data": {
            "lead": data or lead_data(lead),
            "event": {"kind": event.kind, "at": _iso(event.at), "actor": event.actor_label or None,
                      "actor_id": event.actor_id, "data": event.data},
        },
    }  # fmt: skip


def new_message_id() -> str:
    return "msg_" + uuid.uuid4().hex


def schedule_send(delivery: WebhookDelivery) -> None:
    from integrations.tasks import send_webhook

    enqueue_on_commit(
        send_webhook,
        delivery.pk,
        job_id=f"webhook-{delivery.pk}-{delivery.attempts}",
        at=delivery.next_attempt_at if delivery.attempts else None,
        queue=INTEGRATIONS_QUEUE,
    )


def queue_webhooks(lead: Lead, event: LeadEvent) -> list[WebhookDelivery]:
    """The flow's handler for TIMELINE_RECORDED: the outbox rows of one timeline event."""
    names = public_events(event)
    if not names or lead.junk:
        return []
    wanted = [(subscription, name) for subscription in active_subscriptions() for name in names
              if subscription.wants(name, lead.team_id)]  # fmt: skip
    if not wanted:
        return []
    data = lead_data(lead)
    deliveries = []
    for subscription, name in wanted:
        delivery = WebhookDelivery.objects.create(
            subscription_id=subscription.pk, message_id=new_message_id(), event_type=name, lead=lead,
            timeline_event=event, payload=event_payload(name, lead, event, data), next_attempt_at=timezone.now(),
        )  # fmt: skip
        schedule_send(delivery)
        deliveries.append(delivery)
    return deliveries
