"""Replay a window of real leads through a routing configuration, in memory.

Each lead goes, at the moment it arrived, through routing's own `decide()`
(routing/decision.py), given a `ReplayState` instead of the database: the configuration
under test, each rep's status as recorded at that moment (routing.RepStatusChange; a rep
with no recorded status yet counts as available, so their hours decide), the open leads
each rep holds in the replay (its own assignments, released when the real lead closed),
and the rotation cursor and counts, advanced exactly as routing.assignment does. Leads
that find nobody wait and are tried again, most urgent first, whenever a rep of their
pool becomes able to take leads (status, hours starting, capacity freed) or an on-call
shift starts. Nothing is written."""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from leadops.timezones import zone
from leads import sla
from routing.decision import ASSIGNED, ON_CALL, RETRY_ROUTING, decide
from routing.eligibility import STANDARD_HOURS, RepSnapshot, on_leave, working_now
from routing.models import BusinessSchedule, Strategy
from whatif.configuration import Configuration
from whatif.history import History, ReplayLead

# As the sweeper (routing.assignment.waiting_lead_ids): at most this many waiting leads a try.
RETRY_BATCH = 200
STATUS, CLOSE, MOVE, OPENS, SHIFT, ARRIVAL = range(6)  # the order of events at the same moment


@dataclass(slots=True)
class LeadResult:
    outcome: str  # at arrival: assigned, on_call, morning_queue, unrouted
    owner_id: int | None  # in the end (after a wait, if any)
    owned_at: datetime | None
    rule_id: int | None
    first_contact_due: datetime | None
    due_in_hours: bool


class ReplayState:
    """routing.decision.LiveState's questions, answered from memory as of the replay's clock."""

    def __init__(self, configuration: Configuration, history: History):
        self.configuration = configuration
        self.status = dict(history.status_at_start)
        self.open_leads: dict[int, int] = {}
        self.cursors = dict(history.cursors)
        self.counts = {rule_id: dict(counts) for rule_id, counts in history.counts.items()}
        self.performance = history.performance
        self.earlier_by_domain = dict(history.earlier_by_domain)
        self.account_domains: dict[int, str] = {}

    # -- what decide() asks -------------------------------------------------------------
    def routing_rules(self) -> list:
        return self.configuration.rules

    def load_reps(self, user_ids, at: datetime) -> list[RepSnapshot]:
        reps = self.configuration.reps
        snapshots = []
        for user_id in sorted(set(user_ids)):
            rep = reps.get(user_id)
            if rep is None:
                continue
            if not rep.has_profile:
                snapshots.append(
                    RepSnapshot(rep.user_id, rep.username, rep.name, "offline", "UTC", {}, [], 0, 0, 1, [], [], False)
                )
                continue
            snapshot = object.__new__(RepSnapshot)  # what RepSnapshot(...) builds, without its call overhead
            snapshot.__dict__.update(rep.snapshot_fields)
            snapshot.status = self.status.get(user_id, "available")
            snapshot.open_leads = self.open_leads.get(user_id, 0)
            snapshot.reasons = []
            snapshots.append(snapshot)
        return snapshots

    def rotation_cursor(self, rule, *, lock: bool) -> int | None:
        return self.cursors.get(rule.pk, 0)

    def rotation_counts(self, rule) -> dict[int, int]:
        return self.counts.get(rule.pk, {})

    def response_seconds(self, user_ids, at: datetime) -> dict[int, float]:
        return self.performance.mean_seconds(user_ids, at) if self.performance else {}

    def account_owner(self, lead: ReplayLead) -> tuple[int | None, str]:
        owner = self.configuration.account_owners.get(lead.named_account_id) if lead.named_account_id else None
        if owner:
            return owner, f"owner of named account {self.account_domains.get(lead.named_account_id, '')}".rstrip()
        if lead.company_domain and not lead.free_mail:
            earlier = self.earlier_by_domain.get(lead.company_domain)
            if earlier:
                return earlier[1], f"owner of an earlier lead from {lead.company_domain}"
        return None, ""

    def on_call_shifts(self, team_id: int, at: datetime) -> list:
        return [shift for shift in self.configuration.shifts.get(team_id, ()) if shift.starts_at <= at < shift.ends_at]

    # -- what routing.assignment writes, kept in memory ------------------------------------
    def give(self, lead: ReplayLead, decision, at: datetime) -> None:
        user_id = decision.chosen_id
        self.open_leads[user_id] = self.open_leads.get(user_id, 0) + 1
        if decision.rule is not None:
            self.count(decision.rule, user_id)
        if lead.company_domain:
            known = self.earlier_by_domain.get(lead.company_domain)
            if known is None or known[0] <= lead.submitted_at:
                self.earlier_by_domain[lead.company_domain] = (lead.submitted_at, user_id)

    def count(self, rule, user_id: int) -> None:
        """A lead the rule gave: routing.assignment._count_assignment."""
        if rule.strategy == Strategy.ACCOUNT_OWNER:
            return
        if rule.strategy == Strategy.ROUND_ROBIN:
            self.cursors[rule.pk] = user_id
        counts = self.counts.setdefault(rule.pk, {})
        counts[user_id] = counts.get(user_id, 0) + 1

    def can_take_leads(self, user_id: int, at: datetime) -> bool:
        """Available, at work, not on leave and under capacity (whatever the lead)."""
        rep = self.configuration.reps.get(user_id)
        return (
            rep is not None
            and rep.has_profile
            and self.status.get(user_id, "available") == "available"
            and working_now(rep.hours, rep.time_zone, at)
            and not on_leave(rep.leave, rep.time_zone, at)
            and self.open_leads.get(user_id, 0) < rep.capacity
        )


