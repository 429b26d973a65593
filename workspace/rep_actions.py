"""What a rep does from the lead page besides attempts and stages (leads/lifecycle.py)
and routing (routing/assignment.py): notes and templated emails.

A templated email is a rep's touch: it goes out through the leads outbox (exactly once;
the form's one-time token is its dedupe key, so a double submit sends nothing twice)
and is logged as an email attempt (outcome "sent"), which counts for the first response
and moves the cadence on."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from cadences.messages import compose
from cadences.models import OptOut
from leads.actions import record_event
from leads.lifecycle import LifecycleError, log_attempt
from leads.messaging import queue_message
from leads.models import Lead, LeadEvent

NOTE_LIMIT = 2000


@dataclass(frozen=True)
class EmailTemplate:
    label: str
    subject: str
    body: str


EMAIL_TEMPLATES = {
    "intro": EmailTemplate(
        "Introduction: let's talk",
        "Your {{ inquiry_label }} with {{ company_name }}",
        "Hi {{ greeting_name }},\n\nThis is {{ owner_name }} from {{ company_name }}. Thank you for your "
        "{{ inquiry_label }}; I will be the person looking after you.\n\nWhen would suit you for a 15-minute "
        "call? You can reach me on {{ contact_phone }}{% if booking_url %}, or pick a time here: "
        "{{ booking_url }}{% endif %}.\n\nBest regards,\n{{ owner_name }}",
    ),
    "missed_call": EmailTemplate(
        "Sorry I missed you",
        "Sorry I missed you, {{ greeting_name }}",
        "Hi {{ greeting_name }},\n\nI just tried to call you about your {{ inquiry_label }} but could not get "
        "through. I will try again later today; if another time is better, reply with it or call me on "
        "{{ contact_phone }}.\n\nBest regards,\n{{ owner_name }}",
    ),
    "pricing": EmailTemplate(
        "Pricing follow-up",
        "The pricing you asked about",
        "Hi {{ greeting_name }},\n\nThank you for asking about pricing. Plans depend on team size and the "
        "features you need, so the quickest way to an exact figure is a short call: reply with a good time or "
        "call me on {{ contact_phone }}{% if booking_url %} (or book here: {{ booking_url }}){% endif %}."
        "\n\nBest regards,\n{{ owner_name }}",
    ),
}


def add_note(lead: Lead, text: str, *, by) -> LeadEvent:
    """A rep's note on the timeline (pushed to the lead's other open pages)."""
    text = text.strip()[:NOTE_LIMIT]
    if not text:
        raise LifecycleError("text", "Write a note first.")
    with transaction.atomic():
        lead = Lead.objects.select_for_update(of=("self",)).get(pk=lead.pk)
        return record_event(lead, "note.added", actor=by, text=text)


def _compose(template: EmailTemplate, lead: Lead, owner, note: str) -> dict:
    fields = compose("email", template.subject, template.body, lead, owner)
    if note.strip():
        fields["body"] = f"{note.strip()}\n\n{fields['body']}"
    return fields


def email_opted_out(lead: Lead) -> bool:
    return OptOut.objects.filter(lead_id=lead.pk, channel="email").exists()


def send_templated_email(lead: Lead, template_key: str, *, by, token: str, note: str = ""):
    """Queue the email and log it as the rep's attempt; None when this form (token) was
    already sent."""
    template = EMAIL_TEMPLATES.get(template_key)
    if template is None:
        raise LifecycleError("template", "Choose one of the templates.")
    if not lead.email:
        raise LifecycleError("template", "This lead gave no email address.")
    if email_opted_out(lead):
        raise LifecycleError("template", "This lead unsubscribed from email.")
    fields = _compose(template, lead, by, note[:1000])
    with transaction.atomic():
        message = queue_message(lead, dedupe_key=f"rep-email:{lead.pk}:{token}", purpose="rep_email", **fields)
        if message is None:
            return None
        return log_attempt(lead, channel="email", outcome="sent", by=by, note=f"Email: {fields['subject']}")
