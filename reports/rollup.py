"""Keeping the SLA rollup (reports/models.py) current, and which days a report may read from it.

- recompute_day(): a day's rows from scratch (delete, compute, insert, in one transaction):
  running it twice gives the same rows.
- refresh() (the worker's sweep, every LEADOPS_SWEEP_INTERVAL seconds): the days of the
  leads the database triggers marked (a lead, one of its attempts or meetings written),
  once the day is over; the marks it read are deleted after, by id, so a mark written
  meanwhile is kept for the next sweep.
- rebuild() (`manage.py rebuild_sla_rollup`): every day from the first lead to yesterday.
- covered_days(): the whole days of a period the rollup can answer: stored in the current
  reporting zone, over, not marked, and with every lead's due time passed (before that
  the within-SLA denominator still moves). Everything else is computed live.
"""

from __future__ import annotations

import bisect
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Max, Min, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from leads.models import Lead
from reports import rollup_facts
from reports.filters import MetricFilters, organisation_zone
from reports.models import DayRollup, RollupDirty, RollupHistogram, RollupMonthHistogram
from reports.rollup_facts import COLUMN_KEYS, TOTAL, day_bounds, local_day

# Percentile bins (milliseconds), from 1 s to about a year: sixteen per doubling in the total
# rows (few rows, many values: a percentile then reads few values), four in the owners' rows
# (many rows, few values each: the rep table then adds up fewer bin counts).
FINE_EDGES = (0, *sorted({int(1000 * 2 ** (step / 16)) for step in range(400)}))
EDGES = (0, *sorted({int(1000 * 2 ** (step / 4)) for step in range(100)}))
DIRTY_BATCH = 50_000
DAYS_PER_SWEEP = 31
SWEEP_BUDGET = 5.0  # seconds of recomputation per sweep


def bin_of(value_ms: int, fine: bool) -> int:
    """The bin of a value: fine in the total rows, else coarse."""
    return bisect.bisect_right(FINE_EDGES if fine else EDGES, value_ms)


def zone_name(tz: ZoneInfo) -> str:
    return str(tz.key)


def recompute_day(day: date, tz: ZoneInfo | None = None, *, month: bool = True) -> int:
    """Store `day`'s rows anew (and its month's histogram, unless month=False); returns the
    number of leads."""
    tz = tz or organisation_zone()
    start, end = day_bounds(day, tz)
    parts = rollup_facts.compute(Lead.objects.countable().filter(submitted_at__gte=start, submitted_at__lt=end), tz)
    now = timezone.now()
    keys = set(parts.rows) | {(day, TOTAL)}
    rows = []
    for key in sorted(keys):
        figures, maps = parts.rows.get(key, {}), parts.maps.get(key, {})
        data = {name: value for name, value in figures.items() if name not in COLUMN_KEYS and value}
        data["response_median"] = rollup_facts.percentile_of(parts.hist.get((*key, "response"), Counter()), 0.5)
        data |= {name: {str(k): v for k, v in counts.items() if v} for name, counts in maps.items()}
        rows.append(
            DayRollup(
                day=day, owner=key[1], zone=zone_name(tz), open_until=parts.open_until.get(day), computed_at=now,
                data=data, **{name: figures.get(name, 0) for name in COLUMN_KEYS},
            )
        )  # fmt: skip
    bins = defaultdict(dict)
    for (_day, owner, kind), counts in parts.hist.items():
        for value, count in counts.items():
            bins[(owner, kind, bin_of(value, owner == TOTAL))][value] = count
    histograms = [
        RollupHistogram(day=day, owner=owner, kind=kind, bin=number, n=sum(values.values()),
                        values={str(v): c for v, c in values.items()})
        for (owner, kind, number), values in bins.items()
    ]  # fmt: skip
    with transaction.atomic():
        DayRollup.objects.filter(day=day).delete()
        RollupHistogram.objects.filter(day=day).delete()
        DayRollup.objects.bulk_create(rows, batch_size=1000)
        RollupHistogram.objects.bulk_create(histograms, batch_size=2000)
        if month:
            recompute_month(day.replace(day=1))
    return parts.rows.get((day, TOTAL), {}).get("leads", 0)


def recompute_month(month: date) -> None:
    """The month's histogram rows anew, from its days' rows."""
    following = (month + timedelta(days=32)).replace(day=1)
    merged: dict = defaultdict(lambda: [0, Counter()])
    rows = RollupHistogram.objects.filter(day__gte=month, day__lt=following).values_list(
        "owner", "kind", "bin", "n", "values"
    )
    for owner, kind, number, count, values in rows.iterator(chunk_size=5000):
        entry = merged[(owner, kind, number)]
        entry[0] += count
        entry[1].update(values)
    with transaction.atomic():
        RollupMonthHistogram.objects.filter(month=month).delete()
        RollupMonthHistogram.objects.bulk_create(
            [
                RollupMonthHistogram(month=month, owner=owner, kind=kind, bin=number, n=count, values=dict(values))
                for (owner, kind, number), (count, values) in merged.items()
            ],
            batch_size=2000,
        )


