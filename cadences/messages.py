"""What a cadence touch says: step templates rendered with the lead and its original
inquiry. Every touch quotes the inquiry: emails end with a footer that quotes it and
carries a signed unsubscribe link; SMS and WhatsApp messages end with "Reply STOP to opt
out"; call and task steps give the rep a talk track with the quote.

Step templates are Django templates stored on the step (managers edit them in the admin);
they render as plain text (no HTML escaping) from plain strings only (the lead as a dict,
leads/template_context.py; the variables are checked on save, cadences/template_rules.py),
and compiled templates are cached by source. A step's Malay or Indonesian version is sent
in that language (dates, labels and footer too); the English one in English."""

from __future__ import annotations

import functools

from django.conf import settings
from django.core import signing
from django.template import Context, Engine, Template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, translation
from django.utils.translation import gettext as _

from leadops.booking_links import booking_url
from leadops.languages import ENGLISH
from leadops.public import absolute_url
from leadops.timezones import zone
from leads.acknowledgments import greeting_name, inquiry_phrase
from leads.messaging import one_line
from leads.models import Lead
from leads.template_context import lead_values

UNSUBSCRIBE_SALT = "leadops.cadences.unsubscribe"


def sms_opt_out() -> str:
    return _("Reply STOP to opt out.")


QUOTE_LENGTH = 300
SHORT_QUOTE_LENGTH = 60


@functools.lru_cache(maxsize=256)
def _template(source: str) -> Template:
    return Engine.get_default().from_string(source)


def unsubscribe_token(lead_id: int) -> str:
    return signing.dumps(lead_id, salt=UNSUBSCRIBE_SALT, compress=True)


def lead_for_token(token: str) -> int | None:
    """The lead id of an unsubscribe token (they do not expire), or None."""
    try:
        return int(signing.loads(token, salt=UNSUBSCRIBE_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return None


def unsubscribe_url(lead_id: int) -> str:
    path = reverse("cadence-unsubscribe", kwargs={"token": unsubscribe_token(lead_id)})
    return absolute_url(path)


def _shorten(text: str, length: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def inquiry_quote(lead: Lead) -> str:
    """The lead's own words, else what it asked for."""
    if lead.message.strip():
        return _shorten(lead.message, QUOTE_LENGTH)
    asked = lead.get_inquiry_type_display()
    return f"{asked}: {lead.product_interest}" if lead.product_interest else asked


def context(lead: Lead, owner=None) -> dict:
    owner = owner if owner is not None else lead.owner
    company = settings.LEADOPS_COMPANY_NAME
    owner_name = (
        (owner.get_full_name() or owner.get_username()) if owner else _("The %(company)s team") % {"company": company}
    )
    local_submitted = lead.submitted_at.astimezone(zone(lead.resolved_time_zone or settings.LEADOPS_DEFAULT_TIMEZONE))
    return {
        "lead": lead_values(lead),  # plain strings: a template must not reach lead.owner.password
        "greeting_name": greeting_name(lead),
        "owner_name": owner_name,
        "owner_first_name": (owner.first_name or owner.get_username()) if owner else settings.LEADOPS_COMPANY_NAME,
        "inquiry_label": inquiry_phrase(lead.inquiry_type),
        "quote": inquiry_quote(lead),
        "quote_short": _shorten(lead.message, SHORT_QUOTE_LENGTH) if lead.message.strip() else "",
        "submitted_on": dateformat.format(local_submitted, "l j F"),
        "company_name": settings.LEADOPS_COMPANY_NAME,
        "contact_phone": settings.LEADOPS_CONTACT_PHONE,
        "booking_url": booking_url(lead.pk),  # the lead's own signed link (leadops/booking_links.py)
        "reference": f"L-{lead.pk}",
    }


def render(source: str, values: dict) -> str:
    return _template(source).render(Context(values, autoescape=False))


def compose(channel: str, subject: str, body: str, lead: Lead, owner=None, language: str = ENGLISH) -> dict:
    """The message fields (channel, recipient, subject, body) of an email, SMS or WhatsApp
    step, written in `language` (the template's: CadenceStep.version). A WhatsApp message
    keeps its line breaks (WhatsApp shows them)."""
    with translation.override(language):
        return _compose(channel, subject, body, lead, owner)


def _compose(channel: str, subject: str, body: str, lead: Lead, owner) -> dict:
    values = context(lead, owner)
    if channel in ("sms", "whatsapp"):
        text = " ".join(render(body, values).split()) if channel == "sms" else render(body, values).strip()
        opt_out = sms_opt_out()
        if opt_out.lower() not in text.lower():
            text = f"{text} {opt_out}" if channel == "sms" else f"{text}\n\n{opt_out}"
        return {"channel": channel, "recipient": lead.phone_e164, "subject": "", "body": text}
    values["unsubscribe_url"] = unsubscribe_url(lead.pk)
    footer = render_to_string("cadences/email_footer.txt", values).strip()
    text = render(body, values).strip()
    return {
        "channel": "email",
        "recipient": lead.email,
        "subject": one_line(render(subject, values)),
        "body": f"{text}\n\n{footer}\n",
    }


def talk_track(body: str, lead: Lead, owner=None) -> str:
    """A call or task step's notes for the rep (with the inquiry quoted when empty)."""
    values = context(lead, owner)
    text = render(body, values).strip() if body.strip() else ""
    return text or f'They asked: "{values["quote"]}"'
