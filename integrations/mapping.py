"""From a provider's payload to intake fields, and through the same validation as the API.

Each provider turns its payload into a *document*: a JSON object where the lead's answers
sit under plain keys (Meta's field_data names, Typeform's field refs, Google's column
ids, HubSpot's property names; the generic hook's body as it came). A mapping says, for
each intake field, the path of its value in that document: dotted keys and list indexes,
"contact.emails.0" (a leading "$." is allowed), or a list of paths of which the first one
found wins. The connection's `field_map` overrides the provider's defaults below."""

from __future__ import annotations

import json
from datetime import datetime

from leadops.timezones import country_names
from leads.intake import BOOLEAN_FIELDS, TEXT_LIMITS, Submission, clean_submission

MAPPABLE_FIELDS = tuple(name for name in (*TEXT_LIMITS, *BOOLEAN_FIELDS, "extra"))
_CONTACT = {
    "first_name": "first_name", "last_name": "last_name", "name": "name", "company": "company",
    "job_title": "job_title", "message": "message", "country": "country", "city": "city", "region": "region",
    "postal_code": "postal_code", "website": "website", "product_interest": "product_interest",
}  # fmt: skip
DEFAULT_MAPS: dict[str, dict[str, str | list[str]]] = {
    "meta": {
        "email": ["email", "work_email"], "phone": ["phone_number", "work_phone_number"], "name": "full_name",
        "first_name": "first_name", "last_name": "last_name", "company": "company_name", "job_title": "job_title",
        "city": "city", "region": "state", "postal_code": ["zip_code", "post_code"], "country": "country",
        "website": "website", "message": "message", "submitted_at": "created_time", "utm_source": "platform",
        "utm_campaign": "campaign_name",
    },
    "typeform": {
        **_CONTACT, "email": ["email", "type:email"], "phone": ["phone", "type:phone_number"],
        "utm_source": "hidden.utm_source", "utm_medium": "hidden.utm_medium", "utm_campaign": "hidden.utm_campaign",
        "submitted_at": "submitted_at",
    },
    "hubspot": {
        "email": "email", "phone": ["phone", "mobilephone"], "first_name": "firstname", "last_name": "lastname",
        "company": "company", "job_title": "jobtitle", "website": "website", "city": "city", "region": "state",
        "postal_code": "zip", "country": "country", "message": "message",
    },
    "google-ads": {
        "email": ["EMAIL", "WORK_EMAIL"], "phone": ["PHONE_NUMBER", "WORK_PHONE"], "name": "FULL_NAME",
        "first_name": "FIRST_NAME", "last_name": "LAST_NAME", "company": "COMPANY_NAME", "job_title": "JOB_TITLE",
        "city": "CITY", "region": "REGION", "country": "COUNTRY", "postal_code": "POSTAL_CODE",
        "submitted_at": "lead_submit_time",
    },
    "linkedin": {
        "email": ["EMAIL", "WORK_EMAIL"], "phone": ["PHONE_NUMBER", "WORK_PHONE_NUMBER"], "first_name": "FIRST_NAME",
        "last_name": "LAST_NAME", "company": "COMPANY_NAME", "job_title": "JOB_TITLE", "city": "CITY",
        "region": "STATE", "country": "COUNTRY", "postal_code": "ZIP_CODE", "website": "COMPANY_WEBSITE",
        "submitted_at": "submitted_at", "utm_campaign": "campaign",
    },
    "calendly": {
        "email": "email", "name": "name", "first_name": "first_name", "last_name": "last_name", "phone": "phone",
        "timezone": "timezone", "message": "answers_text", "utm_source": "tracking.utm_source",
        "utm_medium": "tracking.utm_medium", "utm_campaign": "tracking.utm_campaign",
    },
    "calcom": {
        "email": ["attendees.0.email", "responses.email.value"], "name": ["attendees.0.name", "responses.name.value"],
        "phone": ["attendees.0.phoneNumber", "responses.attendeePhoneNumber.value", "smsReminderNumber"],
        "timezone": "attendees.0.timeZone", "message": ["responses.notes.value", "additionalNotes"],
    },
    "generic": {
        **{name: name for name in MAPPABLE_FIELDS if name != "external_id"}, "external_id": ["external_id", "id"],
    },
}  # fmt: skip
MISSING = object()


def effective_map(provider: str, overrides: dict) -> dict[str, list[str]]:
    """The provider's defaults with the connection's overrides; an empty override removes."""
    merged = {**DEFAULT_MAPS.get(provider, {}), **(overrides or {})}
    return {name: path if isinstance(path, list) else [path] for name, path in merged.items() if path}


def lookup(document, path: str):
    """The value at a dotted path ("a.b.0.c", "$.a.b"), or MISSING."""
    value = document
    path = path[2:] if path.startswith("$.") else path
    for part in path.split(".") if path else []:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            return MISSING
    return value


def _plain(name: str, value):
    """A mapped value as the intake expects it: text (lists joined), booleans kept."""
    if name == "extra" or name in BOOLEAN_FIELDS:
        return value
    if isinstance(value, list):
        return ", ".join(str(item) for item in value if isinstance(item, str | int | float) and item != "")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | str):
        return value
    return None  # objects cannot fill a text field


def apply_map(document, mapping: dict[str, list[str]]) -> dict:
    fields = {}
    for name, paths in mapping.items():
        for path in paths:
            value = lookup(document, path)
            if value is not MISSING and value not in (None, "", []):
                plain = _plain(name, value)
                if plain is not None:
                    fields[name] = plain
                    break
    return fields


def _country_code(value: str) -> str:
    """Providers send names ("United States") where the intake wants ISO codes."""
    if not isinstance(value, str) or len(value.strip()) <= 2:
        return value
    wanted = value.strip().lower()
    aliases = {"usa": "US", "united states of america": "US", "uk": "GB", "united kingdom": "GB"}
    if wanted in aliases:
        return aliases[wanted]
    return next((code for code, name in country_names().items() if name.lower() == wanted), value)


def clean_mapped(fields: dict, lead_source, *, now: datetime | None = None):
    """Validate mapped fields like the API does, but keep the lead when only a side field is
    wrong: such a field is dropped (and reported) rather than losing the whole lead, since
    a provider cannot fix its payload on a retry. Returns (submission, errors, dropped)."""
    data = dict(fields)
    if "country" in data:
        data["country"] = _country_code(data["country"])
    submission, errors = clean_submission(
        data, default_source=lead_source.default_source, allows_source=lead_source.allows, now=now
    )
    if not errors:
        return submission, {}, {}
    dropped = {name: messages for name, messages in errors.items() if data.get(name) not in (None, "")}
    if not dropped:
        return None, errors, {}
    for name in dropped:
        data.pop(name)
    submission, second = clean_submission(
        data, default_source=lead_source.default_source, allows_source=lead_source.allows, now=now
    )
    if second:
        return None, {**errors, **second}, {}
    return submission, {}, dropped


def preview(submission: Submission) -> dict:
    """The lead a submission would make, for the admin's "try a sample" page."""
    names = ("email", "phone", "phone_e164", *(name for name in MAPPABLE_FIELDS if name not in ("email", "phone")))
    shown = {name: getattr(submission, name) for name in names if getattr(submission, name, None) not in ("", None)}
    shown["submitted_at"] = submission.submitted_at.isoformat() if submission.submitted_at else None
    if "extra" in shown:
        shown["extra"] = json.dumps(shown["extra"], ensure_ascii=False)
    return shown
