"""The one door for a lead's cadence: enroll, progress on the rep's attempts, stop, opt out,
and what the rep and the API see (due tasks, the plan).

Locking: the lead row is the lock of its cadence. Every function here runs with the lead
locked (the lifecycle and routing callers lock it; the others lock it themselves), and the
dispatcher (cadences/dispatch.py) skips the steps of a locked lead, so a step is never
done by an attempt and sent by the dispatcher at once.

Automatic cadence messages are not Attempts (SPEC §4: they are not a first response);
the timeline records them as "cadence.*" events."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cadences import messages, reads, schedule
from cadences.models import (
    TASK_CHANNELS,
    Cadence,
    CadenceStep,
    Channel,
    Enrollment,
    EnrollmentState,
    OptOut,
    PlannedStep,
    StepStatus,
)
from cadences.wakeups import wake_on_commit
from leadops.inserts import insert_family
from leadops.timezones import zone
from leads import policies, sla
from leads.actions import record_event
from leads.choices import AttemptOutcome, Stage
from leads.models import Attempt, Lead
from routing.config import fresh_cached, team_schedule_id

ACTOR = "cadences"
# An automatic step run more than this late - after downtime, not a busy minute - moves
# the rest of the plan, so the lead never gets overdue steps in a burst. (Replanning every
# slightly late step would make each step dearer just when the worker is behind.) A step
# done by a rep always moves it: the next call is 7 minutes after the real call.
REPLAN_TOLERANCE = timedelta(minutes=15)
CLOSED_STAGES = (Stage.QUALIFIED, Stage.DISQUALIFIED, Stage.CONVERTED)
REACHED_REASONS = {AttemptOutcome.CONNECTED: "lead reached (connected)", AttemptOutcome.REPLIED: "lead replied"}
PLAN_STATUS = {StepStatus.RUNNING: StepStatus.SCHEDULED}  # the API shows scheduled/done/skipped/cancelled


def _lock(lead: Lead) -> None:
    """Lock the lead row (a no-op when the caller holds it already)."""
    list(Lead.objects.select_for_update(of=("self",)).filter(pk=lead.pk).values_list("pk"))


def calendar_for(lead: Lead) -> tuple[sla.BusinessCalendar, ZoneInfo]:
    """The lead's business calendar (its team's schedule, else its source's, else the
    default) and time zone."""
    schedule_id = team_schedule_id(lead.team_id) if lead.team_id else lead.lead_source.schedule_id
    business = policies.schedule(schedule_id)
    calendar = sla.calendar_from_schedule(business, lead.country, lead.region) if business else sla.STANDARD_CALENDAR
    try:
        tz = zone(lead.resolved_time_zone)
    except ValueError:
        tz = zone(settings.LEADOPS_DEFAULT_TIMEZONE)
    return calendar, tz


def facts_for(lead: Lead, opted_out: set[str] | None = None) -> schedule.LeadFacts:
    if opted_out is None:
        opted_out = set(OptOut.objects.filter(lead_id=lead.pk).values_list("channel", flat=True))
    return schedule.LeadFacts(
        has_email=bool(lead.email),
        has_phone=bool(lead.phone_e164),
        sms_consent=lead.consent_sms,
        whatsapp_consent=lead.consent_whatsapp,
        opted_out=frozenset(opted_out),
    )


def rule_of(step: CadenceStep, number: int) -> schedule.StepRule:
    return schedule.StepRule(
        number=number,
        channel=step.channel,
        delay=step.delay,
        needs_phone=step.needs_phone,
        needs_sms_consent=step.needs_sms_consent,
        business_hours_only=step.business_hours_only,
        vary_time_of_day=step.vary_time_of_day,
    )


def active_cadences() -> list[tuple[Cadence, list[CadenceStep]]]:
    """The active cadences in order, each with its steps in order; cached in the process
    with the routing configuration and dropped in every process on an edit (cadences/apps.py)."""

    def load():
        cadences = Cadence.objects.filter(active=True).prefetch_related("steps").order_by("position", "id")
        return [(cadence, sorted(cadence.steps.all(), key=lambda step: (step.order, step.pk))) for cadence in cadences]

    return fresh_cached("active_cadences", load)


def choose_cadence(lead: Lead) -> Cadence | None:
    return _choose(lead)[0]


def _choose(lead: Lead) -> tuple[Cadence | None, list[CadenceStep]]:
    for cadence, steps in active_cadences():
        if cadence.matches(temperature=lead.temperature, source=lead.source, inquiry_type=lead.inquiry_type):
            return cadence, steps
    return None, []


def enroll(lead: Lead, at: datetime | None = None, *, locked: bool = False) -> Enrollment | None:
    """Give the lead its cadence's plan, every step's due time computed now and stored.

    Called when routing gives the lead an owner or puts it in the morning queue. A lead is
    enrolled once: a lead that has (or had) an enrollment keeps it. Junk and decided
    leads, and leads no active cadence matches, are not enrolled. `locked`: the caller
    holds the lead's row lock in its transaction already (routing does)."""
    at = at or timezone.now()
    with transaction.atomic(savepoint=not locked):
        if not locked:
            _lock(lead)
        if lead.junk or lead.stage in CLOSED_STAGES:
            return None
        existing_id, opted_out = reads.enrollment_and_opt_outs(lead.pk)
        if existing_id:
            return Enrollment.objects.get(pk=existing_id)
        cadence, steps = _choose(lead)
        if not steps:
            lead.next_step_due = None  # for the lead's summary (notifications/live.py): no plan, no task
            return None
        calendar, tz = calendar_for(lead)
        rules = [rule_of(step, number) for number, step in enumerate(steps, start=1)]
        planned = schedule.plan(rules, at, calendar, tz, facts_for(lead, opted_out))
        enrollment = Enrollment(lead=lead, cadence=cadence, started_at=at)
        rows = insert_family(
            enrollment,
            [
                PlannedStep(
                    step=step,
                    number=time.number,
                    channel=time.channel,
                    due_at=time.due_at,
                    status=StepStatus.SKIPPED if time.skip_reason else StepStatus.SCHEDULED,
                    skip_reason=time.skip_reason,
                )
                for step, time in zip(steps, planned, strict=True)
            ],
            link="enrollment",
        )
        record_event(
            lead, "cadence.enrolled", actor_label=ACTOR, at=at, cadence=cadence.name, steps=len(rows),
            skipped=sum(1 for row in rows if row.status == StepStatus.SKIPPED),
        )  # fmt: skip
        scheduled = [row for row in rows if row.status == StepStatus.SCHEDULED]
        lead.next_step_due = min((row.due_at for row in scheduled if row.channel in TASK_CHANNELS), default=None)
        if scheduled:
            wake_on_commit([row.due_at for row in scheduled])
        else:
            complete_if_finished(enrollment, at)
    return enrollment


