"""The lead's way through LeadOps, in one table: what follows each domain event.

    submitted ──> stored ──(job)──> routed ──> cadence plan ──> attempts ──> decided
                    │                  │                          │            │
                    └─ acknowledged    ├─ rep told live and        └─ plan moves └─ plan stops
                                       │  pushed to their devices
                                       └─ time to accept starts (else the next rep)

    every timeline event ──> live pushes, and the outbound webhooks it maps to (integrations)
    meeting booked ──> the plan's calls cancelled, a reminder task before the meeting

The domain apps (leads, routing, cadences, booking) only emit the events of
leadops/events.py; this table says who follows, in order. Every handler runs inside the emitter's transaction and
puts whatever leaves the database (jobs, pushes, messages) on commit."""

from __future__ import annotations

from booking import actions as booking
from cadences import meeting_steps, progress
from integrations.webhooks import queue_webhooks
from leadops import events
from leadops.queues import ROUTING, enqueue_on_commit
from leads.models import Inquiry
from notifications import live
from pipeline import jobs
from routing import deadlines, offers
from routing import tasks as routing_jobs
from webpush import alerts as push_alerts


def start_inquiry(inquiry: Inquiry) -> None:
    """A stored submission gets one job after the commit, on the routing queue: route it,
    then acknowledge it (pipeline/jobs.py). The sweeper re-enqueues it if Redis was down."""
    enqueue_on_commit(
        jobs.handle_new_inquiry, inquiry.pk, inquiry.lead_id, job_id=f"inquiry-{inquiry.pk}", queue=ROUTING
    )


def start_escalation_timer(lead, at) -> None:
    """An owner who has not made a first attempt by `reassign_due_at` loses the lead
    (routing.assignment.reassign_if_untouched, run by the job of that second:
    routing/deadlines.py; the sweeper is the fallback)."""
    if lead.owner_id and lead.reassign_due_at:
        deadlines.arm_on_commit(lead.reassign_due_at)


def start_acceptance_timer(lead, at) -> None:
    """The new owner has the rule's `accept_within` to accept (routing/offers.py); the job
    of the deadline's second moves the lead on if they do not (routing/deadlines.py)."""
    offer = offers.open_offer(lead, at)
    if offer is not None:
        deadlines.arm_on_commit(offer.accept_by)


def settle_offer(lead, attempt) -> None:
    """An attempt is more than an accept: the offer's clock stops."""
    offers.close_offer(lead.pk)


def route_waiting_leads(user) -> None:
    """A rep became available: the leads waiting in their teams' queues are tried at once."""
    enqueue_on_commit(routing_jobs.route_waiting_leads, queue=ROUTING)


def plan_cadence(lead, at) -> None:
    # once per lead; a no-op on reassignment. Every emitter of LEAD_ROUTED holds the lead's row lock.
    progress.enroll(lead, at=at, locked=True)


def progress_cadence(lead, attempt) -> None:
    progress.after_attempt(lead, attempt)


def stop_cadence(lead, stage, reason) -> None:
    progress.stop_cadence(lead, reason=f"lead {stage}")


def meeting_replaces_calls(meeting, at) -> None:
    """The meeting is the contact: the cadence stops calling (its emails go on)."""
    meeting_steps.cancel_call_steps(meeting.lead, reason="meeting booked", at=at)


def plan_meeting_reminder(meeting, at) -> None:
    """A reminder task in the rep's plan before the meeting (moved when the meeting moves)."""
    step = meeting_steps.plan_reminder(
        meeting.lead,
        due_at=booking.reminder_due(meeting, at),
        title=booking.reminder_title(meeting),
        replaces=meeting.reminder_step_id,
    )
    booking.remember_reminder(meeting, step)


def drop_meeting_reminder(meeting, at) -> None:
    meeting_steps.cancel_reminder(meeting.lead, meeting.reminder_step_id, reason="meeting cancelled")


FLOW = {
    events.INQUIRY_STORED: (start_inquiry,),
    events.LEAD_ROUTED: (start_escalation_timer, start_acceptance_timer, plan_cadence),
    events.REP_AVAILABLE: (route_waiting_leads,),
    events.REP_STATUS_CHANGED: (live.announce_rep_status,),
    events.ATTEMPT_LOGGED: (settle_offer, progress_cadence),
    events.LEAD_DECIDED: (stop_cadence,),
    events.TIMELINE_RECORDED: (live.announce, push_alerts.notify, queue_webhooks),
    events.TASKS_DUE: (live.announce_due_tasks, push_alerts.notify_due_tasks),
    events.MEETING_BOOKED: (meeting_replaces_calls, plan_meeting_reminder),
    events.MEETING_RESCHEDULED: (plan_meeting_reminder,),
    events.MEETING_CANCELLED: (drop_meeting_reminder,),
}
