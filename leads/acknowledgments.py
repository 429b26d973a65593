"""The instant acknowledgment (SPEC §3.4): what the lead is told, and the job that
queues it exactly once per submission.

Useful, not a no-reply: it confirms what was received, says when a human will call
("within 3 minutes", "tomorrow at 09:00 your time"), what happens next and other ways to
reach the team. Templates per temperature and for after-hours live in
templates/acknowledgments/.

In the lead's language (README "Languages"): when managers gave the message a Malay or
Indonesian version (cadences.AcknowledgmentTranslation, looked up through
`register_translations`), the lead's language picks it and the promise, the dates and the
labels are written in that language; otherwise the English files, in English."""

from __future__ import annotations

import functools
import logging
import math
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.template import Context, Engine, Template
from django.template.loader import render_to_string
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from leadops.booking_links import booking_url
from leadops.compiled import CompiledQuery
from leadops.inserts import insert
from leadops.languages import ENGLISH, INDONESIAN
from leadops.timezones import zone
from leads.choices import AckState, IntakeChannel
from leads.messaging import deliver_message, one_line
from leads.models import Inquiry, Lead, LeadEvent, Message
from leads.template_context import inquiry_values, lead_values

log = logging.getLogger(__name__)
REPEAT_QUIET_PERIOD = timedelta(hours=24)
EXCERPT_LENGTH = 140
DOMAIN_LIKE = re.compile(r"\b(?:[a-z0-9-]+\.)+[a-z]{2,}\b", re.IGNORECASE)
INQUIRY_PHRASES = {
    "demo_request": gettext_lazy("demo request"),
    "pricing": gettext_lazy("pricing request"),
    "contact_sales": gettext_lazy("request to talk to sales"),
    "cart_abandonment": gettext_lazy("order enquiry"),
    "content_download": gettext_lazy("download request"),
    "webinar": gettext_lazy("webinar registration"),
    "newsletter": gettext_lazy("newsletter sign-up"),
    "general": gettext_lazy("message"),
}
CLOCK_FORMATS = {INDONESIAN: "H.i"}  # Indonesian writes 09.30; English and Malay 09:30
# Managers' Malay and Indonesian versions (cadences registers the lookup, cadences/apps.py):
# (kind, language) -> (subject, body) template sources, or None for the English files.
_translations: list[Callable[[str, str], tuple[str, str] | None]] = []


def register_translations(lookup: Callable[[str, str], tuple[str, str] | None]) -> None:
    _translations[:] = [lookup]


def inquiry_phrase(inquiry_type: str) -> str:
    """What the lead asked for, as the messages name it, in the active language."""
    return str(INQUIRY_PHRASES.get(inquiry_type) or _("request"))


def promise_text(lead: Lead, now: datetime) -> str:
    """When a human will contact the lead, in the lead's time zone and the active language
    (day and month names and the clock written as that language writes them)."""
    due = lead.first_contact_due_at
    if due is None:
        return _("shortly")
    local_due = due.astimezone(zone(lead.resolved_time_zone))
    local_now = now.astimezone(local_due.tzinfo)
    minutes = math.ceil((due - now).total_seconds() / 60)
    if not lead.after_hours and minutes <= 90:
        minutes = max(minutes, 1)
        return ngettext("within %(minutes)d minute", "within %(minutes)d minutes", minutes) % {"minutes": minutes}
    clock = dateformat.format(local_due, CLOCK_FORMATS.get(translation.get_language() or ENGLISH, "H:i"))
    days_ahead = (local_due.date() - local_now.date()).days
    if days_ahead == 0:
        return _("today by %(clock)s your time") % {"clock": clock}
    if days_ahead == 1:
        return _("tomorrow at %(clock)s your time") % {"clock": clock}
    day = dateformat.format(local_due, "l" if days_ahead < 7 else "l d F")
    return _("on %(day)s at %(clock)s your time") % {"day": day, "clock": clock}


def greeting_name(lead: Lead) -> str:
    return lead.first_name or (lead.name.split()[0] if lead.name.strip() else pgettext("greeting", "there"))


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
        "inquiry_label": inquiry_phrase(inquiry.inquiry_type),
        "company_name": settings.LEADOPS_COMPANY_NAME,
        "contact_phone": settings.LEADOPS_CONTACT_PHONE,
        "booking_url": booking_url(lead.pk),  # the lead's own signed link (leadops/booking_links.py)
        "rep_name": (lead.owner.get_full_name() or lead.owner.get_username()) if lead.owner_id else "",
        "reference": f"L-{lead.pk}",
    }


def email_kind(lead: Lead) -> str:
    return "email_after_hours" if lead.after_hours else f"email_{lead.temperature}"


def email_template(lead: Lead) -> str:
    return f"acknowledgments/{email_kind(lead)}.txt"


@functools.lru_cache(maxsize=64)
def _compiled(source: str) -> Template:
    return Engine.get_default().from_string(source)


def _render(source: str, context: dict) -> str:
    return _compiled(source).render(Context(context, autoescape=False))


def translated_version(kind: str, language: str) -> tuple[str, str] | None:
    """The managers' (subject, body) of this message in the lead's language, if any."""
    if language == ENGLISH or not _translations:
        return None
    return _translations[0](kind, language)


