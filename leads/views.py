"""Public hosted form (/f/<slug>/): CSRF-protected, honeypot, mobile-friendly; it ends on
a page that states the promise time in the lead's local time."""

from __future__ import annotations

from django.core import signing
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from leadops.timezones import country_names, zone
from leads.acknowledgments import greeting_name, promise_text
from leads.actions import lead_intake
from leads.choices import InquiryType
from leads.intake import HONEYPOT_FIELD, clean_submission
from leads.models import Lead, LeadSource

FORM_FIELDS = (
    "first_name", "last_name", "email", "phone", "company", "job_title", "country", "inquiry_type",
    "product_interest", "message", "consent_email", "consent_sms", "timezone",
)  # fmt: skip
THANKS_SALT = "leadops.hosted-form.thanks"


def hosted_form(request, slug: str):
    lead_source = get_object_or_404(LeadSource, slug=slug, hosted_form_enabled=True)
    values: dict = {"inquiry_type": InquiryType.DEMO_REQUEST}
    errors: dict = {}
    status = 200
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in FORM_FIELDS}
        values[HONEYPOT_FIELD] = request.POST.get(HONEYPOT_FIELD, "")
        values["consent_email"] = bool(request.POST.get("consent_email"))
        values["consent_sms"] = bool(request.POST.get("consent_sms"))
        submission, errors = clean_submission(
            values, default_source=lead_source.default_source, allows_source=lead_source.allows
        )
        if submission:
            try:
                result = lead_intake(submission, lead_source, actor_label=f"hosted form {lead_source.slug}")
            except (OperationalError, InterfaceError):
                errors = {
                    "non_field_errors": ["We could not save your request just now. Please try again in a moment."]
                }
                status = 503
            else:
                token = signing.dumps(result.lead.pk, salt=THANKS_SALT)
                return redirect("hosted-form-thanks", slug=slug, token=token)
        else:
            status = 400
    context = {
        "lead_source": lead_source,
        "values": values,
        "errors": errors,
        "inquiry_types": InquiryType.choices,
        "honeypot": HONEYPOT_FIELD,
        "countries": sorted(country_names().items(), key=lambda item: item[1]),
    }
    return render(request, "leads/hosted_form.html", context, status=status)


def hosted_form_thanks(request, slug: str, token: str):
    try:
        lead_id = signing.loads(token, salt=THANKS_SALT, max_age=24 * 3600)
    except signing.BadSignature as error:
        raise Http404("This confirmation link has expired.") from error
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
