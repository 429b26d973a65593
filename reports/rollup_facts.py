"""The SPEC §4 figures of a set of leads as additive parts, per (local day, owner), computed
lead by lead in Python from the same definitions as reports/metrics.py (the rollup tests
check that both agree). reports/rollup.py stores them per day and adds them up; the days
it does not hold (the open edges of a period, a day changed since its last computation)
come from here too, live.

Owner 0 is the total over every lead of the day; an owner's row holds the same figures over
their leads (for the rep table, and for every figure when a report is filtered by rep).
Times are summed in seconds (floats, as the database's averages) and kept for
percentiles in whole milliseconds (`hist`), so a percentile read from the parts differs
from the exact one by less than a millisecond.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from booking.models import Attendance, Meeting, MeetingStatus
from leads.models import Attempt
from reports import business_time
from reports.aggregates import interpolate
from reports.metrics import ATTEMPT_WINDOW, BUCKETS, REACHED, WON_STAGES

TOTAL = 0
HOT = "hot"
LEAD_FIELDS = (
    "pk", "submitted_at", "owner_id", "temperature", "stage", "source", "first_contact_due_at", "assigned_at",
    "acknowledged_at", "first_attempt_at", "decided_at", "lead_source_id", "country", "region", "resolved_time_zone",
)  # fmt: skip
# Additive figures of the total row (owner 0); OWNER_KEYS those of an owner's row.
COUNT_KEYS = (
    "leads", "attempted", "response_sum", "due", "met", "assigned", "assignment_sum", "acknowledged",
    "acknowledgment_sum", "decided", "qualification_sum", "never", "never_won", "won", "hot_leads", "hot_attempted",
    "hot_due", "hot_met", "hot_sum", "business_sum", "m_leads_booked", "m_ever_booked", "m_time_sum",
    "m_never_booked", "m_booked", "m_cancelled", "m_held", "m_no_show",
    *(f"bucket{index}" for index in range(len(BUCKETS))), *(f"bucket{index}_won" for index in range(len(BUCKETS))),
    *(f"m_bucket{index}" for index in range(len(BUCKETS))),
)  # fmt: skip
MAP_KEYS = ("had", "first_reached", "touches", "lead_hours", "m_by_source")
# The rep table's figures, kept in columns of their own (reports.models.DayRollup).
COLUMN_KEYS = ("leads", "attempted", "response_sum", "due", "met", "won", "early")
KINDS = ("response", "hot_response", "assignment", "acknowledgment", "qualification", "booking")


def ms(delta: timedelta) -> int:
    """Whole milliseconds, rounded down (as a percentile's precision)."""
    return (delta.days * 86_400_000) + (delta.seconds * 1000) + (delta.microseconds // 1000)


@dataclass
class Parts:
    rows: dict = field(default_factory=lambda: defaultdict(Counter))  # (day, owner) -> figures
    maps: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(Counter)))  # (day, owner) -> key -> map
    hist: dict = field(default_factory=lambda: defaultdict(Counter))  # (day, owner, kind) -> {ms: count}
    open_until: dict = field(default_factory=dict)  # day -> latest due time of a lead not attempted


def percentile_of(values: Counter, fraction: float) -> float | None:
    """percentile_cont over {milliseconds: count}, in seconds."""
    total = sum(values.values())
    if not total:
        return None
    position = fraction * (total - 1)
    low = math.floor(position)
    found, seen = [], 0
    for value in sorted(values):
        seen += values[value]
        while seen > low + len(found) and len(found) < 2:
            found.append(value / 1000)
        if len(found) == 2:
            break
    return interpolate(found, position, low)


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[local midnight, next local midnight) of `day` in `tz`."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)


def _hour_cell(moment: datetime, tz: ZoneInfo) -> int:
    local = moment.astimezone(tz)
    return local.weekday() * 24 + local.hour


def _business_seconds(leads: QuerySet) -> dict[int, float]:
    """Business seconds from submission to first attempt, per attempted lead (as
    reports/business_time.py counts them for the mean)."""
    attempted = leads.filter(first_attempt_at__isnull=False)
    groups = business_time.calendar_groups(attempted)
    by_key = {(g.lead_source_id, g.country, g.region, g.time_zone): g.open_time for g in groups}
    values = attempted.order_by().values_list(
        "pk", "lead_source_id", "country", "region", "resolved_time_zone", "submitted_at", "first_attempt_at"
    )
    return {
        pk: by_key[(source_id, country, region, tz_name)].between(submitted, first)
        for pk, source_id, country, region, tz_name, submitted, first in values.iterator(chunk_size=5000)
    }


def _by_lead(model, leads: QuerySet, *fields: str) -> dict[int, list[tuple]]:
    """Lead id -> the (fields) of each of its rows of `model` (a model with a `lead`)."""
    by_lead: dict[int, list[tuple]] = defaultdict(list)
    rows = model.objects.filter(lead__in=leads.order_by().values("pk")).order_by().values_list("lead_id", *fields)
    for lead_id, *values in rows.iterator(chunk_size=20000):
        by_lead[lead_id].append(tuple(values))
    return by_lead


