"""Delivering a batch of cadence messages: leads.messaging.deliver_message's protocol, in
chunks.

Same states as the outbox everywhere (leads/messaging.py): a message is claimed pending ->
sending (row locks, SKIP LOCKED, so the sweeper's deliver job and this never both take
one), sent, then marked sent; a failure goes back to pending with the outbox's back-off
(leads.messaging._failed). The difference is the bookkeeping: one commit claims a chunk
and one records it (without waiting for the WAL flush, see _no_flush_wait), instead of
three flushed commits per message, which is what lets one worker keep up with hundreds
of steps a second.

The price, stated: a worker killed while sending a chunk leaves that chunk's unsent
messages in `sending`, which the sweeper marks `uncertain` (never sent twice) - up to
CHUNK messages instead of one. CHUNK bounds it. A chunk's `sent_at` is the time its last
message left (never earlier than the real time); the timeline events carry each one's."""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from cadences.messages import unsubscribe_url
from leadops.transports import Outgoing, TransportError, transport_for
from leads.choices import MessageState
from leads.messaging import _failed, conversation_open
from leads.models import LeadEvent, Message

log = logging.getLogger(__name__)
CHUNK = 50


def deliver_messages(messages: list[Message]) -> int:
    """Send these messages, those still pending and due (the caller's freshly created
    outbox rows); returns how many left."""
    sent = 0
    for start in range(0, len(messages), CHUNK):
        sent += _deliver_chunk(messages[start : start + CHUNK])
    return sent


def _claim(messages: list[Message]) -> list[Message]:
    now = timezone.now()
    with transaction.atomic():
        claimed = set(
            Message.objects.select_for_update(skip_locked=True)
            .filter(pk__in=[message.pk for message in messages], state=MessageState.PENDING, not_before__lte=now)
            .values_list("pk", flat=True)
        )
        if claimed:
            Message.objects.filter(pk__in=claimed).update(
                state=MessageState.SENDING, claimed_at=now, attempts=F("attempts") + 1
            )
    return [message for message in messages if message.pk in claimed]


def _no_flush_wait() -> None:
    """Recording "sent" need not wait for the WAL flush: if PostgreSQL crashed and lost
    it, the message would stay `sending` and end `uncertain`, never sent again - the same
    guarantee. (The claim and the steps' commit do wait: losing those could send twice.)"""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _headers(message: Message) -> tuple[tuple[str, str], ...]:
    """Cadence emails carry the one-click unsubscribe of RFC 8058, which mail providers
    expect from senders of follow-up mail (the footer link stays for people)."""
    if message.channel != "email":
        return ()
    return (
        ("List-Unsubscribe", f"<{unsubscribe_url(message.lead_id)}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
    )


def _deliver_chunk(messages: list[Message]) -> int:
    done: list[tuple[Message, str, object]] = []
    for message in _claim(messages):
        message.attempts += 1
        try:
            reference = transport_for(message.channel).send(
                Outgoing(
                    recipient=message.recipient,
                    subject=message.subject,
                    body=message.body,
                    headers=_headers(message),
                    conversation_open=conversation_open(message),
                )  # fmt: skip
            )
        except TransportError as error:
            _failed(message, error)
            continue
        done.append((message, reference, timezone.now()))
    if not done:
        return 0
    with transaction.atomic():
        _no_flush_wait()
        Message.objects.filter(pk__in=[message.pk for message, _, _ in done], state=MessageState.SENDING).update(
            state=MessageState.SENT, error="", sent_at=done[-1][2]
        )
        LeadEvent.objects.bulk_create(
            LeadEvent(
                lead_id=message.lead_id, kind=f"{message.purpose}.sent", at=at, actor_label="system",
                data={"channel": message.channel, "to": message.recipient, "message": message.pk, "reference": ref},
            )
            for message, ref, at in done
        )  # fmt: skip
    return len(done)
