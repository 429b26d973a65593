"""Delivering outbox messages exactly once (at most once on a crash, never twice).

A message is claimed with a conditional UPDATE (pending -> sending); only the claimer
sends. A worker that dies after claiming leaves the row in `sending`: the sweeper marks
it `uncertain` rather than sending it again."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from leadops import prepared
from leadops.queues import enqueue_on_commit
from leadops.transports import Attachment, Outgoing, PermanentTransportError, TransportError, transport_for
from leads.choices import MessageState
from leads.models import Lead, LeadEvent, Message

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(seconds=30)
SENDING_TIMEOUT = timedelta(minutes=5)
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
SUBJECT_LIMIT = 300
WHATSAPP_WINDOW = timedelta(hours=24)  # WhatsApp's customer service window


def one_line(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """A subject (or any header value) on one line: CR, LF and other control characters
    become spaces, runs of spaces one space, trimmed. A lead's name with a newline in it
    can then neither break the message (BadHeaderError) nor add a header."""
    return " ".join(_CONTROL_CHARACTERS.sub(" ", text).split())[:limit]


def conversation_open(message: Message) -> bool:
    """WhatsApp only: whether the lead's last WhatsApp message to us is under 24 hours old,
    so free text may be sent (else only an approved template)."""
    if message.channel != "whatsapp":
        return False
    since = timezone.now() - WHATSAPP_WINDOW
    replies = LeadEvent.objects.filter(lead_id=message.lead_id, kind="reply.received", at__gte=since)
    return replies.filter(data__channel="whatsapp").exists()


def queue_message(lead: Lead, *, dedupe_key: str, **fields) -> Message | None:
    """Create an outbox message (once per dedupe key) and deliver it after commit."""
    if "subject" in fields:
        fields["subject"] = one_line(fields["subject"])
    message, created = Message.objects.get_or_create(dedupe_key=dedupe_key, defaults={"lead": lead, **fields})
    if created:
        enqueue_on_commit(deliver_message, message.pk, job_id=f"message-{message.pk}")
    return message if created else None


def deliver_message(message_id: int) -> bool:
    """Send one pending message; True when this call sent it. The RQ job of every outbox
    message (enqueued by queue_message, and again by the sweeper)."""
    message = _claim(message_id, timezone.now())
    if message is None:
        return False
    try:
        reference = transport_for(message.channel).send(
            Outgoing(
                recipient=message.recipient,
                subject=message.subject,
                body=message.body,
                attachment=_attachment(message),
                conversation_open=conversation_open(message),
            )  # fmt: skip
        )
    except TransportError as error:
        _failed(message, error)
        return False
    _record_sent(message, reference, timezone.now())
    log.info(
        "%s %s sent by %s", message.purpose, message.pk, message.channel,
        extra={"lead_id": message.lead_id, "message_id": message.pk},
    )  # fmt: skip
    return True


# The sent state, the lead's acknowledged_at (for an acknowledgment) and the timeline event
# in one statement on PostgreSQL: one round trip and nothing for the ORM to build.
# Parameters: state, sent at, message, sent at, lead, is an acknowledgment, lead, kind,
# sent at, data (positional: the statement is prepared, leadops/prepared.py).
_SENT_SQL = """
WITH sent AS (
    UPDATE leads_message SET state = %s, sent_at = %s, error = '' WHERE id = %s
), acknowledged AS (
    UPDATE leads_lead SET acknowledged_at = %s
    WHERE id = %s AND acknowledged_at IS NULL AND %s
)
INSERT INTO leads_leadevent (lead_id, kind, at, actor_id, actor_label, data)
VALUES (%s, %s, %s, NULL, 'system', %s::jsonb)
"""


def _record_sent(message: Message, reference: str, sent_at) -> None:
    """Everything a sent message changes, in one commit."""
    kind = f"{message.purpose}.sent"
    data = {"channel": message.channel, "to": message.recipient, "message": message.pk, "reference": reference}
    acknowledgment = message.purpose == "acknowledgment"
    if connection.vendor == "postgresql":
        lead = message.lead_id
        params = [MessageState.SENT, sent_at, message.pk, sent_at, lead, acknowledgment, lead, kind, sent_at]
        with connection.cursor() as cursor:  # one statement: atomic on its own
            prepared.execute(cursor, _SENT_SQL, [*params, json.dumps(data)])
        return
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(state=MessageState.SENT, sent_at=sent_at, error="")
        if acknowledgment:
            Lead.objects.filter(pk=message.lead_id, acknowledged_at__isnull=True).update(acknowledged_at=sent_at)
        LeadEvent.objects.create(lead_id=message.lead_id, kind=kind, at=sent_at, actor_label="system", data=data)


def _claim(message_id: int, now) -> Message | None:
    """pending -> sending, and the claimed row, in one statement (UPDATE ... RETURNING, on
    PostgreSQL and SQLite alike); None when the message is not pending or not due."""
    sql, names, converters = _claim_statement()
    moment = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, [MessageState.SENDING, moment, message_id, MessageState.PENDING, moment])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, convert, column in converters:
        values[index] = convert(values[index], column, connection)
    return Message.from_db(connection.alias, names, values)


_claim_statements: dict[str, tuple] = {}


def _claim_statement() -> tuple[str, list[str], list]:
    """The claim's SQL, returning every column of the row, and Django's converters of
    those columns (a datetime on SQLite): worked out once, not on every message as a raw
    queryset does."""
    plan = _claim_statements.get(connection.vendor)
    if plan is None:
        meta, quote = Message._meta, connection.ops.quote_name
        columns = [field.get_col(meta.db_table) for field in meta.concrete_fields]
        converters = [
            (index, convert, column)
            for index, column in enumerate(columns)
            for convert in connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        ]
        returning = ", ".join(quote(column.target.column) for column in columns)
        sql = (
            f"UPDATE {quote(meta.db_table)} SET state = %s, claimed_at = %s, attempts = attempts + 1"  # noqa: S608
            f" WHERE id = %s AND state = %s AND not_before <= %s RETURNING {returning}"
        )  # names from the model, values as parameters
        names = [field.attname for field in meta.concrete_fields]
        plan = _claim_statements[connection.vendor] = (sql, names, converters)
    return plan


def _attachment(message: Message) -> Attachment | None:
    if not message.attachment_name:
        return None
    return Attachment(name=message.attachment_name, mime_type=message.attachment_type, content=message.attachment)


def _failed(message: Message, failure: TransportError) -> None:
    """Back to pending with back-off; failed for good after MAX_ATTEMPTS, or at once when
    the error is permanent (retrying could only fail the same way)."""
    error = str(failure)
    if message.attempts >= MAX_ATTEMPTS or isinstance(failure, PermanentTransportError):
        state, not_before = MessageState.FAILED, message.not_before
        LeadEvent.objects.create(
            lead_id=message.lead_id,
            kind=f"{message.purpose}.failed",
            actor_label="system",
            data={"channel": message.channel, "error": error[:500], "attempts": message.attempts},
        )
    else:
        state, not_before = MessageState.PENDING, timezone.now() + RETRY_BASE * 2 ** (message.attempts - 1)
    log.warning(
        "%s %s via %s failed (attempt %s): %s", message.purpose, message.pk, message.channel, message.attempts, error,
        extra={"lead_id": message.lead_id, "message_id": message.pk},
    )  # fmt: skip
    Message.objects.filter(pk=message.pk, state=MessageState.SENDING).update(
        state=state, not_before=not_before, error=error[:2000]
    )


def mark_stuck_messages_uncertain(now=None) -> int:
    """A message left in `sending` past the timeout: its worker died mid-send."""
    now = now or timezone.now()
    stuck = Message.objects.filter(state=MessageState.SENDING, claimed_at__lt=now - SENDING_TIMEOUT)
    for message_id, lead_id in stuck.values_list("pk", "lead_id")[:100]:  # the lines to look into, bounded
        log.warning(
            "message %s left in sending by a stopped worker: marked uncertain, not resent", message_id,
            extra={"lead_id": lead_id, "message_id": message_id},
        )  # fmt: skip
    return stuck.update(
        state=MessageState.UNCERTAIN, error="worker stopped while sending; not retried to avoid a double send"
    )
