"""When each step of a cadence is due, as pure functions (no database, no clock).

Rules, in the lead's calendar and time zone (leads/sla.py):

- A step is due its `delay` after the previous step (the first step: after the start).
  With `business_hours_only` the delay counts open business time (leads.sla's
  add_business_time, the SLA clock's convention): "+20 min" at 16:57 on a Friday is 09:17
  on Monday, and a step that would land outside the hours moves into the next open time.
  A delay of a whole number of days counts *business days*: the same local time of day
  that many open days later (then into open hours), so "+1 day" from Friday is Monday.
  Without `business_hours_only`, delays are wall-clock time (whole days keep the local time
  of day across DST changes).
- `vary_time_of_day` moves a touch VARY_SHIFT (3 h) of open time later in its day than
  where its delay put it, wrapping past closing to the morning of the same day. Daily
  touches (whole-day delays) therefore each land 3 open hours after the previous day's: on
  a 09:00-17:00 day, starting from 15:32, at 10:32, 13:32, 16:32, 11:32, 14:32, 09:32 -
  eight distinct slots before one repeats (3 and 8 have no common factor). A wrapped time
  that would not come after the previous step moves to the next open day instead.
  Steps without business hours wrap within the 24-hour local day.
- Conditions are checked against the lead's facts: a step that needs a phone, SMS consent
  or (by its channel) an email address or phone the lead does not have, or a channel the
  lead opted out of, is planned as skipped with the reason. Skipped steps keep their place
  (and due time) in the chain, so the plan has the same shape for every lead.

Catch-up after downtime: see `catch_up`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from leads.sla import BusinessCalendar, add_business_time, is_open, open_intervals

VARY_SHIFT = timedelta(hours=3)
# Catch-up after worker downtime (see catch_up).
ON_TIME = timedelta(minutes=5)
LATE_LIMIT = timedelta(hours=2)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class StepRule:
    """What the schedule needs to know of a cadence step."""

    number: int
    channel: str
    delay: timedelta = timedelta(0)
    needs_phone: bool = False
    needs_sms_consent: bool = False
    business_hours_only: bool = True
    vary_time_of_day: bool = False


@dataclass(frozen=True)
class LeadFacts:
    has_email: bool
    has_phone: bool
    sms_consent: bool
    opted_out: frozenset[str] = frozenset()  # channels: "email", "sms", "whatsapp"
    whatsapp_consent: bool = False


@dataclass(frozen=True)
class PlannedTime:
    number: int
    channel: str
    due_at: datetime
    skip_reason: str = ""


def skip_reason(rule: StepRule, facts: LeadFacts) -> str:
    """Why this step cannot be done for this lead ("" when it can)."""
    if rule.channel in facts.opted_out:
        return f"opted out of {rule.channel}"
    if rule.channel == "email" and not facts.has_email:
        return "no email address"
    if (rule.needs_phone or rule.channel in ("sms", "whatsapp")) and not facts.has_phone:
        return "no phone number"
    if rule.needs_sms_consent and not facts.sms_consent:
        return "no SMS consent"
    if rule.channel == "whatsapp" and not facts.whatsapp_consent:
        return "no WhatsApp consent"  # WhatsApp's business policy: only to people who opted in
    return ""


def _is_whole_days(delay: timedelta) -> bool:
    return delay >= DAY and delay % DAY == timedelta(0)


def _at_local_time(day: date, moment: datetime, tz: ZoneInfo) -> datetime:
    """`day` at the local wall time of `moment`, in UTC."""
    return datetime.combine(day, moment.astimezone(tz).time(), tzinfo=tz).astimezone(UTC)


def _open_days(calendar: BusinessCalendar, tz: ZoneInfo, after: datetime):
    """Local dates with open time, from the day of `after` on, each with its intervals."""
    current: date | None = None
    intervals: list[tuple[datetime, datetime]] = []
    for begin, end in open_intervals(calendar, tz, after):
        day = begin.astimezone(tz).date()
        if current is not None and day != current:
            yield current, intervals
            intervals = []
        current = day
        intervals.append((begin, end))
    if current is not None:
        yield current, intervals


def add_business_days(start: datetime, days: int, calendar: BusinessCalendar, tz: ZoneInfo) -> datetime:
    """The same local time of day `days` open days after `start`'s day, moved into open
    hours. A calendar without open time counts every day."""
    start_day = start.astimezone(tz).date()
    if not calendar.has_open_time:
        return _at_local_time(start_day + timedelta(days=days), start, tz)
    counted = 0
    for day, _ in _open_days(calendar, tz, start):
        if day > start_day:
            counted += 1
            if counted == days:
                return add_business_time(_at_local_time(day, start, tz), timedelta(0), calendar, tz)
    return start + timedelta(days=days)  # no open day within the horizon


def _position(moment: datetime, intervals: list[tuple[datetime, datetime]]) -> timedelta:
    """Open time from the day's first opening to `moment`."""
    return sum((min(end, moment) - begin for begin, end in intervals if begin < moment), timedelta(0))


