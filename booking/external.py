"""Meetings booked in another scheduler (Calendly, Cal.com), recorded exactly as a LeadOps
booking is: the same Meeting row, timeline events (meeting.booked / rescheduled /
cancelled, so the live pushes and the outbound `meeting.booked` webhook follow), and the
same domain events (pipeline/flow.py: the cadence's call steps cancelled, a reminder task
planned, moved or dropped), under the same locks (lead, then rep).

What differs, and why: the other scheduler already chose the time, so no slot rule
(hours, notice, horizon) is applied - only the database's no-overlap constraints; and it
sends its own invitations, so no ICS email goes out (a second invitation with another UID
would put the call twice in both calendars).

The meeting keeps the provider's name and id (external_provider, external_id), so a
redelivery is a replay and a reschedule or cancellation finds it. The integrations app
verifies the webhook, finds or makes the lead and calls `record_external_meeting`; it may
not import booking (they are siblings), so pipeline/apps.py installs this function as its
meeting recorder (integrations/meetings.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from booking.actions import _lock_reps, _settle_lead, _times, new_uid
from booking.availability import team_for
from booking.models import Meeting, MeetingStatus
from leadops import events
from leads.actions import record_event
from leads.models import Lead
from routing.models import Team

BOOKED, RESCHEDULED, CANCELLED = "booked", "rescheduled", "cancelled"
REPLAY, IGNORED, NO_REP, CLOSED, CONFLICT = "replay", "ignored", "no_rep", "closed", "conflict"


@dataclass
class Recorded:
    """What a scheduler's event became: the outcome, the meeting and lead, and why not."""

    outcome: str
    meeting_id: int | None = None
    lead_id: int | None = None
    detail: str = ""


def _host(email: str):
    """The LeadOps user the scheduler names as the host (by email, case-insensitive)."""
    if not email:
        return None
    users = get_user_model().objects.filter(email__iexact=email.strip(), is_active=True).order_by("pk")
    return users.first()


def _find(provider: str, *external_ids: str) -> Meeting | None:
    for external_id in external_ids:
        if external_id:
            meeting = Meeting.objects.filter(external_provider=provider, external_id=external_id).first()
            if meeting is not None:
                return meeting
    return None


def _lock(lead_id: int) -> Lead:
    return Lead.objects.select_for_update(of=("self",)).select_related("owner").get(pk=lead_id)


def _event_data(meeting: Meeting, provider: str) -> dict:
    return {"rep": meeting.rep.get_username(), "rep_id": meeting.rep_id, "via": provider,
            "external_id": meeting.external_id, **_times(meeting)}  # fmt: skip


