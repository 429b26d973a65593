"""Validating a submission (SPEC §6 intake fields), shared by the API and the hosted form.

`clean_submission` never raises on bad input: it returns the cleaned fields or a dict of
field -> [messages] that the API sends as a 400 and the form shows beside its fields."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import timezone
from django.utils.translation import gettext as _

from leadops import languages
from leadops.timezones import country_names, is_time_zone
from leads.choices import InquiryType, Source
from leads.enrichment import PhoneParseError, parse_phone

MAX_FUTURE_SKEW = timedelta(minutes=5)
# How far live intake (the API, the hosted form) may backdate `submitted_at`: an old date
# would start an SLA clock that is already breached and skew the reports. History goes
# through the CSV import, which takes any date from EARLIEST_SUBMISSION on.
LIVE_BACKDATE_LIMIT = timedelta(days=30)
EARLIEST_SUBMISSION = datetime(2000, 1, 1, tzinfo=UTC)
HONEYPOT_FIELD = "fax"

# Plain text fields and their longest accepted length.
TEXT_LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "name": 200,
    "company": 200,
    "job_title": 200,
    "website": 300,
    "region": 100,
    "city": 100,
    "postal_code": 20,
    "product_interest": 200,
    "message": 5000,
    "external_id": 200,
    "utm_source": 200,
    "utm_medium": 200,
    "utm_campaign": 200,
    "email": 254,
    "phone": 40,
    "country": 2,
    "timezone": 64,
    "inquiry_type": 30,
    "source": 20,
    "submitted_at": 40,
    "language": 35,  # optional: en, ms, id or a tag such as ms-MY (README "Languages")
}
BOOLEAN_FIELDS = ("consent_email", "consent_sms", "consent_whatsapp")
TRUE_WORDS = {"true", "1", "yes", "on", "y"}
FALSE_WORDS = {"false", "0", "no", "off", "n", ""}
FIELDS = (*TEXT_LIMITS, *BOOLEAN_FIELDS, "extra", HONEYPOT_FIELD)
_email_validator = EmailValidator()


@dataclass
class Submission:
    """A valid submission, ready for `leads.actions.lead_intake`."""

    email: str = ""
    phone: str = ""
    phone_e164: str = ""
    phone_valid: bool = True
    first_name: str = ""
    last_name: str = ""
    name: str = ""
    company: str = ""
    job_title: str = ""
    website: str = ""
    country: str = ""
    region: str = ""
    city: str = ""
    postal_code: str = ""
    timezone: str = ""
    inquiry_type: str = InquiryType.GENERAL.value
    source: str = ""
    product_interest: str = ""
    message: str = ""
    submitted_at: datetime | None = None
    external_id: str = ""
    consent_email: bool = False
    consent_sms: bool = False
    consent_whatsapp: bool = False
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    language: str = ""  # en, ms, id or "" (then the country decides: leadops.languages.lead_language)
    extra: dict = field(default_factory=dict)
    honeypot_filled: bool = False
    # A provider's test lead (Google Ads "is_test"): stored as junk, so never routed,
    # acknowledged or counted. Set by the integrations, never from submitted fields.
    test_lead: bool = False


class _Errors(dict):
    def add(self, name: str, message: str) -> None:
        self.setdefault(name, []).append(message)


def _text(value: Any, name: str, errors: _Errors) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors.add(name, _("Must be a string."))
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        errors.add(name, _("Must be a string, not NaN or Infinity."))
        return ""
    text = str(value).strip()
    if "\x00" in text:
        errors.add(name, _("Must not contain NUL characters."))
        return ""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        errors.add(name, _("Must be valid Unicode text."))
        return ""
    if len(text) > TEXT_LIMITS[name]:
        errors.add(name, _("Ensure this field has no more than %(limit)d characters.") % {"limit": TEXT_LIMITS[name]})
        return ""
    return text


def _boolean(value: Any, name: str, errors: _Errors) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    errors.add(name, _("Must be true or false."))
    return False


def _extra(value: Any, errors: _Errors) -> dict:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            errors.add("extra", _("Must be a JSON object."))
            return {}
    if not isinstance(value, dict):
        errors.add("extra", _("Must be a JSON object."))
        return {}
    try:
        # Reject what PostgreSQL's jsonb cannot store (NUL, lone surrogates) and cap nesting.
        encoded = json.dumps(value, ensure_ascii=False)
        encoded.encode("utf-8")
    except (ValueError, TypeError, RecursionError, UnicodeEncodeError):
        errors.add("extra", _("Must be a JSON object of plain text, numbers and lists."))
        return {}
    if "\\u0000" in encoded or "\x00" in encoded:
        errors.add("extra", _("Must not contain NUL characters."))
        return {}
    if _depth(value) > 10:
        errors.add("extra", _("Must not nest deeper than 10 levels."))
        return {}
    if not _finite(value):
        # JSON has no NaN or Infinity (1e999 reads as Infinity), and PostgreSQL's jsonb refuses them.
        errors.add("extra", _("Numbers must be finite: NaN, Infinity and out-of-range values like 1e999 are not JSON."))
        return {}
    return value


def _finite(value: Any) -> bool:
    """No NaN or infinite float anywhere in a (depth-checked) JSON value."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(item) for item in value.values())
    if isinstance(value, list):
        return all(_finite(item) for item in value)
    return True


