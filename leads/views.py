"""Public hosted form (/f/<slug>/): CSRF-protected, honeypot, mobile-friendly; it ends on
a page that states the promise time in the lead's local time. It speaks the visitor's
language (`?lang=`, the switcher's cookie, Accept-Language; README "Languages"), and the
lead it stores keeps that language, or its country's when the visitor chose none."""

from __future__ import annotations

import hashlib
from typing import NamedTuple
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from leadops.clientip import client_ip
from leadops.languages import URL_PARAMETER, visitor_choice
from leadops.ratelimit import retry_after
from leadops.timezones import country_names, zone
from leads.acknowledgments import greeting_name, promise_text
from leads.actions import lead_intake
from leads.choices import InquiryType, IntakeChannel
from leads.enrichment import normalize_email
from leads.intake import HONEYPOT_FIELD, LIVE_BACKDATE_LIMIT, Submission, clean_submission
from leads.models import Lead, LeadSource

FORM_FIELDS = (
    "first_name", "last_name", "email", "phone", "company", "job_title", "country", "inquiry_type",
    "product_interest", "message", "consent_email", "consent_sms", "timezone", "language", "consent_whatsapp",
)  # fmt: skip
THANKS_SALT = "leadops.hosted-form.thanks"
HOUR = 3600


def _wait_text(wait: int) -> str:
    minutes = max(1, -(-wait // 60))
    return ngettext("%(minutes)d minute", "%(minutes)d minutes", minutes) % {"minutes": minutes}


def address_wait(request) -> int:
    """Seconds this client must wait before posting the form again (0: go ahead). The form
    sends an acknowledgment to whatever address it is given, so it must not become a relay."""
    bucket = f"form-ip:{client_ip(request)}"
    return retry_after(bucket, settings.LEADOPS_FORM_POSTS_PER_IP_PER_MINUTE) or retry_after(
        bucket, settings.LEADOPS_FORM_POSTS_PER_IP_PER_HOUR, window_seconds=HOUR
    )


def recipient_wait(submission: Submission) -> int:
    """Seconds before the form may write to this email address or phone number again."""
    recipients = [normalize_email(submission.email), submission.phone_e164]
    waits = [
        retry_after(
            "form-to:" + hashlib.sha256(recipient.encode()).hexdigest()[:32],
            settings.LEADOPS_FORM_POSTS_PER_RECIPIENT_PER_HOUR,
            window_seconds=HOUR,
        )
        for recipient in recipients
        if recipient
    ]
    return max(waits, default=0)


class Outcome(NamedTuple):
    errors: dict
    status: int
    lead_id: int | None = None
    retry_after: int = 0


def _refused(message: str, status: int, retry_after: int = 0) -> Outcome:
    return Outcome({"non_field_errors": [message]}, status, retry_after=retry_after)


def _submit(request, lead_source: LeadSource, values: dict) -> Outcome:
    """Throttle, validate and store one post."""
    if wait := address_wait(request):
        message = _("Too many requests from your network. Please try again in %(wait)s.") % {"wait": _wait_text(wait)}
        return _refused(message, 429, wait)
    submission, errors = clean_submission(
        values, default_source=lead_source.default_source, allows_source=lead_source.allows, max_age=LIVE_BACKDATE_LIMIT
    )
    if not submission:
        return Outcome(errors, 400)
    if wait := recipient_wait(submission):
        message = _("We already have several requests for this email or phone. Please try again in %(wait)s.") % {
            "wait": _wait_text(wait)
        }
        return _refused(message, 429, wait)
    try:
        result = lead_intake(
            submission, lead_source, actor_label=f"hosted form {lead_source.slug}", channel=IntakeChannel.HOSTED_FORM
        )
    except (OperationalError, InterfaceError):
        return _refused(_("We could not save your request just now. Please try again in a moment."), 503)
    return Outcome({}, 200, result.lead.pk)


def hosted_form(request, slug: str):
    lead_source = get_object_or_404(LeadSource, slug=slug, hosted_form_enabled=True)
    values: dict = {"inquiry_type": InquiryType.DEMO_REQUEST, "language": visitor_choice(request)}
    errors: dict = {}
    status = 200
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in FORM_FIELDS}
        values[HONEYPOT_FIELD] = request.POST.get(HONEYPOT_FIELD, "")
        values["consent_email"] = bool(request.POST.get("consent_email"))
        values["consent_sms"] = bool(request.POST.get("consent_sms"))
        values["consent_whatsapp"] = bool(request.POST.get("consent_whatsapp"))
        outcome = _submit(request, lead_source, values)
        if outcome.lead_id is not None:
            token = signing.dumps(outcome.lead_id, salt=THANKS_SALT)
            response = redirect("hosted-form-thanks", slug=slug, token=token)
            if language := request.GET.get(URL_PARAMETER, ""):
                response["Location"] += "?" + urlencode({URL_PARAMETER: language})
            return response
        errors, status = outcome.errors, outcome.status
    context = {
        "lead_source": lead_source,
        "values": values,
        "errors": errors,
        "inquiry_types": InquiryType.choices,
        "honeypot": HONEYPOT_FIELD,
        "countries": sorted(country_names().items(), key=lambda item: item[1]),
    }
    response = render(request, "leads/hosted_form.html", context, status=status)
    if request.method == "POST" and outcome.retry_after:
        response["Retry-After"] = str(outcome.retry_after)
    return response


def hosted_form_thanks(request, slug: str, token: str):
    try:
        lead_id = signing.loads(token, salt=THANKS_SALT, max_age=24 * 3600)
    except signing.BadSignature as error:
        raise Http404(_("This confirmation link has expired.")) from error
    lead = get_object_or_404(Lead, pk=lead_id, lead_source__slug=slug)
    now = timezone.now()
    local_due = (
        lead.first_contact_due_at.astimezone(zone(lead.resolved_time_zone)) if lead.first_contact_due_at else None
    )
    context = {
        "lead": lead,
        "greeting_name": greeting_name(lead),
        "promise": promise_text(lead, now),
        "local_due": local_due,
        "lead_source": lead.lead_source,
    }
    return render(request, "leads/hosted_form_thanks.html", context)
