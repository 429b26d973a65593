"""Routing the demo history (demo/history.py): the past leads go through the real strategies
and eligibility rules of routing/, against the demo reps' hours and leave, so the seeded
timeline reads like real routing."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User

from leads.models import Lead
from routing import strategies
from routing.decision import PERFORMANCE_WINDOW
from routing.eligibility import LeadPlace, RepSnapshot, reasons_to_pass_over
from routing.models import (
    Fallback,
    RepProfile,
    RepStatus,
    RoutingRule,
    Strategy,
    Team,
)
from routing.rules import mismatch

# --- routing the history -----------------------------------------------------------------------


@dataclass
class Pick:
    user: User
    team: Team | None
    trace: dict


class HistoryRouter:
    """Owners for the historical leads, chosen by the demo's rules and strategies (the
    functions of routing/strategies.py) among the reps who cover the lead and are under
    capacity at that moment — counted from the history built so far. Working hours and
    leave are not checked: history assigns inside the team's hours, and leave is ahead."""

    def __init__(self, users: dict[str, User], teams: dict[str, Team], team_specs):
        self.users = {users[rep.username].pk: users[rep.username] for spec in team_specs for rep in spec.reps}
        self.team_of = {users[rep.username].pk: teams[spec.name] for spec in team_specs for rep in spec.reps}
        self.rules = list(
            RoutingRule.objects.filter(active=True)
            .select_related("team")
            .prefetch_related("reps", "team__members")
            .order_by("position", "id")
        )
        self.profiles = {
            profile.user_id: profile
            for profile in RepProfile.objects.filter(user_id__in=self.users).prefetch_related("territories")
        }
        self.leads_of: dict[int, list[Lead]] = defaultdict(list)  # their first attempt and decision come later
        self.counts: dict[int, Counter] = defaultdict(Counter)
        self.cursors: dict[int, int] = defaultdict(int)
        self.domain_owner: dict[str, int] = {}

    def _open(self, user_id: int, at: datetime) -> int:
        return sum(
            lead.assigned_at <= at and (lead.decided_at is None or lead.decided_at > at)
            for lead in self.leads_of[user_id]
        )

    def _snapshot(self, user_id: int, lead: Lead, at: datetime) -> RepSnapshot:
        user, profile = self.users[user_id], self.profiles.get(user_id)
        rep = RepSnapshot(
            user_id=user_id,
            username=user.username,
            name=user.get_full_name() or user.username,
            status=RepStatus.AVAILABLE,
            time_zone=profile.time_zone if profile else "UTC",
            hours={},
            leave=[],
            capacity=profile.capacity if profile else 25,
            open_leads=self._open(user_id, at),
            weight=profile.weight if profile else 1,
            territories=list(profile.territories.all()) if profile else [],
            product_skills=list(profile.product_skills or []) if profile else [],
        )
        place = LeadPlace(lead.country, lead.region, lead.postal_code, lead.product_interest)
        rep.reasons = reasons_to_pass_over(rep, place, at, check_hours=False)
        return rep

    def _response_seconds(self, user_ids: list[int], at: datetime) -> dict[int, float]:
        means = {}
        for user_id in user_ids:
            waits = [
                (lead.first_attempt_at - lead.assigned_at).total_seconds()
                for lead in self.leads_of[user_id]
                if lead.first_attempt_at and lead.first_attempt_at <= at and lead.assigned_at >= at - PERFORMANCE_WINDOW
            ]
            if waits:
                means[user_id] = sum(waits) / len(waits)
        return means

    def _choose(self, rule: RoutingRule, eligible: list[RepSnapshot], at: datetime) -> RepSnapshot:
        counts = self.counts[rule.pk]
        if rule.strategy == Strategy.WEIGHTED:
            return strategies.weighted(eligible, counts)
        if rule.strategy == Strategy.LEAST_LOADED:
            return strategies.least_loaded(eligible, counts)
        if rule.strategy == Strategy.BEST_PERFORMER:
            return strategies.best_performer(eligible, self._response_seconds([rep.user_id for rep in eligible], at))
        return strategies.round_robin(eligible, self.cursors[rule.pk])

    def _owner_of_account(self, lead: Lead) -> tuple[int | None, str]:
        if lead.named_account is not None and lead.named_account.owner_id in self.users:
            return lead.named_account.owner_id, f"owner of named account {lead.named_account.domain}"
        if lead.company_domain and not lead.free_mail and lead.company_domain in self.domain_owner:
            return self.domain_owner[lead.company_domain], f"owner of an earlier lead from {lead.company_domain}"
        return None, ""

    def pick(self, lead: Lead, at: datetime) -> Pick | None:
        """The rep the rules give this lead at `at`, or None when no rule does."""
        tried: list[dict] = []
        for rule in self.rules:
            why = mismatch(rule, lead)
            if why:
                tried.append({"rule": rule.name, "matched": False, "why": why})
                continue
            if rule.strategy == Strategy.ACCOUNT_OWNER:
                owner_id, why = self._owner_of_account(lead)
                reps = [self._snapshot(owner_id, lead, at)] if owner_id else []
                if reps and reps[0].eligible:
                    tried.append({"rule": rule.name, "matched": True, "why": why})
                    return self._picked(lead, at, rule, tried, reps, reps[0])
                detail = f"{why}: {reps[0].username} {', '.join(reps[0].reasons)}" if reps else "no account owner found"
                tried.append({"rule": rule.name, "matched": True, "why": f"{detail}; falling through"})
                continue
            members = rule.team.members.all() if rule.team else []
            pool = [user.pk for user in rule.reps.all()] or [user.pk for user in members]
            reps = [self._snapshot(user_id, lead, at) for user_id in sorted(pool) if user_id in self.users]
            eligible = [rep for rep in reps if rep.eligible]
            if eligible:
                tried.append({"rule": rule.name, "matched": True})
                return self._picked(lead, at, rule, tried, reps, self._choose(rule, eligible, at))
            if rule.fallback == Fallback.NEXT_RULE or not reps:
                tried.append({"rule": rule.name, "matched": True, "why": "nobody eligible; trying the next rule"})
                continue
            # Nobody eligible (a busy day): the rep with the most room took it from the team's queue.
            tried.append({"rule": rule.name, "matched": True, "why": "nobody eligible; taken from the team's queue"})
            full_only = [rep for rep in reps if all(reason.startswith("is at capacity") for reason in rep.reasons)]
            room = min(full_only or reps, key=lambda rep: (rep.open_leads / max(rep.capacity, 1), rep.user_id))
            return self._picked(lead, at, rule, tried, reps, room)
        return None

    def _picked(self, lead, at, rule, tried, reps, chosen: RepSnapshot) -> Pick:
        user = self.users[chosen.user_id]
        self.leads_of[user.pk].append(lead)
        self.counts[rule.pk][user.pk] += 1
        self.cursors[rule.pk] = user.pk
        if lead.company_domain and not lead.free_mail:
            self.domain_owner[lead.company_domain] = user.pk
        passed = "; ".join(f"{rep.username} {', '.join(rep.reasons)}" for rep in reps if rep.reasons)
        summary = f"rule {rule.name!r}: chose {user.username}" + (f". Passed over: {passed}." if passed else ".")
        trace = {
            "at": at.isoformat(),
            "historical": True,
            "rules": tried,
            "rule": {"id": rule.pk, "name": rule.name, "strategy": rule.strategy},
            "candidates": [
                {
                    "rep": rep.username,
                    "eligible": rep.eligible,
                    "reasons": rep.reasons,
                    "open_leads": rep.open_leads,
                    "capacity": rep.capacity,
                }
                for rep in reps
            ],
            "chosen": {"id": user.pk, "username": user.username, "name": user.get_full_name() or user.username},
            "outcome": "assigned",
            "summary": summary,
        }
        return Pick(user, self.team_of.get(user.pk), trace)
