"""Alerts that do not wait for someone to look at the queue:

- hot-lead alerts (SPEC §3.9): an SMS to the rep who got the lead and a message to the
  team's Slack/Teams channel, each with name, company, phone, source, temperature and a
  link. They go through the leads outbox (`queue_message`, unique dedupe keys), so each is
  sent exactly once however often the assignment is retried. The rep chooses in their
  profile (RepProfile.sms_alerts) SMS for hot leads only (the default), every lead, or
  none; `alert_content` is what the SMS and the web push (webpush/) both carry;
- the SLA watch: `sla_watch(now)`, run by the sweeper, records "sla.warning" when 80% of
  a lead's first-contact time has gone without an attempt and "sla.breached" when it has
  all gone. The timeline event is the once-guard: a lead gets each at most once, and
  recording it pushes it to the rep's and team's open pages (notifications.live)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy, pgettext

from leadops.public import absolute_url
from leadops.timezones import zone
from leads import policies
from leads.actions import record_event
from leads.choices import Stage, Temperature
from leads.messaging import queue_message
from leads.models import Lead, LeadEvent
from routing import config as routing_config
from routing.models import AlertChoice, Team

log = logging.getLogger(__name__)
WARNING_SHARE = 0.8  # warn when this share of the first-contact time has gone
BREACH_LOOKBACK = timedelta(days=1)  # older breaches are history, not alerts
MIN_WARNING_HORIZON = timedelta(hours=2)
BATCH = 500
OPEN_STAGES = (Stage.NEW, Stage.ASSIGNED)  # not attempted yet (an attempt moves the stage on)


# --- the SLA clock's warning point ---------------------------------------------------------------


def sla_target(lead: Lead) -> timedelta | None:
    """The first-contact target of the lead's policy, else the time it was given."""
    policy = next((policy for policy in policies.active_policies() if policy.pk == lead.sla_policy_id), None)
    if policy is not None and policy.first_contact_within:
        return policy.first_contact_within
    if lead.first_contact_due_at and lead.submitted_at:
        return max(lead.first_contact_due_at - lead.submitted_at, timedelta(0))
    return None


def sla_warning_at(lead: Lead) -> datetime | None:
    """When 80% of the first-contact time has gone. Counted back from the due time, so a
    lead that arrived after hours is warned about just before its due time next morning,
    not in the middle of the night."""
    due = lead.first_contact_due_at
    target = sla_target(lead)
    if due is None or target is None:
        return None
    return due - target * (1 - WARNING_SHARE)


def _warning_horizon() -> timedelta:
    targets = [policy.first_contact_within for policy in policies.active_policies() if policy.first_contact_within]
    return max([target * (1 - WARNING_SHARE) for target in targets] + [MIN_WARNING_HORIZON])


def _emit_once(lead_id: int, kind: str, now: datetime) -> bool:
    """Record `kind` on the lead unless it has it already or was attempted meanwhile."""
    with transaction.atomic():
        lead = (
            Lead.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(pk=lead_id, first_attempt_at__isnull=True)
            .first()
        )
        if lead is None or LeadEvent.objects.filter(lead_id=lead_id, kind=kind).exists():
            return False
        left = (lead.first_contact_due_at - now).total_seconds()
        record_event(
            lead, kind, at=now, actor_label="sla watch", due_at=lead.first_contact_due_at.isoformat(),
            owner_id=lead.owner_id, seconds_left=round(left),
        )  # fmt: skip
    return True


