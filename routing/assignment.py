"""The one door for routing writes: assign, reassign (escalation), hand over, accept,
rep availability. Each locks what it changes, records a timeline event and a readable
trace, and schedules follow-up work on commit.

`decide()` is read-only and serves both the real assignment and the admin's dry run, so
the two can never disagree."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Avg, Count, F
from django.utils import timezone

from leadops import events
from leadops.queues import enqueue_on_commit
from leads.actions import record_event
from leads.choices import Stage
from leads.messaging import queue_message
from leads.models import Lead
from routing import config, strategies
from routing.eligibility import LeadPlace, RepSnapshot, reasons_to_pass_over
from routing.handover import check_handover
from routing.models import (
    Fallback,
    OnCallRole,
    OnCallShift,
    RepProfile,
    RepStatus,
    RotationCount,
    RoutingRule,
    Strategy,
    Team,
)
from routing.rules import mismatch

log = logging.getLogger(__name__)
OPEN_STAGES = (Stage.NEW, Stage.ASSIGNED, Stage.CONTACTED, Stage.CONNECTED)
RETRY_ROUTING = timedelta(seconds=60)
PERFORMANCE_WINDOW = timedelta(days=30)
MAX_REASSIGNMENTS = 2
ASSIGNED, ON_CALL, MORNING_QUEUE, UNROUTED = "assigned", "on_call", "morning_queue", "unrouted"


@dataclass
class Decision:
    outcome: str
    chosen_id: int | None = None
    rule: RoutingRule | None = None
    team_id: int | None = None
    trace: dict = field(default_factory=dict)

    @property
    def owner_found(self) -> bool:
        return self.chosen_id is not None


def _place(lead: Lead) -> LeadPlace:
    return LeadPlace(
        country=lead.country, region=lead.region, postal_code=lead.postal_code, product_interest=lead.product_interest
    )


def load_reps(user_ids: list[int], at: datetime) -> list[RepSnapshot]:
    """Snapshots of these users with their open-lead counts. Status, capacity and open
    leads are read fresh (two queries); hours, territories and leave come from a cache of a
    few seconds (routing.config.rep_calendars), cleared when one of them is edited."""
    if not user_ids:
        return []
    users = list(get_user_model().objects.filter(pk__in=user_ids, is_active=True).select_related("rep_profile"))
    open_counts = dict(
        Lead.objects.filter(owner_id__in=user_ids, stage__in=OPEN_STAGES)
        .values("owner_id")
        .annotate(open=Count("id"))
        .values_list("owner_id", "open")
    )
    profiles = [profile for user in users if (profile := getattr(user, "rep_profile", None)) is not None]
    calendars = config.rep_calendars([profile.pk for profile in profiles], at.date()) if profiles else {}
    snapshots = []
    for user in users:
        profile = getattr(user, "rep_profile", None)
        name = user.get_full_name() or user.get_username()
        if profile is None:
            snapshots.append(
                RepSnapshot(user.pk, user.get_username(), name, "offline", "UTC", {}, [], 0, 0, 1, [], [], False)
            )
            continue
        hours, territories, leave = calendars[profile.pk]
        snapshots.append(
            RepSnapshot(
                user_id=user.pk,
                username=user.get_username(),
                name=name,
                status=profile.status,
                time_zone=profile.time_zone,
                hours=hours,
                leave=list(leave),
                capacity=profile.capacity,
                open_leads=open_counts.get(user.pk, 0),
                weight=profile.weight,
                territories=list(territories),
                product_skills=list(profile.product_skills or []),
            )
        )
    return sorted(snapshots, key=lambda rep: rep.user_id)


def _candidate_row(rep: RepSnapshot) -> dict:
    return {
        "rep": rep.username,
        "name": rep.name,
        "eligible": rep.eligible,
        "reasons": rep.reasons,
        "open_leads": rep.open_leads,
        "capacity": rep.capacity,
    }


def _recent_response_seconds(user_ids: list[int], at: datetime) -> dict[int, float]:
    rows = (
        Lead.objects.filter(
            owner_id__in=user_ids, assigned_at__gte=at - PERFORMANCE_WINDOW, first_attempt_at__isnull=False
        )
        .values("owner_id")
        .annotate(mean=Avg(F("first_attempt_at") - F("assigned_at")))
    )
    return {row["owner_id"]: row["mean"].total_seconds() for row in rows if row["mean"] is not None}


def _pick(rule: RoutingRule, eligible: list[RepSnapshot], at: datetime, cursor: int | None) -> RepSnapshot:
    counts = dict(RotationCount.objects.filter(rule=rule).values_list("user_id", "assigned"))
    if rule.strategy == Strategy.WEIGHTED:
        return strategies.weighted(eligible, counts)
    if rule.strategy == Strategy.LEAST_LOADED:
        return strategies.least_loaded(eligible, counts)
    if rule.strategy == Strategy.BEST_PERFORMER:
        return strategies.best_performer(eligible, _recent_response_seconds([rep.user_id for rep in eligible], at))
    return strategies.round_robin(eligible, cursor)


def _account_owner_id(lead: Lead) -> tuple[int | None, str]:
    if lead.named_account_id and lead.named_account.owner_id:
        return lead.named_account.owner_id, f"owner of named account {lead.named_account.domain}"
    if lead.company_domain and not lead.free_mail:
        earlier = (
            Lead.objects.filter(company_domain=lead.company_domain, junk=False, owner__isnull=False)
            .exclude(pk=lead.pk)
            .order_by("-submitted_at")
            .values_list("owner_id", flat=True)
            .first()
        )
        if earlier:
            return earlier, f"owner of an earlier lead from {lead.company_domain}"
    return None, ""


def _assess(reps: list[RepSnapshot], lead: Lead, at: datetime, exclude: set[int], check_hours=True) -> None:
    for rep in reps:
        rep.reasons = reasons_to_pass_over(rep, _place(lead), at, check_hours=check_hours)
        if rep.user_id in exclude:
            rep.reasons.append("already had this lead and did not call in time")


def _on_call(rule: RoutingRule, lead: Lead, at: datetime, exclude: set[int]) -> tuple[RepSnapshot | None, list]:
    shifts = [
        shift
        for shift in OnCallShift.objects.covering(at).filter(team_id=rule.team_id).order_by("role", "starts_at")
        if shift.covers(source=lead.source, temperature=lead.temperature)
    ]
    reps = {rep.user_id: rep for rep in load_reps([shift.user_id for shift in shifts], at)}
    rows = []
    for shift in sorted(shifts, key=lambda s: s.role != OnCallRole.PRIMARY):
        rep = reps.get(shift.user_id)
        if rep is None:
            continue
        # On call means reachable by phone outside hours: only leave and exclusion count.
        rep.reasons = [reason for reason in reasons_to_pass_over(rep, _place(lead), at) if "on leave" in reason]
        if rep.user_id in exclude:
            rep.reasons.append("already had this lead and did not call in time")
        rows.append({**_candidate_row(rep), "on_call": shift.role})
        if rep.eligible:
            return rep, rows
    return None, rows


def _summary(decision: Decision, reps: list[RepSnapshot]) -> str:
    rule = f"rule {decision.rule.name!r}" if decision.rule else "no rule"
    passed = "; ".join(f"{rep.username} {', '.join(rep.reasons)}" for rep in reps if rep.reasons)
    chosen = next((rep.username for rep in reps if rep.user_id == decision.chosen_id), None)
    text = {
        ASSIGNED: f"{rule}: chose {chosen}",
        ON_CALL: f"{rule}: nobody eligible; on-call {chosen}",
        MORNING_QUEUE: f"{rule}: nobody eligible or on call; waiting in the team's queue",
        UNROUTED: "no routing rule matched; waiting for a manager",
    }[decision.outcome]
    return f"{text}. Passed over: {passed}." if passed else f"{text}."


def _finish(decision: Decision, tried: list, reps: list[RepSnapshot], at: datetime, extra_rows=()) -> Decision:
    rule = decision.rule
    chosen = next((rep for rep in [*reps] if rep.user_id == decision.chosen_id), None)
    decision.trace = {
        "at": at.isoformat(),
        "rules": tried,
        "rule": {"id": rule.pk, "name": rule.name, "strategy": rule.strategy} if rule else None,
        "candidates": [_candidate_row(rep) for rep in reps] + list(extra_rows),
        "chosen": {"id": chosen.user_id, "username": chosen.username, "name": chosen.name} if chosen else None,
        "outcome": decision.outcome,
        "summary": _summary(decision, reps),
    }
    return decision


def decide(lead: Lead, at: datetime | None = None, *, exclude: set[int] = frozenset(), lock: bool = False) -> Decision:
    """Who should get this lead now, and why (changes nothing). With `lock`, the rules'
    rotation rows are locked so the caller's writes stay fair under concurrency."""
    at = at or timezone.now()
    tried: list[dict] = []
    for rule in config.routing_rules():  # cached for a few seconds; rotation state is read below
        reason = mismatch(rule, lead)
        if reason:
            tried.append({"rule": rule.name, "matched": False, "why": reason})
            continue
        if rule.strategy == Strategy.ACCOUNT_OWNER:
            owner_id, why = _account_owner_id(lead)
            reps = load_reps([owner_id], at) if owner_id else []
            _assess(reps, lead, at, exclude)
            if reps and reps[0].eligible:
                tried.append({"rule": rule.name, "matched": True, "why": why})
                return _finish(Decision(ASSIGNED, owner_id, rule, rule.team_id), tried, reps, at)
            detail = f"{why}: {reps[0].username} {', '.join(reps[0].reasons)}" if reps else "no account owner found"
            tried.append({"rule": rule.name, "matched": True, "why": f"{detail}; falling through"})
            continue
        cursor = None
        if lock:
            # Serialise decisions per rule, so rotation state and counts stay consistent.
            cursor = RoutingRule.objects.select_for_update().values_list("rotation_cursor", flat=True).get(pk=rule.pk)
        elif rule.strategy == Strategy.ROUND_ROBIN:
            cursor = RoutingRule.objects.values_list("rotation_cursor", flat=True).get(pk=rule.pk)
        reps = load_reps(rule.pool_ids, at)
        _assess(reps, lead, at, exclude)
        eligible = [rep for rep in reps if rep.eligible]
        if eligible:
            tried.append({"rule": rule.name, "matched": True})
            chosen = _pick(rule, eligible, at, cursor)
            return _finish(Decision(ASSIGNED, chosen.user_id, rule, rule.team_id), tried, reps, at)
        if rule.fallback == Fallback.NEXT_RULE:
            tried.append({"rule": rule.name, "matched": True, "why": "nobody eligible; trying the next rule"})
            continue
        tried.append({"rule": rule.name, "matched": True, "why": "nobody eligible"})
        on_call, rows = _on_call(rule, lead, at, exclude) if rule.team_id else (None, [])
        if on_call:
            return _finish(Decision(ON_CALL, on_call.user_id, rule, rule.team_id), tried, [*reps, on_call], at)
        return _finish(Decision(MORNING_QUEUE, None, rule, rule.team_id), tried, reps, at, rows)
    return _finish(Decision(UNROUTED), tried, [], at)


