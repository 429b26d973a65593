"""The goals' panels on reports' pages (registered in GoalsConfig.ready through
reports.panels): on the rep's My stats, their goals, streaks, new rewards and the monthly
survey; on /dashboard/, every goal's progress and the surveys' answers."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse

from goals import feedback, measure, progress
from goals.models import Award
from leadops.roles import REPS, in_group


def my_stats_panel(request, *, now: datetime, **_context) -> str:
    user = request.user
    goals = progress.my_goals(user, now)
    new_awards = list(Award.objects.filter(rep=user, seen_at__isnull=True).select_related("reward", "goal")[:5])
    my_badges = list(Award.objects.filter(rep=user).select_related("reward", "goal")[:12])
    survey = None
    if in_group(user, REPS) and feedback.needs_rep_survey(user, now):
        survey = feedback.RepSurveyForm()
    if not (goals or my_badges or survey):
        return ""
    context = {
        "goals": goals, "new_awards": new_awards, "my_badges": my_badges, "survey": survey,
        "month": feedback.month_of(now), "leaderboard_url": reverse("goals-leaderboard"),
    }  # fmt: skip
    return render_to_string("goals/my_stats_panel.html", context, request=request)


def dashboard_panel(request, *, filters, now: datetime, **_context) -> str:
    """Goals always show their own current period; the dashboard's team and rep filters
    pick which goals (a team's goals, and the goals of that team's reps)."""
    goals = progress.goals_for(request.user)
    if filters.team_id:
        goals = goals.filter(Q(team_id=filters.team_id) | Q(rep__teams=filters.team_id)).distinct()
    if filters.rep_id:
        goals = goals.filter(Q(rep_id=filters.rep_id) | Q(team__members=filters.rep_id)).distinct()
    boards = [progress.board(goal, request.user, now) for goal in goals]
    for board in boards:  # the goal's own figure over all its reps' leads this period
        whole = measure.team_figure(board.goal, board.first, now, now)
        board.whole = {"value": measure.value_text(board.goal, whole.value), "met": whole.met, "leads": whole.leads}
    month = feedback.month_of(now)
    context = {
        "boards": boards,
        "lead_survey": feedback.lead_answers(filters.leads()),
        "rep_survey": feedback.rep_answers(month),
        "leaderboard_url": reverse("goals-leaderboard"),
    }
    return render_to_string("goals/dashboard_panel.html", context, request=request)