def replan(
    enrollment: Enrollment, after: PlannedStep, anchor: datetime, now: datetime, calendar=None, *, wake: bool = True
) -> list[PlannedStep]:
    """Recompute the due times of the steps after `after` from `anchor` (when it was
    actually done, or its new due time); returns the steps that moved (and wakes the
    dispatcher for them, unless the caller does it for many at once)."""
    calendar, tz = calendar or calendar_for(enrollment.lead)
    following = enrollment.planned_steps.select_related("step").filter(number__gt=after.number).order_by("number")
    changed = []
    for planned in following:
        if planned.status == StepStatus.DONE:
            anchor = planned.done_at or planned.due_at
            continue
        if planned.status in (StepStatus.RUNNING, StepStatus.CANCELLED) or planned.step is None:
            anchor = planned.due_at
            continue
        due = schedule.next_due(anchor, rule_of(planned.step, planned.number), calendar, tz)
        if due != planned.due_at:
            planned.due_at = due
            if planned.notified_at and due > now:
                planned.notified_at = None  # announce it again when it is due again
            changed.append(planned)
        anchor = due
    if changed:
        PlannedStep.objects.bulk_update(changed, ["due_at", "notified_at"])
        if wake:
            wake_on_commit([planned.due_at for planned in changed if planned.status == StepStatus.SCHEDULED])
    return changed


def complete_if_finished(enrollment: Enrollment, at: datetime) -> bool:
    """An active enrollment with nothing left to do is completed."""
    waiting = enrollment.planned_steps.filter(status__in=(StepStatus.SCHEDULED, StepStatus.RUNNING)).exists()
    if waiting:
        return False
    updated = Enrollment.objects.filter(pk=enrollment.pk, state=EnrollmentState.ACTIVE).update(
        state=EnrollmentState.COMPLETED, stopped_at=at, stop_reason="all steps done"
    )
    if updated:
        record_event(enrollment.lead, "cadence.completed", actor_label=ACTOR, at=at, cadence=enrollment.cadence.name)
    return bool(updated)


