"""What happened in the replayed window, read once into plain tuples: the real, non-junk
leads in arrival order with what routing recorded for them, the reps' recorded status
changes, the open leads each rep carried in, and the rotation state the rules started with."""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q

from leads.models import Lead, LeadEvent
from routing.decision import OPEN_STAGES, PERFORMANCE_WINDOW
from routing.models import RepStatusChange, RotationCount, RoutingRule, Strategy

# A recorded decision this close to the lead's arrival was the decision at arrival.
AT_ARRIVAL = timedelta(seconds=60)


@dataclass(slots=True)
class ReplayLead:
    """What decide() and the SLA clock read of a lead (duck-typed like leads.models.Lead)."""

    pk: int
    source: str
    inquiry_type: str
    temperature: str
    score: int
    country: str
    region: str
    postal_code: str
    product_interest: str
    named_account_id: int | None
    extra: dict
    company_domain: str
    free_mail: bool
    segment: str
    resolved_time_zone: str
    schedule_id: int | None
    submitted_at: datetime
    arrived_at: datetime
    closed_at: datetime | None
    recorded_owner_id: int | None
    recorded_rule_id: int | None
    recorded_outcome: str
    recorded_at_arrival: bool
    reassigned: bool


def _closed_at(stage, decided_at, converted_at, updated_at) -> datetime | None:
    if stage in OPEN_STAGES:
        return None
    moments = [moment for moment in (decided_at, converted_at) if moment is not None]
    return min(moments) if moments else updated_at


def _parse(moment) -> datetime | None:
    if not moment:
        return None
    return datetime.fromisoformat(moment) if isinstance(moment, str) else moment


class Performance:
    """Each rep's recorded response times (first attempt minus assignment), so the mean of
    routing.decision._recent_response_seconds can be read at any moment without a query."""

    def __init__(self, rows):
        by_rep = defaultdict(list)
        for owner_id, assigned_at, first_attempt_at in rows:
            by_rep[owner_id].append((assigned_at, first_attempt_at, (first_attempt_at - assigned_at).total_seconds()))
        self._tables = {}
        for owner_id, items in by_rep.items():
            by_attempt = sorted(items, key=lambda item: item[1])
            by_assigned = sorted(items, key=lambda item: item[0])
            slow = [item for item in items if item[1] - item[0] > PERFORMANCE_WINDOW]
            self._tables[owner_id] = (
                [item[1] for item in by_attempt],
                _prefix([item[2] for item in by_attempt]),
                [item[0] for item in by_assigned],
                _prefix([item[2] for item in by_assigned]),
                slow,
            )

    def mean_seconds(self, user_ids, at: datetime) -> dict[int, float]:
        """Mean over leads assigned since `at` - PERFORMANCE_WINDOW with a first attempt by `at`."""
        means = {}
        since = at - PERFORMANCE_WINDOW
        for user_id in user_ids:
            table = self._tables.get(user_id)
            if table is None:
                continue
            attempts, attempt_sums, assigned, assigned_sums, slow = table
            n_attempted = bisect.bisect_left(attempts, at)
            n_old = bisect.bisect_left(assigned, since)
            count = n_attempted - n_old
            total = attempt_sums[n_attempted] - assigned_sums[n_old]
            for assigned_at, attempt_at, seconds in slow:  # old leads first attempted after `at`
                if assigned_at < since and attempt_at >= at:
                    count += 1
                    total += seconds
            if count > 0:
                means[user_id] = total / count
        return means


def _prefix(values: list[float]) -> list[float]:
    sums = [0.0]
    for value in values:
        sums.append(sums[-1] + value)
    return sums


@dataclass
class History:
    starts: datetime
    ends: datetime
    leads: list[ReplayLead]
    status_at_start: dict[int, str]
    status_changes: list[tuple[datetime, int, str]]  # (at, user id, status), in order
    known_since: dict[int, datetime]  # user id -> first recorded status
    open_at_start: list[tuple[int, datetime | None]]  # (owner id, closed at) of leads carried in
    cursors: dict[int, int]  # rule id -> rotation cursor at the start
    counts: dict[int, dict[int, int]]  # rule id -> user id -> leads given, at the start
    moves: list[tuple] = field(default_factory=list)  # (at, lead id, new owner id, rule name or "")
    performance: Performance | None = None
    earlier_by_domain: dict[str, tuple[datetime, int]] = field(default_factory=dict)


LEAD_COLUMNS = (
    "pk", "source", "inquiry_type", "temperature", "score", "country", "region", "postal_code", "product_interest",
    "named_account_id", "extra", "company_domain", "free_mail", "segment", "resolved_time_zone",
    "lead_source__schedule_id", "submitted_at", "received_at", "stage", "decided_at", "converted_at", "updated_at",
    "owner_id", "routing_trace__rule__id", "routing_trace__outcome", "routing_trace__at", "reassignment_count",
)  # fmt: skip