def _depth(value: Any, level: int = 1) -> int:
    if level > 10:
        return level
    if isinstance(value, dict):
        return max((_depth(item, level + 1) for item in value.values()), default=level)
    if isinstance(value, list):
        return max((_depth(item, level + 1) for item in value), default=level)
    return level


def _submitted_at(text: str, errors: _Errors, now: datetime, max_age: timedelta | None) -> datetime:
    if not text:
        return now
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        errors.add("submitted_at", _("Use ISO 8601 with a UTC offset, e.g. 2026-11-23T10:00:00+01:00."))
        return now
    if moment.tzinfo is None or moment.utcoffset() is None:
        errors.add("submitted_at", _("Include a UTC offset (e.g. +01:00 or Z)."))
        return now
    problem = ""
    if moment > now + MAX_FUTURE_SKEW:
        problem = "Must not be more than 5 minutes in the future."
    elif moment < EARLIEST_SUBMISSION:
        problem = "Must not be before the year 2000."
    elif max_age is not None and moment < now - max_age:
        problem = f"Must not be more than {max_age.days} days in the past; import older leads with the CSV import."
    if problem:  # and no conversion: 0001-01-01T00:00-23:59 has no UTC equivalent
        errors.add("submitted_at", problem)
        return now
    return moment.astimezone(UTC)


def clean_submission(
    data: dict,
    *,
    default_source: str,
    allows_source,
    now: datetime | None = None,
    max_age: timedelta | None = None,
) -> tuple[Submission | None, dict[str, list[str]]]:
    """Validate a submitted mapping. `allows_source(source) -> bool` says which sources
    the integration may set; `max_age` bounds how far `submitted_at` may lie in the past
    (live intake passes LIVE_BACKDATE_LIMIT). Unknown fields are ignored."""
    now = now or timezone.now()
    errors = _Errors()
    text = {name: _text(data.get(name), name, errors) for name in TEXT_LIMITS}
    submission = Submission(
        **{name: value for name, value in text.items() if name not in ("submitted_at",)},
        consent_email=_boolean(data.get("consent_email"), "consent_email", errors),
        consent_sms=_boolean(data.get("consent_sms"), "consent_sms", errors),
        consent_whatsapp=_boolean(data.get("consent_whatsapp"), "consent_whatsapp", errors),
        extra=_extra(data.get("extra"), errors),
        honeypot_filled=bool(data.get(HONEYPOT_FIELD)),
    )
    submission.submitted_at = _submitted_at(text["submitted_at"], errors, now, max_age)

    if not submission.email and not submission.phone and "email" not in errors and "phone" not in errors:
        errors.add("email", _("Give an email or a phone number."))
        errors.add("phone", _("Give an email or a phone number."))
    if submission.email:
        try:
            _email_validator(submission.email)
        except ValidationError:
            errors.add("email", _("Enter a valid email address."))
    if submission.country:
        submission.country = submission.country.upper()
        if submission.country not in country_names():
            errors.add("country", _("Use an ISO 3166-1 alpha-2 country code, e.g. US or FR."))
    if submission.phone and "country" not in errors:
        try:
            parsed = parse_phone(submission.phone, submission.country)
        except PhoneParseError as error:
            errors.add("phone", str(error))
        else:
            submission.phone_e164, submission.phone_valid = parsed.e164, parsed.valid
            if not submission.country and parsed.valid:
                submission.country = parsed.region if parsed.region in country_names() else ""
    if submission.timezone and not is_time_zone(submission.timezone):
        errors.add("timezone", _("Use an IANA time zone name, e.g. Europe/Paris."))
    if submission.language:
        submission.language = languages.normalize(submission.language) or ""
        if not submission.language:
            errors.add("language", _("Use one of: en, ms, id (a regional tag such as ms-MY is accepted)."))
    if not submission.inquiry_type:
        submission.inquiry_type = InquiryType.GENERAL.value
    elif submission.inquiry_type not in InquiryType.values:
        errors.add("inquiry_type", _("Use one of: %(values)s.") % {"values": ", ".join(InquiryType.values)})
    if not submission.source:
        submission.source = default_source
    elif submission.source not in Source.values:
        errors.add("source", _("Use one of: %(values)s.") % {"values": ", ".join(Source.values)})
    elif not allows_source(submission.source):
        errors.add("source", _("This intake key may not submit leads of that source."))
    if errors:
        return None, dict(errors)
    return submission, {}