def compose(lead: Lead, inquiry: Inquiry, now: datetime) -> list[dict]:
    """The acknowledgment messages for one submission: email, and a text with consent -
    by WhatsApp when the lead agreed to it (how many leads in Malaysia and Indonesia expect
    to be reached), else by SMS; one text, never both. Each in the lead's language when
    that version exists (WhatsApp falls back on the SMS version), else in English."""
    messages = []
    if lead.email:
        version = translated_version(email_kind(lead), lead.language)
        with translation.override(lead.language if version else ENGLISH):
            context = _context(lead, inquiry, now)
            if version:
                subject, body = _render(version[0], context), _render(version[1], context)
            else:
                subject = render_to_string("acknowledgments/email_subject.txt", context)
                body = render_to_string(email_template(lead), context)
        messages.append(
            {"channel": "email", "recipient": lead.email, "subject": one_line(subject), "body": body.strip() + "\n"}
        )
    if lead.phone_e164 and lead.consent_whatsapp:
        version = translated_version("whatsapp", lead.language) or translated_version("sms", lead.language)
        with translation.override(lead.language if version else ENGLISH):
            context = _context(lead, inquiry, now)
            text = (
                _render(version[1], context) if version else render_to_string("acknowledgments/whatsapp.txt", context)
            )
        messages.append({"channel": "whatsapp", "recipient": lead.phone_e164, "subject": "", "body": text.strip()})
    elif lead.phone_e164 and lead.consent_sms:
        version = translated_version("sms", lead.language)
        with translation.override(lead.language if version else ENGLISH):
            context = _context(lead, inquiry, now)
            text = _render(version[1], context) if version else render_to_string("acknowledgments/sms.txt", context)
        messages.append({"channel": "sms", "recipient": lead.phone_e164, "subject": "", "body": " ".join(text.split())})
    return messages


def skip_reason(lead: Lead, inquiry: Inquiry, now: datetime) -> str:
    if lead.junk:
        return f"junk: {lead.junk_reason}"
    if not lead.email and not (lead.phone_e164 and (lead.consent_sms or lead.consent_whatsapp)):
        return "no email and no SMS or WhatsApp consent"
    if inquiry.is_duplicate and lead.acknowledged_at and now - lead.acknowledged_at < REPEAT_QUIET_PERIOD:
        return "repeat inquiry: acknowledged within the last 24 hours"
    return ""


# The submissions still waiting for their acknowledgment, locked, with their leads and the
# leads' owners (whose names are in the message): compiled once per number of ids
# (leadops/compiled.py).
PENDING_INQUIRIES = CompiledQuery(
    lambda inquiry_ids: (
        Inquiry.objects.select_for_update(of=("self",))
        .select_related("lead", "lead__owner")
        .filter(pk__in=inquiry_ids, ack_state=AckState.PENDING)
        .order_by("pk")
    )
)


def acknowledge_inquiry(inquiry_id: int) -> int:
    """Queue and send the acknowledgment of one submission; returns messages sent.

    Safe to run any number of times: the inquiry's ack_state moves from pending once,
    under a row lock, and each message has a unique dedupe key."""
    return _acknowledge_together([inquiry_id])


def acknowledge_inquiries(inquiry_ids: list[int]) -> int:
    """acknowledge_inquiry for several submissions (the leads one job routed): one
    transaction queues all their messages, which are then sent one by one, each claimed
    just before it is sent (leads/messaging.py). If that transaction fails (one lead's
    message cannot be written: a manager's broken translation), each is tried on its own,
    so the others do not wait for the sweeper; the failing one is logged and left to it."""
    try:
        return _acknowledge_together(inquiry_ids)
    except Exception:
        if len(inquiry_ids) == 1:
            raise
        log.exception("acknowledging inquiries %s together failed; trying each on its own", inquiry_ids)
    sent = 0
    for inquiry_id in inquiry_ids:
        try:
            sent += _acknowledge_together([inquiry_id])
        except Exception:
            log.exception("acknowledging inquiry %s failed; the sweeper will retry", inquiry_id)
    return sent


def _acknowledge_together(inquiry_ids: list[int]) -> int:
    now = timezone.now()
    with transaction.atomic():
        outbox, done = [], []
        for inquiry in PENDING_INQUIRIES.all(sorted(set(inquiry_ids))):
            lead = inquiry.lead
            reason = skip_reason(lead, inquiry, now)
            if reason:
                _skip(inquiry, reason)
                continue
            outbox += [
                Message(
                    lead=lead, dedupe_key=f"ack:{inquiry.pk}:{fields['channel']}", purpose="acknowledgment", **fields
                )
                for fields in compose(lead, inquiry, now)
            ]
            done.append(inquiry.pk)
        message_ids = [message.pk for message in insert(outbox)]
        if done:
            Inquiry.objects.filter(pk__in=done).update(ack_state=AckState.DONE)
    return sum(deliver_message(message_id) for message_id in message_ids)


def _skip(inquiry: Inquiry, reason: str) -> None:
    inquiry.ack_state = AckState.SKIPPED
    inquiry.save(update_fields=["ack_state"])
    LeadEvent.objects.create(
        lead=inquiry.lead, kind="acknowledgment.skipped", actor_label="system", data={"reason": reason}
    )
