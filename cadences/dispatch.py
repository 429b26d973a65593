"""Running due steps, exactly once, in batches.

A batch is one transaction. It claims up to BATCH due steps, with their leads, by locking
them: `SELECT ... WHERE status = 'scheduled' AND due_at <= now ... FOR NO KEY UPDATE SKIP
LOCKED` over the partial index on `due_at` - the conditional claim in one statement: two
dispatchers never take the same step, and a lead being changed by a rep is skipped, not
waited for. It puts each message in the leads outbox with the unique dedupe key
`cadence:<planned step id>` and commits the steps as done (or skipped, or rescheduled).
(Writing `running` first would be invisible to every other transaction, so it is not
written: the lock is the claim, and a crash before the commit leaves the step scheduled.)
Only then are the messages delivered (cadences/delivery.py: the outbox's own protocol,
each message claimed pending -> sending before it is sent). So:

- a job that runs twice, or two dispatchers at once, find the step no longer scheduled;
- a worker killed before the commit leaves the step scheduled (the transaction rolls
  back, nothing was sent) and the sweeper runs it again; killed after it, the message is
  pending in the outbox and the leads sweeper delivers it; killed while sending, the
  message ends `uncertain` and is never sent twice (see cadences/delivery.py).

Call and task steps are not sent: at their due time they are announced once to the owner
("task.due", `notified_at`) and stay scheduled until the rep's attempt completes them.

Downtime rule (schedule.catch_up): an email/SMS step found more than 5 minutes late is
sent now only inside the lead's business hours (or, for a step allowed at any hour, within
2 hours of its due time); otherwise it is rescheduled to the lead's next business-hours
opening instead of being fired at 3 AM. A step run or moved late recomputes the rest of
the plan from that time, so a lead never gets a burst of overdue messages.

One dispatcher job drains what is due and, as a tick, keeps running steps as they fall due
(naps of at least MIN_NAP, so each batch takes what fell due meanwhile); it hands over
when other jobs are waiting, so a long backlog never holds up acknowledgments and routing."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from cadences import messages, progress, reads, schedule
from cadences.delivery import deliver_messages
from cadences.models import (
    AUTOMATIC_CHANNELS,
    Enrollment,
    EnrollmentState,
    PlannedStep,
    StepStatus,
)
from cadences.wakeups import DISPATCH_JOB, STEP_JOB, wake_on_commit
from leadops import events
from leadops.queues import enqueue_now, waiting_jobs
from leads.models import LeadEvent, Message

log = logging.getLogger(__name__)
BATCH = 500
YIELD_AFTER = 0.5  # seconds of work, after which waiting jobs get their turn
MAX_JOB_SECONDS = 10.0
# A tick waiting for the steps due later in its second naps at least this long, so each
# batch takes what fell due meanwhile instead of one step at a time (a batch costs a few
# commits whatever its size): at most this much added lateness, for throughput.
MIN_NAP = 0.1
LOOKAHEAD = 1.0  # seconds: a tick waits for steps due this soon
ACTOR = progress.ACTOR


@dataclass
class BatchResult:
    claimed: int = 0
    more: bool = False  # locked rows left for the next batch (a full batch, or later steps of one lead)
    counts: Counter = field(default_factory=Counter)
    messages: list[Message] = field(default_factory=list)  # created: to deliver after the commit


def _event(planned: PlannedStep, kind: str, at: datetime, **data) -> LeadEvent:
    return LeadEvent(
        lead_id=planned.enrollment.lead_id, kind=kind, at=at, actor_label=ACTOR,
        data={"step": planned.number, "channel": planned.channel, **data},
    )  # fmt: skip


def _skip_reason(planned: PlannedStep, opted_out: set[str]) -> str:
    lead = planned.enrollment.lead
    if planned.step is None:
        return "step removed from the cadence"
    if lead.stage in progress.CLOSED_STAGES:
        return f"lead {lead.stage}"
    return schedule.skip_reason(progress.rule_of(planned.step, planned.number), progress.facts_for(lead, opted_out))


class _Calendars:
    """Calendars of the leads of one batch (only late steps need one)."""

    def __init__(self):
        self.cache: dict = {}

    def __call__(self, lead):
        key = (lead.team_id, lead.lead_source_id, lead.country, lead.region, lead.resolved_time_zone)
        if key not in self.cache:
            self.cache[key] = progress.calendar_for(lead)
        return self.cache[key]


class _Batch:
    """What one batch decides, written at the end of its transaction."""

    def __init__(self, now: datetime, result: BatchResult):
        self.now, self.result = now, result
        self.calendars = _Calendars()
        self.events: list[LeadEvent] = []
        self.outgoing: list[tuple[PlannedStep, Message]] = []
        self.moved: list[tuple[PlannedStep, datetime]] = []  # replan the rest of the plan from this time
        # A step run or moved late replans the rest of its lead's plan: the lead's later
        # steps in this batch wait for the next batch (they may no longer be due).
        self.replanned: set[int] = set()
        self.rescheduled: list[PlannedStep] = []  # the downtime rule moved them

    def automatic(self, planned: PlannedStep, opted_out: set[str]) -> None:
        """Send, skip or (downtime rule) reschedule one email/SMS step."""
        lead = planned.enrollment.lead
        late = self.now - planned.due_at
        if planned.enrollment_id in self.replanned:
            self.result.more = True
            return
        if late > schedule.ON_TIME:
            calendar, tz = self.calendars(lead)
            business = planned.step.business_hours_only if planned.step else True
            resume = schedule.catch_up(planned.due_at, self.now, business, calendar, tz)
            if resume is not None:
                self.events.append(
                    _event(
                        planned, "cadence.step_rescheduled", self.now, due_at=planned.due_at.isoformat(),
                        to=resume.isoformat(), reason="overdue outside the lead's business hours",
                    )
                )  # fmt: skip
                planned.due_at = resume
                self.rescheduled.append(planned)
                self._moved(planned, resume)
                self.result.counts["rescheduled"] += 1
                return
        reason = _skip_reason(planned, opted_out)
        if not reason:
            try:
                subject, body, language = planned.step.version(lead.language)
                fields = messages.compose(planned.channel, subject, body, lead, language=language)
            except Exception as error:  # a broken template must not block the batch
                log.exception("cadence step %s of lead %s: template failed", planned.number, lead.pk)
                reason = f"template error: {error}"[:200]
        if reason:
            planned.status, planned.skip_reason = StepStatus.SKIPPED, reason
            self.events.append(_event(planned, "cadence.step_skipped", self.now, reason=reason))
            self.result.counts["skipped"] += 1
        else:
            message = Message(
                lead_id=lead.pk, dedupe_key=f"cadence:{planned.pk}", purpose="cadence", created_at=self.now,
                not_before=self.now, **fields,
            )  # fmt: skip
            self.outgoing.append((planned, message))
        if late > progress.REPLAN_TOLERANCE:
            self._moved(planned, self.now)

    def _moved(self, planned: PlannedStep, anchor: datetime) -> None:
        self.moved.append((planned, anchor))
        self.replanned.add(planned.enrollment_id)

    def write_messages(self, finished: datetime) -> None:
        """The outbox rows, once per dedupe key, and their steps done."""
        if not self.outgoing:
            return
        keys = [message.dedupe_key for _, message in self.outgoing]
        # Defensive: a message already made for a step is reused, never made twice.
        existing = dict(Message.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", "pk"))
        Message.objects.bulk_create([message for _, message in self.outgoing if message.dedupe_key not in existing])
        for planned, message in self.outgoing:
            planned.status, planned.done_at = StepStatus.DONE, finished
            planned.message_id = existing.get(message.dedupe_key, message.pk)
            if message.dedupe_key not in existing:
                self.result.messages.append(message)
            late = round((finished - planned.due_at).total_seconds(), 3)
            self.events.append(
                _event(planned, "cadence.step_done", finished, message=planned.message_id, late_seconds=late)
            )
            self.result.counts["sent"] += 1
        _set_messages(self.outgoing, finished)

    def announce(self, tasks: list[PlannedStep]) -> None:
        """Call and task steps now due: shown to the owner once ("task.due")."""
        if any(planned.enrollment_id in self.replanned for planned in tasks):
            tasks = [planned for planned in tasks if planned.enrollment_id not in self.replanned]
            self.result.more = True
        for planned in tasks:
            planned.notified_at = self.now
            lead = planned.enrollment.lead
            title = planned.title or (planned.step.name if planned.step else "")
            self.events.append(
                _event(
                    planned, "task.due", self.now, due_at=planned.due_at.isoformat(), owner_id=lead.owner_id,
                    title=title,
                )
            )  # fmt: skip
            self.result.counts["announced"] += 1
        if tasks:
            PlannedStep.objects.filter(pk__in=[planned.pk for planned in tasks]).update(notified_at=self.now)

    def replan(self) -> None:
        wake = [planned.due_at for planned, _ in self.moved if planned.status == StepStatus.SCHEDULED]
        for planned, anchor in self.moved:
            calendar = self.calendars(planned.enrollment.lead)
            moved = progress.replan(planned.enrollment, planned, anchor, self.now, calendar, wake=False)
            wake += [step.due_at for step in moved if step.status == StepStatus.SCHEDULED]
        wake_on_commit(wake)


def run_batch(*, only: list[int] | None = None, limit: int | None = None) -> BatchResult:
    """Run (or announce) up to `limit` (BATCH) due steps in one transaction; the caller
    delivers `result.messages` after it."""
    limit = limit or BATCH
    result = BatchResult()
    with transaction.atomic():
        now = timezone.now()
        rows = reads.lock_due_steps(now, only, limit)
        if not rows:
            return result
        result.claimed, result.more = len(rows), len(rows) >= limit
        automatic = [planned for planned in rows if planned.channel in AUTOMATIC_CHANNELS]
        tasks = [planned for planned in rows if planned.channel not in AUTOMATIC_CHANNELS]
        batch = _Batch(now, result)
        opted_out = reads.opt_outs(automatic)
        for planned in automatic:
            batch.automatic(planned, opted_out.get(planned.enrollment.lead_id, set()))
        finished = timezone.now()
        batch.write_messages(finished)
        _save_outcomes(automatic, batch.rescheduled)
        batch.announce(tasks)
        LeadEvent.objects.bulk_create(batch.events)
        batch.replan()
        leads = {planned.enrollment.lead_id: planned.enrollment.lead for planned in tasks}
        events.emit(events.TASKS_DUE, events=batch.events, leads=leads)
        _complete_finished({planned.enrollment_id: planned.enrollment for planned in automatic}, finished)
    return result


def _set_messages(outgoing: list[tuple[PlannedStep, Message]], finished: datetime) -> None:
    """Steps done: one UPDATE, each linked to its message through the dedupe key."""
    message_of_step = Message.objects.filter(
        dedupe_key=Concat(Value("cadence:"), Cast(OuterRef("pk"), output_field=CharField()))
    ).values("pk")[:1]
    PlannedStep.objects.filter(pk__in=[planned.pk for planned, _ in outgoing]).update(
        status=StepStatus.DONE, done_at=finished, message_id=Subquery(message_of_step)
    )


def _save_outcomes(planned_steps: list[PlannedStep], rescheduled: list[PlannedStep]) -> None:
    """Skipped steps (one UPDATE per reason) and rescheduled ones (their new due time)."""
    skipped: dict[str, list[int]] = {}
    for planned in planned_steps:
        if planned.status == StepStatus.SKIPPED:
            skipped.setdefault(planned.skip_reason, []).append(planned.pk)
    for planned in rescheduled:
        PlannedStep.objects.filter(pk=planned.pk).update(due_at=planned.due_at)
    for reason, ids in skipped.items():
        PlannedStep.objects.filter(pk__in=ids).update(status=StepStatus.SKIPPED, skip_reason=reason)


def _complete_finished(enrollments: dict, at: datetime) -> None:
    """Enrollments of this batch with nothing left to do are completed."""
    if not enrollments:
        return
    waiting = set(
        PlannedStep.objects.filter(
            enrollment_id__in=list(enrollments), status__in=(StepStatus.SCHEDULED, StepStatus.RUNNING)
        ).values_list("enrollment_id", flat=True)
    )
    finished = [
        enrollment
        for enrollment_id, enrollment in enrollments.items()
        if enrollment_id not in waiting and enrollment.state == EnrollmentState.ACTIVE
    ]
    if not finished:
        return
    Enrollment.objects.filter(pk__in=[enrollment.pk for enrollment in finished], state=EnrollmentState.ACTIVE).update(
        state=EnrollmentState.COMPLETED, stopped_at=at, stop_reason="all steps done"
    )
    LeadEvent.objects.bulk_create(
        LeadEvent(
            lead_id=enrollment.lead_id, kind="cadence.completed", at=at, actor_label=ACTOR,
            data={"cadence": enrollment.cadence.name},
        )
        for enrollment in finished
    )  # fmt: skip


def deliver(messages: list[Message]) -> int:
    """Hand the batch's messages to their transports (after the commit)."""
    try:
        return deliver_messages(messages)
    except Exception:  # left pending or sending: the leads sweeper deals with them
        log.exception("delivering %s cadence messages failed", len(messages))
        return 0