def _at_position(position: timedelta, intervals: list[tuple[datetime, datetime]]) -> datetime:
    for begin, end in intervals:
        if position <= end - begin:
            return begin + position
        position -= end - begin
    return intervals[-1][1]


def vary(base: datetime, previous: datetime, business: bool, calendar: BusinessCalendar, tz: ZoneInfo) -> datetime:
    """`base` moved VARY_SHIFT later in its day (open time, wrapping), after `previous`."""
    if business and calendar.has_open_time:
        days = _open_days(calendar, tz, base)
        first = next(days, None)
        if first is None:
            return base
        intervals = first[1]
        total = _position(intervals[-1][1], intervals)
        if total <= timedelta(0):
            return base
        shifted = (_position(base, intervals) + VARY_SHIFT) % total
        candidate = _at_position(shifted, intervals)
        if candidate <= previous:
            for _, next_intervals in days:
                next_total = _position(next_intervals[-1][1], next_intervals)
                candidate = _at_position(min(shifted, next_total), next_intervals)
                if candidate > previous:
                    break
        return candidate
    local = base.astimezone(tz)
    seconds = (local.hour * 3600 + local.minute * 60 + local.second + VARY_SHIFT.total_seconds()) % 86400
    wall = time(int(seconds // 3600), int(seconds % 3600 // 60), int(seconds % 60), local.microsecond)
    candidate = datetime.combine(local.date(), wall, tzinfo=tz).astimezone(UTC)
    if candidate <= previous:
        candidate = datetime.combine(local.date() + DAY, wall, tzinfo=tz).astimezone(UTC)
    return candidate


def next_due(anchor: datetime, rule: StepRule, calendar: BusinessCalendar, tz: ZoneInfo) -> datetime:
    """When `rule` is due when the previous step was (or was due) at `anchor`."""
    business = rule.business_hours_only and calendar.has_open_time
    if _is_whole_days(rule.delay):
        days = rule.delay // DAY
        if business:
            due = add_business_days(anchor, days, calendar, tz)
        else:
            due = _at_local_time(anchor.astimezone(tz).date() + timedelta(days=days), anchor, tz)
    elif business:
        due = add_business_time(anchor, rule.delay, calendar, tz)
    else:
        due = anchor.astimezone(UTC) + rule.delay
    if rule.vary_time_of_day:
        due = vary(due, anchor, business, calendar, tz)
    return due


def plan(
    rules: Sequence[StepRule], start: datetime, calendar: BusinessCalendar, tz: ZoneInfo, facts: LeadFacts
) -> list[PlannedTime]:
    """Every step's due time from `start`, each after the previous one's."""
    planned, anchor = [], start
    for rule in sorted(rules, key=lambda rule: rule.number):
        anchor = next_due(anchor, rule, calendar, tz)
        planned.append(PlannedTime(rule.number, rule.channel, anchor, skip_reason(rule, facts)))
    return planned


def catch_up(
    due: datetime, now: datetime, business_hours_only: bool, calendar: BusinessCalendar, tz: ZoneInfo
) -> datetime | None:
    """The downtime rule for an email/SMS step found overdue: None to send it now, else
    the time to reschedule it to.

    - At most ON_TIME (5 min) late: send now (scheduler jitter, a busy worker; a step due
      at 16:59:59 still goes at 17:00:01).
    - Later than that, send now only at a time the lead may get it: inside the lead's
      business hours, or, for a step not limited to business hours, within LATE_LIMIT (2 h)
      of its due time.
    - Otherwise (a worker back at 3 AM, a night-time step hours late) it is rescheduled
      to the lead's next business-hours opening, never fired in the middle of the night.

    Call and task steps are not subject to this: they stay due (they are the rep's to-do).
    """
    late = now - due
    if late <= ON_TIME:
        return None
    if is_open(now, calendar, tz):
        return None
    if not business_hours_only and late <= LATE_LIMIT:
        return None
    return add_business_time(now, timedelta(0), calendar, tz)
