"""The unsubscribe link of cadence emails: /unsubscribe/<signed token>/.

GET shows what will happen and a button; POST unsubscribes (the button, or a mail
provider's one-click List-Unsubscribe-Post). The signed token is the only credential, so
the POST needs no CSRF token; mail scanners that prefetch links (GET) change nothing."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from cadences.messages import lead_for_token
from cadences.progress import opt_out
from leads.models import Lead


def _masked(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:2]}…@{domain}" if domain else "your address"


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    lead_id = lead_for_token(token)
    lead = Lead.objects.filter(pk=lead_id).first() if lead_id else None
    if lead is None:
        raise Http404("This unsubscribe link is not valid.")
    done = request.method == "POST"
    if done:
        opt_out(lead, "email", source="unsubscribe link")
    context = {
        "done": done,
        "masked_email": _masked(lead.email),
        "company_name": settings.LEADOPS_COMPANY_NAME,
        "contact_phone": settings.LEADOPS_CONTACT_PHONE,
    }
    return render(request, "cadences/unsubscribe.html", context)
