"""What the WhatsApp Cloud API posts to an inbound connection of provider "whatsapp"
(/api/v1/inbound/<slug>), after its X-Hub-Signature-256 checked out:

- the lead's messages (`entry[].changes[].value.messages[]`): each is a reply like an SMS
  reply (cadences/inbound.py): it stops the cadence and tells the owner, and "STOP" opts
  the lead out of WhatsApp. It also opens WhatsApp's 24-hour window for free text
  (leads.messaging.conversation_open reads the reply on the timeline).
- delivery statuses of our messages (`value.statuses[]`): delivered, read and failed go
  on the lead's timeline; a failed one (an invalid number, a number not on WhatsApp)
  marks our outbox message failed with Meta's reason.

Every message and status is logged once on the delivery log by its id (a status by id and
state), so Meta's retries and replays act once. Meta's GET check of the address
(hub.mode=subscribe, hub.verify_token, hub.challenge) is answered by `challenge_answer`."""

from __future__ import annotations

import hmac
import logging
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction

from cadences.inbound import InboundMessage, reachable_leads, receive_delivery
from cadences.models import InboundConnection, InboundDelivery
from leads.actions import record_event
from leads.choices import MessageState
from leads.models import LeadEvent, Message

log = logging.getLogger(__name__)
RECORDED_STATUSES = {"delivered", "read", "failed"}


def challenge_answer(query) -> str | None:
    """The challenge to echo when Meta checks the address with our verify token, else None."""
    token = settings.WHATSAPP_VERIFY_TOKEN
    offered = query.get("hub.verify_token", "")
    if query.get("hub.mode") != "subscribe" or not token or not offered:
        return None
    if not hmac.compare_digest(token.encode(), offered.encode("utf-8", "replace")):
        return None
    return query.get("hub.challenge", "")[:200]


def _changes(payload) -> list[dict]:
    """The `value` of each "messages" change for our phone number (when one is set)."""
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        return []
    values = []
    for entry in payload.get("entry") or []:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict) or change.get("field") != "messages":
                continue
            phone_number_id = str((value.get("metadata") or {}).get("phone_number_id", ""))
            if settings.WHATSAPP_PHONE_NUMBER_ID and phone_number_id != settings.WHATSAPP_PHONE_NUMBER_ID:
                continue  # another number of the same Meta app
            values.append(value)
    return values


def _text(message: dict) -> str:
    kind = message.get("type", "")
    part = message.get(kind) if isinstance(message.get(kind), dict) else {}
    if kind == "text":
        return str(part.get("body", ""))
    if kind == "button":
        return str(part.get("text", ""))
    if kind == "interactive":
        reply = part.get("button_reply") or part.get("list_reply") or {}
        return str(reply.get("title", "")) if isinstance(reply, dict) else ""
    caption = str(part.get("caption", "")) if part else ""
    return f"[{kind or 'message'}] {caption}".strip()


def _at(timestamp) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(timestamp), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _inbound(message: dict) -> InboundMessage | None:
    sender, reference = str(message.get("from", "")), str(message.get("id", ""))
    if not sender or not reference:
        return None
    return InboundMessage(
        channel="whatsapp", sender=f"+{sender.lstrip('+')}", body=_text(message)[:20000],
        received_at=_at(message.get("timestamp")), reference=reference[:100],
    )  # fmt: skip


def _record_status(connection: InboundConnection, status: dict) -> None:
    wamid, state = str(status.get("id", "")), str(status.get("status", ""))
    recipient = f"+{str(status.get('recipient_id', '')).lstrip('+')}"
    if not wamid or not state:
        return
    with transaction.atomic():
        delivery, created = InboundDelivery.objects.get_or_create(
            connection=connection, delivery_id=f"{state}:{wamid}"[:100],
            defaults={"channel": "whatsapp", "sender": recipient[:300]},
        )  # fmt: skip
        if not created:
            return
        leads = reachable_leads(connection).filter(phone_e164=recipient)
        sent = (
            LeadEvent.objects.filter(lead__in=leads, kind__endswith=".sent", data__reference=wamid)
            .select_related("lead")
            .first()
        )
        if sent is None:
            delivery.result = "unmatched"
            delivery.save(update_fields=["result"])
            return
        delivery.lead, delivery.result = sent.lead, state[:20]
        delivery.save(update_fields=["lead", "result"])
        if state not in RECORDED_STATUSES:
            return
        errors = [error for error in status.get("errors") or [] if isinstance(error, dict)]
        reason = "; ".join(
            f"{error.get('code')} {error.get('title', '')}: {(error.get('error_data') or {}).get('details', '')}"
            for error in errors
        ).strip()
        at = _at(status.get("timestamp"))
        details = {"reason": reason[:500]} if reason else {}
        record_event(
            sent.lead, f"whatsapp.{state}", actor_label="whatsapp", at=at, message=sent.data.get("message"), **details
        )
        if state == "failed":
            Message.objects.filter(pk=sent.data.get("message"), state=MessageState.SENT).update(
                state=MessageState.FAILED, error=f"WhatsApp could not deliver it: {reason or 'no reason given'}"[:2000]
            )
            log.warning("WhatsApp message %s to lead %s failed: %s", wamid, sent.lead_id, reason)


def receive_webhook(connection: InboundConnection, payload, allow=lambda sender: True) -> int:
    """Act on one verified WhatsApp webhook delivery; returns the items it acted on. A
    message whose sender `allow` refuses (over the connection's per-sender rate) is
    dropped with a warning: answering Meta with an error would replay the whole batch."""
    handled = 0
    for value in _changes(payload):
        for message in value.get("messages") or []:
            incoming = _inbound(message) if isinstance(message, dict) else None
            if incoming is None:
                continue
            if not allow(incoming.sender):
                log.warning("WhatsApp message %s dropped: its sender is over the rate limit", incoming.reference)
                continue
            receive_delivery(connection, incoming.reference, incoming)
            handled += 1
        for status in value.get("statuses") or []:
            if isinstance(status, dict):
                _record_status(connection, status)
                handled += 1
    return handled
