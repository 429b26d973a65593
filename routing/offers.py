"""Accept or pass (SPEC §3.11): an assignment is an offer until the rep accepts it.

- Routing gives a lead to a rep (routing.assignment._give emits LEAD_ROUTED): when the
  rule's `accept_within` applies, an `Offer` row records the deadline (`open_offer`, called
  from pipeline/flow.py), and the job of the deadline's second is armed (routing/deadlines.py).
- The rep accepts (routing.assignment.accept_lead closes the offer) or makes an attempt:
  the offer is settled. The SLA escalation (`reassign_after`) still applies after that.
- The rep passes with a reason (`pass_lead`): the lead goes to the next eligible rep (or
  the on-call rep; with nobody, to the team manager's queue), the passer left out.
- Nobody accepted in time (`expire_offer`, run by the deadline's job; `sweep`, the sweeper's
  guarantee): the lead moves to the next eligible rep the same way, before the
  escalation of `reassign_after`. With nobody else to take it, it stays where it is.
- A manager moves a lead to a chosen rep from the board (`reassign_to`).

Every move goes through routing.assignment (its `_give`), is traced (the trace names the
reps left out and why) and is recorded as "lead.reassigned" on the timeline, so the live
pages, the push alerts and a later escalation (which leaves out every earlier owner) all
see it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from leadops import prepared
from leadops.queues import enqueue_on_commit, sweep_enqueue
from leads.actions import record_event
from leads.choices import Stage, Temperature
from leads.models import Lead
from routing import config
from routing.assignment import _event_data, _give, _previous_owner_ids
from routing.decision import ASSIGNED, Decision, decide
from routing.models import Offer

log = logging.getLogger(__name__)
DEFAULT_ACCEPT_WITHIN = {Temperature.HOT: timedelta(minutes=2)}
MOVABLE_STAGES = (Stage.ASSIGNED, Stage.CONTACTED, Stage.CONNECTED)
EARLY = timedelta(seconds=1)  # the rq scheduler is about a second precise
GRACE = timedelta(seconds=5)
BATCH = 500
EXPIRE_JOB = "routing.tasks.expire_offer"  # by name: routing.tasks imports this module


class PassRefused(Exception):
    """The lead cannot be passed on (not the caller's, closed, or nobody to take it)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def accept_within(rule_id: int | None, temperature: str) -> timedelta | None:
    """The rule's time to accept; unset: the default for the lead's temperature (2 min
    for hot, none otherwise). Zero means no limit."""
    rule = next((rule for rule in config.routing_rules() if rule.pk == rule_id), None) if rule_id else None
    limit = rule.accept_within if rule is not None and rule.accept_within is not None else None
    if limit is None:
        limit = DEFAULT_ACCEPT_WITHIN.get(temperature)
    return limit if limit and limit > timedelta(0) else None


def _job_id(lead_id: int) -> str:
    return f"offer-{lead_id}"


def open_offer(lead: Lead, at: datetime) -> Offer | None:
    """After routing gave the lead an owner (LEAD_ROUTED, inside its transaction): start
    the owner's time to accept, if the rule sets one. Any earlier offer is replaced."""
    limit = None
    if lead.owner_id and not lead.first_attempt_at and not lead.accepted_at:
        limit = accept_within(((lead.routing_trace or {}).get("rule") or {}).get("id"), lead.temperature)
    table = connection.ops.quote_name(Offer._meta.db_table)
    # Plain SQL, one statement each way: this runs for every lead routed (the lead row is locked).
    with connection.cursor() as cursor:
        if limit is None:
            prepared.execute(cursor, f"DELETE FROM {table} WHERE lead_id = %s", [lead.pk])  # noqa: S608 - the table
            return None
        offer = Offer(lead_id=lead.pk, owner_id=lead.owner_id, offered_at=at, accept_by=at + limit)
        prepared.execute(
            cursor,
            f"INSERT INTO {table} (lead_id, owner_id, offered_at, accept_by) VALUES (%s, %s, %s, %s)"  # noqa: S608
            " ON CONFLICT (lead_id) DO UPDATE SET owner_id = EXCLUDED.owner_id,"
            " offered_at = EXCLUDED.offered_at, accept_by = EXCLUDED.accept_by RETURNING id",
            [offer.lead_id, offer.owner_id, *map(connection.ops.adapt_datetimefield_value, (at, offer.accept_by))],
        )  # an earlier owner's offer is replaced
        offer.pk = cursor.fetchone()[0]
    return offer  # its deadline's job: armed by the caller (pipeline/flow.py, routing/deadlines.py)


def close_offer(lead_id: int) -> None:
    """The owner accepted (or acted): no deadline any more."""
    Offer.objects.filter(lead_id=lead_id).delete()


def _locked_lead(lead_id: int) -> Lead | None:
    return (
        Lead.objects.select_for_update(of=("self",))
        .select_related("sla_policy", "named_account", "owner", "team__manager")
        .filter(pk=lead_id)
        .first()
    )


def _move(lead: Lead, decision: Decision, at: datetime, *, actor=None, left_out: dict, **data) -> None:
    """Give the lead to the decision's rep; the trace and the event name who was left out."""
    previous = lead.owner
    trace = dict(decision.trace)
    trace["left_out"] = [{"rep": name, "why": why} for name, why in left_out.items()]
    trace["summary"] = f"{data['reason']}. {trace.get('summary', '')}".strip()
    lead.routing_trace = trace
    changed = _give(lead, decision, at)
    lead.save(update_fields=[*changed, "routing_trace", "updated_at"])
    record_event(
        lead, "lead.reassigned", at=at, actor=actor, actor_label="" if actor else "routing",
        previous_owner=previous.get_username() if previous else None, left_out=sorted(left_out), **data,
        **_event_data(decision),
    )  # fmt: skip


def expire_offer(lead_id: int, at: datetime | None = None) -> str:
    """The job at the deadline: an offer nobody settled moves the lead on."""
    at = at or timezone.now()
    with transaction.atomic():
        lead = _locked_lead(lead_id)
        offer = Offer.objects.select_for_update().filter(lead_id=lead_id).first() if lead else None
        if offer is None:
            return "nothing to do"
        if (
            lead.owner_id != offer.owner_id
            or lead.accepted_at
            or lead.first_attempt_at
            or lead.stage not in (MOVABLE_STAGES)
        ):
            offer.delete()
            return "settled"
        if offer.accept_by > at + EARLY:
            enqueue_on_commit(EXPIRE_JOB, lead.pk, at=offer.accept_by)
            return "not due yet"
        owner = lead.owner
        waited = max(int((at - offer.offered_at).total_seconds()), 0)
        why = f"did not accept within {_readable(offer.accept_by - offer.offered_at)}"
        decision = decide(lead, at, exclude=_previous_owner_ids(lead) | {owner.pk}, lock=True)
        offer.delete()
        if not decision.owner_found:
            record_event(
                lead, "lead.not_accepted", at=at, actor_label="routing", owner=owner.get_username(),
                reason=f"{owner.get_username()} {why}; nobody else can take it now, so it stays",
                summary=decision.trace.get("summary"),
            )  # fmt: skip
            return "stays"
        _move(
            lead, decision, at, left_out={owner.get_username(): why}, cause="not_accepted",
            reason=f"{owner.get_username()} {why}", waited_seconds=waited,
        )  # fmt: skip
        log.info("lead %s not accepted by user %s in time; moved", lead.pk, owner.pk, extra={"lead_id": lead.pk})
        return "moved"


def _readable(duration: timedelta) -> str:
    seconds = round(duration.total_seconds())
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60} s"