def record_external_meeting(
    *,
    provider: str,
    action: str,
    external_id: str,
    lead_id: int | None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    previous_external_id: str = "",
    host_email: str = "",
    reason: str = "",
    cancelled_by: str = "",
    now: datetime | None = None,
) -> Recorded:
    """Book, move or cancel the meeting the scheduler reports (call inside a transaction).
    `lead_id` is the invitee's lead (None when nobody matched: only a known meeting can then
    be changed). Idempotent: the same event twice is a replay."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = _find(provider, external_id, previous_external_id)
        if action == CANCELLED:
            return _cancel(meeting, provider, reason, cancelled_by, now)
        if meeting is None:
            return _book(provider, external_id, lead_id, starts_at, ends_at, host_email, now)
        return _move(meeting, provider, external_id, starts_at, ends_at, now)


def _book(provider, external_id, lead_id, starts_at, ends_at, host_email, now) -> Recorded:
    if lead_id is None:
        return Recorded(IGNORED, detail="no lead for this meeting")
    lead = _lock(lead_id)
    first = _find(provider, external_id)  # the same event, delivered twice at once: the other came first
    if first is not None:
        return Recorded(REPLAY, first.pk, lead.pk, "already recorded")
    if lead.junk:
        return Recorded(CLOSED, lead_id=lead.pk, detail=f"lead L-{lead.pk} is junk ({lead.junk_reason or 'junk'})")
    host = _host(host_email)
    rep = host or lead.owner
    if rep is None:
        return Recorded(
            NO_REP, lead_id=lead.pk,
            detail=f"the host {host_email or '(none given)'} is no active LeadOps user and lead L-{lead.pk} has no "
            "owner yet: give the host's LeadOps user that email, or let routing assign the lead (the provider "
            "retries)",
        )  # fmt: skip
    _lock_reps([rep.pk])
    meeting = Meeting(
        lead=lead, rep=rep, starts_at=starts_at.astimezone(UTC), ends_at=ends_at.astimezone(UTC), uid=new_uid(),
        booked_at=now, booked_via=provider, external_provider=provider, external_id=external_id,
    )  # fmt: skip
    problem = _save(meeting)
    if problem:
        return Recorded(CONFLICT, lead_id=lead.pk, detail=problem)
    team_id = lead.team_id or Team.objects.filter(members=rep.pk).values_list("pk", flat=True).first()
    _settle_lead(lead, meeting, team_id or team_for(lead), now)
    record_event(lead, "meeting.booked", actor_label=provider, at=now, pooled=False, **_event_data(meeting, provider))
    events.emit(events.MEETING_BOOKED, meeting=meeting, at=now)
    return Recorded(BOOKED, meeting.pk, lead.pk, f"with {rep.get_username()}" + ("" if host else " (the lead's owner)"))


def _save(meeting: Meeting, **kwargs) -> str:
    try:
        with transaction.atomic():
            meeting.save(**kwargs)
    except IntegrityError:
        return (
            f"{meeting.rep.get_username()} already has a meeting at {meeting.starts_at:%Y-%m-%d %H:%M} UTC "
            "that overlaps this one"
        )
    return ""


def _move(meeting: Meeting, provider, external_id, starts_at, ends_at, now) -> Recorded:
    lead = _lock(meeting.lead_id)
    meeting = Meeting.objects.select_related("rep").get(pk=meeting.pk)
    meeting.lead = lead
    same_time = meeting.starts_at == starts_at and meeting.ends_at == ends_at
    if not meeting.is_booked or (same_time and meeting.external_id == external_id):
        return Recorded(REPLAY, meeting.pk, lead.pk, "already recorded")
    _lock_reps([meeting.rep_id])
    previous = meeting.starts_at
    meeting.starts_at, meeting.ends_at = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    meeting.external_id = external_id
    meeting.sequence += 1
    meeting.rescheduled_count += 1
    problem = _save(meeting, update_fields=["starts_at", "ends_at", "external_id", "sequence", "rescheduled_count"])
    if problem:
        return Recorded(CONFLICT, meeting.pk, lead.pk, problem)
    record_event(
        lead, "meeting.rescheduled", actor_label=provider, at=now, previous_start=previous.astimezone(UTC).isoformat(),
        **_event_data(meeting, provider),
    )  # fmt: skip
    events.emit(events.MEETING_RESCHEDULED, meeting=meeting, at=now)
    return Recorded(RESCHEDULED, meeting.pk, lead.pk, f"moved from {previous.astimezone(UTC).isoformat()}")


def _cancel(meeting: Meeting | None, provider, reason, cancelled_by, now) -> Recorded:
    if meeting is None:
        return Recorded(IGNORED, detail="no meeting recorded with this id (booked before the connection existed?)")
    lead = _lock(meeting.lead_id)
    meeting = Meeting.objects.select_related("rep").get(pk=meeting.pk)
    meeting.lead = lead
    if not meeting.is_booked:
        return Recorded(REPLAY, meeting.pk, lead.pk, "already cancelled")
    meeting.status, meeting.cancelled_at = MeetingStatus.CANCELLED, now
    meeting.cancelled_by = (cancelled_by or provider)[:150]
    meeting.cancel_reason = reason[:300]
    meeting.sequence += 1
    meeting.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "sequence"])
    record_event(lead, "meeting.cancelled", actor_label=provider, at=now, reason=reason[:300],
                 **_event_data(meeting, provider))  # fmt: skip
    events.emit(events.MEETING_CANCELLED, meeting=meeting, at=now)
    return Recorded(CANCELLED, meeting.pk, lead.pk, f"cancelled by {meeting.cancelled_by}")