def _count_assignment(rule: RoutingRule, user_id: int) -> None:
    if rule.strategy == Strategy.ACCOUNT_OWNER:
        return  # no rotation to keep (and no rule lock is held for it)
    if rule.strategy == Strategy.ROUND_ROBIN:
        RoutingRule.objects.filter(pk=rule.pk).update(rotation_cursor=user_id)
    updated = RotationCount.objects.filter(rule=rule, user_id=user_id).update(assigned=F("assigned") + 1)
    if not updated:
        RotationCount.objects.create(rule=rule, user_id=user_id, assigned=1)


def _wall_clock_sla(lead: Lead) -> list[str]:
    """On call: the clock runs in wall-clock time (SPEC §3.3); only ever earlier."""
    policy = lead.sla_policy
    if policy is None or policy.first_contact_within is None:
        return []
    due = lead.submitted_at + policy.first_contact_within
    if lead.first_contact_due_at is None or due < lead.first_contact_due_at:
        lead.first_contact_due_at = due
        return ["first_contact_due_at"]
    return []


def _give(lead: Lead, decision: Decision, at: datetime) -> list[str]:
    """Set the owner from a decision; returns the changed fields."""
    lead.owner_id = decision.chosen_id
    lead.team_id = decision.team_id or lead.team_id
    lead.stage = Stage.ASSIGNED if lead.stage == Stage.NEW else lead.stage
    lead.assigned_at = lead.assigned_at or at
    lead.accepted_at = None
    lead.route_after = None
    reassign_after = lead.sla_policy.reassign_after if lead.sla_policy_id else None
    lead.reassign_due_at = at + reassign_after if reassign_after and lead.first_attempt_at is None else None
    changed = ["owner", "team", "stage", "assigned_at", "accepted_at", "route_after", "reassign_due_at"]
    if decision.outcome == ON_CALL:
        changed += _wall_clock_sla(lead)
    if decision.rule:
        _count_assignment(decision.rule, decision.chosen_id)
    # the escalation timer and the cadence plan (pipeline/flow.py)
    events.emit(events.LEAD_ROUTED, lead=lead, at=at)
    return changed