def _others_waiting() -> bool:
    """Jobs wait on the routing or the default queue (a worker takes routing first)."""
    return waiting_jobs() > 0


def dispatch(tick: int | None = None) -> dict:
    """Run every due step. A tick (the job of a due second) then keeps running steps as
    they fall due while more are due within LOOKAHEAD and no other job waits: the rq
    scheduler only moves the next second's tick into the queue at its next poll (up to a
    second later), and steps must not wait for that. Whatever arrives in the queue gets
    the worker at once (every due second has its own tick job, so nothing is left)."""
    started = time.monotonic()
    totals: Counter = Counter()
    while True:
        result = run_batch()
        deliver(result.messages)
        totals.update(result.counts)
        elapsed = time.monotonic() - started
        if result.more:
            if elapsed > MAX_JOB_SECONDS or (elapsed > YIELD_AFTER and _others_waiting()):
                enqueue_now(DISPATCH_JOB, None)  # continue behind the waiting jobs
                break
            continue
        if tick is None or elapsed > MAX_JOB_SECONDS:
            break
        upcoming = reads.next_due_within(LOOKAHEAD)
        if upcoming is None or _others_waiting():
            break
        time.sleep(min(max((upcoming - timezone.now()).total_seconds() + 0.001, MIN_NAP), LOOKAHEAD))
        if timezone.now() < upcoming:  # the clock stands still (tests): nothing will fall due
            break
    return dict(totals)


def run_step(planned_step_id: int) -> str:
    """Run one planned step (the per-step job); a job up to 1 s early waits for its time."""
    row = PlannedStep.objects.filter(pk=planned_step_id).values_list("status", "due_at", "notified_at").first()
    if row is None or row[0] != StepStatus.SCHEDULED or row[2] is not None:
        return "nothing to do"
    wait = (row[1] - timezone.now()).total_seconds()
    if wait > 1:
        enqueue_now(STEP_JOB, planned_step_id, at=row[1])
        return "not due yet"
    if wait > 0:
        time.sleep(wait)
    result = run_batch(only=[planned_step_id])
    deliver(result.messages)
    return ", ".join(f"{kind} {count}" for kind, count in sorted(result.counts.items())) or "nothing to do"
