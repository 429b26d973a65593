"""The range of dates a report may ask for.

Report filters take dates and datetimes from query strings and the command line. Python's
datetime ends at 9999-12-31, and a far date with an extreme offset has no UTC equivalent
(`0001-01-01T00:00-23:59`), so `until=9999-12-31` (whose day after is asked for) or such
a `since` raised OverflowError in the middle of a report. Leads exist from 2000 on (the
intake refuses earlier dates), so reports accept that century and nothing else."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django import forms

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
OUT_OF_RANGE = f"Use a date between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}."


def check_day(day: date) -> date:
    """The day, when a report may cover it; else a ValidationError with the range."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise forms.ValidationError(OUT_OF_RANGE)
    return day


def check_moment(moment: datetime) -> datetime:
    """An aware datetime whose own calendar day is in the report range, in UTC: converting
    it cannot overflow then (its offset is less than a day), and PostgreSQL, which takes
    offsets up to 15:59 only, never sees its original one (-23:59 is valid in Python)."""
    check_day(moment.date())
    return moment.astimezone(UTC)
