"""The integrations' door into intake: a provider's lead goes through the same validation
(leads.intake.clean_submission, via integrations.mapping.clean_mapped) and the same
`leads.actions.lead_intake` as the API - dedupe, junk, SLA clock, acknowledgment and
routing all follow from there. Idempotent on the provider's id: it becomes the inquiry's
external_id ("<provider>:<id>", unique per lead source), so a replay finds the first lead."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.db import transaction

from integrations import meetings
from integrations.choices import HookOutcome, Provider
from integrations.mapping import apply_map, clean_mapped, effective_map
from integrations.models import Connection, HookDelivery, RemoteFetch
from integrations.providers.base import Adapter, Incoming, json_safe
from leadops.queues import enqueue_on_commit
from leads.actions import IntakeResult, IntakeStatus, lead_intake

INTEGRATIONS_QUEUE = "integrations"


@dataclass
class Taken:
    """What one incoming lead became."""

    outcome: str
    result: IntakeResult | None = None
    errors: dict = field(default_factory=dict)
    dropped: dict = field(default_factory=dict)

    @property
    def lead_id(self) -> int | None:
        return self.result.lead.pk if self.result else None

    def detail(self) -> str:
        if self.errors:
            return "Not a usable lead: " + json.dumps(self.errors, ensure_ascii=False)[:1800]
        if self.dropped:
            return "Fields left out: " + json.dumps(self.dropped, ensure_ascii=False)[:1800]
        return ""


def mapped_fields(connection: Connection, incoming: Incoming) -> dict:
    """The intake fields of an incoming lead: mapped, plus the connection's defaults, the
    provider id as external_id and what the provider told us in `extra`."""
    fields = apply_map(incoming.document, effective_map(connection.provider, connection.field_map))
    fields.setdefault("inquiry_type", connection.inquiry_type)
    if connection.source:
        fields.setdefault("source", connection.source)
    if connection.provider == Provider.GENERIC:
        external_id = str(fields.get("external_id") or incoming.provider_id)
    else:
        external_id = f"{connection.provider}:{incoming.provider_id}" if incoming.provider_id else ""
    fields["external_id"] = external_id
    mapped_extra = fields.get("extra") if isinstance(fields.get("extra"), dict) else {}
    fields["extra"] = {**mapped_extra, **incoming.extra, "integration": connection.slug}
    return fields


def take_lead(connection: Connection, incoming: Incoming) -> Taken:
    """Store one lead through the intake door (call inside a transaction)."""
    submission, errors, dropped = clean_mapped(mapped_fields(connection, incoming), connection.lead_source)
    if errors:
        return Taken(HookOutcome.INVALID, errors=errors)
    submission.test_lead = incoming.test_lead
    result = lead_intake(
        submission, connection.lead_source, actor_label=f"{connection.provider} hook {connection.slug}"
    )
    if result.replayed:
        outcome = HookOutcome.REPLAY
    elif incoming.test_lead:
        outcome = HookOutcome.TEST
    else:
        outcome = {
            IntakeStatus.DUPLICATE: HookOutcome.DUPLICATE,
            IntakeStatus.JUNK: HookOutcome.JUNK,
        }.get(result.status, HookOutcome.ACCEPTED)
    return Taken(outcome, result=result, dropped=dropped)


@dataclass
class Received:
    """What a verified request became: the log row, and the lead or the fetches."""

    delivery: HookDelivery
    taken: Taken | None = None
    fetches: int = 0
    meeting: object | None = None  # what the meeting recorder said (Calendly, Cal.com)


def schedule_fetch(fetch: RemoteFetch) -> None:
    from integrations.tasks import fetch_remote_lead

    enqueue_on_commit(
        fetch_remote_lead,
        fetch.pk,
        job_id=f"hook-fetch-{fetch.pk}-{fetch.attempts}",
        at=fetch.next_attempt_at if fetch.attempts else None,
        queue=INTEGRATIONS_QUEUE,
    )


def _store_announced(connection: Connection, adapter: Adapter, payload, delivery: HookDelivery) -> int:
    """Meta, HubSpot: each announced id is stored once; a replayed id is not fetched again."""
    announced = adapter.announced(payload)
    created = 0
    for provider_id, context in announced:
        notification = context.get("notificationId")  # LinkedIn: dedupe on it too
        if (
            notification
            and RemoteFetch.objects.filter(connection=connection, context__notificationId=notification).exists()
        ):
            continue
        fetch, new = RemoteFetch.objects.get_or_create(
            connection=connection, provider_id=provider_id, defaults={"delivery": delivery, "context": context}
        )
        if new:
            created += 1
            schedule_fetch(fetch)
    ids = [provider_id for provider_id, _ in announced]
    delivery.provider_ids = ", ".join(ids)[:500]
    delivery.outcome = HookOutcome.QUEUED if created else HookOutcome.REPLAY if ids else HookOutcome.IGNORED
    return created


def receive(connection: Connection, adapter: Adapter, payload, request) -> Received:
    """A verified, parsed request: logged, and its lead stored (or its fetches queued).
    Raises PayloadError for a body of the wrong shape (nothing is stored then)."""
    with transaction.atomic():
        delivery = HookDelivery(
            connection=connection,
            method=request.method,
            verified=True,
            payload=json_safe(payload),
            outcome=HookOutcome.IGNORED,
        )
        if adapter.meetings:
            received = Received(delivery)
            _take_meeting(connection, adapter, payload, received)
        elif adapter.fetches:
            adapter.announced(payload)  # the shape is checked before anything is stored
            delivery.save()
            received = Received(delivery, fetches=_store_announced(connection, adapter, payload, delivery))
        else:
            incoming = adapter.lead(payload, request)
            received = Received(delivery)
            if incoming is not None:
                received.taken = take_lead(connection, incoming)
                delivery.outcome = received.taken.outcome
                delivery.detail = received.taken.detail()
                delivery.lead_id = received.taken.lead_id
                delivery.provider_ids = incoming.provider_id[:500]
                delivery.status_code = 400 if received.taken.errors else 200
        reading = getattr(request, "signature_reading", "")
        if reading:
            delivery.detail = f"{delivery.detail}\n{reading}".strip()
        delivery.save()
    return received


def _take_meeting(connection: Connection, adapter: Adapter, payload, received: Received) -> None:
    """Calendly, Cal.com: the invitee's lead (matched, else made through the intake door),
    then the meeting booked, moved or cancelled by the booking app's recorder."""
    delivery = received.delivery
    event = adapter.meeting(payload)
    if event is None:
        return  # an event that is not a booking change: logged as ignored
    delivery.provider_ids = event.external_id[:500]
    lead_id = meetings.matching_lead(mapped_fields(connection, event.invitee))
    if lead_id is None and event.action != meetings.CANCELLED:
        received.taken = take_lead(connection, event.invitee)
        if received.taken.errors:
            delivery.outcome, delivery.status_code = HookOutcome.INVALID, 400
            delivery.detail = received.taken.detail()
            return
        lead_id = received.taken.lead_id
    recorded = meetings.recorder()(
        provider=connection.provider, action=event.action, external_id=event.external_id, lead_id=lead_id,
        starts_at=event.starts_at, ends_at=event.ends_at, previous_external_id=event.previous_external_id,
        host_email=event.host_email, reason=event.reason, cancelled_by=event.cancelled_by,
    )  # fmt: skip
    received.meeting = recorded
    delivery.outcome, delivery.status_code = meetings.OUTCOMES[recorded.outcome]
    delivery.lead_id = recorded.lead_id or lead_id
    made = f"lead L-{lead_id} made through the intake door ({received.taken.outcome}); " if received.taken else ""
    delivery.detail = (made + recorded.detail)[:2000]
