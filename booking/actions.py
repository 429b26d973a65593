"""The one door for meeting writes: book, reschedule, cancel, mark attendance.

Each runs in one transaction that locks the lead row, then the rep row(s) in id order (so
two bookings never wait on each other in a cycle), re-reads the rep's calendar under the
lock and checks the slot again, writes, records a timeline event, emits the domain event
(pipeline/flow.py: the cadence's call steps cancelled, a reminder planned) and queues the
ICS emails in the outbox - all committed together or not at all. Two leads racing for one
slot: the second waits for the first's lock and then finds the slot busy; the database
constraints (booking/models.py) refuse an overlap even if this code were bypassed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from booking.availability import pool_ids, rep_calendars, rules_for_rep, rules_for_team, safe_zone, team_for
from booking.invitations import CANCEL, REQUEST, queue_invitations
from booking.models import Attendance, BookedVia, BookingSettings, Meeting, MeetingStatus
from booking.slots import BEYOND_HORIZON, NOT_OFFERED, TAKEN, TOO_SOON, slot_problem
from leadops import events
from leads.actions import record_event
from leads.choices import Stage
from leads.models import Lead

CLOSED, NOBODY, NOT_BOOKED, STARTED, NOT_STARTED = "closed", "nobody", "not_booked", "started", "not_started"
EXTERNAL = "external"
PROBLEMS = {
    TAKEN: "Sorry, that time was just taken.",
    TOO_SOON: "That time is too soon (or already past) to book.",
    BEYOND_HORIZON: "That time is further ahead than we take bookings.",
    NOT_OFFERED: "That is not one of the times on offer.",
    CLOSED: "This request is closed, so there is nothing to book.",
    NOBODY: "Nobody can take a booking right now: we will call you instead.",
    NOT_BOOKED: "There is no booked meeting to change.",
    STARTED: "That meeting has already started.",
    NOT_STARTED: "Attendance can be marked once the meeting has started.",
    EXTERNAL: "This meeting was booked in Calendly or Cal.com: move or cancel it there (LeadOps follows).",
}
DEFAULT_REMINDER = timedelta(minutes=15)


class BookingError(Exception):
    def __init__(self, code: str):
        super().__init__(PROBLEMS.get(code, code))
        self.code = code


def is_open(lead: Lead) -> bool:
    return not lead.junk and lead.stage not in (Stage.DISQUALIFIED, Stage.CONVERTED)


def _lock_lead(lead_id: int) -> Lead:
    lead = Lead.objects.select_for_update(of=("self",)).select_related("owner").filter(pk=lead_id).first()
    if lead is None or not is_open(lead):
        raise BookingError(CLOSED)
    return lead


def _lock_reps(rep_ids: list[int]) -> None:
    User = get_user_model()
    list(User.objects.select_for_update(no_key=True).filter(pk__in=rep_ids).order_by("pk").values_list("pk"))


def new_uid() -> str:
    host = urlsplit(settings.LEADOPS_PUBLIC_URL).hostname or "leadops"
    return f"meeting-{uuid.uuid4().hex}@{host}"


def _times(meeting: Meeting) -> dict:
    return {
        "meeting": meeting.pk,
        "starts_at": meeting.starts_at.astimezone(UTC).isoformat(),
        "ends_at": meeting.ends_at.astimezone(UTC).isoformat(),
    }


def _by_load(rep_ids: list[int], now: datetime) -> list[int]:
    """Pool candidates, the one with the fewest meetings ahead first."""
    counts = dict(
        get_user_model()
        .objects.filter(pk__in=rep_ids)
        .annotate(ahead=Count("meetings", filter=Q(meetings__status="booked", meetings__starts_at__gte=now)))
        .values_list("pk", "ahead")
    )
    return sorted(rep_ids, key=lambda rep_id: (counts.get(rep_id, 0), rep_id))


def _save_or_taken(meeting: Meeting, **kwargs) -> None:
    try:
        with transaction.atomic():  # a savepoint: the constraint's refusal becomes a "taken"
            meeting.save(**kwargs)
    except IntegrityError as error:
        raise BookingError(TAKEN) from error


def book(lead_id: int, start: datetime, *, via: str = BookedVia.LINK, now: datetime | None = None) -> Meeting:
    """The lead books `start`: with its owner, or (nobody owns it yet) with a rep of its
    team free then, who becomes its owner. A lead that already has a meeting moves it."""
    now, start = now or timezone.now(), start.astimezone(UTC)
    with transaction.atomic():
        lead = _lock_lead(lead_id)
        current = lead.meetings.current(now).first()
        if current is not None:
            return _move(current, lead, start, now, by_label="lead")
        if lead.owner_id:
            candidates, team_id, rules = [lead.owner_id], lead.team_id, rules_for_rep(lead, lead.owner_id)
        else:
            team_id = team_for(lead)
            candidates, rules = pool_ids(team_id), rules_for_team(team_id)
        if not candidates:
            raise BookingError(NOBODY)
        _lock_reps(candidates)
        calendars = rep_calendars(candidates, now, rules.horizon)
        problem = NOT_OFFERED
        for rep_id in _by_load(candidates, now):
            problem = slot_problem(calendars[rep_id], rules, now, start)
            if not problem:
                break
            if problem in (TOO_SOON, BEYOND_HORIZON):
                raise BookingError(problem)
        if problem:
            raise BookingError(problem)
        meeting = Meeting(
            lead=lead, rep_id=rep_id, starts_at=start, ends_at=start + rules.length, uid=new_uid(), booked_at=now,
            booked_via=via, pooled=not lead.owner_id,
        )  # fmt: skip
        _save_or_taken(meeting)
        _settle_lead(lead, meeting, team_id, now)
        record_event(
            lead, "meeting.booked", actor_label="lead", at=now, rep=meeting.rep.get_username(), rep_id=rep_id,
            via=via, pooled=meeting.pooled, **_times(meeting),
        )  # fmt: skip
        events.emit(events.MEETING_BOOKED, meeting=meeting, at=now)
        queue_invitations(meeting, REQUEST, change="booked")
    return meeting


def _settle_lead(lead: Lead, meeting: Meeting, team_id: int | None, now: datetime) -> None:
    """The meeting is the contact: the lead stays with the meeting's rep (no escalation
    away from it), and an unowned lead becomes that rep's."""
    changed = ["reassign_due_at", "updated_at"]
    lead.reassign_due_at = None
    newly_owned = lead.owner_id is None
    if newly_owned:
        lead.owner_id, lead.team_id = meeting.rep_id, lead.team_id or team_id
        lead.stage = Stage.ASSIGNED if lead.stage == Stage.NEW else lead.stage
        lead.assigned_at, lead.accepted_at, lead.route_after = lead.assigned_at or now, None, None
        changed += ["owner", "team", "stage", "assigned_at", "accepted_at", "route_after"]
    lead.save(update_fields=changed)
    if newly_owned:
        record_event(
            lead, "lead.assigned", actor_label="booking", at=now, owner=meeting.rep.get_username(),
            owner_id=meeting.rep_id, outcome="booked", summary="The lead booked a meeting from the team's free slots.",
        )  # fmt: skip
        events.emit(events.LEAD_ROUTED, lead=lead, at=now)  # its cadence plan (pipeline/flow.py)


