"""A meeting's ICS invitation (RFC 5545/5546, built with `icalendar`) and the emails that
carry it to the lead and the rep, through the leads outbox (exactly once per change: the
dedupe key names the meeting, its SEQUENCE and the recipient).

The invitation is METHOD:REQUEST with the meeting's UID, SEQUENCE, DTSTART/DTEND in UTC,
the rep as ORGANIZER, the lead (and the rep, accepted) as ATTENDEEs, a 15-minute alarm,
and the lead's booking link (cancel or reschedule) in URL and DESCRIPTION. A reschedule
sends a REQUEST with the same UID and a higher SEQUENCE; a cancellation METHOD:CANCEL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parseaddr

import icalendar
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from booking.availability import lead_zone, safe_zone
from booking.models import Meeting, MeetingStatus
from leadops.booking_links import booking_url
from leads.messaging import queue_message

REQUEST, CANCEL = "REQUEST", "CANCEL"
PRODID = "-//LeadOps//Meeting booking//EN"
ALARM_BEFORE = timedelta(minutes=15)


def person_name(user) -> str:
    return user.get_full_name() or user.get_username()


def organizer_email(rep) -> str:
    return rep.email or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def _address(value: str, name: str, **params) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(value)
    address.params["CN"] = icalendar.vText(name)
    for key, param in params.items():
        address.params[key.replace("_", "-").upper()] = icalendar.vText(param)
    return address


def _lead_address(lead) -> str:
    if lead.email:
        return f"mailto:{lead.email}"
    return f"tel:{lead.phone_e164}" if lead.phone_e164 else ""


def summary(meeting: Meeting) -> str:
    return f"{settings.LEADOPS_COMPANY_NAME}: meeting with {person_name(meeting.rep)}"


def description(meeting: Meeting, link: str) -> str:
    lead = meeting.lead
    lines = [
        f"{person_name(meeting.rep)} will call {lead.display_name}"
        + (f" on {lead.phone_e164}" if lead.phone_e164 else "")
        + " at this time.",
        f"Reference L-{lead.pk}.",
    ]
    if lead.message:
        lines.append(f'Request: "{lead.message[:300]}"')
    lines.append(f"Reschedule or cancel: {link}")
    return "\n".join(lines)


def build_ics(meeting: Meeting, method: str, *, link: str, stamp: datetime | None = None) -> str:
    """The invitation (REQUEST) or cancellation (CANCEL) of the meeting's current state."""
    stamp = stamp or timezone.now()
    lead, rep = meeting.lead, meeting.rep
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    event = icalendar.Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", meeting.starts_at.astimezone(UTC))
    event.add("dtend", meeting.ends_at.astimezone(UTC))
    event.add("summary", summary(meeting))
    event.add("description", description(meeting, link))
    event.add("location", f"Phone call{': ' + lead.phone_e164 if lead.phone_e164 else ''}")
    event.add("url", link)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    event.add("organizer", _address(f"mailto:{organizer_email(rep)}", person_name(rep)))
    if _lead_address(lead):
        event.add(
            "attendee",
            _address(_lead_address(lead), lead.display_name or "Guest", role="REQ-PARTICIPANT",
                     partstat="NEEDS-ACTION", rsvp="TRUE"),
        )  # fmt: skip
    event.add(
        "attendee", _address(f"mailto:{organizer_email(rep)}", person_name(rep), role="CHAIR", partstat="ACCEPTED")
    )
    if method == REQUEST:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary(meeting))
        alarm.add("trigger", -ALARM_BEFORE)
        event.add_component(alarm)
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def _when(meeting: Meeting, tz) -> str:
    start, end = meeting.starts_at.astimezone(tz), meeting.ends_at.astimezone(tz)
    return f"{start:%A %d %B %Y}, {start:%H:%M}-{end:%H:%M} ({tz.key})"


def queue_invitations(meeting: Meeting, method: str, *, change: str) -> int:
    """Email the invitation (or cancellation) to the lead and the rep; `change` says why
    (booked, rescheduled, cancelled). Returns the messages queued (0 on a replay)."""
    lead, rep = meeting.lead, meeting.rep
    link = booking_url(lead.pk)
    ics = build_ics(meeting, method, link=link)
    rep_zone = safe_zone(getattr(getattr(rep, "rep_profile", None), "time_zone", ""))
    context = {
        "meeting": meeting, "lead": lead, "rep_name": person_name(rep), "change": change, "link": link,
        "company_name": settings.LEADOPS_COMPANY_NAME, "cancelled": meeting.status == MeetingStatus.CANCELLED,
        "lead_url": settings.LEADOPS_PUBLIC_URL.rstrip("/") + f"/leads/{lead.pk}/",
    }  # fmt: skip
    attachment = {
        "attachment_name": "invite.ics" if method == REQUEST else "cancel.ics",
        "attachment_type": f"text/calendar; method={method}",
        "attachment": ics,
    }
    queued = 0
    for audience, recipient, tz in (("lead", lead.email, lead_zone(lead)), ("rep", rep.email, rep_zone)):
        if not recipient:
            continue
        audience_context = context | {"when": _when(meeting, tz), "audience": audience}
        message = queue_message(
            lead,
            dedupe_key=f"meeting:{meeting.pk}:{meeting.sequence}:{audience}",
            purpose="meeting_invitation" if method == REQUEST else "meeting_cancellation",
            channel="email",
            recipient=recipient,
            subject=render_to_string("booking/email_subject.txt", audience_context).strip(),
            body=render_to_string(f"booking/email_{audience}.txt", audience_context).strip() + "\n",
            **attachment,
        )
        queued += message is not None
    return queued
