"""Cal.com: meetings booked in Cal.com, from its webhooks (BOOKING_CREATED,
BOOKING_RESCHEDULED, BOOKING_CANCELLED). Signed in X-Cal-Signature-256 (hex HMAC-SHA256 of
the raw body with the webhook's secret); a connection without a secret refuses every
request, since an unsigned Cal.com webhook could come from anyone.

A reschedule is a new booking (a new uid) whose `rescheduleUid` names the old one: it
moves the meeting recorded for the old uid."""

from __future__ import annotations

from integrations.providers.base import Adapter, Incoming, PayloadError, as_dict, header, plain_text, text
from integrations.providers.scheduling import BOOKED, CANCELLED, RESCHEDULED, SchedulerEvent, moment, span
from integrations.signatures import check_calcom

ACTIONS = {"BOOKING_CREATED": BOOKED, "BOOKING_RESCHEDULED": RESCHEDULED, "BOOKING_CANCELLED": CANCELLED}


class CalcomAdapter(Adapter):
    provider = "calcom"
    meetings = True

    def verify(self, request, body, connection):
        return check_calcom(connection.secret("signing_secret"), body, header(request, "X-Cal-Signature-256"))

    def meeting(self, payload) -> SchedulerEvent | None:
        if not isinstance(payload, dict) or not isinstance(payload.get("payload"), dict):
            raise PayloadError("Expected a Cal.com webhook: {triggerEvent, payload: {uid, startTime, attendees}}.")
        trigger, booking = payload.get("triggerEvent"), payload["payload"]
        action = ACTIONS.get(trigger) if isinstance(trigger, str) else None
        if action is None:
            return None  # PING, MEETING_ENDED, BOOKING_REQUESTED...: not a booking change
        external_id = text(booking.get("uid"))
        if not external_id:
            raise PayloadError("A Cal.com booking without its uid.")
        organizer = as_dict(booking.get("organizer"))
        event = SchedulerEvent(
            action=action, external_id=external_id, invitee=attendee_lead(external_id, booking),
            previous_external_id=text(booking.get("rescheduleUid") or booking.get("fromReschedule") or ""),
            host_email=text(organizer.get("email")),
            reason=plain_text(str(booking.get("cancellationReason") or ""))[:300],
            cancelled_by=plain_text(str(booking.get("cancelledBy") or "")),
        )  # fmt: skip
        if action != CANCELLED:
            event.starts_at, event.ends_at = span(moment(booking.get("startTime")), moment(booking.get("endTime")))
        return event

    def sample(self, payload, request):
        event = self.meeting(payload)
        return event.invitee if event else None


def attendee_lead(external_id: str, booking: dict) -> Incoming:
    """The booking as an intake document (the mapping reads attendees.0 and the responses)."""
    extra = {"calcom": {"uid": external_id, "booking_id": text(booking.get("bookingId")),
                        "event_type": text(booking.get("type")), "title": text(booking.get("title"))}}  # fmt: skip
    return Incoming(provider_id=external_id, document=booking, extra=extra)
