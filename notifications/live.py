"""Who hears about a lead's timeline event, live: the websocket pushes (through
leadops.push) and, for hot leads, the alerts beyond the page (notifications.alerts).

`announce()` is called by leads.actions.record_event for every event, so every change
that passes the one door is announced. Most kinds are not announced at all (a dict
lookup); the others push after the commit to the owner's group and the team's group
(the team's managers):

    lead.assigned                       -> "lead.assigned"   (+ hot-lead SMS and chat alert)
    lead.reassigned, lead.handed_over,
    lead.escalated                      -> "lead.reassigned" (also to the previous owner)
    task.due                            -> "task.due"
    sla.warning, sla.breached           -> the same kind
    attempt.logged, stage.changed, lead.accepted, note.added, inquiry.repeated,
    lead.opted_out, lead.morning_queue,
    lead.not_accepted                   -> "lead.updated"
    meeting.booked, meeting.rescheduled,
    meeting.cancelled                   -> the same kind, with the meeting's times (to its rep)

A rep's availability changing (`announce_rep_status`) goes to their teams' groups as
`{"type": "rep.status", "rep": {...}}`: the managers' live board (board/) shows it.

Each event carries the lead summary (`lead_summary`), read when the push leaves (after
the commit), so it shows the committed state, cadence plan included. The one exception is
the first `lead.assigned` of a lead routing has just planned: routing's own copy of the
lead holds every field the summary shows, as written in that transaction, so the push is
built from it and the worker reads nothing back (`_routed_summary`).

Open /dashboard/ pages (leadership and managers) join LEADERSHIP_GROUP instead and hear
only `{"type": "dashboard.breaches", "cause": kind}` when an event may move the live breach
counter (sla.warning, sla.breached, a first attempt, a stage change); the page then
re-reads its counts with its own filters."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Min, OuterRef, Q, Subquery
from django.urls import reverse

from cadences.models import TASK_CHANNELS, PlannedStep, StepStatus
from leadops.compiled import CompiledQuery
from leadops.push import push_on_commit, team_group, user_group
from leadops.roles import is_manager, sees_all_leads
from leads.choices import InquiryType, Source, Stage
from leads.models import Lead, LeadEvent
from notifications.alerts import has_alerts, hot_lead_alerts, sla_warning_at
from routing.models import RepProfile, Team

log = logging.getLogger(__name__)
UPDATED_KINDS = (
    "attempt.logged",
    "stage.changed",
    "lead.accepted",
    "note.added",
    "inquiry.repeated",
    "lead.opted_out",
    "lead.morning_queue",
    "lead.not_accepted",
)
MOVED_KINDS = ("lead.reassigned", "lead.handed_over", "lead.escalated")
MEETING_KINDS = ("meeting.booked", "meeting.rescheduled", "meeting.cancelled")  # the booking app
LEADERSHIP_GROUP = "leadops.leadership"  # open /dashboard/ pages: the live breach counter
BREACH_COUNTER_KINDS = ("sla.warning", "sla.breached", "stage.changed")  # and a lead's first attempt


def groups_for(user, *, dashboard: bool = False) -> list[str]:
    """The groups a user's open pages join: their own; a manager's also their teams'. A
    /dashboard/ page (leadership, managers) joins only the leadership group."""
    if dashboard:
        return [LEADERSHIP_GROUP] if sees_all_leads(user) else []
    groups = [user_group(user.pk)]
    if is_manager(user):
        teams = list(Team.objects.filter(Q(manager=user) | Q(members=user)).values_list("pk", flat=True).distinct())
        if not teams and user.is_superuser:
            teams = list(Team.objects.values_list("pk", flat=True))
        groups += [team_group(team_id) for team_id in sorted(set(teams))]
    return groups


def _next_task_steps():
    """The scheduled call and task steps of active enrollments (the cadence engine)."""
    return PlannedStep.objects.filter(
        enrollment__state="active", status=StepStatus.SCHEDULED, channel__in=TASK_CHANNELS
    )


def _next_steps_due(lead_ids) -> dict:
    """Lead id -> when its next call or task step is due; leads with none are absent."""
    return dict(NEXT_STEPS_DUE.rows(sorted(lead_ids)))


NEXT_STEPS_DUE = CompiledQuery(
    lambda lead_ids: (
        _next_task_steps()
        .filter(enrollment__lead_id__in=lead_ids)
        .values("enrollment__lead_id")
        .annotate(first=Min("due_at"))
        .values_list("enrollment__lead_id", "first")
    )
)


def _with_summary_facts(leads):
    """The lead with its owner and its next step's due time, in one query."""
    next_due = _next_task_steps().filter(enrollment__lead_id=OuterRef("pk")).order_by("due_at").values("due_at")[:1]
    return leads.select_related("owner").only(*SUMMARY_FIELDS).annotate(next_step_due=Subquery(next_due))