def refresh(now: datetime | None = None, limit: int = DAYS_PER_SWEEP, budget: float = SWEEP_BUDGET) -> int:
    """Recompute the days marked dirty that are over (at most `limit`, and no new one once
    `budget` seconds went by) and the months they lie in; then delete the marks of those
    days. Returns the number of days."""
    now = now or timezone.now()
    tz = organisation_zone()
    # Today is computed live, and stored once it is over: its marks wait until then.
    today_starts = day_bounds(local_day(now, tz), tz)[0]
    marks = defaultdict(list)
    waiting = RollupDirty.objects.filter(submitted_at__lt=today_starts).order_by("pk")
    for pk, submitted_at in waiting.values_list("pk", "submitted_at")[:DIRTY_BATCH]:
        marks[local_day(submitted_at, tz)].append(pk)
    days, started = [], time.monotonic()
    for day in sorted(marks)[:limit]:
        if days and time.monotonic() - started > budget:
            break  # the rest on the next sweep: the sweep has other work to do
        recompute_day(day, tz, month=False)
        days.append(day)
    for month in sorted({day.replace(day=1) for day in days}):
        recompute_month(month)
    done = [pk for day in days for pk in marks[day]]
    for offset in range(0, len(done), 5000):
        RollupDirty.objects.filter(pk__in=done[offset : offset + 5000]).delete()
    return len(days)


def sweep_task(now: datetime) -> dict[str, int]:
    """Registered with pipeline.sweeper (reports/apps.py)."""
    return {"sla_rollup_days": refresh(now)}


def rebuild(now: datetime | None = None, report=None) -> int:
    """Every day from the first lead's to yesterday, from scratch; returns the days stored."""
    now = now or timezone.now()
    tz = organisation_zone()
    today_starts = day_bounds(local_day(now, tz), tz)[0]  # today is not stored: its marks stay
    last_mark = RollupDirty.objects.aggregate(last=Max("pk"))["last"]
    if last_mark:
        RollupDirty.objects.filter(pk__lte=last_mark, submitted_at__lt=today_starts).delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            tables = (DayRollup, RollupHistogram, RollupMonthHistogram)
            cursor.execute(f"TRUNCATE {', '.join(model._meta.db_table for model in tables)}")
    else:
        for model in (DayRollup, RollupHistogram, RollupMonthHistogram):
            model.objects.all().delete()
    first = Lead.objects.aggregate(first=Min("submitted_at"))["first"]
    if first is None:
        return 0
    day, days = local_day(first, tz), 0
    while day_bounds(day, tz)[1] <= now:
        leads = recompute_day(day, tz, month=False)
        days += 1
        if report:
            report(day, leads)
        following = day + timedelta(days=1)
        if following.month != day.month or day_bounds(following, tz)[1] > now:
            recompute_month(day.replace(day=1))
        day = following
    return days


def dirty_days(tz: ZoneInfo, before: datetime) -> set[date]:
    """The days with a mark, among those that start before `before` (today's marks, the
    many, are left out: today is never read from the rollup)."""
    marked = RollupDirty.objects.filter(submitted_at__lt=before)
    return set(marked.annotate(day=TruncDate("submitted_at", tzinfo=tz)).values_list("day", flat=True).distinct())


def covered_days(filters: MetricFilters, now: datetime, tz: ZoneInfo) -> list[date]:
    """The days of `filters`' period the stored rows answer (see the module's docstring)."""
    rows = DayRollup.objects.filter(owner=TOTAL, zone=zone_name(tz))
    if filters.since:
        rows = rows.filter(day__gte=local_day(filters.since, tz))
    if filters.until:
        rows = rows.filter(day__lte=local_day(filters.until, tz))
    stored = rows.values_list("day", "open_until")
    dirty = dirty_days(tz, day_bounds(local_day(now, tz), tz)[0])
    covered = []
    for day, open_until in stored:
        start, end = day_bounds(day, tz)
        if day in dirty or end > now or (open_until is not None and open_until >= now):
            continue
        if (filters.since and start < filters.since) or (filters.until and end > filters.until):
            continue
        covered.append(day)
    return sorted(covered)


def whole_months(days: list[date]) -> tuple[list[date], list[date]]:
    """`days` split into the calendar months they hold whole (first days) and the rest."""
    present = set(days)
    months, rest = [], []
    for month in sorted({day.replace(day=1) for day in days}):
        following = (month + timedelta(days=32)).replace(day=1)
        month_days = [month + timedelta(days=n) for n in range((following - month).days)]
        if all(day in present for day in month_days):
            months.append(month)
        else:
            rest += [day for day in month_days if day in present]
    return months, rest


def outside(days: list[date], tz: ZoneInfo) -> Q:
    """Submitted on none of `days` (sorted): the ranges between their runs, as a Q."""
    runs: list[list] = []
    for day in days:
        start, end = day_bounds(day, tz)
        if runs and runs[-1][1] == start:
            runs[-1][1] = end
        else:
            runs.append([start, end])
    condition = Q(submitted_at__lt=runs[0][0])
    for (_start, end), (following, _end) in zip(runs, runs[1:], strict=False):
        condition |= Q(submitted_at__gte=end, submitted_at__lt=following)
    return condition | Q(submitted_at__gte=runs[-1][1])
