"""The instant acknowledgment (SPEC §3.4): what the lead is told, and the job that
queues it exactly once per submission.

Useful, not a no-reply: it confirms what was received, says when a human will call
("within 3 minutes", "tomorrow at 09:00 your time"), what happens next and other ways to
reach the team. Templates per temperature and for after-hours live in
templates/acknowledgments/."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from leadops.booking_links import booking_url
from leadops.timezones import zone
from leads.choices import AckState, IntakeChannel
from leads.messaging import deliver_message, one_line
from leads.models import Inquiry, Lead, LeadEvent, Message
from leads.template_context import inquiry_values, lead_values

REPEAT_QUIET_PERIOD = timedelta(hours=24)
EXCERPT_LENGTH = 140
DOMAIN_LIKE = re.compile(r"\b(?:[a-z0-9-]+\.)+[a-z]{2,}\b", re.IGNORECASE)
INQUIRY_PHRASES = {
    "demo_request": "demo request",
    "pricing": "pricing request",
    "contact_sales": "request to talk to sales",
    "cart_abandonment": "order enquiry",
    "content_download": "download request",
    "webinar": "webinar registration",
    "newsletter": "newsletter sign-up",
    "general": "message",
}


def promise_text(lead: Lead, now: datetime) -> str:
    """When a human will contact the lead, in the lead's own words and time zone."""
    due = lead.first_contact_due_at
    if due is None:
        return "shortly"
    local_due = due.astimezone(zone(lead.resolved_time_zone))
    local_now = now.astimezone(local_due.tzinfo)
    minutes = math.ceil((due - now).total_seconds() / 60)
    if not lead.after_hours and minutes <= 90:
        minutes = max(minutes, 1)
        return f"within {minutes} minute{'s' if minutes != 1 else ''}"
    clock = f"{local_due:%H:%M} your time"
    days_ahead = (local_due.date() - local_now.date()).days
    if days_ahead == 0:
        return f"today by {clock}"
    if days_ahead == 1:
        return f"tomorrow at {clock}"
    if days_ahead < 7:
        return f"on {local_due:%A} at {clock}"
    return f"on {local_due:%A %d %B} at {clock}"


def greeting_name(lead: Lead) -> str:
    return lead.first_name or (lead.name.split()[0] if lead.name.strip() else "there")


def excerpt(text: str, length: int = EXCERPT_LENGTH) -> str:
    """A short, inert quote of text from an unverified sender: one line, no control or
    direction characters, no double quotes, links and domains defanged (evil[.]example),
    at most `length` characters. So the acknowledgment cannot carry someone else's letter."""
    kept = "".join(
        " " if char.isspace() else char for char in text if unicodedata.category(char)[0] != "C" or char.isspace()
    )
    line = " ".join(kept.split()).replace('"', "'").replace("://", "[:]//")
    line = DOMAIN_LIKE.sub(lambda match: match.group(0).replace(".", "[.]"), line)
    return line if len(line) <= length else line[: length - 1].rstrip() + "…"


def quoted_message(inquiry: Inquiry) -> str:
    """The inquiry's message as the acknowledgment quotes it: whole (up to the template's
    limit) from an integration with an intake key, a short excerpt from the hosted form."""
    if inquiry.channel == IntakeChannel.API:
        return inquiry.message
    return excerpt(inquiry.message)


def _context(lead: Lead, inquiry: Inquiry, now: datetime) -> dict:
    return {
        "lead": lead_values(lead),  # plain strings, never the model instances
        "inquiry": inquiry_values(inquiry),
        "message_quote": quoted_message(inquiry),
        "greeting_name": greeting_name(lead),
        "promise": promise_text(lead, now),
        "inquiry_label": INQUIRY_PHRASES.get(inquiry.inquiry_type, "request"),
        "company_name": settings.LEADOPS_COMPANY_NAME,
        "contact_phone": settings.LEADOPS_CONTACT_PHONE,
        "booking_url": booking_url(lead.pk),  # the lead's own signed link (leadops/booking_links.py)
        "rep_name": (lead.owner.get_full_name() or lead.owner.get_username()) if lead.owner_id else "",
        "reference": f"L-{lead.pk}",
    }


def email_template(lead: Lead) -> str:
    if lead.after_hours:
        return "acknowledgments/email_after_hours.txt"
    return f"acknowledgments/email_{lead.temperature}.txt"


def compose(lead: Lead, inquiry: Inquiry, now: datetime) -> list[dict]:
    """The acknowledgment messages for one submission: email, and SMS with consent."""
    context = _context(lead, inquiry, now)
    messages = []
    if lead.email:
        messages.append(
            {
                "channel": "email",
                "recipient": lead.email,
                "subject": one_line(render_to_string("acknowledgments/email_subject.txt", context)),
                "body": render_to_string(email_template(lead), context).strip() + "\n",
            }
        )
    if lead.phone_e164 and lead.consent_sms:
        messages.append(
            {
                "channel": "sms",
                "recipient": lead.phone_e164,
                "subject": "",
                "body": " ".join(render_to_string("acknowledgments/sms.txt", context).split()),
            }
        )
    return messages


def skip_reason(lead: Lead, inquiry: Inquiry, now: datetime) -> str:
    if lead.junk:
        return f"junk: {lead.junk_reason}"
    if not lead.email and not (lead.phone_e164 and lead.consent_sms):
        return "no email and no SMS consent"
    if inquiry.is_duplicate and lead.acknowledged_at and now - lead.acknowledged_at < REPEAT_QUIET_PERIOD:
        return "repeat inquiry: acknowledged within the last 24 hours"
    return ""


def acknowledge_inquiry(inquiry_id: int) -> int:
    """Queue and send the acknowledgment of one submission; returns messages sent.

    Safe to run any number of times: the inquiry's ack_state moves from pending once,
    under a row lock, and each message has a unique dedupe key."""
    now = timezone.now()
    with transaction.atomic():
        inquiry = (
            Inquiry.objects.select_for_update(of=("self",))
            .select_related("lead", "lead__owner")  # the owner's name is in the message
            .filter(pk=inquiry_id, ack_state=AckState.PENDING)
            .first()
        )
        if inquiry is None:
            return 0
        lead = inquiry.lead
        reason = skip_reason(lead, inquiry, now)
        if reason:
            inquiry.ack_state = AckState.SKIPPED
            inquiry.save(update_fields=["ack_state"])
            LeadEvent.objects.create(
                lead=lead, kind="acknowledgment.skipped", actor_label="system", data={"reason": reason}
            )
            return 0
        message_ids = [
            Message.objects.create(
                lead=lead, dedupe_key=f"ack:{inquiry.pk}:{fields['channel']}", purpose="acknowledgment", **fields
            ).pk
            for fields in compose(lead, inquiry, now)
        ]
        inquiry.ack_state = AckState.DONE
        inquiry.save(update_fields=["ack_state"])
    return sum(deliver_message(message_id) for message_id in message_ids)
