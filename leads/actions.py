"""The one door for lead writes: intake, duplicates, timeline events.

Each function validates nothing the caller already cleaned, writes inside a transaction,
records a timeline event and schedules side effects (jobs) on commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from leadops import events, languages
from leadops.inserts import insert
from leadops.timezones import resolve_time_zone, zone
from leads import enrichment, intake_statement, policies, scoring, sla
from leads.choices import IntakeChannel
from leads.intake import Submission
from leads.models import Inquiry, Lead, LeadEvent, LeadSource

DUPLICATE_WINDOW = timedelta(days=30)
LEAD_FIELDS = (
    "email", "phone", "first_name", "last_name", "name", "company", "job_title", "website", "country", "region",
    "city", "postal_code", "timezone", "inquiry_type", "source", "product_interest", "message", "external_id",
    "consent_email", "consent_sms", "utm_source", "utm_medium", "utm_campaign", "extra", "submitted_at",
    "consent_whatsapp",
)  # fmt: skip


class IntakeStatus:
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    JUNK = "junk"


@dataclass(frozen=True)
class IntakeResult:
    lead: Lead
    inquiry: Inquiry
    status: str
    replayed: bool = False

    @property
    def duplicate_of(self) -> int | None:
        return self.lead.pk if self.inquiry.is_duplicate else None


def record_event(lead: Lead, kind: str, *, actor=None, actor_label: str = "", at=None, **data) -> LeadEvent:
    """Add to the lead's timeline; who hears about it follows TIMELINE_RECORDED in
    pipeline/flow.py (the live pushes of notifications/live.py)."""
    [event] = insert(
        [LeadEvent(lead=lead, kind=kind, actor=actor, actor_label=actor_label, at=at or timezone.now(), data=data)]
    )
    events.emit(events.TIMELINE_RECORDED, lead=lead, event=event)
    return event


def _junk_reason(submission: Submission, domain: str) -> str:
    if submission.test_lead:
        return "test lead"
    if submission.honeypot_filled:
        return "honeypot field filled"
    if domain and enrichment.is_disposable(domain):
        return f"disposable email domain {domain}"
    if submission.phone and not submission.phone_valid:
        return "phone number cannot exist"
    return ""


def _status_of(inquiry: Inquiry, lead: Lead) -> str:
    if inquiry.is_duplicate:
        return IntakeStatus.DUPLICATE
    return IntakeStatus.JUNK if lead.junk else IntakeStatus.ACCEPTED


def _replay(inquiry: Inquiry) -> IntakeResult:
    return IntakeResult(lead=inquiry.lead, inquiry=inquiry, status=_status_of(inquiry, inquiry.lead), replayed=True)


def sla_targets_for(lead: Lead, at) -> sla.SlaTargets:
    schedule = policies.schedule(lead.lead_source.schedule_id)
    calendar = sla.calendar_from_schedule(schedule, lead.country, lead.region) if schedule else sla.STANDARD_CALENDAR
    return sla.compute_sla(
        policies=policies.active_policies(),
        submitted_at=at,
        temperature=lead.temperature,
        inquiry_type=lead.inquiry_type,
        source=lead.source,
        segment=lead.segment,
        named_account=lead.named_account_id is not None,
        calendar=calendar,
        tz=zone(lead.resolved_time_zone),
    )


def _apply_sla(lead: Lead, targets: sla.SlaTargets) -> None:
    lead.sla_policy_id = targets.policy_id
    lead.assign_due_at = targets.assign_by
    lead.first_contact_due_at = targets.first_contact_by
    lead.after_hours = targets.after_hours


def build_lead(submission: Submission, lead_source: LeadSource, now) -> Lead:
    lead = Lead(lead_source=lead_source, received_at=now, segment=lead_source.segment)
    for name in LEAD_FIELDS:
        setattr(lead, name, getattr(submission, name))
    lead.email_normalized = enrichment.normalize_email(submission.email)
    lead.phone_e164 = submission.phone_e164
    domain = enrichment.email_domain(lead.email_normalized) if lead.email_normalized else ""
    lead.free_mail = enrichment.is_free_mail(domain)
    lead.company_domain = enrichment.company_domain(lead.email_normalized, submission.website)
    account = policies.named_accounts().get(lead.company_domain) if lead.company_domain else None
    lead.named_account_id = account[0] if account else None
    lead.resolved_time_zone, lead.time_zone_origin = resolve_time_zone(
        payload_tz=submission.timezone,
        phone_e164=submission.phone_e164,
        country=submission.country,
        region=submission.region,
        default=settings.LEADOPS_DEFAULT_TIMEZONE,
    )
    lead.language = languages.lead_language(submission.language, submission.country)
    lead.junk_reason = _junk_reason(submission, domain)
    lead.junk = bool(lead.junk_reason)
    lead.score = scoring.score_lead(
        inquiry_type=submission.inquiry_type,
        business_email=bool(domain) and not lead.free_mail,
        company=submission.company,
        job_title=submission.job_title,
        phone=submission.phone_e164,
        named_account=lead.named_account_id is not None,
        message=submission.message,
    )
    lead.temperature = scoring.temperature_for(submission.inquiry_type, lead.score)
    _apply_sla(lead, sla_targets_for(lead, lead.submitted_at))
    return lead


def _new_inquiry(
    lead: Lead, submission: Submission, lead_source: LeadSource, now, duplicate: bool, channel: str
) -> Inquiry:
    """The inquiry of a submission, not saved yet."""
    return Inquiry(
        lead=lead,
        lead_source=lead_source,
        external_id=submission.external_id,
        inquiry_type=submission.inquiry_type,
        source=submission.source,
        product_interest=submission.product_interest,
        message=submission.message,
        submitted_at=submission.submitted_at,
        received_at=now,
        is_duplicate=duplicate,
        channel=channel,
    )


def _submitted_event(lead: Lead, now, actor_label: str) -> LeadEvent:
    """The new lead's `lead.submitted` event, not saved yet (its data gets "inquiry" when it is)."""
    first_contact_by = lead.first_contact_due_at.isoformat() if lead.first_contact_due_at else None
    data = {"temperature": lead.temperature, "score": lead.score, "junk_reason": lead.junk_reason,
            "sla_policy": lead.sla_policy_id, "first_contact_by": first_contact_by}  # fmt: skip
    return LeadEvent(lead=lead, kind="lead.submitted", actor_label=actor_label, at=now, data=data)