def _move(meeting: Meeting, lead: Lead, start: datetime, now: datetime, *, by_label: str, actor=None) -> Meeting:
    if meeting.external_provider:  # the other scheduler owns it: a change here would not reach it
        raise BookingError(EXTERNAL)
    if meeting.starts_at <= now:
        raise BookingError(STARTED)
    if start == meeting.starts_at:
        return meeting
    rules = rules_for_rep(lead, meeting.rep_id)
    _lock_reps([meeting.rep_id])
    calendar = rep_calendars([meeting.rep_id], now, rules.horizon, ignore_meeting=meeting.pk)[meeting.rep_id]
    problem = slot_problem(calendar, rules, now, start)
    if problem:
        raise BookingError(problem)
    previous = meeting.starts_at
    meeting.starts_at, meeting.ends_at = start, start + rules.length
    meeting.sequence += 1
    meeting.rescheduled_count += 1
    _save_or_taken(meeting, update_fields=["starts_at", "ends_at", "sequence", "rescheduled_count"])
    record_event(
        lead, "meeting.rescheduled", actor=actor, actor_label="" if actor else by_label, at=now,
        previous_start=previous.astimezone(UTC).isoformat(), rep=meeting.rep.get_username(), **_times(meeting),
    )  # fmt: skip
    events.emit(events.MEETING_RESCHEDULED, meeting=meeting, at=now)
    queue_invitations(meeting, REQUEST, change="rescheduled")
    return meeting


