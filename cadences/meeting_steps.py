"""What a booked meeting does to the lead's cadence (SPEC §3.11), called from pipeline/flow.py:
the pending call steps are cancelled - the meeting is the contact - and a reminder task is
added to the plan before the meeting, which the owner's queue shows when it falls due
(like any task step: cadences/dispatch.py announces it as "task.due").

Same locking as cadences/progress.py: the lead row is the lock of its plan. A lead with no
active cadence gets no reminder step (the invitation's own alarm still reminds the rep)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from cadences.models import Channel, Enrollment, PlannedStep, StepStatus
from cadences.progress import ACTOR, complete_if_finished
from cadences.wakeups import wake_on_commit
from leads.actions import record_event
from leads.models import Lead


def _lock(lead: Lead) -> None:
    list(Lead.objects.select_for_update(of=("self",)).filter(pk=lead.pk).values_list("pk"))


def cancel_call_steps(lead: Lead, *, reason: str, at: datetime | None = None) -> int:
    """Cancel the lead's scheduled call steps (email and SMS steps go on); returns how many."""
    at = at or timezone.now()
    with transaction.atomic():
        _lock(lead)
        enrollment = Enrollment.objects.active().filter(lead_id=lead.pk).first()
        if enrollment is None:
            return 0
        cancelled = PlannedStep.objects.filter(
            enrollment=enrollment, status=StepStatus.SCHEDULED, channel=Channel.CALL
        ).update(status=StepStatus.CANCELLED, skip_reason=reason[:200])
        if cancelled:
            record_event(lead, "cadence.calls_cancelled", actor_label=ACTOR, at=at, reason=reason, cancelled=cancelled)
    return cancelled


def plan_reminder(lead: Lead, *, due_at: datetime, title: str, replaces: int | None = None) -> PlannedStep | None:
    """Add a reminder task to the lead's active plan, due at `due_at`; the step `replaces`
    (an earlier reminder of the same meeting), if still waiting, is cancelled."""
    with transaction.atomic():
        _lock(lead)
        if replaces:
            cancel_reminder(lead, replaces, reason="meeting moved")
        enrollment = Enrollment.objects.active().filter(lead_id=lead.pk).first()
        if enrollment is None:
            return None
        number = (enrollment.planned_steps.aggregate(last=Max("number"))["last"] or 0) + 1
        step = PlannedStep.objects.create(
            enrollment=enrollment, step=None, number=number, channel=Channel.TASK, due_at=due_at, title=title[:200]
        )
        record_event(
            lead, "cadence.reminder_planned", actor_label=ACTOR, step=number, due_at=due_at.isoformat(), title=title
        )
        wake_on_commit([due_at])
    return step


def cancel_reminder(lead: Lead, planned_step_id: int | None, *, reason: str) -> bool:
    """Cancel a reminder step that has not been done; True when it was."""
    if not planned_step_id:
        return False
    with transaction.atomic():
        _lock(lead)
        cancelled = PlannedStep.objects.filter(
            pk=planned_step_id, enrollment__lead_id=lead.pk, status=StepStatus.SCHEDULED
        ).update(status=StepStatus.CANCELLED, skip_reason=reason[:200])
        if cancelled:
            enrollment = Enrollment.objects.active().filter(lead_id=lead.pk).first()
            if enrollment is not None:
                complete_if_finished(enrollment, timezone.now())
    return bool(cancelled)
