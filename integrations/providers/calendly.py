"""Calendly: meetings booked in Calendly, from its v2 webhook subscriptions (invitee.created,
invitee.canceled). Signed in Calendly-Webhook-Signature (t=<seconds>,v1=<hex HMAC-SHA256 of
"t.body" with the subscription's signing key>), 3 minutes of tolerance.

A reschedule in Calendly cancels the old invitee (rescheduled: true, new_invitee) and
creates a new one (old_invitee): the creation moves the meeting recorded for the old
invitee; the cancellation of a rescheduled invitee is not a cancellation and is ignored."""

from __future__ import annotations

from integrations.providers.base import Adapter, Incoming, PayloadError, as_dict, as_list, header, plain_text, text
from integrations.providers.scheduling import BOOKED, CANCELLED, RESCHEDULED, SchedulerEvent, moment, span
from integrations.signatures import check_calendly

PHONE_LOCATIONS = ("outbound_call", "inbound_call")


class CalendlyAdapter(Adapter):
    provider = "calendly"
    meetings = True

    def verify(self, request, body, connection):
        return check_calendly(connection.secret("signing_secret"), body, header(request, "Calendly-Webhook-Signature"))

    def meeting(self, payload) -> SchedulerEvent | None:
        if not isinstance(payload, dict) or not isinstance(payload.get("payload"), dict):
            raise PayloadError("Expected a Calendly webhook: {event, payload: {uri, email, scheduled_event}}.")
        kind, invitee = payload.get("event"), payload["payload"]
        if not isinstance(kind, str) or kind not in ("invitee.created", "invitee.canceled"):
            return None  # routing forms and other events are not bookings
        if kind == "invitee.canceled" and invitee.get("rescheduled") is True:
            return None  # the new invitee's invitee.created moves the meeting
        external_id = plain_text(invitee.get("uri") or "")[:300] if isinstance(invitee.get("uri"), str) else ""
        if not external_id:
            raise PayloadError("A Calendly invitee without its uri.")
        scheduled = as_dict(invitee.get("scheduled_event"))
        hosts = [item for item in as_list(scheduled.get("event_memberships")) if isinstance(item, dict)]
        cancellation = as_dict(invitee.get("cancellation"))
        event = SchedulerEvent(
            action=CANCELLED if kind == "invitee.canceled" else RESCHEDULED if invitee.get("old_invitee") else BOOKED,
            external_id=external_id, invitee=invitee_lead(external_id, invitee, scheduled),
            previous_external_id=text(invitee.get("old_invitee")) if invitee.get("old_invitee") else "",
            host_email=text(hosts[0].get("user_email")) if hosts else "",
            reason=plain_text(str(cancellation.get("reason") or ""))[:300],
            cancelled_by=plain_text(str(cancellation.get("canceler_type") or cancellation.get("canceled_by") or "")),
        )  # fmt: skip
        if event.action != CANCELLED:
            event.starts_at, event.ends_at = span(
                moment(scheduled.get("start_time")), moment(scheduled.get("end_time"))
            )
        return event

    def sample(self, payload, request):
        event = self.meeting(payload)
        return event.invitee if event else None


def invitee_lead(external_id: str, invitee: dict, scheduled: dict) -> Incoming:
    """The invitee as an intake document: its own fields, a phone from the SMS reminder
    number or a phone-call location, and the answers to the booking questions as text."""
    location = as_dict(scheduled.get("location"))
    phone = text(invitee.get("text_reminder_number")) or (
        text(location.get("location")) if location.get("type") in PHONE_LOCATIONS else ""
    )
    answers = {
        plain_text(str(item.get("question")))[:100]: plain_text(str(item.get("answer")))
        for item in as_list(invitee.get("questions_and_answers"))
        if isinstance(item, dict) and item.get("question") and item.get("answer")
    }
    document = {**invitee, "phone": phone, "answers_text": "\n".join(f"{q}: {a}" for q, a in answers.items())}
    extra = {"calendly": {"invitee": external_id, "event": text(scheduled.get("uri")) if scheduled.get("uri") else "",
                          "event_name": text(scheduled.get("name"))}, "answers": answers}  # fmt: skip
    return Incoming(provider_id=external_id, document=document, extra=extra)