def _attempts(leads: QuerySet) -> dict[int, list[tuple]]:
    return _by_lead(Attempt, leads, "number", "outcome", "at")


def _meetings(leads: QuerySet) -> dict[int, list[tuple]]:
    return _by_lead(Meeting, leads, "status", "attendance", "booked_at")


def compute(leads: QuerySet, tz: ZoneInfo, now: datetime | None = None) -> Parts:
    """The parts of `leads` (countable leads, already filtered) per local day in `tz`.
    `now`: count in the within-SLA denominator only the leads due strictly before it; None
    (for storing): every lead with a due time, as they all will be once `open_until` passed."""
    parts = Parts()
    attempts = _attempts(leads)
    meetings = _meetings(leads)
    business = _business_seconds(leads)
    for lead in leads.order_by().values(*LEAD_FIELDS).iterator(chunk_size=5000):
        _add_lead(parts, lead, tz, now, attempts.get(lead["pk"], ()), meetings.get(lead["pk"], ()), business)
    return parts


def _add_lead(parts: Parts, lead: dict, tz, now, attempts, meetings, business) -> None:
    day = local_day(lead["submitted_at"], tz)
    owner = lead["owner_id"]
    keys = [(day, TOTAL), (day, owner)] if owner else [(day, TOTAL)]
    submitted, first, due = lead["submitted_at"], lead["first_attempt_at"], lead["first_contact_due_at"]
    hot = lead["temperature"] == HOT
    won = lead["stage"] in WON_STAGES
    add, values = Counter(leads=1, won=int(won), hot_leads=int(hot)), []
    maps = {"lead_hours": Counter({_hour_cell(submitted, tz): 1})}
    if due is not None:
        if first is not None or now is None or due < now:
            add.update(due=1, hot_due=int(hot))
        if first is not None and first <= due:
            add.update(met=1, hot_met=int(hot))
        if first is None and (parts.open_until.get(day) is None or due > parts.open_until[day]):
            parts.open_until[day] = due
    bucket = None
    if first is not None:
        response = first - submitted
        seconds = response.total_seconds()
        add.update(attempted=1, response_sum=seconds, business_sum=business[lead["pk"]])
        values.append(("response", response))
        if hot:
            add.update(hot_attempted=1, hot_sum=seconds)
            values.append(("hot_response", response))
        bucket = next(
            index for index, (_label, low, high) in enumerate(BUCKETS)
            if (not low or response >= low) and (high is None or response < high)
        )  # fmt: skip
        add.update({f"bucket{bucket}": 1, f"bucket{bucket}_won": int(won)})
        if lead["decided_at"] is not None:
            add.update(decided=1, qualification_sum=(lead["decided_at"] - first).total_seconds())
            values.append(("qualification", lead["decided_at"] - first))
    else:
        add.update(never=1, never_won=int(won))
    for name, count, moment in (
        ("assignment", "assigned", lead["assigned_at"]), ("acknowledgment", "acknowledged", lead["acknowledged_at"])
    ):  # fmt: skip
        if moment is not None:
            add.update({count: 1, f"{name}_sum": (moment - submitted).total_seconds()})
            values.append((name, moment - submitted))
    had, touches, first_reached = Counter(), Counter(), None
    for number, outcome, at in attempts:
        had[number] += 1
        touches[_hour_cell(at, tz)] += 1
        if outcome in REACHED and (first_reached is None or number < first_reached):
            first_reached = number
        if at < submitted + ATTEMPT_WINDOW:
            add["early"] += 1
    maps |= {"had": had, "touches": touches, "first_reached": Counter({first_reached: 1} if first_reached else {})}
    _add_meetings(add, maps, values, lead, meetings, bucket, first is None)
    for key in keys:
        parts.rows[key].update(add)
        for name, counts in maps.items():
            parts.maps[key][name].update(counts)
        for kind, delta in values:
            parts.hist[(*key, kind)][ms(delta)] += 1


def _add_meetings(
    add: Counter, maps: dict, values: list, lead: dict, meetings, bucket: int | None, never: bool
) -> None:
    active = any(status != MeetingStatus.CANCELLED for status, _attendance, _at in meetings)
    by_source = maps["m_by_source"] = Counter({f"{lead['source']}:leads": 1})
    if active:
        by_source[f"{lead['source']}:booked"] += 1
        add.update(m_leads_booked=1, m_never_booked=int(never))
        if bucket is not None:
            add[f"m_bucket{bucket}"] += 1
    if meetings:
        first_booked = min(at for _status, _attendance, at in meetings)
        add.update(m_ever_booked=1, m_time_sum=(first_booked - lead["submitted_at"]).total_seconds())
        values.append(("booking", first_booked - lead["submitted_at"]))
    for status, attendance, _at in meetings:
        cancelled = status == MeetingStatus.CANCELLED
        add["m_cancelled" if cancelled else "m_booked"] += 1
        if not cancelled and attendance == Attendance.HELD:
            add["m_held"] += 1
        if not cancelled and attendance == Attendance.NO_SHOW:
            add["m_no_show"] += 1