class SlaClock:
    """First-contact due times under a list of SLA policies (leads/sla.py), per lead."""

    def __init__(self, policies: list):
        self.policies = policies
        self.by_id = {policy.pk: policy for policy in policies}
        self._schedules = {
            schedule.pk: schedule
            for schedule in BusinessSchedule.objects.prefetch_related("hours", "closed_days").order_by("pk")
        }
        self._default = next((s for s in self._schedules.values() if s.is_default), None)
        self._calendars: dict = {}

    def _calendar(self, schedule_id: int | None, country: str):
        key = (schedule_id, country)
        if key not in self._calendars:
            schedule = self._schedules.get(schedule_id) or self._default
            self._calendars[key] = sla.calendar_from_schedule(schedule, country) if schedule else sla.STANDARD_CALENDAR
        return self._calendars[key]

    def targets(self, lead: ReplayLead) -> sla.SlaTargets:
        return sla.compute_sla(
            policies=self.policies, submitted_at=lead.submitted_at, temperature=lead.temperature,
            inquiry_type=lead.inquiry_type, source=lead.source, segment=lead.segment,
            named_account=lead.named_account_id is not None,
            calendar=self._calendar(lead.schedule_id, lead.country), tz=zone(lead.resolved_time_zone),
        )  # fmt: skip

    def on_call_due(self, lead: ReplayLead, targets: sla.SlaTargets) -> datetime:
        """On call the clock runs in wall-clock time (routing.assignment._wall_clock_sla)."""
        policy = self.by_id.get(targets.policy_id)
        if policy is None or policy.first_contact_within is None:
            return targets.first_contact_by
        return min(targets.first_contact_by, lead.submitted_at + policy.first_contact_within)


def _opening_events(configuration: Configuration, starts: datetime, ends: datetime) -> list[tuple]:
    """When each pooled rep's working hours begin during the window."""
    pooled = {user_id for rule in configuration.rules for user_id in rule.pool_ids}
    events = []
    for user_id in pooled:
        rep = configuration.reps.get(user_id)
        if rep is None or not rep.has_profile:
            continue
        tz = zone(rep.time_zone)
        day = starts.astimezone(tz).date() - timedelta(days=1)
        while day <= ends.astimezone(tz).date():
            for opens, _closes in (rep.hours or STANDARD_HOURS).get(day.weekday(), ()):
                moment = datetime.combine(day, opens, tzinfo=tz)
                if starts <= moment < ends:
                    events.append((moment, OPENS, user_id))
            day += timedelta(days=1)
    return events


