"""The dashboard's series and live counter (SPEC §4 activity): the daily trend, the busiest
hours, the spread across reps, the breach counter, and the whole /dashboard/ figure set,
built from the definitions in reports/metrics.py."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from leads.models import Lead
from reports import rollup_read
from reports.aggregates import PercentileCont, analytic_queries, is_postgresql, percentile
from reports.filters import MetricFilters
from reports.metrics import (
    ATTEMPTED,
    BREACH_LOOKBACK,
    DUE_SOON,
    MET,
    OPEN_STAGES,
    RESPONSE,
    attempts_of,
    contact_rate_rows,
    counted_for_sla,
    metrics_json,
    rate,
    rep_entries,
    rep_rows,
    seconds,
    summary,
)
from reports.metrics_attempts import QUARTER_HOUR, AttemptFigures, lead_quarter_hours


def daily_trend(leads: QuerySet, now: datetime, tz: ZoneInfo, first: date | None, last: date | None) -> list[dict]:
    """Per local day of submission: leads, within-SLA rate and median response, from the
    first day with a lead (not before `first`) to `last`; days without leads show zeros."""
    by_day = leads.annotate(day=TruncDate("submitted_at", tzinfo=tz)).order_by()
    aggregates = {
        "leads": Count("pk"),
        "attempted": Count("pk", filter=ATTEMPTED),
        "due": Count("pk", filter=counted_for_sla(now)),
        "met": Count("pk", filter=MET),
    }
    postgresql = is_postgresql(leads)
    if postgresql:
        aggregates["median"] = PercentileCont(RESPONSE, 0.5, filter=ATTEMPTED)
    rows = {row["day"]: row for row in by_day.values("day").annotate(**aggregates)}
    if not postgresql:
        for day, row in rows.items():
            row["median"] = percentile(by_day.filter(ATTEMPTED, day=day), RESPONSE, 0.5, count=row["attempted"])
    return trend_series(rows, first, last)


def trend_series(rows: dict, first: date | None, last: date | None) -> list[dict]:
    """The daily trend from per-day rows (leads, due, met, median), zeros between them."""
    if not rows and (first is None or last is None):
        return []
    first = max(first, min(rows)) if first and rows else (first or min(rows))
    last = last or max(rows)
    series, day = [], first
    while day <= last:
        row = rows.get(day, {"leads": 0, "attempted": 0, "due": 0, "met": 0, "median": None})
        series.append(
            {
                "day": day.isoformat(),
                "leads": row["leads"],
                "due": row["due"],
                "met": row["met"],
                "within_sla_rate": rate(row["met"], row["due"]),
                "median": seconds(row["median"]),
            }
        )
        day += timedelta(days=1)
    return series


def busiest_times(leads: QuerySet, tz: ZoneInfo, figures: AttemptFigures | None = None) -> dict:
    """Leads submitted and rep touches (attempts) per ISO weekday (row 0 = Monday) and hour
    in `tz`, from counts per UTC quarter-hour (reports/metrics_attempts.py)."""
    touches = (figures or attempts_of(leads, detail=True)).touches

    def grid(counts) -> list[list[int]]:
        cells = [[0] * 24 for _ in range(7)]
        for quarter, count in counts.items():
            local = datetime.fromtimestamp(quarter * QUARTER_HOUR, tz)
            cells[local.weekday()][local.hour] += count
        return cells

    return {"leads": grid(lead_quarter_hours(leads)), "touches": grid(touches)}


def spread(reps: list[dict]) -> dict:
    """How far apart the reps are: range and standard deviation of medians and rates."""
    medians = [rep["median"] for rep in reps if rep["median"] is not None]
    rates = [rep["within_sla_rate"] for rep in reps if rep["within_sla_rate"] is not None]

    def describe(values: list[float], digits: int) -> dict:
        if not values:
            return {"min": None, "max": None, "stdev": None}
        stdev = statistics.pstdev(values) if len(values) > 1 else 0.0
        return {"min": min(values), "max": max(values), "stdev": round(stdev, digits)}

    return {"median": describe(medians, 3), "within_sla_rate": describe(rates, 4), "reps": len(reps)}


def breach_counts(filters: MetricFilters, now: datetime | None = None) -> dict:
    """The live counter: open leads never attempted whose first-contact time passed (in
    the last BREACH_LOOKBACK) and those due within DUE_SOON. Date filters do not apply."""
    now = now or timezone.now()
    waiting = filters.without_dates(
        Lead.objects.filter(
            junk=False,
            first_attempt_at__isnull=True,
            stage__in=OPEN_STAGES,
            first_contact_due_at__gte=now - BREACH_LOOKBACK,
            first_contact_due_at__lt=now + DUE_SOON,
        )
    )
    counts = waiting.order_by().aggregate(
        breached=Count("pk", filter=Q(first_contact_due_at__lt=now)),
        due_soon=Count("pk", filter=Q(first_contact_due_at__gte=now)),
    )
    return {"breached": counts["breached"], "due_soon": counts["due_soon"], "at": now.isoformat()}


@dataclass
class Dashboard:
    """Everything /dashboard/ shows, from the definitions above."""

    filters: MetricFilters
    now: datetime
    tz: ZoneInfo
    figures: dict
    metrics: dict
    contact_rates: list[dict]
    reps: list[dict]
    trend: list[dict]
    heatmap: dict
    meetings: dict | None = None  # from the rollup (else the page computes them)

    @property
    def spread(self) -> dict:
        return spread(self.reps)


def dashboard(filters: MetricFilters, now: datetime | None = None, *, rollup: bool = True) -> Dashboard:
    """The whole figure set; from the SLA rollup where it can answer (reports/rollup_read.py),
    else (or with rollup=False) from scratch."""
    now = now or timezone.now()
    leads = filters.leads()
    tz = filters.reporting_zone()
    first = filters.since.astimezone(tz).date() if filters.since else None
    last = (filters.until - timedelta(microseconds=1)).astimezone(tz).date() if filters.until else None
    if last and last > now.astimezone(tz).date():
        last = now.astimezone(tz).date()
    with analytic_queries(leads.db):
        rolled = rollup_read.read(filters, now) if rollup else None
        if rolled is not None:
            reps = rep_entries(rolled.rep_rows, detail=True, touches=rolled.attempts.early_by_owner)
            contact_rates = contact_rate_rows(leads, rolled.attempts)
            return Dashboard(
                filters=filters, now=now, tz=tz, figures=rolled.figures,
                metrics=metrics_json(rolled.figures, contact_rates, reps), contact_rates=contact_rates, reps=reps,
                trend=trend_series(rolled.trend_rows, first, last), heatmap=rolled.grids, meetings=rolled.meetings,
            )  # fmt: skip
        figures = summary(leads, now, hot=True)
        attempts = attempts_of(leads, detail=True, figures=figures)
        contact_rates = contact_rate_rows(leads, attempts)
        reps = rep_rows(leads, now, detail=True, figures=attempts)
        return Dashboard(
            filters=filters,
            now=now,
            tz=tz,
            figures=figures,
            metrics=metrics_json(figures, contact_rates, reps),
            contact_rates=contact_rates,
            reps=reps,
            trend=daily_trend(leads, now, tz, first, last),
            heatmap=busiest_times(leads, tz, attempts),
        )