def assign_lead(lead_id: int, at: datetime | None = None) -> Decision | None:
    """Route an unowned lead: to a rep, the on-call rep, or the team's queue (retried)."""
    at = at or timezone.now()
    with transaction.atomic():
        lead = (
            Lead.objects.select_for_update(of=("self",))
            .select_related("sla_policy", "named_account")
            .filter(pk=lead_id)
            .first()
        )
        if lead is None or lead.owner_id or lead.junk or lead.stage != Stage.NEW:
            return None
        decision = decide(lead, at, lock=True)
        previous_outcome = (lead.routing_trace or {}).get("outcome")
        lead.routing_trace = decision.trace
        if decision.owner_found:
            changed = _give(lead, decision, at)
            lead.save(update_fields=[*changed, "routing_trace", "updated_at"])
            record_event(lead, "lead.assigned", at=at, actor_label="routing", **_event_data(decision))
            log.info(
                "lead %s assigned to user %s (%s)", lead.pk, decision.chosen_id, decision.outcome,
                extra={"lead_id": lead.pk},
            )  # fmt: skip
        else:
            lead.team_id = decision.team_id or lead.team_id
            lead.route_after = at + RETRY_ROUTING
            lead.save(update_fields=["team", "route_after", "routing_trace", "updated_at"])
            if decision.outcome == MORNING_QUEUE:
                # waiting for the next opening: the cadence plan starts there
                events.emit(events.LEAD_ROUTED, lead=lead, at=at)
            if previous_outcome != decision.outcome:
                record_event(lead, f"lead.{decision.outcome}", at=at, actor_label="routing", **_event_data(decision))
                log.info("lead %s not assigned: %s", lead.pk, decision.outcome, extra={"lead_id": lead.pk})
    return decision