def replay(
    configuration: Configuration,
    history: History,
    sla_targets: list[sla.SlaTargets],
    clock: SlaClock,
    progress: Callable[[int], None] | None = None,
) -> list[LeadResult]:
    """Each lead's fate under `configuration`, in the order of history.leads."""
    state = ReplayState(configuration, history)
    index = {lead.pk: position for position, lead in enumerate(history.leads)}
    results: list[LeadResult | None] = [None] * len(history.leads)
    events: list[tuple] = [(at, STATUS, (user_id, status)) for at, user_id, status in history.status_changes]
    for owner_id, closed in history.open_at_start:
        state.open_leads[owner_id] = state.open_leads.get(owner_id, 0) + 1
        if closed is not None and closed < history.ends:
            events.append((closed, CLOSE, (owner_id, None)))
    for lead in history.leads:
        events.append((lead.arrived_at, ARRIVAL, lead.pk))
        if lead.closed_at is not None and lead.closed_at < history.ends:
            events.append((lead.closed_at, CLOSE, (None, lead.pk)))
    events += [(at, MOVE, (lead_pk, owner_id, rule_name)) for at, lead_pk, owner_id, rule_name in history.moves]
    events += _opening_events(configuration, history.starts, history.ends)
    for team_shifts in configuration.shifts.values():
        events += [
            (shift.starts_at, SHIFT, shift.team_id) for shift in team_shifts if shift.starts_at >= history.starts
        ]
    events.sort(key=lambda event: (event[0], event[1]))
    # Waiting leads per rule they matched (None: no rule), most urgent first, as the
    # sweeper orders them; each is tried again no sooner than RETRY_ROUTING after a try,
    # unless a rep of its pool becomes available (routing.assignment.set_rep_status).
    waiting: dict[int | None, list[tuple]] = {}
    pools = {rule.pk: set(rule.pool_ids) for rule in configuration.rules}
    teams = {rule.pk: rule.team_id for rule in configuration.rules}
    rules_by_name = {rule.name: rule for rule in configuration.rules}
    retry_after: dict[int, datetime] = {}
    rules_of: dict[int, list[int]] = {}
    for rule in configuration.rules:
        for user_id in rule.pool_ids:
            rules_of.setdefault(user_id, []).append(rule.pk)
    owner_of: dict[int, int] = {}
    done, step = 0, max(1, len(history.leads) // 100)

    def settle(lead: ReplayLead, decision, at: datetime) -> None:
        state.give(lead, decision, at)
        owner_of[lead.pk] = decision.chosen_id
        result = results[index[lead.pk]]
        result.owner_id, result.owned_at = decision.chosen_id, at
        if decision.outcome == ON_CALL:
            result.first_contact_due = clock.on_call_due(lead, sla_targets[index[lead.pk]])
        result.due_in_hours = _in_hours(configuration, [decision.chosen_id], result.first_contact_due)

    def retry(at: datetime, rule_ids, still: Callable[[], bool] = lambda: True, now_anyway=False) -> None:
        """Try the waiting leads of these rules again, most urgent first (at most RETRY_BATCH)."""
        lists = [waiting[rule_id] for rule_id in rule_ids if waiting.get(rule_id)]
        if not lists or not still():
            return
        tries, taken = 0, []
        for entry in heapq.merge(*lists) if len(lists) > 1 else lists[0]:
            if tries >= RETRY_BATCH:
                break
            pk = entry[2]
            if not now_anyway and retry_after[pk] > at:
                continue
            tries += 1
            lead = history.leads[index[pk]]
            decision = decide(lead, at, state=state)
            if decision.owner_found:
                taken.append(entry)
                settle(lead, decision, at)
                if not still():
                    break
            else:
                retry_after[pk] = at + RETRY_ROUTING
        for entry in taken:
            waiting[results[index[entry[2]]].rule_id].remove(entry)

    def rep_can_take(user_id: int, at: datetime, *, now_anyway=False) -> None:
        """A rep became able to take leads: the waiting leads of their pools are tried again."""
        if state.can_take_leads(user_id, at):
            rules = [*rules_of.get(user_id, ()), None]
            retry(at, rules, lambda: state.can_take_leads(user_id, at), now_anyway=now_anyway)

    for at, kind, payload in events:
        if kind == ARRIVAL:
            lead = history.leads[index[payload]]
            targets = sla_targets[index[payload]]
            decision = decide(lead, at, state=state)
            rule_id = decision.rule.pk if decision.rule else None
            result = LeadResult(decision.outcome, None, None, rule_id, targets.first_contact_by, False)
            results[index[payload]] = result
            if decision.owner_found:
                settle(lead, decision, at)
            else:
                pool = pools.get(rule_id) or set()
                result.due_in_hours = _in_hours(configuration, sorted(pool), targets.first_contact_by)
                bisect.insort(waiting.setdefault(rule_id, []), (targets.first_contact_by, lead.submitted_at, lead.pk))
                retry_after[lead.pk] = at + RETRY_ROUTING
            done += 1
            if progress and done % step == 0:
                progress(done)
        elif kind == STATUS:
            user_id, status = payload
            state.status[user_id] = status
            if status == "available":
                rep_can_take(user_id, at, now_anyway=True)
        elif kind == CLOSE:
            owner_id, lead_pk = payload
            if lead_pk is not None:
                owner_id = owner_of.get(lead_pk)
                if owner_id is None:  # closed while waiting in the replay: nobody needs to take it
                    entries = waiting.get(results[index[lead_pk]].rule_id, [])
                    entries[:] = [entry for entry in entries if entry[2] != lead_pk]
                    continue
            state.open_leads[owner_id] = state.open_leads.get(owner_id, 0) - 1
            rep_can_take(owner_id, at)
        elif kind == MOVE:  # as recorded: the lead changes hands (if it has a rep in this replay)
            lead_pk, new_owner, rule_name = payload
            old_owner = owner_of.get(lead_pk)
            if old_owner is None:
                continue
            state.open_leads[old_owner] -= 1
            if new_owner is None:
                del owner_of[lead_pk]
            else:
                owner_of[lead_pk] = new_owner
                state.open_leads[new_owner] = state.open_leads.get(new_owner, 0) + 1
                if rule_name in rules_by_name:
                    state.count(rules_by_name[rule_name], new_owner)
            rep_can_take(old_owner, at)
        elif kind == OPENS:
            rep_can_take(payload, at)
        elif kind == SHIFT:
            retry(at, [rule_id for rule_id, team_id in teams.items() if team_id == payload])
    return results


def _in_hours(configuration: Configuration, user_ids, moment: datetime | None) -> bool:
    if moment is None:
        return False
    for user_id in user_ids:
        rep = configuration.reps.get(user_id)
        if rep is not None and rep.has_profile and working_now(rep.hours, rep.time_zone, moment):
            return True
    return False


__all__ = ["ASSIGNED", "LeadResult", "ReplayState", "SlaClock", "replay"]
