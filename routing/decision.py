"""Who should get a lead now (SPEC §3.5): the first matching rule, its pool's eligible reps,
the strategy's pick, the on-call fallback, and a trace a manager can read. `decide()` is
read-only and serves both the real assignment (routing/assignment.py) and the admin's dry
run, so the two can never disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from leadops.compiled import CompiledQuery
from leads.choices import Stage
from leads.models import Lead
from routing import config, strategies
from routing.eligibility import LeadPlace, RepSnapshot, reasons_to_pass_over
from routing.models import (
    Fallback,
    OnCallRole,
    OnCallShift,
    RepStatus,
    RotationCount,
    RoutingRule,
    Strategy,
)
from routing.rules import mismatch

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


# The reads of every decision, compiled once per pool size (leadops/compiled.py).
# Each user with their profile and their open leads counted, in one statement.
USERS_WITH_PROFILES = CompiledQuery(
    lambda user_ids: (
        get_user_model()
        .objects.filter(pk__in=user_ids, is_active=True)
        .select_related("rep_profile")
        .annotate(
            open_leads=Coalesce(
                Subquery(
                    Lead.objects.filter(owner_id=OuterRef("pk"), stage__in=OPEN_STAGES)
                    .order_by()
                    .values("owner_id")
                    .annotate(open=Count("id"))
                    .values("open")
                ),
                0,
            )
        )
    )
)
ROTATION_CURSOR = CompiledQuery(lambda rule_id: RoutingRule.objects.filter(pk=rule_id).values_list("rotation_cursor"))
LOCKED_ROTATION_CURSOR = CompiledQuery(
    lambda rule_id: RoutingRule.objects.select_for_update().filter(pk=rule_id).values_list("rotation_cursor")
)
ROTATION_COUNTS = CompiledQuery(
    lambda rule_id: RotationCount.objects.filter(rule_id=rule_id).values_list("user_id", "assigned")
)


def load_reps(user_ids: list[int], at: datetime) -> list[RepSnapshot]:
    """Snapshots of these users with their open-lead counts. Status, capacity and open
    leads are read fresh (one query); hours, territories and leave come from a cache of a
    few seconds (routing.config.rep_calendars), cleared when one of them is edited."""
    if not user_ids:
        return []
    user_ids = sorted(set(user_ids))
    users = USERS_WITH_PROFILES.all(user_ids)
    profiles = [profile for user in users if (profile := getattr(user, "rep_profile", None)) is not None]
    config.remember_profiles(profiles)  # the alerts after the decision need the chosen one's
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
                open_leads=user.open_leads,
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


RECENT_RESPONSES = CompiledQuery(
    lambda user_ids, since: (
        Lead.objects.filter(owner_id__in=user_ids, assigned_at__gte=since, first_attempt_at__isnull=False)
        .values("owner_id")
        .annotate(mean=Avg(F("first_attempt_at") - F("assigned_at")))
        .values_list("owner_id", "mean")
    )
)


def _recent_response_seconds(user_ids: list[int], at: datetime) -> dict[int, float]:
    rows = RECENT_RESPONSES.rows(sorted(user_ids), at - PERFORMANCE_WINDOW)
    return {owner_id: mean.total_seconds() for owner_id, mean in rows if mean is not None}


def _pick(rule: RoutingRule, eligible: list[RepSnapshot], at: datetime, cursor: int | None, state) -> RepSnapshot:
    if rule.strategy == Strategy.WEIGHTED:
        return strategies.weighted(eligible, state.rotation_counts(rule))
    if rule.strategy == Strategy.LEAST_LOADED:
        return strategies.least_loaded(eligible, state.rotation_counts(rule))
    if rule.strategy == Strategy.BEST_PERFORMER:
        return strategies.best_performer(eligible, state.response_seconds([rep.user_id for rep in eligible], at))
    return strategies.round_robin(eligible, cursor)


# The owner of the latest earlier owned lead from the same company domain.
EARLIER_OWNER = CompiledQuery(
    lambda domain, lead_id: (
        Lead.objects.filter(company_domain=domain, junk=False, owner__isnull=False)
        .exclude(pk=lead_id)
        .order_by("-submitted_at")
        .values_list("owner_id")[:1]
    )
)


def _account_owner_id(lead: Lead) -> tuple[int | None, str]:
    if lead.named_account_id and lead.named_account.owner_id:
        return lead.named_account.owner_id, f"owner of named account {lead.named_account.domain}"
    if lead.company_domain and not lead.free_mail:
        earlier = EARLIER_OWNER.rows(lead.company_domain, lead.pk)
        if earlier:
            return earlier[0][0], f"owner of an earlier lead from {lead.company_domain}"
    return None, ""


def _assess(reps: list[RepSnapshot], lead: Lead, at: datetime, exclude: set[int], check_hours=True) -> None:
    for rep in reps:
        rep.reasons = reasons_to_pass_over(rep, _place(lead), at, check_hours=check_hours)
        if rep.user_id in exclude:
            rep.reasons.append("already had this lead and did not call in time")


def _on_call(rule: RoutingRule, lead: Lead, at: datetime, exclude: set[int], state) -> tuple[RepSnapshot | None, list]:
    shifts = [
        shift
        for shift in state.on_call_shifts(rule.team_id, at)
        if shift.covers(source=lead.source, temperature=lead.temperature)
    ]
    reps = {rep.user_id: rep for rep in state.load_reps([shift.user_id for shift in shifts], at)}
    rows = []
    for shift in sorted(shifts, key=lambda s: s.role != OnCallRole.PRIMARY):
        rep = reps.get(shift.user_id)
        if rep is None:
            continue
        # On call means reachable by phone outside hours, so being offline or outside working
        # hours does not count; leave, choosing "away" and exclusion do.
        rep.reasons = [reason for reason in reasons_to_pass_over(rep, _place(lead), at) if "on leave" in reason]
        if rep.status == RepStatus.AWAY:
            rep.reasons.insert(0, "is away")
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


class LiveState:
    """Where decide() reads routing's configuration and state by default: the configuration
    cache and the database. The what-if replay (whatif/replay.py) passes its own, as of
    each lead's arrival, so it runs this same code without reading or writing rows."""

    def routing_rules(self) -> list:
        return config.routing_rules()  # cached for a few seconds; rotation state is read apart

    def load_reps(self, user_ids: list[int], at: datetime) -> list[RepSnapshot]:
        return load_reps(user_ids, at)

    def rotation_cursor(self, rule: RoutingRule, *, lock: bool) -> int | None:
        if lock:
            # Serialise decisions per rule, so rotation state and counts stay consistent.
            return _one_value(LOCKED_ROTATION_CURSOR.rows(rule.pk), rule)
        if rule.strategy == Strategy.ROUND_ROBIN:
            return _one_value(ROTATION_CURSOR.rows(rule.pk), rule)
        return None

    def rotation_counts(self, rule: RoutingRule) -> dict[int, int]:
        return dict(ROTATION_COUNTS.rows(rule.pk))

    def response_seconds(self, user_ids: list[int], at: datetime) -> dict[int, float]:
        return _recent_response_seconds(user_ids, at)

    def account_owner(self, lead: Lead) -> tuple[int | None, str]:
        return _account_owner_id(lead)

    def on_call_shifts(self, team_id: int, at: datetime) -> list[OnCallShift]:
        return list(OnCallShift.objects.covering(at).filter(team_id=team_id).order_by("role", "starts_at"))


