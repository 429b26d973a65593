"""A rep's own speed this week against their team's (/queue/stats/), by the SPEC §4
definitions of reports/metrics.py."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from leadops.pages import render_in_viewer_zone
from leadops.timezones import viewer_zone
from leads.models import Lead
from reports import panels
from reports.metrics import human_duration, human_rate, rep_rows, summary
from routing.models import Team


def week_start(now: datetime, tz: ZoneInfo) -> datetime:
    local = now.astimezone(tz)
    return datetime.combine(local.date() - timedelta(days=local.weekday()), time(0), tzinfo=tz)


@login_required
def my_stats(request: HttpRequest) -> HttpResponse:
    """The rep's own speed this week against their team's (SPEC §4 definitions, from
    reports.metrics: database aggregates)."""
    user = request.user
    now = timezone.now()
    since = week_start(now, viewer_zone(user))
    context: dict = {"since": since, "available": True}
    week = Lead.objects.countable().filter(submitted_at__gte=since)
    teams = list(Team.objects.filter(members=user).order_by("name"))
    team_leads = week.filter(team__in=teams) if teams else week.none()
    mine, team = summary(week.filter(owner=user), now), summary(team_leads, now)

    def card(figures: dict) -> dict:
        rate = figures["met"] / figures["due"] if figures["due"] else None
        return {
            "leads": figures["leads"],
            "attempted": figures["attempted"],
            "median": human_duration(figures["response_median"]),
            "mean": human_duration(figures["response_mean"]),
            "within_sla": human_rate(rate),
            "within_sla_value": rate,
            "met": figures["met"],
            "due": figures["due"],
        }

    board = rep_rows(team_leads, now) if teams else []
    for row in board:
        row["median_text"] = human_duration(row["median"])
        row["rate_text"] = human_rate(row["within_sla_rate"])
        row["me"] = row["rep"] == user.get_username()
    context.update(mine=card(mine), team=card(team), teams=teams, board=board, target=0.95)
    context["panels"] = panels.render(panels.MY_STATS, request, now=now)  # goals, rewards, the rep survey
    return render_in_viewer_zone(request, "workspace/stats.html", context)
