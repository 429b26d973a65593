"""Inbound replies (email, SMS or WhatsApp webhooks): match to the lead, record, stop the
cadence, tell the owner. "STOP" (and its usual synonyms) by SMS or WhatsApp opts the lead
out of that channel instead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from cadences.models import InboundConnection, InboundDelivery
from cadences.progress import opt_out, stop_cadence
from leads import enrichment
from leads.actions import record_event
from leads.messaging import queue_message
from leads.models import Lead

STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit"}


@dataclass(frozen=True)
class InboundMessage:
    channel: str  # "email", "sms" or "whatsapp"
    sender: str
    body: str
    subject: str = ""
    received_at: datetime | None = None
    reference: str = ""


def find_lead(message: InboundMessage, within: QuerySet[Lead]) -> Lead | None:
    """The most recent non-junk lead, among `within` (the leads the connection may touch),
    with the sender's email address or phone number."""
    leads = within.filter(junk=False).order_by("-submitted_at")
    if message.channel == "email":
        address = enrichment.normalize_email(message.sender.split("<")[-1].rstrip(">"))
        return leads.filter(email_normalized=address).first()
    try:
        e164 = enrichment.parse_phone(message.sender, "").e164
    except enrichment.PhoneParseError:
        return None
    return leads.filter(phone_e164=e164).first()


def receive(message: InboundMessage, *, within: QuerySet[Lead]) -> tuple[Lead | None, str]:
    """Record an inbound message from a sender among the leads `within`; returns (lead,
    what happened)."""
    lead = find_lead(message, within)
    if lead is None:
        return None, "unmatched"
    at = message.received_at or timezone.now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update(of=("self",)).select_related("owner").get(pk=lead.pk)
        if message.channel in ("sms", "whatsapp") and message.body.strip().lower() in STOP_WORDS:
            source = "SMS STOP" if message.channel == "sms" else "WhatsApp STOP"
            opt_out(lead, message.channel, source=source, at=at)  # records lead.opted_out once
            return lead, "opted_out"
        record_event(
            lead, "reply.received", actor_label="lead", at=at, channel=message.channel,
            subject=message.subject[:300], body=message.body[:5000], reference=message.reference[:100],
        )  # fmt: skip
        stop_cadence(lead, reason=f"the lead replied by {message.channel}")
        if lead.owner_id and lead.owner.email:
            queue_message(
                lead, dedupe_key=f"reply:{lead.pk}:{message.channel}:{message.reference or at.isoformat()}",
                purpose="reply_alert", channel="email", recipient=lead.owner.email,
                subject=f"{lead.display_name} replied (L-{lead.pk})",
                body=f"{lead.display_name} replied by {message.channel}:\n\n{message.body[:2000]}",
            )  # fmt: skip
    return lead, "recorded"


def reachable_leads(connection: InboundConnection) -> QuerySet[Lead]:
    """The leads a connection's senders may be matched to: those of its lead sources, or
    every lead when the connection is org-wide."""
    if connection.org_wide:
        return Lead.objects.all()
    return Lead.objects.filter(lead_source__in=connection.lead_sources.all())


def receive_delivery(connection: InboundConnection, delivery_id: str, message: InboundMessage) -> InboundDelivery:
    """A verified delivery from a connection: logged once per provider id (a replay or a
    provider retry acts no more), then received among the connection's leads; the outcome
    is kept on the log row (and the lead's timeline), not told to the caller."""
    with transaction.atomic():
        delivery, created = InboundDelivery.objects.get_or_create(
            connection=connection, delivery_id=delivery_id,
            defaults={"channel": message.channel, "sender": message.sender[:300]},
        )  # fmt: skip
        if not created:
            return delivery
        delivery.lead, delivery.result = receive(message, within=reachable_leads(connection))
        delivery.save(update_fields=["lead", "result"])
    return delivery
