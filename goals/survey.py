"""The lead's one-question survey ("How quickly did we get back to you?").

Once a lead has been reached by phone (an attempt with outcome connected), and when
LEADOPS_LEAD_SURVEY_ENABLED is on, the worker emails them a link to /survey/<signed
token>/ after LEADOPS_LEAD_SURVEY_DELAY_MINUTES: signed with SECRET_KEY like the booking
link, expiring after LEADOPS_LEAD_SURVEY_LINK_DAYS, one email per lead (outbox dedupe key)
and one answer per lead (a one-to-one row). Leads that unsubscribed from email, junk leads
and leads without an email address get none."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import translation

from cadences.models import OptOut
from goals.models import LeadSurveyAnswer
from leads.choices import AttemptOutcome
from leads.messaging import queue_message
from leads.models import Attempt, Lead, Message

SALT = "leadops.goals.lead-survey"
PURPOSE = "lead_survey"
WINDOW = timedelta(days=7)  # leads connected longer ago than this are not asked any more
BATCH = 200


def survey_token(lead_id: int) -> str:
    return signing.dumps(int(lead_id), salt=SALT)


def read_survey_token(token: str) -> int:
    """The lead id of a survey token. Raises signing.SignatureExpired for an old link and
    signing.BadSignature for a forged or damaged one."""
    max_age = timedelta(days=settings.LEADOPS_LEAD_SURVEY_LINK_DAYS)
    value = signing.loads(token, salt=SALT, max_age=max_age)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise signing.BadSignature("not a survey token")
    return value


def survey_url(lead_id: int) -> str:
    return settings.LEADOPS_PUBLIC_URL.rstrip("/") + f"/survey/{survey_token(lead_id)}/"


def due_leads(now: datetime):
    delay = timedelta(minutes=settings.LEADOPS_LEAD_SURVEY_DELAY_MINUTES)
    connected = Attempt.objects.filter(lead=OuterRef("pk"), outcome=AttemptOutcome.CONNECTED, at__lte=now - delay)
    asked = Message.objects.filter(lead=OuterRef("pk"), purpose=PURPOSE)
    opted_out = OptOut.objects.filter(lead=OuterRef("pk"), channel="email")
    answered = LeadSurveyAnswer.objects.filter(lead=OuterRef("pk"))
    return (
        Lead.objects.countable()
        .filter(first_connected_at__gte=now - WINDOW, first_connected_at__lte=now - delay)
        .exclude(email="")
        .filter(Exists(connected))
        .exclude(Exists(asked) | Exists(opted_out) | Exists(answered))
        .order_by("first_connected_at")
    )


def send_due_surveys(now: datetime) -> int:
    """Queue the survey email of every lead due one (a batch per sweep); returns how many."""
    if not settings.LEADOPS_LEAD_SURVEY_ENABLED:
        return 0
    sent = 0
    for lead in due_leads(now).select_related("owner")[:BATCH]:
        context = {
            "lead": lead,
            "url": survey_url(lead.pk),
            "company_name": settings.LEADOPS_COMPANY_NAME,
            "rep_name": (lead.owner.get_full_name() or lead.owner.get_username()) if lead.owner else "",
        }
        with translation.override(lead.language or "en"):  # the lead's language, as their other emails
            subject = render_to_string("goals/lead_survey_subject.txt", context).strip()
            body = render_to_string("goals/lead_survey_email.txt", context).strip() + "\n"
        message = queue_message(
            lead, dedupe_key=f"{PURPOSE}:{lead.pk}", purpose=PURPOSE, channel="email", recipient=lead.email,
            subject=subject, body=body,
        )  # fmt: skip
        sent += message is not None
    return sent