def sla_watch(now: datetime | None = None) -> dict[str, int]:
    """Warn about leads at 80% of their first-contact time and flag breaches, once each."""
    now = now or timezone.now()
    waiting = Lead.objects.filter(
        junk=False, first_attempt_at__isnull=True, stage__in=OPEN_STAGES, first_contact_due_at__isnull=False
    )
    counts = {"sla_warnings": 0, "sla_breaches": 0}
    breached = (
        waiting.filter(first_contact_due_at__lte=now, first_contact_due_at__gt=now - BREACH_LOOKBACK)
        .filter(~Exists(LeadEvent.objects.filter(lead=OuterRef("pk"), kind="sla.breached")))
        .order_by("first_contact_due_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    for lead_id in list(breached):
        counts["sla_breaches"] += _emit_once(lead_id, "sla.breached", now)
    soon = (
        waiting.filter(first_contact_due_at__gt=now, first_contact_due_at__lte=now + _warning_horizon())
        .filter(~Exists(LeadEvent.objects.filter(lead=OuterRef("pk"), kind="sla.warning")))
        .only("pk", "sla_policy_id", "submitted_at", "first_contact_due_at")
        .order_by("first_contact_due_at")[:BATCH]
    )
    for lead in list(soon):
        warning_at = sla_warning_at(lead)
        if warning_at is not None and warning_at <= now:
            counts["sla_warnings"] += _emit_once(lead.pk, "sla.warning", now)
    return counts


# --- hot-lead alerts -------------------------------------------------------------------------------


def lead_link(lead: Lead) -> str:
    return absolute_url(reverse("workspace-lead", args=[lead.pk]))


def wants(choice: str, temperature: str) -> bool:
    """A rep's per-channel choice (routing.models.AlertChoice): all, hot only, none."""
    return choice == AlertChoice.ALL or (choice == AlertChoice.HOT and temperature == Temperature.HOT)


# In the rep's language (alert_content's `language`: their profile's, else LANGUAGE_CODE).
HEADLINES = {
    "lead.assigned": gettext_lazy("New %(temperature)s lead L-%(id)s"),
    "lead.reassigned": gettext_lazy("Lead L-%(id)s moved to you"),
    "task.due": gettext_lazy("Call due: L-%(id)s"),
    "sla.warning": gettext_lazy("SLA almost gone: L-%(id)s"),
}


def alert_content(
    lead: Lead, kind: str = "lead.assigned", time_zone: str | None = None, language: str | None = None
) -> dict:
    """What every alert beyond the page carries (the rep's SMS, the web push, the team
    chat): who, how to call, where from, how hot, by when, and the link to the lead. The
    deadline reads in the rep's time zone, the words in `language` (the rep's; empty or
    None: LANGUAGE_CODE), including the one-line `summary`."""
    due = lead.first_contact_due_at if lead.first_attempt_at is None else None
    with translation.override(language or settings.LANGUAGE_CODE):
        temperature = str(lead.get_temperature_display())
        content = {
            "lead_id": lead.pk,
            "kind": kind,
            "headline": str(HEADLINES.get(kind, HEADLINES["lead.assigned"]))
            % {"id": lead.pk, "temperature": temperature.lower()},
            "name": lead.display_name or f"L-{lead.pk}",
            "company": lead.company,
            "phone": lead.phone_e164 or lead.phone,
            "tel": f"tel:{lead.phone_e164}" if lead.phone_e164 else "",
            "source": str(lead.get_source_display()),
            "temperature": temperature,
            "sla_due_at": due.isoformat() if due else None,
            "sla_due": _deadline(due, time_zone) if due else "",
            "url": reverse("workspace-lead", args=[lead.pk]),
            "link": lead_link(lead),
            "open": pgettext("an alert's link to the lead", "Open"),
        }
        content["summary"] = _summary(content)
    return content


def _deadline(due: datetime, time_zone: str | None) -> str:
    try:
        place = zone(time_zone or settings.LEADOPS_DEFAULT_TIMEZONE)
    except ValueError:
        place = zone(settings.LEADOPS_DEFAULT_TIMEZONE)
    local = timezone.localtime(due, place)
    today = timezone.localtime(timezone.now(), place).date()
    when = date_format(local, "H:i") if local.date() == today else date_format(local, "D d M H:i")
    return gettext("call by %(time)s") % {"time": when}


def _summary(content: dict) -> str:
    parts = [content["name"], content["company"], content["phone"] or gettext("no phone"), content["source"]]
    parts += [content["temperature"].lower(), content["sla_due"]]
    return ", ".join(part for part in parts if part)


def alert_summary(content: dict) -> str:
    """One line of the content: the SMS body and the push notification's body."""
    return content["summary"]


def sla_deadline_text(lead: Lead) -> str:
    """The first-contact deadline in the team's time zone (UTC without a team), e.g.
    "Tue 24 Nov 11:03 EST"."""
    if lead.first_contact_due_at is None:
        return "-"
    name = Team.objects.filter(pk=lead.team_id).values_list("schedule__time_zone", flat=True).first()
    local = lead.first_contact_due_at.astimezone(zone(name or "UTC"))
    return f"{local:%a %d %b %H:%M} {local.tzname()}"


def alert_lines(lead: Lead) -> list[str]:
    return [
        f"Name: {lead.display_name or '-'}",
        f"Company: {lead.company or '-'}",
        f"Phone: {lead.phone or lead.phone_e164 or '-'}",
        f"Source: {lead.get_source_display()}",
        f"Temperature: {lead.get_temperature_display()}",
        f"Call by (SLA): {sla_deadline_text(lead)}",
        f"Open: {lead_link(lead)}",
    ]


def sms_text(lead: Lead, kind: str = "lead.assigned", time_zone: str | None = None, language: str | None = None) -> str:
    content = alert_content(lead, kind, time_zone, language)
    return f"{content['headline']}: {alert_summary(content)}. {content['open']}: {content['link']}"


def chat_text(lead: Lead, owner_name: str | None) -> tuple[str, str]:
    who = f"for {owner_name}" if owner_name else "waiting in the team's queue: nobody is available"
    return f"Hot lead L-{lead.pk} {who}", "\n".join(alert_lines(lead))


def _sms_profile(lead: Lead, owner_id: int | None):
    """The rep's profile if they gave a number and want this lead's SMS alerts, else None."""
    profile = routing_config.rep_profile(owner_id) if owner_id else None
    return profile if profile and profile.sms_phone and wants(profile.sms_alerts, lead.temperature) else None


def _chat_webhook(lead: Lead) -> str:
    """The team's chat webhook for a hot lead ("" otherwise, or when the team has none)."""
    return routing_config.team_chat_webhook(lead.team_id) if lead.temperature == Temperature.HOT else ""


def _rep_sms(lead: Lead, owner_id: int, kind: str):
    """The SMS to the lead's rep, if they gave a number and want this lead's alerts."""
    profile = _sms_profile(lead, owner_id)
    if profile is None:
        return None
    prefix = "hot-sms" if lead.temperature == Temperature.HOT else "lead-sms"
    return queue_message(
        lead,
        dedupe_key=f"{prefix}:{lead.pk}:{owner_id}",
        purpose="hot_alert" if lead.temperature == Temperature.HOT else "lead_alert",
        channel="sms",
        recipient=profile.sms_phone,
        body=sms_text(lead, kind, profile.time_zone, profile.language),
    )


def has_alerts(lead: Lead, owner_id: int | None) -> bool:
    """Whether hot_lead_alerts would queue anything for this lead, from what is already in
    memory in a routing job (the rep profile its decision read, the cached team webhooks):
    most leads have none, and then the caller needs no savepoint around it."""
    return not lead.junk and (_sms_profile(lead, owner_id) is not None or bool(_chat_webhook(lead)))


def hot_lead_alerts(lead: Lead, owner_id: int | None, kind: str = "lead.assigned") -> list:
    """Queue the SMS to the owner (once per lead and rep; hot leads by default, every lead
    or none as the rep chose in their profile) and, for a hot lead, the team chat message
    (once per lead); returns the messages queued now."""
    if lead.junk:
        return []
    queued = [_rep_sms(lead, owner_id, kind)] if owner_id else []
    webhook = _chat_webhook(lead)
    if webhook:
        profile = routing_config.rep_profile(owner_id) if owner_id else None
        owner = profile.user if profile else get_user_model().objects.filter(pk=owner_id).first() if owner_id else None
        subject, body = chat_text(lead, (owner.get_full_name() or owner.get_username()) if owner else None)
        queued.append(
            queue_message(
                lead,
                dedupe_key=f"hot-chat:{lead.pk}",
                purpose="hot_alert",
                channel="chat",
                recipient=webhook,
                subject=subject,
                body=body,
            )
        )
    return [message for message in queued if message is not None]
