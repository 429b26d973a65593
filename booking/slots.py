"""Free meeting slots, as pure functions (no database, no clock): tested with tables of cases.

A rep's calendar is their weekly working hours read in *their* time zone, their leave days
(also their dates), and busy times (meetings booked in LeadOps, busy times of their own
calendar feed). Slots are laid on a grid from the opening of each working window, one
slot length apart, in absolute time - so a window on a day that changes its UTC offset
still gives slots of the right length. A slot is offered when it fits inside its window,
starts at least `notice` from now and before now + `horizon`, and stays `buffer` away from
every busy time. Times go in and out as aware datetimes (UTC out); the page shows them in
the lead's zone (`by_local_day`)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Reps without working hours of their own work Mon-Fri 09:00-17:00 (as routing reads them).
STANDARD_HOURS: dict[int, tuple[tuple[time, time], ...]] = {weekday: ((time(9), time(17)),) for weekday in range(5)}
END_OF_DAY = time(23, 59)  # a window closing at 23:59 or later runs to midnight


@dataclass(frozen=True)
class SlotRules:
    """A team's booking settings (booking.models.BookingSettings), defaults of SPEC §3.11."""

    length: timedelta = timedelta(minutes=30)
    buffer: timedelta = timedelta(minutes=10)
    notice: timedelta = timedelta(minutes=15)
    horizon: timedelta = timedelta(days=14)

    def __post_init__(self):
        if self.length <= timedelta(0):
            raise ValueError("a slot must last longer than zero")


DEFAULT_RULES = SlotRules()


@dataclass(frozen=True)
class RepCalendar:
    tz: ZoneInfo
    hours: Mapping[int, tuple[tuple[time, time], ...]]  # weekday (Monday 0) -> windows; empty: standard hours
    leave: tuple[tuple[date, date], ...] = ()  # first and last day (inclusive), the rep's dates
    busy: tuple[tuple[datetime, datetime], ...] = ()


# Why a chosen time cannot be booked ("" when it can).
TOO_SOON, BEYOND_HORIZON, NOT_OFFERED, TAKEN = "too_soon", "beyond_horizon", "not_offered", "taken"


def wall_clock(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """A wall-clock time of a day in a zone, in UTC. A time skipped by a DST change (02:30
    on a spring-forward night) falls after the gap; a repeated one is its first occurrence."""
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def _on_leave(day: date, leave: Iterable[tuple[date, date]]) -> bool:
    return any(first <= day <= last for first, last in leave)


def working_windows(calendar: RepCalendar, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The rep's working windows (whole, not clipped) that overlap [start, end), in order."""
    hours = calendar.hours or STANDARD_HOURS
    day = start.astimezone(calendar.tz).date() - timedelta(days=1)
    last_day = end.astimezone(calendar.tz).date()
    windows = []
    while day <= last_day:
        if not _on_leave(day, calendar.leave):
            for opens, closes in hours.get(day.weekday(), ()):
                window_start = wall_clock(day, opens, calendar.tz)
                if closes >= END_OF_DAY:
                    window_end = wall_clock(day + timedelta(days=1), time(0), calendar.tz)
                else:
                    window_end = wall_clock(day, closes, calendar.tz)
                if window_start < window_end and window_start < end and window_end > start:
                    windows.append((window_start, window_end))
        day += timedelta(days=1)
    return sorted(windows)


def _grid(calendar: RepCalendar, length: timedelta, start: datetime, end: datetime) -> list[datetime]:
    """Every slot start in the working windows, from each window's opening, one length apart."""
    starts = []
    for window_start, window_end in working_windows(calendar, start, end):
        moment = window_start
        while moment + length <= window_end:
            if start <= moment < end:
                starts.append(moment)
            moment += length
    return sorted(set(starts))


class _Busy:
    """Busy times widened by the buffer and merged, for quick overlap checks."""

    def __init__(self, busy: Iterable[tuple[datetime, datetime]], buffer: timedelta):
        merged: list[list[datetime]] = []
        for busy_start, busy_end in sorted((s - buffer, e + buffer) for s, e in busy if e > s):
            if merged and busy_start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], busy_end)
            else:
                merged.append([busy_start, busy_end])
        self.starts = [interval[0] for interval in merged]
        self.ends = [interval[1] for interval in merged]

    def overlaps(self, start: datetime, end: datetime) -> bool:
        # The last merged interval starting before `end` has the latest end of all of them.
        index = bisect_left(self.starts, end) - 1
        return index >= 0 and self.ends[index] > start


def free_slots(calendar: RepCalendar, rules: SlotRules, now: datetime, *, limit: int | None = None) -> list[datetime]:
    """The rep's free slot starts (UTC), soonest first."""
    earliest, latest = now + rules.notice, now + rules.horizon
    busy = _Busy(calendar.busy, rules.buffer)
    slots = []
    for start in _grid(calendar, rules.length, earliest, latest):
        if not busy.overlaps(start, start + rules.length):
            slots.append(start)
            if limit is not None and len(slots) >= limit:
                break
    return slots


def slot_problem(calendar: RepCalendar, rules: SlotRules, now: datetime, start: datetime) -> str:
    """Why `start` cannot be booked with this rep now: TOO_SOON, BEYOND_HORIZON,
    NOT_OFFERED (not a slot of their hours), TAKEN (busy or within a buffer); "" if free."""
    if start < now + rules.notice:
        return TOO_SOON
    if start >= now + rules.horizon:
        return BEYOND_HORIZON
    if start not in _grid(calendar, rules.length, start, start + timedelta(microseconds=1)):
        return NOT_OFFERED
    if _Busy(calendar.busy, rules.buffer).overlaps(start, start + rules.length):
        return TAKEN
    return ""


def pooled_slots(
    calendars: Mapping[int, RepCalendar], rules: SlotRules, now: datetime, *, limit: int | None = None
) -> list[tuple[datetime, tuple[int, ...]]]:
    """A team's slots: every start at which at least one rep is free, with who is free then."""
    free_at: dict[datetime, list[int]] = {}
    for rep_id, calendar in calendars.items():
        for start in free_slots(calendar, rules, now, limit=limit):
            free_at.setdefault(start, []).append(rep_id)
    pooled = sorted((start, tuple(sorted(rep_ids))) for start, rep_ids in free_at.items())
    return pooled[:limit] if limit is not None else pooled


def by_local_day(slots: Iterable[datetime], tz: ZoneInfo) -> list[tuple[date, list[datetime]]]:
    """Slots grouped by the lead's calendar day, each shown in the lead's zone."""
    days: dict[date, list[datetime]] = {}
    for start in sorted(slots):
        local = start.astimezone(tz)
        days.setdefault(local.date(), []).append(local)
    return sorted(days.items())