def _event_data(decision: Decision) -> dict:
    trace = decision.trace
    return {
        "owner": (trace.get("chosen") or {}).get("username"),
        "owner_id": decision.chosen_id,
        "rule": (trace.get("rule") or {}).get("name"),
        "outcome": decision.outcome,
        "summary": trace.get("summary"),
    }


def _previous_owner_ids(lead: Lead) -> set[int]:
    return set(
        lead.events.filter(kind__in=("lead.assigned", "lead.reassigned")).values_list("data__owner_id", flat=True)
    )


def _alert_manager(lead: Lead, manager, subject: str, body: str, key: str) -> None:
    if manager is None or not manager.email:
        return
    queue_message(
        lead, dedupe_key=f"manager:{lead.pk}:{key}", purpose="manager_alert", channel="email",
        recipient=manager.email, subject=subject, body=body,
    )  # fmt: skip


def reassign_if_untouched(lead_id: int, at: datetime | None = None) -> str:
    """Escalation (SPEC §3.6): the owner made no attempt within reassign_after. Move the
    lead to the next eligible or on-call rep; after two moves, to the manager's queue."""
    at = at or timezone.now()
    with transaction.atomic():
        lead = (
            Lead.objects.select_for_update(of=("self",))
            .select_related("sla_policy", "named_account", "owner", "team__manager")
            .filter(pk=lead_id)
            .first()
        )
        if lead is None or lead.owner_id is None or lead.first_attempt_at or lead.reassign_due_at is None:
            return "nothing to do"
        if lead.reassign_due_at > at + timedelta(seconds=1):  # an early job: the scheduler is ~1 s precise
            enqueue_on_commit(reassign_if_untouched, lead.pk, at=lead.reassign_due_at)
            return "not due yet"
        previous = lead.owner
        manager = lead.team.manager if lead.team_id else None
        waited = int((at - (lead.assigned_at or at)).total_seconds() // 60)
        count = lead.reassignment_count + 1
        decision = decide(lead, at, exclude=_previous_owner_ids(lead) | {previous.pk}, lock=True)
        if count > MAX_REASSIGNMENTS or not decision.owner_found:
            lead.owner = manager
            lead.escalated_at = at
            lead.reassign_due_at = None
            lead.reassignment_count = count
            lead.routing_trace = {**decision.trace, "outcome": "manager_queue"}
            lead.save(update_fields=["owner", "escalated_at", "reassign_due_at", "reassignment_count", "routing_trace"])
            record_event(
                lead, "lead.escalated", at=at, actor_label="routing",
                previous_owner=previous.get_username(), manager=manager.get_username() if manager else None,
                reason=f"not attempted by {previous.get_username()} and {count - 1} other rep(s) in time",
            )  # fmt: skip
            log.info("lead %s escalated to the manager's queue", lead.pk, extra={"lead_id": lead.pk})
            _alert_manager(
                lead, manager, f"Lead L-{lead.pk} needs you: nobody called it",
                f"{lead.display_name} ({lead.company or 'no company'}) was not called in time after "
                f"{count - 1} reassignment(s). It is now in your queue.", f"escalated:{count}",
            )  # fmt: skip
            return "escalated"
        lead.routing_trace = decision.trace
        changed = _give(lead, decision, at)
        lead.reassignment_count = count
        lead.save(update_fields=[*changed, "reassignment_count", "routing_trace", "updated_at"])
        record_event(
            lead, "lead.reassigned", at=at, actor_label="routing", previous_owner=previous.get_username(),
            reason=f"no attempt within {waited} min", **_event_data(decision),
        )  # fmt: skip
        log.info(
            "lead %s reassigned from user %s to user %s", lead.pk, previous.pk, decision.chosen_id,
            extra={"lead_id": lead.pk},
        )  # fmt: skip
        _alert_manager(
            lead, manager, f"Lead L-{lead.pk} reassigned: {previous.get_username()} did not call in time",
            f"{lead.display_name} moved from {previous.get_username()} to {decision.trace['chosen']['username']} "
            f"after {waited} min without an attempt.", f"reassigned:{count}",
        )  # fmt: skip
        return "reassigned"


def hand_over(lead: Lead, to_user, *, by) -> Lead:
    """A rep hands a lead to a colleague (e.g. one with a more open schedule), when
    routing.handover allows it (else HandoverRefused)."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        check_handover(lead, to_user, timezone.now())  # raises HandoverRefused
        previous = lead.owner
        lead.owner = to_user
        lead.accepted_at = None
        lead.save(update_fields=["owner", "accepted_at", "updated_at"])
        record_event(
            lead, "lead.handed_over", actor=by, owner_id=to_user.pk, owner=to_user.get_username(),
            previous_owner=previous.get_username() if previous else None,
        )  # fmt: skip
    return lead


def accept_lead(lead: Lead, *, by) -> Lead:
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.accepted_at is None:
            lead.accepted_at = timezone.now()
            lead.save(update_fields=["accepted_at", "updated_at"])
            record_event(lead, "lead.accepted", actor=by)
    return lead


def set_rep_status(user, status: str) -> RepProfile:
    """A rep's availability (SPEC §6 /api/v1/me/status). Becoming available pulls in
    the leads waiting in the rep's teams' queues at once."""
    with transaction.atomic():
        profile, _ = RepProfile.objects.select_for_update().get_or_create(user=user)
        if profile.status != status:
            profile.status = status
            profile.status_changed_at = timezone.now()
            profile.save(update_fields=["status", "status_changed_at"])
            if status == RepStatus.AVAILABLE:
                team_ids = list(Team.objects.filter(members=user).values_list("pk", flat=True))
                Lead.objects.filter(team_id__in=team_ids, owner__isnull=True, route_after__isnull=False).update(
                    route_after=profile.status_changed_at
                )
                events.emit(events.REP_AVAILABLE, user=user)  # route the waiting leads now
    return profile


def waiting_lead_ids(now: datetime, limit: int = 200) -> list[int]:
    """Unowned leads due for (another) routing try, most urgent first."""
    return list(
        Lead.objects.filter(route_after__lte=now, owner__isnull=True, junk=False)
        .order_by("first_contact_due_at", "submitted_at")
        .values_list("pk", flat=True)[:limit]
    )