def load_history(
    starts: datetime, ends: datetime, *, best_performer: bool = False, account_owner: bool = False
) -> History:
    leads = []
    rows = (
        Lead.objects.filter(junk=False, received_at__gte=starts, received_at__lt=ends)
        .order_by("received_at", "pk")
        .values_list(*LEAD_COLUMNS)
    )
    for row in rows.iterator(chunk_size=5000):
        (pk, source, inquiry, temperature, score, country, region, postal, product, account, extra, domain, free,
         segment, tz, schedule_id, submitted, received, stage, decided, converted, updated, owner, rule_id,
         outcome, traced_at, reassignments) = row  # fmt: skip
        traced_at = _parse(traced_at)
        leads.append(
            ReplayLead(
                pk,
                source,
                inquiry,
                temperature,
                score,
                country,
                region,
                postal,
                product,
                account,
                extra or {},
                domain,
                free,
                segment,
                tz,
                schedule_id,
                submitted,
                received,
                _closed_at(stage, decided, converted, updated),
                owner,
                rule_id,
                outcome or "",
                traced_at is not None and abs(traced_at - received) <= AT_ARRIVAL,
                reassignments > 0,
            )  # fmt: skip
        )
    status_at_start: dict[int, str] = {}
    known_since: dict[int, datetime] = {}
    changes = []
    for user_id, status, at in (
        RepStatusChange.objects.filter(at__lt=ends).order_by("at", "pk").values_list("user_id", "status", "at")
    ):
        known_since.setdefault(user_id, at)
        if at < starts:
            status_at_start[user_id] = status
        else:
            changes.append((at, user_id, status))
    carried = (
        Lead.objects.filter(junk=False, owner__isnull=False, received_at__lt=starts)
        .filter(
            Q(stage__in=OPEN_STAGES) | Q(decided_at__gt=starts) | Q(converted_at__gt=starts) | Q(updated_at__gt=starts)
        )
        .values_list("owner_id", "stage", "decided_at", "converted_at", "updated_at")
    )
    open_at_start = []
    for owner, stage, decided, converted, updated in carried.iterator(chunk_size=5000):
        closed = _closed_at(stage, decided, converted, updated)
        if closed is None or closed > starts:
            open_at_start.append((owner, closed))
    moves, moved = _moves(starts, ends)
    for lead in leads:
        lead.reassigned = lead.reassigned or lead.pk in moved
    cursors, counts = _rotation_at(starts)
    history = History(
        starts, ends, leads, status_at_start, changes, known_since, open_at_start, cursors, counts, moves=moves
    )
    if best_performer:
        history.performance = Performance(
            Lead.objects.filter(
                owner__isnull=False, assigned_at__gte=starts - PERFORMANCE_WINDOW, first_attempt_at__isnull=False
            ).values_list("owner_id", "assigned_at", "first_attempt_at")
        )
    if account_owner:
        domains = {lead.company_domain for lead in leads if lead.company_domain and not lead.free_mail}
        earlier = (
            Lead.objects.filter(company_domain__in=domains, junk=False, owner__isnull=False, received_at__lt=starts)
            .order_by("submitted_at")
            .values_list("company_domain", "submitted_at", "owner_id")
        )
        history.earlier_by_domain = {domain: (submitted, owner) for domain, submitted, owner in earlier.iterator()}
    return history


# Recorded moves after routing's decision: the replay repeats them as they happened (who
# held a lead counts for capacity; routing's own moves count in the rotation), since how
# reps would have reacted under another configuration is not known.
MOVES = ("lead.reassigned", "lead.escalated", "lead.handed_over")
GIVEN = ("lead.assigned", "lead.reassigned")  # the assignments that count in a rule's rotation


def _moves(starts: datetime, ends: datetime) -> tuple[list[tuple], set[int]]:
    managers = dict(get_user_model().objects.values_list("username", "pk"))
    rows = (
        LeadEvent.objects.filter(
            kind__in=MOVES, at__gte=starts, at__lt=ends, lead__junk=False, lead__received_at__gte=starts
        )
        .order_by("at", "pk")
        .values_list("at", "lead_id", "kind", "data__owner_id", "data__manager", "data__rule")
    )
    moves, moved = [], set()
    for at, lead_id, kind, owner_id, manager, rule in rows:
        moved.add(lead_id)
        new_owner = managers.get(manager) if kind == "lead.escalated" else owner_id
        moves.append((at, lead_id, new_owner, rule if kind == "lead.reassigned" else ""))
    return moves, moved


def _rotation_at(starts: datetime) -> tuple[dict[int, int], dict[int, dict[int, int]]]:
    """Each rule's rotation cursor and counts as they stood when the window began: the
    counts now, less the assignments the rule made since (timeline events); the cursor from
    the last assignment the rule made before the window (kept as it is when none since)."""
    rules = list(RoutingRule.objects.values_list("pk", "name", "strategy", "rotation_cursor"))
    by_name = {name: pk for pk, name, _strategy, _cursor in rules}
    given_since: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for rule_name, owner_id in LeadEvent.objects.filter(kind__in=GIVEN, at__gte=starts).values_list(
        "data__rule", "data__owner_id"
    ):
        if rule_name in by_name and owner_id:
            given_since[by_name[rule_name]][owner_id] += 1
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for rule_id, user_id, assigned in RotationCount.objects.values_list("rule_id", "user_id", "assigned"):
        counts[rule_id][user_id] = max(0, assigned - given_since.get(rule_id, {}).get(user_id, 0))
    cursors = {}
    for rule_id, name, strategy, cursor in rules:
        if strategy != Strategy.ROUND_ROBIN:
            continue
        if not given_since.get(rule_id):
            cursors[rule_id] = cursor
            continue
        last = (
            LeadEvent.objects.filter(kind__in=GIVEN, at__lt=starts, data__rule=name)
            .order_by("-at", "-pk")
            .values_list("data__owner_id", flat=True)
            .first()
        )
        cursors[rule_id] = int(last or 0)
    return cursors, dict(counts)
