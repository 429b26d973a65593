"""Business-time response (SPEC §3.3 "report response times both as wall-clock and as
business time") over many leads at once, without a Python call per lead on PostgreSQL.

A lead's clock runs in its *calendar*: the business schedule of its lead source (else the
default schedule) read in the lead's time zone, minus its country's public holidays and
the schedule's closed days — the calendar `leads.actions.sla_targets_for` gives the SLA
clock. Leads sharing (lead source, country, region, time zone) share a calendar (the region
can name a state with its own holidays).

For one calendar, let F(t) be the open seconds from a fixed origin up to t. F is piecewise
linear: with the open intervals [b_i, e_i) sorted and C_i the open seconds before b_i,
F(t) = C_i + min(t - b_i, e_i - b_i) for the last i with b_i <= t (0 before the first).
Then business seconds between s and t = F(t) - F(s), exactly what
`leads.sla.business_seconds_between` returns, at the cost of one binary search.

`business_mean()` builds the (b, e, C) arrays per calendar in Python — one pass over the
*days* the filtered leads span, cached per calendar and day range — and hands them to
PostgreSQL, where `width_bucket(t, b)` is the binary search: one SQL pass over the leads.
SQLite (development and tests) fetches the two timestamps per attempted lead and does the
same binary search in Python: O(n log m) for n leads and m open intervals.
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connections
from django.db.models import Count, F, Max, Min, QuerySet
from django.db.models.functions import Greatest

from leadops.timezones import zone
from leads import policies, sla
from leads.models import LeadSource
from reports.aggregates import is_postgresql

CACHE_SIZE = 256
CHUNK_DAYS = 366  # open_intervals() stops at sla.HORIZON_DAYS: ask again from further on


@dataclass(frozen=True)
class OpenTime:
    """The cumulative open-seconds function F of one calendar over a span of days, as
    epoch-second arrays (begins ascending, intervals merged so none overlap)."""

    begins: tuple[float, ...]
    ends: tuple[float, ...]
    before: tuple[float, ...]  # open seconds before each begin

    def seconds_until(self, epoch: float) -> float:
        index = bisect.bisect_right(self.begins, epoch) - 1
        if index < 0:
            return 0.0
        return self.before[index] + min(epoch - self.begins[index], self.ends[index] - self.begins[index])

    def between(self, start: datetime, end: datetime) -> float:
        return self.seconds_until(end.timestamp()) - self.seconds_until(start.timestamp())


def _merged(intervals) -> list[list[float]]:
    merged: list[list[float]] = []
    for begin, end in sorted(intervals):
        if merged and begin <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([begin, end])
    return merged


def open_time(calendar: sla.BusinessCalendar, tz: ZoneInfo, first: date, last: date) -> OpenTime:
    """F for a calendar from the local day `first` through the local day `last`. A calendar
    without open time counts wall-clock time (as the SLA clock does): one interval."""
    if not calendar.has_open_time:
        begin = datetime.combine(first - timedelta(days=1), time(0), tzinfo=UTC).timestamp()
        end = datetime.combine(last + timedelta(days=2), time(0), tzinfo=UTC).timestamp()
        return OpenTime((begin,), (end,), (0.0,))
    found = []
    day = first
    while day <= last:
        start = datetime.combine(day, time(0), tzinfo=tz)
        chunk_end = min(last, day + timedelta(days=CHUNK_DAYS - 1))
        for begin, end in sla.open_intervals(calendar, tz, start):
            if begin.astimezone(tz).date() > chunk_end:
                break
            found.append((begin.timestamp(), end.timestamp()))
        day = chunk_end + timedelta(days=1)
    merged = _merged(found)
    before, total = [], 0.0
    for begin, end in merged:
        before.append(total)
        total += end - begin
    return OpenTime(tuple(b for b, _ in merged), tuple(e for _, e in merged), tuple(before))


class _Cache:
    """Least-recently-used OpenTime per (calendar, zone, day span); thread-safe."""

    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key, build):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = build()
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


_open_times = _Cache(CACHE_SIZE)


def _calendar_key(calendar: sla.BusinessCalendar) -> tuple:
    hours = tuple(sorted((day, tuple(sorted(hours))) for day, hours in calendar.weekly_hours.items()))
    return (
        hours,
        tuple(sorted(calendar.closed_dates)),
        calendar.holiday_country,
        calendar.holiday_subdivision,
        calendar.observe_public_holidays,
    )


def calendar_for(schedule_id: int | None, country: str, region: str = "") -> sla.BusinessCalendar:
    """The calendar of a lead whose source has `schedule_id`, as the SLA clock reads it."""
    schedule = policies.schedule(schedule_id)
    return sla.calendar_from_schedule(schedule, country, region) if schedule else sla.STANDARD_CALENDAR


def cached_open_time(calendar: sla.BusinessCalendar, tz_name: str, first: date, last: date) -> OpenTime:
    key = (_calendar_key(calendar), tz_name, first, last)
    return _open_times.get(key, lambda: open_time(calendar, zone(tz_name), first, last))


@dataclass(frozen=True)
class CalendarGroup:
    lead_source_id: int
    country: str
    region: str
    time_zone: str
    open_time: OpenTime


def calendar_groups(attempted: QuerySet) -> list[CalendarGroup]:
    """One query: the calendars the attempted leads use and the days they span."""
    rows = (
        attempted.order_by()
        .values("lead_source_id", "country", "region", "resolved_time_zone")
        .annotate(
            first=Min("submitted_at"), last=Max(Greatest(F("first_attempt_at"), F("submitted_at"))), leads=Count("pk")
        )
    )
    schedules = dict(LeadSource.objects.values_list("pk", "schedule_id"))
    groups = []
    for row in rows:
        tz_name = row["resolved_time_zone"]
        tz = zone(tz_name)
        # One day of margin either side: local days, and open intervals that cross midnight.
        first = row["first"].astimezone(tz).date() - timedelta(days=1)
        last = row["last"].astimezone(tz).date() + timedelta(days=1)
        calendar = calendar_for(schedules.get(row["lead_source_id"]), row["country"], row["region"])
        open_time = cached_open_time(calendar, tz_name, first, last)
        groups.append(CalendarGroup(row["lead_source_id"], row["country"], row["region"], tz_name, open_time))
    return groups


_SQL = """
SELECT avg(f_attempt - f_submit), count(*) FROM (
  SELECT
    CASE WHEN i_attempt = 0 THEN 0 ELSE c.before[i_attempt]
      + least(e_attempt - c.begins[i_attempt], c.ends[i_attempt] - c.begins[i_attempt]) END AS f_attempt,
    CASE WHEN i_submit = 0 THEN 0 ELSE c.before[i_submit]
      + least(e_submit - c.begins[i_submit], c.ends[i_submit] - c.begins[i_submit]) END AS f_submit
  FROM (
    SELECT b.*, date_part('epoch', b.first_attempt_at) AS e_attempt, date_part('epoch', b.submitted_at) AS e_submit
    FROM ({leads}) AS b
  ) AS l
  JOIN (VALUES {values}) AS c (lead_source_id, country, region, time_zone, begins, ends, before)
    ON c.lead_source_id = l.lead_source_id AND c.country = l.country AND c.region = l.region
      AND c.time_zone = l.resolved_time_zone
  CROSS JOIN LATERAL (
    SELECT width_bucket(l.e_attempt, c.begins) AS i_attempt, width_bucket(l.e_submit, c.begins) AS i_submit
  ) AS w
) AS x
"""


def business_mean(attempted: QuerySet) -> float | None:
    """Mean business seconds from submission to first attempt over `attempted` (leads with
    a first attempt), each in its own calendar."""
    groups = calendar_groups(attempted)
    if not groups:
        return None
    columns = ("lead_source_id", "country", "region", "resolved_time_zone", "submitted_at", "first_attempt_at")
    if not is_postgresql(attempted):
        by_key = {(g.lead_source_id, g.country, g.region, g.time_zone): g.open_time for g in groups}
        total, count = 0.0, 0
        for source_id, country, region, tz_name, submitted_at, first_attempt_at in attempted.values_list(
            *columns
        ).iterator():
            total += by_key[(source_id, country, region, tz_name)].between(submitted_at, first_attempt_at)
            count += 1
        return total / count if count else None
    leads_sql, leads_params = attempted.order_by().values(*columns).query.sql_with_params()
    values, params = [], []
    for group in groups:
        values.append("(%s::bigint, %s::varchar, %s::varchar, %s::varchar, %s::float8[], %s::float8[], %s::float8[])")
        times = group.open_time
        params += [group.lead_source_id, group.country, group.region, group.time_zone]
        params += [list(times.begins), list(times.ends), list(times.before)]
    sql = _SQL.format(leads=leads_sql, values=", ".join(values))
    with connections[attempted.db].cursor() as cursor:
        cursor.execute(sql, [*leads_params, *params])
        mean, _count = cursor.fetchone()
    return mean
