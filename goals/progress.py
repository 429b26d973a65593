"""What people see of goals: live progress in the current period, streaks, leaderboards
(with the goal's privacy option) and awards.

Privacy: a goal set to "ranks only" shows reps the ranks and figures without other reps'
names (each rep sees their own name); managers, leadership and superusers, who see every
rep's figures on the dashboard anyway, always see names."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from goals import measure
from goals.models import Award, Goal, GoalResult, Privacy, Span
from leadops.roles import sees_all_leads
from routing.models import Team

STREAK_DAYS = 62  # a streak counts back over at most this many recorded days
HIDDEN_NAME = _("Hidden")


@dataclass
class Standing:
    rank: int | None
    rep_id: int
    name: str
    me: bool
    leads: int
    value: float | None
    value_text: str
    measured: bool
    met: bool
    share: float
    streak: int
    badges: list[str] = field(default_factory=list)
    hidden: bool = False  # ranks only: the name is not shown to this viewer


@dataclass
class Board:
    goal: Goal
    first: date
    end: date
    target: str
    rows: list[Standing]
    names_hidden: bool
    awards: list[dict]

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def metric_name(self) -> str:
        return measure.metric_name(self.goal)

    @property
    def on_target(self) -> int:
        return sum(row.met for row in self.rows)


def goals_for(user) -> QuerySet:
    """The active goals a person may see: all for managers and leadership; a rep's own and
    their teams' for a rep."""
    goals = Goal.objects.filter(active=True).select_related("team", "rep", "reward")
    if sees_all_leads(user):
        return goals
    teams = Team.objects.filter(members=user).values("pk")
    return goals.filter(Q(rep=user) | Q(team__in=teams))


def streaks(goal: Goal, rep_ids) -> dict[int, int]:
    """Days in a row within the goal, counted back from the last closed day: days not
    measured (too few leads) are passed over, the first measured day off target ends it."""
    rows = (
        GoalResult.objects.filter(goal=goal, span=Span.DAY, rep_id__in=list(rep_ids))
        .order_by("rep_id", "-starts_on")
        .values_list("rep_id", "measured", "met")
    )
    counts: dict[int, int] = defaultdict(int)
    seen: dict[int, int] = defaultdict(int)
    ended: set[int] = set()
    for rep_id, measured, met in rows:
        seen[rep_id] += 1
        if rep_id in ended or seen[rep_id] > STREAK_DAYS or not measured:
            continue
        if met:
            counts[rep_id] += 1
        else:
            ended.add(rep_id)
    return counts


def person_name(user) -> str:
    return user.get_full_name() or user.get_username()


def board(goal: Goal, viewer, now: datetime) -> Board:
    """The goal's current period, live: each rep's figure, rank, streak and badges."""
    first, end = measure.period_bounds(goal.period, measure.local_day(now))
    figures = measure.per_rep(goal, first, now, now)
    users = {user.pk: user for user in get_user_model().objects.filter(pk__in=figures)}
    names_hidden = goal.privacy == Privacy.RANKS and not sees_all_leads(viewer)
    streak = streaks(goal, figures)
    badges = defaultdict(list)
    for rep_id, badge, times in (
        Award.objects.filter(goal=goal, rep_id__in=list(figures))
        .values_list("rep_id", "reward__badge")
        .annotate(times=Count("pk"))
    ):
        badges[rep_id].append(f"{badge or '★'}×{times}" if times > 1 else (badge or "★"))
    rows = []
    for rep_id, figure in sorted(figures.items(), key=lambda item: (measure.better_first(goal, item[1].value),
                                                                    person_name(users[item[0]]))):  # fmt: skip
        me = rep_id == viewer.pk
        hidden = names_hidden and not me
        rows.append(
            Standing(
                rank=None, rep_id=rep_id, name=HIDDEN_NAME if hidden else person_name(users[rep_id]), hidden=hidden,
                me=me, leads=figure.leads, value=figure.value, value_text=measure.value_text(goal, figure.value),
                measured=figure.measured, met=figure.met, share=measure.progress_share(goal, figure.value),
                streak=streak.get(rep_id, 0), badges=badges.get(rep_id, []),
            )
        )  # fmt: skip
    rank = 0
    for row in rows:
        if row.measured:
            rank += 1
            row.rank = rank
    return Board(
        goal=goal, first=first, end=end, target=measure.target_text(goal), rows=rows, names_hidden=names_hidden,
        awards=recent_awards(goal, viewer, names_hidden),
    )  # fmt: skip


def recent_awards(goal: Goal, viewer, names_hidden: bool, limit: int = 10) -> list[dict]:
    awards = Award.objects.filter(goal=goal).select_related("reward", "rep")[:limit]
    rows = []
    for given in awards:
        hidden = names_hidden and given.rep_id != viewer.pk
        rows.append({
            "badge": given.reward.badge or "★",
            "reward": given.reward.name,
            "bonus_note": "" if hidden else given.reward.bonus_note,
            "name": HIDDEN_NAME if hidden else person_name(given.rep),
            "hidden": hidden,
            "me": given.rep_id == viewer.pk,
            "period_start": given.period_start,
            "period_last": given.period_end - timedelta(days=1),
            "value": measure.value_text(goal, given.value),
        })  # fmt: skip
    return rows


def my_goals(user, now: datetime) -> list[dict]:
    """The rep's own standing in each of their goals, this period."""
    result = []
    for goal in goals_for(user).filter(Q(rep=user) | Q(team__members=user)).distinct():
        standing = board(goal, user, now)
        mine = next((row for row in standing.rows if row.me), None)
        if mine is None:
            continue
        result.append({"goal": goal, "board": standing, "me": mine, "of": sum(row.measured for row in standing.rows)})
    return result