def _to_manager(lead: Lead, by, reason: str, at: datetime, decision: Decision) -> Lead:
    manager = lead.team.manager if lead.team_id else None
    if manager is None or manager.pk == by.pk:
        raise PassRefused("lead", "Nobody else can take this lead now: keep it, or hand it to a named colleague.")
    previous = lead.owner
    Offer.objects.filter(lead_id=lead.pk).delete()
    lead.owner = manager
    lead.accepted_at = None
    lead.escalated_at = at
    lead.reassign_due_at = None
    lead.routing_trace = {**decision.trace, "outcome": "manager_queue", "left_out": [{"rep": by.get_username()}]}
    lead.save(update_fields=["owner", "accepted_at", "escalated_at", "reassign_due_at", "routing_trace", "updated_at"])
    record_event(
        lead, "lead.escalated", at=at, actor=by, previous_owner=previous.get_username(),
        manager=manager.get_username(), cause="passed", pass_reason=reason,
        reason=f"passed by {by.get_username()} ({reason}); nobody else eligible",
    )  # fmt: skip
    return lead


def pass_lead(lead_id: int, *, by, reason: str, at: datetime | None = None) -> Lead:
    """The owner passes the lead on with a reason: to the next eligible (or on-call) rep,
    else the team manager's queue. Raises PassRefused when that cannot be done."""
    at = at or timezone.now()
    reason = " ".join(reason.split())[:200]
    if not reason:
        raise PassRefused("reason", "Say why you pass this lead on.")
    with transaction.atomic():
        lead = _locked_lead(lead_id)
        if lead is None or lead.owner_id != by.pk:
            raise PassRefused("lead", "Only the rep who has the lead can pass it on.")
        if lead.stage not in MOVABLE_STAGES:
            raise PassRefused("lead", "This lead is closed; there is nothing to pass on.")
        decision = decide(lead, at, exclude=_previous_owner_ids(lead) | {by.pk}, lock=True)
        if not decision.owner_found:
            return _to_manager(lead, by, reason, at, decision)
        Offer.objects.filter(lead_id=lead.pk).delete()
        _move(
            lead, decision, at, actor=by, left_out={by.get_username(): f"passed: {reason}"}, cause="passed",
            reason=f"passed by {by.get_username()}: {reason}", pass_reason=reason,
        )  # fmt: skip
        log.info("lead %s passed on by user %s", lead.pk, by.pk, extra={"lead_id": lead.pk})
        return lead


