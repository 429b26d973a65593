"""Booking pieces other apps' pages show, rendered from here so their templates stay small:

{% load booking %}
{% booking_widget lead %}    the thank-you page of the hosted form: the rep's (or team's)
                             next free slots in the lead's zone, one click to book; it
                             waits (static/booking/booking.js) up to ~2 s for routing
{% meeting_section lead %}   the lead page: the meeting, reschedule, cancel, held/no-show
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.utils import timezone

from booking.actions import is_open
from booking.availability import lead_zone, offer_for
from booking.invitations import person_name
from booking.models import Meeting
from booking.views import WIDGET_SLOTS, current_offer, slot_json
from leadops.booking_links import booking_token, booking_url
from leadops.roles import is_manager

register = template.Library()
WAIT_FOR_ROUTING_MS = 2000
RESCHEDULE_CHOICES = 40


@register.inclusion_tag("booking/widget.html", takes_context=True)
def booking_widget(context, lead):
    if not settings.LEADOPS_BOOKING_ENABLED or lead is None or not is_open(lead):
        return {"enabled": False}
    now = timezone.now()
    tz = lead_zone(lead)
    meeting = lead.meetings.current(now).select_related("rep").first()
    routed = bool(lead.owner_id or lead.routing_trace)
    offer = current_offer(lead, meeting, now, limit=WIDGET_SLOTS) if routed and meeting is None else None
    return {
        "enabled": True,
        "csrf_token": context.get("csrf_token"),
        "token": booking_token(lead.pk),
        "tz_name": tz.key,
        "state": "ready" if routed or meeting else "waiting",
        "wait_ms": WAIT_FOR_ROUTING_MS,
        "offer": offer,
        "slots": [slot_json(start, tz) for start in offer.slots] if offer else [],
        "meeting": slot_json(meeting.starts_at, tz) | {"rep": person_name(meeting.rep)} if meeting else None,
    }


def _shown_meeting(lead, now) -> Meeting | None:
    """The meeting not over yet, else the last one that took place (to mark attendance)."""
    current = lead.meetings.current(now).select_related("rep").first()
    if current is not None:
        return current
    return lead.meetings.booked().filter(starts_at__lte=now).select_related("rep").order_by("-starts_at").first()


@register.inclusion_tag("booking/lead_section.html", takes_context=True)
def meeting_section(context, lead):
    user = context.get("user")
    now = timezone.now()
    meeting = _shown_meeting(lead, now)
    can_act = bool(user and (lead.owner_id == user.pk or is_manager(user)))
    slots = []
    if meeting is not None and can_act and meeting.starts_at > now and is_open(lead) and not meeting.external_provider:
        slots = offer_for(lead, now, limit=RESCHEDULE_CHOICES, ignore_meeting=meeting.pk, rep=meeting.rep).slots
    past = lead.meetings.exclude(pk=meeting.pk if meeting else None).order_by("-starts_at")[:5]
    tz = lead_zone(lead)
    return {
        "csrf_token": context.get("csrf_token"),
        "lead": lead,
        "meeting": meeting,
        "rep_name": person_name(meeting.rep) if meeting else "",
        "started": bool(meeting and meeting.starts_at <= now),
        "can_act": can_act,
        "slots": slots,
        "past": list(past),
        "lead_zone": tz.key,
        "lead_local": f"{meeting.starts_at.astimezone(tz):%a %H:%M}" if meeting else "",
        "booking_link": booking_url(lead.pk) if settings.LEADOPS_BOOKING_ENABLED and is_open(lead) else "",
    }