def _label(choices, value) -> str:
    """A choice's label in the active language (Model.get_FOO_display() rebuilds the whole
    choice table on every call: a visible share of every push)."""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


# Read for every push that follows a timeline event: compiled once (leadops/compiled.py).
SUMMARY_ROW = CompiledQuery(lambda lead_id: _with_summary_facts(Lead.objects).filter(pk=lead_id))
NOT_GIVEN = object()
# What lead_summary reads, and no more: a lead row is wide (its routing trace, its enrichment).
SUMMARY_FIELDS = (
    "name", "first_name", "last_name", "company", "email", "phone", "phone_e164", "source", "temperature",
    "inquiry_type", "stage", "submitted_at", "first_contact_due_at", "first_attempt_at", "accepted_at",
    "sla_policy_id", "team_id", "owner__first_name", "owner__last_name", "owner__username",
)  # fmt: skip


def lead_summary(lead: Lead, *, next_step_due_at=NOT_GIVEN, owner_name: str | None = None) -> dict:
    """What a page needs to show (or move) a lead's row and to call it in one click.
    A caller summarising many leads at once (the cadence dispatcher) passes each one's
    `next_step_due_at`, read in bulk; a caller that knows the owner's name passes it."""
    if next_step_due_at is NOT_GIVEN:
        if hasattr(lead, "next_step_due"):  # read with the lead (_with_summary_facts)
            next_step_due_at = lead.next_step_due
        else:
            next_step_due_at = _next_steps_due([lead.pk]).get(lead.pk)

    if owner_name is None and lead.owner_id:
        owner = lead.owner
        owner_name = owner.get_full_name() or owner.get_username()
    return {
        "id": lead.pk,
        "name": lead.display_name,
        "company": lead.company,
        "email": lead.email,
        "phone": lead.phone or lead.phone_e164,
        "tel": f"tel:{lead.phone_e164}" if lead.phone_e164 else "",
        "source": lead.source,
        "source_label": _label(Source, lead.source),
        "temperature": lead.temperature,
        "inquiry_type": _label(InquiryType, lead.inquiry_type),
        "stage": lead.stage,
        "stage_label": _label(Stage, lead.stage),
        "submitted_at": lead.submitted_at,
        "first_contact_due_at": lead.first_contact_due_at,
        "sla_warning_at": sla_warning_at(lead),
        "first_attempt_at": lead.first_attempt_at,
        "accepted_at": lead.accepted_at,
        "next_step_due_at": next_step_due_at,
        "owner_id": lead.owner_id,
        "owner": owner_name or "",
        "team_id": lead.team_id,
        "url": reverse("workspace-lead", args=[lead.pk]),
    }


def _change(event: LeadEvent) -> dict:
    return {"kind": event.kind, "at": event.at, "actor": event.actor_name, "event": event.pk}


def _task(event: LeadEvent) -> dict:
    return {key: event.data.get(key) for key in ("step", "channel", "due_at", "title")}


def _payload(lead_id: int, event: LeadEvent, **extra) -> Callable[[], dict]:
    """The event body, built when the push leaves (after the commit)."""

    def build() -> dict:
        lead = SUMMARY_ROW.first(lead_id)
        if lead is None:
            raise Lead.DoesNotExist(f"lead {lead_id} is gone")
        return {"lead": lead_summary(lead), "change": _change(event), **extra}

    return build


def _routed_summary(lead: Lead) -> dict | None:
    """The summary of a lead routing has just given an owner and a plan, from routing's
    own copy of the row: the cadence's enrolment left its next task's due time on it
    (`next_step_due`, cadences.progress.enroll) and the decision's trace names the owner.
    None when either is missing (a reassignment, a lead enrolled earlier): read it then."""
    chosen = (lead.routing_trace or {}).get("chosen") or {}
    if not hasattr(lead, "next_step_due") or not lead.owner_id or chosen.get("id") != lead.owner_id:
        return None
    return lead_summary(lead, owner_name=chosen.get("name") or chosen.get("username") or "")


def _user_id(username: str | None) -> int | None:
    if not username:
        return None
    return get_user_model().objects.filter(username=username).values_list("pk", flat=True).first()


def _audience(lead: Lead, *user_ids: int | None) -> list[str]:
    groups = [user_group(user_id) for user_id in (lead.owner_id, *user_ids) if user_id]
    if lead.team_id:
        groups.append(team_group(lead.team_id))
    return groups


def _alert(lead: Lead, owner_id: int | None, kind: str = "lead.assigned") -> None:
    """Hot-lead alerts, in a savepoint: a failing alert never undoes the assignment."""
    try:
        if not has_alerts(lead, owner_id):
            return
        with transaction.atomic():
            hot_lead_alerts(lead, owner_id, kind)
    except Exception:
        log.exception("hot-lead alerts for lead %s failed", lead.pk)


