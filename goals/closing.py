"""Closing goal days and periods, and awarding rewards: the worker's periodic work for
goals (registered with pipeline.sweeper in GoalsConfig.ready, so it runs after each sweep).

When a day or a period of an active goal is over (plus 48 h for attempts in 48 h, whose
leads need their 48 hours), each rep's figure is recorded once (GoalResult), and for a
period every rep who met the goal gets its reward (Award). Both are idempotent: the
database holds one result per goal, rep, span and start, and one award per goal, rep and
period; a second run, or a second worker racing the first, finds them taken and does
nothing (the award's notification goes only from the run that created it). A span once
recorded is marked (GoalClosing) so later sweeps skip it cheaply. Figures are frozen at
closing: an attempt made later for a lead of a closed day does not change that day."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from goals import measure
from goals.models import Award, Goal, GoalClosing, GoalResult, Span
from goals.survey import send_due_surveys
from leadops.push import push_on_commit, user_group

log = logging.getLogger(__name__)
LOOKBACK = timedelta(days=62)  # days further back are never closed late (a goal's start, an outage)
MAX_SPANS = 60  # per run: a goal started weeks back catches up over a few sweeps, each kept short
AWARD_EVENT = "reward.awarded"


def run(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    counts = {"goal_spans_closed": 0, "rewards_awarded": 0}
    for goal in Goal.objects.filter(active=True).select_related("reward").order_by("pk"):
        closed, awarded = close_goal(goal, now, MAX_SPANS - counts["goal_spans_closed"])
        counts["goal_spans_closed"] += closed
        counts["rewards_awarded"] += awarded
    counts["lead_surveys"] = send_due_surveys(now)
    return counts


def closed_spans(goal: Goal, now: datetime) -> list[tuple[str, date, date]]:
    """The goal's days and periods that are over (and settled) and not yet recorded."""
    cutoff = now - measure.settle_time(goal)
    earliest = max(goal.starts_on, measure.local_day(now - LOOKBACK))
    done = set(GoalClosing.objects.filter(goal=goal, starts_on__gte=earliest - timedelta(days=31)).values_list(
        "span", "starts_on"))  # fmt: skip
    spans = []
    day = earliest
    while measure.start_of(day + timedelta(days=1)) <= cutoff:
        if (Span.DAY, day) not in done:
            spans.append((Span.DAY, day, day + timedelta(days=1)))
        day += timedelta(days=1)
    first, end = measure.period_bounds(goal.period, earliest)
    while measure.start_of(end) <= cutoff:
        if (Span.PERIOD, first) not in done:
            spans.append((Span.PERIOD, first, end))
        first, end = measure.period_bounds(goal.period, end)
    return spans


def close_goal(goal: Goal, now: datetime, limit: int = MAX_SPANS) -> tuple[int, int]:
    closed = awarded = 0
    for span, first, end in closed_spans(goal, now)[: max(limit, 0)]:
        awarded += record(goal, span, first, end, now)
        closed += 1
    return closed, awarded


def record(goal: Goal, span: str, first: date, end: date, now: datetime) -> int:
    """Record every rep's figure for one span; for a period, award the reward. Returns the
    awards this call created."""
    figures = measure.per_rep(goal, first, end, now)
    awarded = 0
    with transaction.atomic():
        GoalResult.objects.bulk_create(
            [
                GoalResult(
                    goal=goal, rep_id=rep_id, span=span, starts_on=first, ends_on=end, leads=figure.leads,
                    value=figure.value, measured=figure.measured, met=figure.met, recorded_at=now,
                )
                for rep_id, figure in figures.items()
            ],
            ignore_conflicts=True,
        )  # fmt: skip
        if span == Span.PERIOD and goal.reward_id:
            for rep_id, figure in figures.items():
                if figure.met:
                    awarded += award(goal, rep_id, first, end, figure.value, now) is not None
        GoalClosing.objects.bulk_create(
            [GoalClosing(goal=goal, span=span, starts_on=first, closed_at=now)], ignore_conflicts=True
        )
    return awarded


def award(goal: Goal, rep_id: int, first: date, end: date, value: float | None, now: datetime) -> Award | None:
    """The reward, once per goal, rep and period (the unique constraint decides a race);
    the rep hears about it live after the commit. None when it was already given."""
    try:
        with transaction.atomic():
            given = Award.objects.create(
                goal=goal, reward=goal.reward, rep_id=rep_id, period_start=first, period_end=end, value=value,
                awarded_at=now,
            )  # fmt: skip
    except IntegrityError:
        return None
    push_on_commit([user_group(rep_id)], AWARD_EVENT, {"award": award_json(given)})
    log.info("goals: %s", given)
    return given


def award_json(given: Award) -> dict:
    reward, goal = given.reward, given.goal
    return {
        "id": given.pk,
        "goal": goal.name,
        "reward": reward.name,
        "badge": reward.badge,
        "bonus_note": reward.bonus_note,
        "period_start": given.period_start.isoformat(),
        "value": measure.value_text(goal, given.value),
    }
