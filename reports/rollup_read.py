"""The SPEC §4 figures read from the SLA rollup (reports/rollup.py): the covered days' stored
rows plus the rest of the period computed live (reports/rollup_facts.py), added up, then
turned into the same dicts reports/metrics.py, series.py and meetings.py build from scratch.

Used when the report has no team, source or temperature filter (a rep filter reads that
rep's rows) and the rollup covers at least one day of the period; otherwise None and the
callers compute from scratch."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db.models import Q, Sum

from leads.choices import Source
from reports.filters import MetricFilters, organisation_zone
from reports.meetings_json import meetings_json
from reports.metrics import BUCKETS
from reports.metrics_attempts import AttemptFigures
from reports.models import DayRollup
from reports.rollup import covered_days, outside, whole_months
from reports.rollup_facts import COLUMN_KEYS, COUNT_KEYS, MAP_KEYS, TOTAL, compute, percentile_of
from reports.rollup_percentiles import percentiles, sources

MEANS = {  # figure -> (sum, count)
    "response_mean": ("response_sum", "attempted"),
    "assignment_mean": ("assignment_sum", "assigned"),
    "acknowledgment_mean": ("acknowledgment_sum", "acknowledged"),
    "qualification_mean": ("qualification_sum", "decided"),
    "hot_mean": ("hot_sum", "hot_attempted"),
    "business_mean": ("business_sum", "attempted"),
    "m_time_mean": ("m_time_sum", "m_ever_booked"),
}
PERCENTILES = {
    "response_median": ("response", 0.5),
    "response_p90": ("response", 0.9),
    "assignment_p95": ("assignment", 0.95),
    "acknowledgment_p95": ("acknowledgment", 0.95),
    "qualification_median": ("qualification", 0.5),
    "hot_median": ("hot_response", 0.5),
    "m_time_median": ("booking", 0.5),
}


@dataclass
class Rolled:
    figures: dict  # as metrics.summary(hot=True) gives them
    attempts: AttemptFigures  # had, first_reached, early_by_owner (touches: see grids)
    rep_rows: list[dict]  # for metrics.rep_entries
    trend_rows: dict  # day -> leads, attempted, due, met, median
    grids: dict  # "leads" / "touches" -> 7 x 24
    meetings: dict  # as meetings.meeting_metrics gives it


def read(filters: MetricFilters, now: datetime) -> Rolled | None:
    if filters.team_id or filters.source or filters.temperature:
        return None
    tz = organisation_zone()
    days = covered_days(filters, now, tz)
    if not days:
        return None
    owner = filters.rep_id or TOTAL
    live = compute(filters.leads().filter(outside(days, tz)), tz, now)
    totals, maps = Counter(), defaultdict(Counter)
    trend = {}
    for row in DayRollup.objects.filter(day__in=days, owner=owner).values("day", *COLUMN_KEYS, "data"):
        data = row.pop("data")
        day = row.pop("day")
        if row["leads"]:  # the trend starts and ends with a day that has leads
            trend[day] = dict(row, response_median=data.get("response_median"))
        totals.update(row)
        for name, value in data.items():
            if name == "response_median":
                continue
            if name in MAP_KEYS:
                maps[name].update({key: count for key, count in value.items()})
            else:
                totals[name] += value
    live_hist: dict = defaultdict(Counter)
    day_hist: dict = {}
    for (day, who), figures in live.rows.items():
        if who != owner:
            continue
        totals.update(figures)
        trend[day] = {name: figures.get(name, 0) for name in COLUMN_KEYS}
        for name, counts in live.maps[(day, who)].items():
            maps[name].update({str(key): count for key, count in counts.items()})
    for (day, who, kind), counts in live.hist.items():
        if who == owner:
            live_hist[(kind, None)].update(counts)
            if kind == "response":
                day_hist[day] = counts
    months, loose_days = whole_months(days)
    stored = sources(loose_days, months, Q(owner=owner))
    figures = {name: totals[name] for name in COUNT_KEYS}
    for name, (total, count) in MEANS.items():
        figures[name] = totals[total] / totals[count] if totals[count] else None
    wanted = {name: ((kind, None), fraction) for name, (kind, fraction) in PERCENTILES.items()}
    figures |= percentiles(wanted, stored, None, live_hist, owner == TOTAL)
    for day, row in trend.items():  # a stored day keeps its median; a live one from its values
        row["median"] = percentile_of(day_hist[day], 0.5) if day in day_hist else row.pop("response_median", None)
    attempts = AttemptFigures(
        had={int(key): count for key, count in maps["had"].items()},
        first_reached={int(key): count for key, count in maps["first_reached"].items()},
    )
    reps = _rep_rows(days, months, loose_days, owner, live)
    attempts.early_by_owner = {row["owner_id"]: row["early"] for row in reps}
    return Rolled(
        figures=figures, attempts=attempts, rep_rows=reps, trend_rows=trend,
        grids={name: _grid(maps[key]) for name, key in (("leads", "lead_hours"), ("touches", "touches"))},
        meetings=_meetings(figures, maps["m_by_source"]),
    )  # fmt: skip


def _rep_rows(days: list[date], months: list[date], loose_days: list[date], owner: int, live) -> list[dict]:
    stored = DayRollup.objects.filter(day__in=days).filter(Q(owner=owner) if owner else Q(owner__gt=0))
    sums: dict = defaultdict(Counter)
    for row in stored.values("owner").annotate(**{f"{name}_": Sum(name) for name in COLUMN_KEYS}):
        sums[row["owner"]].update({name: row[f"{name}_"] for name in COLUMN_KEYS})
    live_hist: dict = defaultdict(Counter)
    for (_day, who), figures in live.rows.items():
        if who and (not owner or who == owner):
            sums[who].update({name: figures.get(name, 0) for name in COLUMN_KEYS})
    for (_day, who, kind), counts in live.hist.items():
        if who and kind == "response" and (not owner or who == owner):
            live_hist[("response", who)].update(counts)
    stored_hist = sources(loose_days, months, Q(owner=owner) if owner else Q(owner__gt=0))
    medians = percentiles({who: (("response", who), 0.5) for who in sums}, stored_hist, "owner", live_hist, False)
    users = get_user_model().objects.filter(pk__in=list(sums)).values_list("pk", "username", "first_name", "last_name")
    rows = []
    for pk, username, first_name, last_name in users:
        figures = sums[pk]
        rows.append(
            {"owner_id": pk, "owner__username": username, "owner__first_name": first_name,
             "owner__last_name": last_name, "median": medians[pk], "early": figures["early"],
             "mean": figures["response_sum"] / figures["attempted"] if figures["attempted"] else None,
             **{name: figures[name] for name in ("leads", "attempted", "due", "met", "won")}}
        )  # fmt: skip
    return rows


def _grid(cells: Counter) -> list[list[int]]:
    grid = [[0] * 24 for _ in range(7)]
    for cell, count in cells.items():
        grid[int(cell) // 24][int(cell) % 24] += count
    return grid


def _meetings(figures: dict, by_source: Counter) -> dict:
    total = Counter(figures)
    return meetings_json(
        leads=total["leads"],
        leads_booked=total["m_leads_booked"],
        by_bucket=[(total[f"bucket{index}"], total[f"m_bucket{index}"]) for index in range(len(BUCKETS))],
        never=(total["never"], total["m_never_booked"]),
        by_source={source: (by_source[f"{source}:leads"], by_source[f"{source}:booked"]) for source in Source.values},
        booked=total["m_booked"],
        cancelled=total["m_cancelled"],
        held=total["m_held"],
        no_show=total["m_no_show"],
        time_mean=figures["m_time_mean"],
        time_median=figures["m_time_median"],
    )