def _mark_done(planned: PlannedStep, at: datetime, *, by=None, attempt: Attempt | None = None, **data) -> None:
    planned.status, planned.done_at, planned.attempt = StepStatus.DONE, at, attempt
    planned.save(update_fields=["status", "done_at", "attempt"])
    record_event(
        planned.enrollment.lead, "cadence.step_done", actor=by, actor_label="" if by else ACTOR, at=at,
        step=planned.number, channel=planned.channel, due_at=planned.due_at.isoformat(), **data,
    )  # fmt: skip


def after_attempt(lead: Lead, attempt: Attempt) -> Enrollment | None:
    """A rep's (or dialer's) attempt, inside leads.lifecycle.log_attempt's transaction:
    it completes the earliest scheduled step of its channel (a call does the next call
    step, a rep's own email the next email step), and the rest of the plan is recomputed
    from the attempt's time. A connect or a reply stops the cadence; a wrong number skips
    the remaining call, SMS and WhatsApp steps."""
    enrollment = Enrollment.objects.active().select_related("lead", "cadence").filter(lead_id=lead.pk).first()
    if enrollment is None:
        return None
    enrollment.lead = lead
    planned = None
    if attempt.outcome != AttemptOutcome.REPLIED:  # a reply is the lead's move, not a touch of ours
        scheduled = enrollment.planned_steps.filter(status=StepStatus.SCHEDULED, channel=attempt.channel)
        planned = scheduled.order_by("number").first()
    moved = 0
    if planned is not None:
        planned.enrollment = enrollment
        _mark_done(planned, attempt.at, by=attempt.by, attempt=attempt, attempt_number=attempt.number)
        if attempt.at != planned.due_at and attempt.outcome not in REACHED_REASONS:
            moved = len(replan(enrollment, planned, attempt.at, timezone.now()))
    if attempt.outcome in REACHED_REASONS:
        stop_cadence(lead, reason=REACHED_REASONS[attempt.outcome], at=attempt.at, by=attempt.by)
        return enrollment
    if attempt.outcome == AttemptOutcome.WRONG_NUMBER:
        enrollment.planned_steps.filter(status=StepStatus.SCHEDULED, channel__in=("call", "sms", "whatsapp")).update(
            status=StepStatus.SKIPPED, skip_reason="wrong number"
        )
    if moved:
        record_event(lead, "cadence.replanned", actor_label=ACTOR, at=attempt.at, after=planned.number, moved=moved)
    complete_if_finished(enrollment, attempt.at)
    return enrollment


def task_step(lead: Lead, number: int) -> PlannedStep | None:
    """The lead's task step `number` in its latest plan, or None. Only task steps are done
    by hand: a call step is done by logging the call, which counts as an attempt."""
    return (
        PlannedStep.objects.filter(enrollment__lead=lead, number=number, channel=Channel.TASK)
        .order_by("-enrollment__started_at", "-pk")
        .first()
    )


def complete_step(planned_step_id: int, *, by=None, at: datetime | None = None) -> PlannedStep | None:
    """A rep marks a task (or call) step done by hand; the rest of the plan follows."""
    at = at or timezone.now()
    with transaction.atomic():
        planned = (
            PlannedStep.objects.select_related("enrollment__lead", "enrollment__cadence")
            .filter(pk=planned_step_id)
            .first()
        )
        if planned is None:
            return None
        _lock(planned.enrollment.lead)
        planned.refresh_from_db(fields=["status"])
        if planned.status != StepStatus.SCHEDULED:
            return planned
        _mark_done(planned, at, by=by)
        if at != planned.due_at:
            replan(planned.enrollment, planned, at, at)
        complete_if_finished(planned.enrollment, at)
    return planned