def reassign_to(lead_id: int, to_user_id: int, *, by, at: datetime | None = None) -> Lead:
    """A manager moves a lead to a chosen rep (the board's one click), traced like routing."""
    at = at or timezone.now()
    with transaction.atomic():
        lead = _locked_lead(lead_id)
        target = get_user_model().objects.filter(pk=to_user_id, is_active=True).first()
        if lead is None or target is None:
            raise PassRefused("to", "No such lead or rep.")
        if lead.owner_id == target.pk:
            raise PassRefused("to", "The lead is already theirs.")
        name = target.get_full_name() or target.get_username()
        previous = lead.owner.get_username() if lead.owner_id else None
        trace = {
            "at": at.isoformat(),
            "rule": None,
            "candidates": [],
            "chosen": {"id": target.pk, "username": target.get_username(), "name": name},
            "outcome": "manager_choice",
            "summary": f"{by.get_username()} moved the lead to {target.get_username()} from the board.",
        }
        decision = Decision(ASSIGNED, target.pk, None, lead.team_id, trace)
        Offer.objects.filter(lead_id=lead.pk).delete()
        left_out = {previous: f"moved by {by.get_username()}"} if previous else {}
        _move(
            lead, decision, at, actor=by, left_out=left_out, cause="manager",
            reason=f"moved by {by.get_username()} to {target.get_username()}",
        )  # fmt: skip
        return lead


def sweep(now: datetime) -> dict[str, int]:
    """The guarantee behind the deadline jobs: offers past their deadline get a job."""
    due = Offer.objects.filter(accept_by__lt=now - GRACE).order_by("accept_by").values_list("lead_id", flat=True)
    counts = {"offers": 0}
    for lead_id in list(due[:BATCH]):
        counts["offers"] += sweep_enqueue(EXPIRE_JOB, lead_id, job_id=_job_id(lead_id))
    return counts
