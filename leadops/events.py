"""Domain events: how a lower layer says "this happened" without knowing who follows up.

`leads`, `routing`, `cadences` and `booking` emit; what follows each event is written in
one table, pipeline/flow.py (installed when the `pipeline` app loads). So the layers import only
downwards, and the lead's way through the system reads in one place.

Handlers run at once, inside the emitter's transaction, in the order the flow lists
them: rows a handler writes (a cadence plan) commit or roll back with the change that
caused them. Anything that leaves the database (a job, a websocket push, a message) the
handler itself defers to the commit (leadops.queues.enqueue_on_commit, leadops.push)."""

from __future__ import annotations

from collections.abc import Callable

# The events, with what each handler receives as keyword arguments.
INQUIRY_STORED = "inquiry.stored"  # inquiry: a new lead's first submission or a repeat inquiry
LEAD_ROUTED = "lead.routed"  # lead, at: an owner was set, or the lead waits for the next opening (row locked)
REP_AVAILABLE = "rep.available"  # user: a rep set themselves available
REP_STATUS_CHANGED = "rep.status_changed"  # profile: a rep's availability changed (any way)
ATTEMPT_LOGGED = "attempt.logged"  # lead, attempt: a rep's (or dialer's) touch was recorded
LEAD_DECIDED = "lead.decided"  # lead, stage, reason: qualified, disqualified or converted
TIMELINE_RECORDED = "timeline.recorded"  # lead, event: a LeadEvent row was added
TASKS_DUE = "tasks.due"  # events, leads: a batch of "task.due" events (cadence call and task steps)
MEETING_BOOKED = "meeting.booked"  # meeting, at: a lead booked a meeting with a rep (booking app)
MEETING_RESCHEDULED = "meeting.rescheduled"  # meeting, at: its time moved (same rep)
MEETING_CANCELLED = "meeting.cancelled"  # meeting, at: cancelled by the lead or the rep

EVENTS = (
    INQUIRY_STORED,
    LEAD_ROUTED,
    REP_AVAILABLE,
    REP_STATUS_CHANGED,
    ATTEMPT_LOGGED,
    LEAD_DECIDED,
    TIMELINE_RECORDED,
    TASKS_DUE,
    MEETING_BOOKED,
    MEETING_RESCHEDULED,
    MEETING_CANCELLED,
)

_flow: dict[str, tuple[Callable, ...]] | None = None


class FlowNotInstalled(RuntimeError):
    """An event was emitted before pipeline/flow.py was installed: it would be lost."""


def install(flow: dict[str, tuple[Callable, ...]]) -> None:
    """Set who follows each event (pipeline.apps.PipelineConfig.ready)."""
    unknown = set(flow) - set(EVENTS)
    if unknown:
        raise ValueError(f"unknown events in the flow: {sorted(unknown)}")
    global _flow
    _flow = {event: tuple(flow.get(event, ())) for event in EVENTS}


def emit(name: str, /, **payload) -> None:
    if _flow is None:
        raise FlowNotInstalled(f"{name} emitted, but no flow is installed: add 'pipeline' to INSTALLED_APPS")
    for handler in _flow[name]:
        handler(**payload)