def _assigned(lead: Lead, event: LeadEvent) -> None:
    read = _payload(lead.pk, event)

    def build() -> dict:
        summary = _routed_summary(lead)
        return {"lead": summary, "change": _change(event)} if summary else read()

    push_on_commit(_audience(lead), "lead.assigned", build)
    if lead.owner_id:
        _alert(lead, lead.owner_id)


def _moved(lead: Lead, event: LeadEvent) -> None:
    previous_id = _user_id(event.data.get("previous_owner"))
    extra = {"previous_owner_id": previous_id, "reason": event.data.get("reason") or event.kind.split(".")[1]}
    push_on_commit(_audience(lead, previous_id), "lead.reassigned", _payload(lead.pk, event, **extra))
    if lead.owner_id and event.kind != "lead.escalated":
        _alert(lead, lead.owner_id, "lead.reassigned")


def _task_due(lead: Lead, event: LeadEvent) -> None:
    push_on_commit(_audience(lead, event.data.get("owner_id")), "task.due", _payload(lead.pk, event, task=_task(event)))


def _sla(lead: Lead, event: LeadEvent) -> None:
    push_on_commit(_audience(lead), event.kind, _payload(lead.pk, event))


def _meeting(lead: Lead, event: LeadEvent) -> None:
    """A meeting booked, moved or cancelled: its rep (the owner) hears it with the times."""
    meeting = {key: event.data.get(key) for key in ("meeting", "starts_at", "ends_at", "rep", "previous_start")}
    audience = _audience(lead, event.data.get("rep_id") or _user_id(event.data.get("rep")))
    push_on_commit(audience, event.kind, _payload(lead.pk, event, meeting=meeting))


def _updated(lead: Lead, event: LeadEvent) -> None:
    push_on_commit(_audience(lead), "lead.updated", _payload(lead.pk, event))
    if event.kind == "lead.morning_queue":
        _alert(lead, None)


HANDLERS: dict[str, Callable[[Lead, LeadEvent], None]] = {
    "lead.assigned": _assigned,
    **dict.fromkeys(MOVED_KINDS, _moved),
    "task.due": _task_due,
    "sla.warning": _sla,
    "sla.breached": _sla,
    **dict.fromkeys(UPDATED_KINDS, _updated),
    **dict.fromkeys(MEETING_KINDS, _meeting),
}


def announce(lead: Lead, event: LeadEvent) -> None:
    """Called for every recorded event; most kinds announce nothing."""
    handler = HANDLERS.get(event.kind)
    if handler is not None:
        handler(lead, event)
    if event.kind in BREACH_COUNTER_KINDS or (event.kind == "attempt.logged" and event.data.get("number") == 1):
        push_on_commit([LEADERSHIP_GROUP], "dashboard.breaches", {"cause": event.kind})


def announce_rep_status(profile: RepProfile) -> None:
    """A rep's availability changed: their teams' open boards show it (after the commit)."""
    team_ids = list(Team.objects.filter(members=profile.user_id).values_list("pk", flat=True))
    if not team_ids:
        return
    rep = {"id": profile.user_id, "status": profile.status, "since": profile.status_changed_at}
    push_on_commit([team_group(team_id) for team_id in team_ids], "rep.status", {"rep": rep})


def announce_due_tasks(events, leads: dict[int, Lead]) -> None:
    """ "task.due" for a whole batch of steps (the cadence dispatcher, whose rows `leads`
    are, locked): the bodies are built now from those rows and one query for every lead's
    next step, then pushed after the commit. Building each body after the commit, as
    announce() does, cost a few queries per step: seconds of lateness at 30 calls a second."""
    due = [event for event in events if event.kind == "task.due"]
    next_due = _next_steps_due({event.lead_id for event in due}) if due else {}
    for event in due:
        lead = leads[event.lead_id]
        payload = {
            "lead": lead_summary(lead, next_step_due_at=next_due.get(lead.pk)),
            "change": _change(event),
            "task": _task(event),
        }
        push_on_commit(_audience(lead, event.data.get("owner_id")), "task.due", payload)


def announce_events(events) -> None:
    """announce() for events written in bulk (LeadEvent.objects.bulk_create skips
    record_event), e.g. the cadence dispatcher's "task.due" batch. Call it inside the same
    transaction, after the bulk insert; quiet kinds cost nothing."""
    loud = [event for event in events if event.kind in HANDLERS]
    if not loud:
        return
    leads = Lead.objects.in_bulk({event.lead_id for event in loud})
    for event in loud:
        lead = leads.get(event.lead_id)
        if lead is not None:
            announce(lead, event)
