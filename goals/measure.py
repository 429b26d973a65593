"""A goal's figures, by the SPEC §4 definitions of reports/metrics.py (never a second
definition here): per rep, `rep_rows` over the rep's leads submitted in a span gives the
median time to first response, the within-SLA rate and the attempts per lead in the first
48 hours; a team's own figure comes from `summary` and `attempts_of`.

Days, weeks and months are read in the organisation's time zone (LEADOPS_DEFAULT_TIMEZONE),
weeks from Monday. A span is the leads *submitted* in it, as on the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from goals.models import Goal, Metric, Period
from leads.models import Lead
from reports import metrics
from reports.aggregates import percentile
from reports.filters import organisation_zone

# Attempts in the first 48 h are only known 48 h after the span: its results wait that long.
SETTLE = {Metric.ATTEMPTS_48H: metrics.ATTEMPT_WINDOW}


@dataclass
class Figure:
    leads: int
    value: float | None
    measured: bool
    met: bool


def local_day(moment: datetime) -> date:
    return moment.astimezone(organisation_zone()).date()


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=organisation_zone())


def period_bounds(period: str, day: date) -> tuple[date, date]:
    """The week (Monday to Sunday) or calendar month holding `day`: (first day, day after)."""
    if period == Period.MONTH:
        first = day.replace(day=1)
        return first, (first + timedelta(days=32)).replace(day=1)
    first = day - timedelta(days=day.weekday())
    return first, first + timedelta(days=7)


def settle_time(goal: Goal) -> timedelta:
    return SETTLE.get(goal.metric, timedelta(0))


def reps_of(goal: Goal) -> QuerySet:
    users = get_user_model().objects.filter(is_active=True)
    if goal.rep_id:
        return users.filter(pk=goal.rep_id)
    return users.filter(teams=goal.team_id).distinct()


def leads_of(goal: Goal, first: date, end: date | datetime) -> QuerySet:
    """The goal's countable leads submitted from `first` (a day) to `end` (a day, exclusive,
    or a moment): owned by its reps and, for a team goal, the team's."""
    until = end if isinstance(end, datetime) else start_of(end)
    first = max(first, goal.starts_on)
    leads = Lead.objects.countable().filter(submitted_at__gte=start_of(first), submitted_at__lt=until)
    if goal.team_id:
        return leads.filter(team_id=goal.team_id)
    return leads.filter(owner_id=goal.rep_id)


def value_of(goal: Goal, row: dict) -> float | None:
    """The goal's metric in a row of reports.metrics.rep_rows (seconds, share, attempts)."""
    if goal.metric == Metric.MEDIAN_RESPONSE:
        return row["median"]
    if goal.metric == Metric.WITHIN_SLA:
        return row["within_sla_rate"]
    return row["attempts_per_lead_48h"]


def is_met(goal: Goal, value: float | None) -> bool:
    if value is None:
        return False
    target = float(goal.target)
    if goal.metric == Metric.MEDIAN_RESPONSE:
        return value <= target * 60
    if goal.metric == Metric.WITHIN_SLA:
        return value >= target / 100
    return value >= target


def per_rep(goal: Goal, first: date, end: date | datetime, now: datetime) -> dict[int, Figure]:
    """Every rep of the goal -> their figure over the span (a rep with no leads: 0, unmeasured)."""
    reps = dict(reps_of(goal).values_list("username", "pk"))
    leads = leads_of(goal, first, end).filter(owner_id__in=reps.values())
    rows = metrics.rep_rows(leads, now, detail=goal.metric == Metric.ATTEMPTS_48H)
    figures = {pk: Figure(leads=0, value=None, measured=False, met=False) for pk in reps.values()}
    for row in rows:
        if row["rep"] not in reps:
            continue
        value = value_of(goal, row)
        measured = value is not None and row["leads"] >= goal.minimum_leads
        figures[reps[row["rep"]]] = Figure(row["leads"], value, measured, measured and is_met(goal, value))
    return figures


def team_figure(goal: Goal, first: date, end: date | datetime, now: datetime) -> Figure:
    """The whole team's (or the one rep's) figure over the span, for the dashboard: only the
    goal's own metric, from the definitions of reports.metrics."""
    leads = leads_of(goal, first, end).filter(owner__isnull=False).order_by()
    counts = leads.aggregate(
        leads=Count("pk"),
        attempted=Count("pk", filter=metrics.ATTEMPTED),
        due=Count("pk", filter=metrics.counted_for_sla(now)),
        met=Count("pk", filter=metrics.MET),
    )
    if goal.metric == Metric.MEDIAN_RESPONSE:
        median = percentile(leads.filter(metrics.ATTEMPTED), metrics.RESPONSE, 0.5, count=counts["attempted"])
        value = metrics.seconds(median)
    elif goal.metric == Metric.WITHIN_SLA:
        value = metrics.rate(counts["met"], counts["due"])
    else:
        early = metrics.attempts_of(leads, detail=True).early_by_owner  # per owner, as rep_rows reads it
        value = round(sum(early.values()) / counts["leads"], 2) if counts["leads"] else None
    measured = value is not None and counts["leads"] >= goal.minimum_leads
    return Figure(counts["leads"], value, measured, measured and is_met(goal, value))


# --- how people read them -----------------------------------------------------------------------

METRIC_NAMES = {
    Metric.MEDIAN_RESPONSE: _("median time to first response"),
    Metric.WITHIN_SLA: _("leads first contacted within SLA"),
    Metric.ATTEMPTS_48H: _("attempts per lead in the first 48 h"),
}


def metric_name(goal: Goal) -> str:
    return METRIC_NAMES.get(goal.metric, goal.metric)


def value_text(goal: Goal, value: float | None) -> str:
    if value is None:
        return "–"
    if goal.metric == Metric.MEDIAN_RESPONSE:
        return metrics.human_duration(value)
    if goal.metric == Metric.WITHIN_SLA:
        return metrics.human_rate(value)
    return f"{value:.1f}"


def target_text(goal: Goal) -> str:
    target = float(goal.target)
    if goal.metric == Metric.MEDIAN_RESPONSE:
        return "≤ " + metrics.human_duration(target * 60)
    if goal.metric == Metric.WITHIN_SLA:
        return f"≥ {target:g}%"
    return gettext("≥ %(target)s per lead") % {"target": f"{target:g}"}


def progress_share(goal: Goal, value: float | None) -> float:
    """0..1: how far the figure is towards the target (1 = met)."""
    if value is None:
        return 0.0
    target = float(goal.target)
    if goal.metric == Metric.MEDIAN_RESPONSE:
        limit = target * 60
        return 1.0 if value <= limit else limit / value
    goal_value = target / 100 if goal.metric == Metric.WITHIN_SLA else target
    return max(0.0, min(1.0, value / goal_value))


def better_first(goal: Goal, value: float | None) -> tuple:
    """A sort key: measured figures first, best first."""
    if value is None:
        return (1, 0.0)
    return (0, value if goal.metric == Metric.MEDIAN_RESPONSE else -value)
