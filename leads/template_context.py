"""What message templates may see of a lead: plain strings, never the model instance.

A template given the live `lead` could walk its relations (`lead.owner.password`,
`lead.team.manager.auth_token.key`) into a message sent to the lead. Templates get
`lead_values(lead)`, a dict of the fields below as strings (and `extra`, the intake's
free-form object, with its scalar values as strings), so `{{ lead.first_name }}` and
`{{ lead.extra.content_url }}` render as before and nothing else is reachable."""

from __future__ import annotations

from leads.models import Inquiry, Lead

LEAD_FIELDS = (
    "first_name", "last_name", "name", "display_name", "company", "job_title", "email", "phone_e164",
    "website", "country", "region", "city", "inquiry_type", "product_interest", "message", "resolved_time_zone",
)  # fmt: skip
INQUIRY_FIELDS = ("type_label", "product_interest", "message")


def _text(value) -> str:
    return "" if value is None else str(value)


def lead_values(lead: Lead) -> dict:
    extra = lead.extra if isinstance(lead.extra, dict) else {}
    values: dict = {field: _text(getattr(lead, field)) for field in LEAD_FIELDS}
    values["extra"] = {str(key): str(value) for key, value in extra.items() if isinstance(value, str | int | float)}
    return values


def inquiry_values(inquiry: Inquiry) -> dict:
    return {
        "type_label": inquiry.get_inquiry_type_display(),
        "product_interest": _text(inquiry.product_interest),
        "message": _text(inquiry.message),
    }
