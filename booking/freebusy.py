"""Busy times from a rep's iCalendar feed (RFC 5545), as a pure function of the feed's bytes.

Read with `icalendar`; recurring events (RRULE, RDATE, EXDATE, moved occurrences) are
expanded with `recurring_ical_events` over the window asked for. What counts as busy:
- VEVENTs, unless TRANSP:TRANSPARENT ("show as free") or STATUS:CANCELLED; an all-day
  event blocks its whole days in the rep's zone; a time without a zone ("floating") is
  read in the rep's zone;
- VFREEBUSY periods, unless FBTYPE=FREE (BUSY, BUSY-TENTATIVE, BUSY-UNAVAILABLE all block).
A feed that cannot be parsed raises FeedError (the caller keeps the last good copy)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

MAX_INTERVALS = 5000  # a feed's busy times kept for one rep (the next weeks only)


class FeedError(ValueError):
    """The feed is not a readable iCalendar file."""


def _moment(value, tz: ZoneInfo) -> datetime:
    """An ICS date or date-time as an aware UTC datetime (dates: midnight in the rep's zone)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=tz)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=tz).astimezone(UTC)
    raise FeedError(f"not a date or time: {value!r}")


def _event_interval(event, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
        return None
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return None
    start_prop = event.get("DTSTART")
    if start_prop is None:
        return None
    start = _moment(start_prop.dt, tz)
    end_prop, duration = event.get("DTEND"), event.get("DURATION")
    if end_prop is not None:
        end = _moment(end_prop.dt, tz)
    elif duration is not None:
        end = start + duration.dt
    elif isinstance(start_prop.dt, datetime):
        end = start  # RFC 5545: an instant; it blocks nothing
    else:
        end = _moment(start_prop.dt + timedelta(days=1), tz)
    return (start, end) if end > start else None


def _free_busy_periods(component, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    periods = component.get("FREEBUSY")
    if periods is None:
        return []
    periods = periods if isinstance(periods, list) else [periods]
    intervals = []
    for period in periods:
        kind = str(period.params.get("FBTYPE", "BUSY")).upper()
        if kind == "FREE":
            continue
        start, end_or_duration = period.dt
        start = _moment(start, tz)
        end = start + end_or_duration if isinstance(end_or_duration, timedelta) else _moment(end_or_duration, tz)
        if end > start:
            intervals.append((start, end))
    return intervals


def busy_times(feed: bytes | str, start: datetime, end: datetime, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """The busy intervals of the feed that overlap [start, end), merged and sorted (UTC)."""
    try:
        calendar = icalendar.Calendar.from_ical(feed)
    except (ValueError, IndexError, KeyError, TypeError) as error:
        raise FeedError(f"not an iCalendar file: {error}") from error
    if isinstance(calendar, list):  # several VCALENDARs in one file
        calendars = calendar
    else:
        calendars = [calendar]
    intervals: list[tuple[datetime, datetime]] = []
    try:
        for cal in calendars:
            for event in recurring_ical_events.of(cal).between(start, end):
                interval = _event_interval(event, tz)
                if interval:
                    intervals.append(interval)
            for component in cal.walk("VFREEBUSY"):
                intervals.extend(_free_busy_periods(component, tz))
    except FeedError:
        raise
    except Exception as error:  # the libraries raise many kinds on malformed input
        raise FeedError(f"could not read the feed's events: {error}") from error
    return merge([(s, e) for s, e in intervals if s < end and e > start])[:MAX_INTERVALS]


def merge(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[list[datetime]] = []
    for interval_start, interval_end in sorted(intervals):
        if merged and interval_start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], interval_end)
        else:
            merged.append([interval_start, interval_end])
    return [(s, e) for s, e in merged]