def stop_cadence(lead: Lead, *, reason: str, at: datetime | None = None, by=None) -> Enrollment | None:
    """Stop the lead's active cadence: every step still scheduled is cancelled (visible in
    the plan, with the reason). Called inside the caller's transaction, lead locked."""
    at = at or timezone.now()
    with transaction.atomic():
        enrollment = Enrollment.objects.active().select_related("cadence").filter(lead_id=lead.pk).first()
        if enrollment is None:
            return None
        cancelled = PlannedStep.objects.filter(enrollment=enrollment, status=StepStatus.SCHEDULED).update(
            status=StepStatus.CANCELLED, skip_reason=reason[:200]
        )
        Enrollment.objects.filter(pk=enrollment.pk, state=EnrollmentState.ACTIVE).update(
            state=EnrollmentState.STOPPED, stopped_at=at, stop_reason=reason[:200]
        )
        enrollment.state, enrollment.stopped_at, enrollment.stop_reason = EnrollmentState.STOPPED, at, reason[:200]
        record_event(
            lead, "cadence.stopped", actor=by, actor_label="" if by else ACTOR, at=at,
            cadence=enrollment.cadence.name, reason=reason, cancelled=cancelled,
        )  # fmt: skip
    return enrollment


def opt_out(lead: Lead, channel: str, *, source: str = "", at: datetime | None = None) -> Enrollment | None:
    """The lead asked for no more emails (unsubscribe link) or texts (STOP by SMS or
    WhatsApp): the consent flag is cleared, the opt-out recorded (later plans skip that
    channel) and the cadence stops (SPEC §3.7)."""
    if channel not in ("email", "sms", "whatsapp"):
        raise ValueError("channel must be 'email', 'sms' or 'whatsapp'")
    at = at or timezone.now()
    with transaction.atomic():
        _lock(lead)
        _, created = OptOut.objects.get_or_create(
            lead_id=lead.pk, channel=channel, defaults={"at": at, "source": source[:100]}
        )
        field = f"consent_{channel}"
        Lead.objects.filter(pk=lead.pk).update(**{field: False, "updated_at": at})
        setattr(lead, field, False)
        if created:
            record_event(lead, "lead.opted_out", actor_label=source or "lead", at=at, channel=channel)
        return stop_cadence(lead, reason=f"opted out of {channel}" + (f" ({source})" if source else ""), at=at)


@dataclass(frozen=True)
class DueTask:
    """A call or task step that is due, for the owner's queue."""

    planned_step: int
    lead: int
    lead_name: str
    company: str
    channel: str
    step: int
    title: str
    due_at: datetime
    phone: str
    tel: str  # one-click dial link ("" without a phone)
    notes: str

    def as_json(self) -> dict:
        return {**asdict(self), "due_at": self.due_at.isoformat()}


def due_tasks_for(user, now: datetime | None = None) -> list[DueTask]:
    """The user's leads' call and task steps that are due now, oldest first."""
    now = now or timezone.now()
    rows = (
        PlannedStep.objects.filter(
            status=StepStatus.SCHEDULED,
            channel__in=TASK_CHANNELS,
            due_at__lte=now,
            enrollment__state=EnrollmentState.ACTIVE,
            enrollment__lead__owner=user,
        )
        .select_related("step", "enrollment__lead__owner")
        .order_by("due_at", "pk")
    )
    tasks = []
    for planned in rows:
        lead = planned.enrollment.lead
        step = planned.step
        tasks.append(
            DueTask(
                planned_step=planned.pk,
                lead=lead.pk,
                lead_name=lead.display_name,
                company=lead.company,
                channel=planned.channel,
                step=planned.number,
                title=planned.title
                or (step.name if step and step.name else f"{planned.get_channel_display()} (step {planned.number})"),
                due_at=planned.due_at,
                phone=lead.phone_e164,
                tel=f"tel:{lead.phone_e164}" if lead.phone_e164 else "",
                notes=messages.talk_track(step.body if step else "", lead, lead.owner),
            )
        )
    return tasks


def plan_for(lead: Lead) -> list[dict]:
    """The lead's current plan, as GET /api/v1/leads/{id} shows it (SPEC §6)."""
    enrollment = Enrollment.objects.filter(lead_id=lead.pk).order_by("-started_at", "-pk").first()
    if enrollment is None:
        return []
    return [
        {"step": number, "channel": channel, "due_at": due_at, "status": PLAN_STATUS.get(status, status)}
        for number, channel, due_at, status in enrollment.planned_steps.order_by("number").values_list(
            "number", "channel", "due_at", "status"
        )
    ]