def _store_new_lead(lead: Lead, inquiry: Inquiry, event: LeadEvent, now) -> int | None:
    """Store a new lead with its first inquiry and event, unless a lead with the same email
    or phone came within DUPLICATE_WINDOW: then its id (nothing stored). On PostgreSQL one
    round trip (leads/intake_statement.py); elsewhere the ORM, one row at a time."""
    since = now - DUPLICATE_WINDOW
    if connection.vendor == "postgresql":
        return intake_statement.store_new_lead(lead, inquiry, event, since=since)
    if not lead.junk:
        existing = Lead.objects.recent_match(email=lead.email_normalized, phone=lead.phone_e164, since=since)
        if existing:
            return existing
    lead.save()
    inquiry.lead = lead
    inquiry.save()
    event.lead = lead
    event.data = {"inquiry": inquiry.pk, **event.data}
    event.save()
    return None


def _join_existing(
    lead: Lead, submission: Submission, lead_source: LeadSource, now, actor_label: str, channel: str
) -> Inquiry:
    """A repeat inquiry joins the lead; a hotter one reheats it and may pull its SLA in."""
    inquiry = _new_inquiry(lead, submission, lead_source, now, duplicate=True, channel=channel)
    inquiry.save()
    new_temperature = scoring.temperature_for(submission.inquiry_type, lead.score)
    data = {"inquiry": inquiry.pk, "inquiry_type": submission.inquiry_type, "source": submission.source}
    if scoring.hotter(new_temperature, lead.temperature) != lead.temperature:
        data["temperature"] = {"from": lead.temperature, "to": new_temperature}
        lead.temperature = new_temperature
        update = ["temperature", "updated_at"]
        if lead.first_attempt_at is None:
            targets = sla_targets_for(lead, submission.submitted_at)
            if lead.first_contact_due_at is None or targets.first_contact_by < lead.first_contact_due_at:
                _apply_sla(lead, targets)
                data["first_contact_by"] = targets.first_contact_by.isoformat()
                update += ["sla_policy", "assign_due_at", "first_contact_due_at", "after_hours"]
        lead.save(update_fields=update)
    record_event(lead, "inquiry.repeated", actor_label=actor_label, at=now, **data)
    return inquiry


def _store(
    submission: Submission, lead_source: LeadSource, now, actor_label: str, channel: str
) -> tuple[Lead, Inquiry]:
    """One transaction: a new lead with its inquiry, or a new inquiry on a recent lead."""
    with transaction.atomic():
        lead = build_lead(submission, lead_source, now)
        lead.route_after = None if lead.junk else now  # routed by the job, or by the sweeper
        inquiry = _new_inquiry(lead, submission, lead_source, now, duplicate=False, channel=channel)
        event = _submitted_event(lead, now, actor_label)
        existing = _store_new_lead(lead, inquiry, event, now)
        if existing:
            lead = Lead.objects.select_for_update(of=("self",)).select_related("lead_source").get(pk=existing)
            inquiry = _join_existing(lead, submission, lead_source, now, actor_label, channel)
        else:
            events.emit(events.TIMELINE_RECORDED, lead=lead, event=event)
        events.emit(events.INQUIRY_STORED, inquiry=inquiry)
    return lead, inquiry


def lead_intake(
    submission: Submission, lead_source: LeadSource, *, actor_label: str, channel: str = IntakeChannel.API
) -> IntakeResult:
    """Store a submission: a new lead, a new inquiry on a recent lead (duplicate), or,
    when its `external_id` was seen before for this source, the earlier result. `channel`
    says how it came (IntakeChannel): the acknowledgment trusts API senders more."""
    if submission.external_id:
        earlier = (
            Inquiry.objects.select_related("lead")
            .filter(lead_source=lead_source, external_id=submission.external_id)
            .first()
        )
        if earlier:
            return _replay(earlier)
    now = timezone.now()
    try:
        try:
            lead, inquiry = _store(submission, lead_source, now, actor_label, channel)
        except intake_statement.PreparedStatementsLost:  # rolled back; prepared again this time
            lead, inquiry = _store(submission, lead_source, now, actor_label, channel)
    except IntegrityError:
        # The same external_id arrived twice at once: the other request stored it.
        earlier = Inquiry.objects.select_related("lead").filter(
            lead_source=lead_source, external_id=submission.external_id
        )
        if submission.external_id and earlier.exists():
            return _replay(earlier.get())
        raise
    return IntakeResult(lead=lead, inquiry=inquiry, status=_status_of(inquiry, lead))