def _locked_meeting(meeting_id: int) -> tuple[Meeting, Lead]:
    lead_id = Meeting.objects.filter(pk=meeting_id).values_list("lead_id", flat=True).first()
    if lead_id is None:
        raise BookingError(NOT_BOOKED)
    lead = Lead.objects.select_for_update(of=("self",)).get(pk=lead_id)
    meeting = Meeting.objects.select_related("rep").get(pk=meeting_id)
    meeting.lead = lead
    return meeting, lead


def reschedule(meeting_id: int, start: datetime, *, by_label: str, actor=None, now=None) -> Meeting:
    """Move a booked meeting to another free slot of the same rep (the lead's link or the rep)."""
    now, start = now or timezone.now(), start.astimezone(UTC)
    with transaction.atomic():
        meeting, lead = _locked_meeting(meeting_id)
        if not meeting.is_booked:
            raise BookingError(NOT_BOOKED)
        if not is_open(lead):
            raise BookingError(CLOSED)
        return _move(meeting, lead, start, now, by_label=by_label, actor=actor)


def cancel(meeting_id: int, *, by_label: str, actor=None, reason: str = "", now=None) -> Meeting:
    """Cancel a booked meeting that has not started; both sides get a METHOD:CANCEL."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting, lead = _locked_meeting(meeting_id)
        if not meeting.is_booked:
            raise BookingError(NOT_BOOKED)
        if meeting.external_provider:
            raise BookingError(EXTERNAL)
        if meeting.starts_at <= now:
            raise BookingError(STARTED)
        meeting.status, meeting.cancelled_at = MeetingStatus.CANCELLED, now
        meeting.cancelled_by = (actor.get_username() if actor else by_label)[:150]
        meeting.cancel_reason = reason[:300]
        meeting.sequence += 1
        meeting.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "sequence"])
        record_event(
            lead, "meeting.cancelled", actor=actor, actor_label="" if actor else by_label, at=now,
            rep=meeting.rep.get_username(), reason=reason, **_times(meeting),
        )  # fmt: skip
        events.emit(events.MEETING_CANCELLED, meeting=meeting, at=now)
        queue_invitations(meeting, CANCEL, change="cancelled")
    return meeting


def mark_attendance(meeting_id: int, attendance: str, *, actor, now=None) -> Meeting:
    """The rep says whether the lead turned up (held) or not (no-show), once it started."""
    if attendance not in (Attendance.HELD, Attendance.NO_SHOW):
        raise ValueError("attendance must be 'held' or 'no_show'")
    now = now or timezone.now()
    with transaction.atomic():
        meeting, lead = _locked_meeting(meeting_id)
        if not meeting.is_booked:
            raise BookingError(NOT_BOOKED)
        if meeting.starts_at > now:
            raise BookingError(NOT_STARTED)
        if meeting.attendance != attendance:
            meeting.attendance, meeting.attendance_marked_at = attendance, now
            meeting.save(update_fields=["attendance", "attendance_marked_at"])
            record_event(lead, f"meeting.{attendance}", actor=actor, at=now, **_times(meeting))
    return meeting


# --- the reminder step (planned by pipeline/flow.py through cadences/meeting_steps.py) -----------


def reminder_due(meeting: Meeting, now: datetime) -> datetime:
    settings_row = BookingSettings.objects.filter(team_id=meeting.lead.team_id).first()
    before = timedelta(minutes=settings_row.reminder_minutes) if settings_row else DEFAULT_REMINDER
    return max(meeting.starts_at - before, now)


def reminder_title(meeting: Meeting) -> str:
    profile = getattr(meeting.rep, "rep_profile", None)
    local = meeting.starts_at.astimezone(safe_zone(profile.time_zone if profile else ""))
    return f"Meeting at {local:%a %H:%M} with {meeting.lead.display_name}: call them then"[:200]


def remember_reminder(meeting: Meeting, step) -> None:
    meeting.reminder_step = step
    Meeting.objects.filter(pk=meeting.pk).update(reminder_step=step)
