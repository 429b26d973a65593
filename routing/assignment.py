"""The one door for routing writes: assign, reassign (escalation), hand over, accept,
rep availability. Each locks what it changes, records a timeline event and a readable
trace, and schedules follow-up work on commit. Who gets the lead is routing/decision.py."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from leadops import events, prepared
from leadops.compiled import CompiledQuery
from leadops.queues import enqueue_on_commit
from leadops.updates import update_fields
from leads.actions import record_event
from leads.choices import Stage
from leads.messaging import queue_message
from leads.models import Lead
from routing.decision import MAX_REASSIGNMENTS, MORNING_QUEUE, ON_CALL, RETRY_ROUTING, Decision, decide
from routing.handover import check_handover
from routing.models import (
    Offer,
    RepProfile,
    RepStatus,
    RepStatusChange,
    RotationCount,
    RoutingRule,
    Strategy,
    Team,
)

log = logging.getLogger(__name__)


def _count_assignment(rule: RoutingRule, user_id: int) -> None:
    """The rule's rotation moves on (under the rule's lock, taken by the decision). Plain
    SQL: it runs for every lead routed, and the ORM takes longer to build these two
    statements than the database to run them."""
    if rule.strategy == Strategy.ACCOUNT_OWNER:
        return  # no rotation to keep (and no rule lock is held for it)
    rules, counts = RoutingRule._meta.db_table, RotationCount._meta.db_table
    # table names from the models, values as parameters
    count = (
        f"INSERT INTO {counts} (rule_id, user_id, assigned) VALUES (%s, %s, 1)"  # noqa: S608
        f" ON CONFLICT (rule_id, user_id) DO UPDATE SET assigned = {counts}.assigned + 1"
    )
    move_cursor = f"UPDATE {rules} SET rotation_cursor = %s WHERE id = %s"  # noqa: S608
    with connection.cursor() as cursor:
        if rule.strategy != Strategy.ROUND_ROBIN:
            prepared.execute(cursor, count, [rule.pk, user_id])
        elif connection.vendor == "postgresql":  # both in one statement
            prepared.execute(cursor, f"WITH moved AS ({move_cursor}) {count}", [user_id, rule.pk, rule.pk, user_id])
        else:
            cursor.execute(move_cursor, [user_id, rule.pk])
            cursor.execute(count, [rule.pk, user_id])


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


# The lead, locked, with what routing reads through it: compiled once (leadops/compiled.py).
LEAD_TO_ROUTE = CompiledQuery(
    lambda lead_id: (
        Lead.objects.select_for_update(of=("self",)).select_related("sla_policy", "named_account").filter(pk=lead_id)
    )
)


def assign_lead(lead_id: int, at: datetime | None = None) -> Decision | None:
    """Route an unowned lead: to a rep, the on-call rep, or the team's queue (retried)."""
    at = at or timezone.now()
    with transaction.atomic():
        lead = LEAD_TO_ROUTE.first(lead_id)
        if lead is None or lead.owner_id or lead.junk or lead.stage != Stage.NEW:
            return None
        decision = decide(lead, at, lock=True)
        previous_outcome = (lead.routing_trace or {}).get("outcome")
        lead.routing_trace = decision.trace
        if decision.owner_found:
            changed = _give(lead, decision, at)
            update_fields(lead, [*changed, "routing_trace", "updated_at"])
            record_event(lead, "lead.assigned", at=at, actor_label="routing", **_event_data(decision))
            log.info(
                "lead %s assigned to user %s (%s)", lead.pk, decision.chosen_id, decision.outcome,
                extra={"lead_id": lead.pk},
            )  # fmt: skip
        else:
            lead.team_id = decision.team_id or lead.team_id
            lead.route_after = at + RETRY_ROUTING
            update_fields(lead, ["team", "route_after", "routing_trace", "updated_at"])
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
        Offer.objects.filter(lead_id=lead.pk).delete()  # no more time limit (routing/offers.py)
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
            RepStatusChange.objects.create(user=user, status=status, at=profile.status_changed_at)
            events.emit(events.REP_STATUS_CHANGED, profile=profile)  # the managers' live board
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
