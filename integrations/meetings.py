"""Meetings booked in Calendly or Cal.com: from a verified webhook to a LeadOps meeting.

The adapter reads the event (booked, rescheduled or cancelled; the provider's id; the
times; the host's email; the invitee as an intake document). Here the invitee is matched
to a lead - by email, then by phone (the most recent lead that is not junk) - and an
unknown person becomes a lead through the intake door (integrations.inbound.take_lead:
validation, dedupe, SLA clock, acknowledgment, routing). Then the meeting itself is
recorded by the booking app's `record_external_meeting`.

Integrations and booking are siblings in one layer and may not import each other, so the
recorder is an extension point: pipeline/apps.py (a layer above both) installs booking's
function here when the apps load, as it installs the domain events' flow."""

from __future__ import annotations

from collections.abc import Callable

from integrations.choices import HookOutcome
from integrations.providers.base import plain_text
from integrations.providers.scheduling import BOOKED, CANCELLED, RESCHEDULED, SchedulerEvent
from leads.enrichment import PhoneParseError, normalize_email, parse_phone
from leads.models import Lead

__all__ = ["BOOKED", "CANCELLED", "RESCHEDULED", "SchedulerEvent", "install_recorder", "matching_lead", "recorder"]
# The recorder's outcomes, as the delivery log says them, with what the hook answers.
OUTCOMES = {
    "booked": (HookOutcome.MEETING_BOOKED, 200),
    "rescheduled": (HookOutcome.MEETING_MOVED, 200),
    "cancelled": (HookOutcome.MEETING_CANCELLED, 200),
    "replay": (HookOutcome.REPLAY, 200),
    "ignored": (HookOutcome.IGNORED, 200),
    "no_rep": (HookOutcome.INVALID, 422),  # the provider retries; routing may have given the lead an owner by then
    "closed": (HookOutcome.INVALID, 422),
    "conflict": (HookOutcome.INVALID, 409),
}


class RecorderMissing(RuntimeError):
    """No meeting recorder was installed (the `pipeline` app is not loaded)."""


_recorder: Callable | None = None


def install_recorder(recorder: Callable) -> None:
    """Set the function that records a scheduler's meeting (booking.external)."""
    global _recorder
    _recorder = recorder


def recorder() -> Callable:
    if _recorder is None:
        raise RecorderMissing("no meeting recorder is installed: add 'pipeline' to INSTALLED_APPS")
    return _recorder


def matching_lead(fields: dict) -> int | None:
    """The invitee's lead: the latest non-junk lead with that email, else with that phone."""
    leads = Lead.objects.filter(junk=False).order_by("-submitted_at", "-pk")
    email = plain_text(fields["email"]) if isinstance(fields.get("email"), str) else ""
    if "@" in email and len(email) <= 254:
        found = leads.filter(email_normalized=normalize_email(email)).values_list("pk", flat=True).first()
        if found:
            return found
    phone = plain_text(str(fields["phone"]))[:40] if isinstance(fields.get("phone"), str | int) else ""
    if phone.strip():
        country = plain_text(fields["country"]) if isinstance(fields.get("country"), str) else ""
        try:
            e164 = parse_phone(phone, country.upper()[:2]).e164
        except PhoneParseError:
            return None
        return leads.filter(phone_e164=e164).values_list("pk", flat=True).first()
    return None