def _one_value(rows: list[tuple], rule: RoutingRule):
    if not rows:  # deleted since the configuration was cached
        raise RoutingRule.DoesNotExist(f"routing rule {rule.pk} is gone")
    return rows[0][0]


LIVE = LiveState()


def decide(
    lead: Lead, at: datetime | None = None, *, exclude: set[int] = frozenset(), lock: bool = False, state=None
) -> Decision:
    """Who should get this lead now, and why (changes nothing). With `lock`, the rules'
    rotation rows are locked so the caller's writes stay fair under concurrency. `state`
    (default LIVE) is where the configuration and rotation state are read."""
    at = at or timezone.now()
    state = state or LIVE
    tried: list[dict] = []
    for rule in state.routing_rules():
        reason = mismatch(rule, lead)
        if reason:
            tried.append({"rule": rule.name, "matched": False, "why": reason})
            continue
        if rule.strategy == Strategy.ACCOUNT_OWNER:
            owner_id, why = state.account_owner(lead)
            reps = state.load_reps([owner_id], at) if owner_id else []
            _assess(reps, lead, at, exclude)
            if reps and reps[0].eligible:
                tried.append({"rule": rule.name, "matched": True, "why": why})
                return _finish(Decision(ASSIGNED, owner_id, rule, rule.team_id), tried, reps, at)
            detail = f"{why}: {reps[0].username} {', '.join(reps[0].reasons)}" if reps else "no account owner found"
            tried.append({"rule": rule.name, "matched": True, "why": f"{detail}; falling through"})
            continue
        cursor = state.rotation_cursor(rule, lock=lock)
        reps = state.load_reps(rule.pool_ids, at)
        _assess(reps, lead, at, exclude)
        eligible = [rep for rep in reps if rep.eligible]
        if eligible:
            tried.append({"rule": rule.name, "matched": True})
            chosen = _pick(rule, eligible, at, cursor, state)
            return _finish(Decision(ASSIGNED, chosen.user_id, rule, rule.team_id), tried, reps, at)
        if rule.fallback == Fallback.NEXT_RULE:
            tried.append({"rule": rule.name, "matched": True, "why": "nobody eligible; trying the next rule"})
            continue
        tried.append({"rule": rule.name, "matched": True, "why": "nobody eligible"})
        on_call, rows = _on_call(rule, lead, at, exclude, state) if rule.team_id else (None, [])
        if on_call:
            passed_over = [row for row in rows if row["rep"] != on_call.username]  # e.g. an away primary
            return _finish(
                Decision(ON_CALL, on_call.user_id, rule, rule.team_id), tried, [*reps, on_call], at, passed_over
            )
        return _finish(Decision(MORNING_QUEUE, None, rule, rule.team_id), tried, reps, at, rows)
    return _finish(Decision(UNROUTED), tried, [], at)
