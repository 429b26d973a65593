"""The SLA clock of SPEC §3.2-3.3 as pure functions: business time in the lead's zone.

Weekly hours are local wall times read in the *lead's* time zone; days are skipped when
they are custom closed days or public holidays of the lead's country - and of its state
or province where the `holidays` package knows them (Malaysia's states: a lead in Kuala
Lumpur has Federal Territory Day off, one in Johor the Sultan's birthday). Durations are
counted in real seconds (UTC arithmetic), so a DST day is as long as it really is.
Open intervals are half-open: a lead at exactly 17:00 arrives after closing.
All datetimes must be aware; results are in UTC.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

if TYPE_CHECKING:
    from leads.models import SlaPolicy

# When no policy matches (SPEC §3.1 "cold" targets): never leave a lead without a clock.
FALLBACK_ASSIGN_WITHIN = timedelta(minutes=15)
FALLBACK_FIRST_CONTACT_WITHIN = timedelta(hours=4)

# How far ahead the clock looks for open time before giving up (then: wall clock).
HORIZON_DAYS = 3 * 366

Hours = tuple[tuple[time, time], ...]
STANDARD_WEEK: dict[int, Hours] = {weekday: ((time(9), time(17)),) for weekday in range(5)}


@functools.lru_cache(maxsize=512)
def public_holidays(country: str, year: int, subdivision: str = "") -> frozenset[date]:
    """The public holidays of a country (ISO code) in a year, with those of one of its
    subdivisions (a `holidays` code such as "KUL" or "14"); none for unknown codes."""
    if not country:
        return frozenset()
    try:
        return frozenset(holidays.country_holidays(country.upper(), subdiv=subdivision or None, years=year))
    except NotImplementedError:
        return frozenset()


def _holiday_class(country: str):
    try:
        return holidays.country_holidays(country.upper()).__class__ if country else None
    except NotImplementedError:
        return None


@functools.lru_cache(maxsize=256)
def holiday_subdivisions(country: str) -> dict[str, str]:
    """Every way of naming a subdivision of a country that the `holidays` package knows
    (its codes, ISO 3166-2 codes and names, folded to lower case) -> its canonical code.
    Empty for a country without subdivisions there (Indonesia, in holidays 0.109)."""
    known = _holiday_class(country)
    if known is None:
        return {}
    names: dict[str, str] = {}
    for code in getattr(known, "subdivisions", ()):
        names[code.lower()] = code
        names[f"{country}-{code}".lower()] = code
    for alias, code in getattr(known, "subdivisions_aliases", {}).items():
        for name in (alias, alias.removeprefix("Wilayah Persekutuan ")):
            names.setdefault(name.lower(), code)
            names.setdefault(f"{country}-{name}".lower(), code)
    return names


def subdivision_of(country: str, region: str) -> str:
    """The holiday subdivision a lead's region names ("KUL", "Johor", "MY-10"), or "".
    Only for the countries of LEADOPS_REGIONAL_HOLIDAY_COUNTRIES (default MY), where a
    state's holidays close businesses; a US state's are mostly its government's."""
    country = country.upper()
    if not region or country not in settings.LEADOPS_REGIONAL_HOLIDAY_COUNTRIES:
        return ""
    return holiday_subdivisions(country).get(" ".join(region.split()).lower(), "")


def parse_holiday_area(area: str) -> tuple[str, str]:
    """A schedule's "MY-KUL" (country, then the subdivision's code or name) -> ("MY", "14").
    Raises ValueError with a sentence saying what is accepted."""
    country, _, subdivision = area.strip().partition("-")
    country = country.upper()
    if len(country) != 2 or _holiday_class(country) is None:
        raise ValueError(f"{area!r}: {country!r} is not a country the holidays package knows (ISO 3166-1 alpha-2).")
    known = holiday_subdivisions(country)
    if not known:
        raise ValueError(f"{area!r}: the holidays package has no subdivisions for {country}; name the country alone.")
    code = known.get(" ".join(subdivision.split()).lower(), "")
    if not code:
        raise ValueError(f"{area!r}: unknown subdivision of {country}. Known: {_known_list(country)}.")
    return country, code


def _known_list(country: str) -> str:
    """ "MY-01 (JHR, Johor), MY-02 (KDH, Kedah), …": each code with its other names."""
    aliases: dict[str, list[str]] = {}
    for alias, code in getattr(_holiday_class(country), "subdivisions_aliases", {}).items():
        aliases.setdefault(code, []).append(alias)
    codes = sorted(set(holiday_subdivisions(country).values()))
    return ", ".join(
        f"{country}-{code}" + (f" ({', '.join(sorted(aliases[code], key=len))})" if aliases.get(code) else "")
        for code in codes
    )


@dataclass(frozen=True)
class BusinessCalendar:
    """When a lead's clock runs; `weekly_hours` are read in the lead's time zone."""

    weekly_hours: dict[int, Hours]  # weekday (0 = Monday) -> open intervals, local wall time
    closed_dates: frozenset[date] = frozenset()
    holiday_country: str = ""  # "" = no public holidays
    observe_public_holidays: bool = True
    holiday_subdivision: str = ""  # a `holidays` subdivision code of holiday_country ("14"), "" = national only

    def is_closed_date(self, day: date) -> bool:
        if day in self.closed_dates:
            return True
        return self.observe_public_holidays and day in public_holidays(
            self.holiday_country, day.year, self.holiday_subdivision
        )

    @property
    def has_open_time(self) -> bool:
        return any(opens < closes for hours in self.weekly_hours.values() for opens, closes in hours)


# The SPEC default (Mon-Fri 09:00-17:00) for a lead without a schedule. It observes no
# public holidays: use dataclasses.replace(STANDARD_CALENDAR, holiday_country=...) for that.
STANDARD_CALENDAR = BusinessCalendar(weekly_hours=STANDARD_WEEK)


def calendar_from_schedule(schedule, country: str, region: str = "") -> BusinessCalendar:
    """A business schedule (routing.models.BusinessSchedule, the lead source's or the
    default; `hours` and `closed_days` prefetched) for a lead of `country` and `region`.

    Holidays are the lead's: its country's, plus its state's when its region names one;
    else the state the schedule names for that country (`holiday_subdivisions`).

    Kept on the schedule object per country and region: the configuration cache
    (leads.policies) hands out the same object until an edit replaces it."""
    memo = schedule.__dict__.setdefault("_calendars", {})
    key = (country, region)
    if key not in memo:
        memo[key] = _calendar(schedule, country, region)
    return memo[key]


def _calendar(schedule, country: str, region: str) -> BusinessCalendar:
    weekly: dict[int, list[tuple[time, time]]] = {}
    for row in schedule.hours.all():
        weekly.setdefault(row.weekday, []).append((row.opens, row.closes))
    return BusinessCalendar(
        weekly_hours={weekday: tuple(sorted(hours)) for weekday, hours in weekly.items()},
        closed_dates=frozenset(closed.date for closed in schedule.closed_days.all()),
        holiday_country=country.upper(),
        observe_public_holidays=schedule.observe_public_holidays,
        holiday_subdivision=subdivision_of(country, region) or _schedule_subdivision(schedule, country),
    )


def _schedule_subdivision(schedule, country: str) -> str:
    for area in getattr(schedule, "holiday_subdivisions", None) or ():
        try:
            area_country, code = parse_holiday_area(area)
        except ValueError:
            continue  # validated on save; an old or hand-written row must not stop the clock
        if area_country == country.upper():
            return code
    return ""


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("the SLA clock needs aware datetimes")
    return moment.astimezone(UTC)


def open_intervals(
    calendar: BusinessCalendar, tz: ZoneInfo, start_utc: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """The open (opens, closes) intervals in UTC, in order, from the local day of
    `start_utc` on (including that day's earlier intervals), for at most HORIZON_DAYS."""
    if not calendar.has_open_time:
        return
    first_day = _utc(start_utc).astimezone(tz).date()
    for offset in range(HORIZON_DAYS):
        day = first_day + timedelta(days=offset)
        hours = calendar.weekly_hours.get(day.weekday(), ())
        if not hours or calendar.is_closed_date(day):
            continue
        for opens, closes in sorted(hours):
            begin = datetime.combine(day, opens, tzinfo=tz).astimezone(UTC)
            end = datetime.combine(day, closes, tzinfo=tz).astimezone(UTC)
            if begin < end:
                yield begin, end


def add_business_time(start: datetime, duration: timedelta, calendar: BusinessCalendar, tz: ZoneInfo) -> datetime:
    """`start` plus `duration` of open time. A due time landing exactly on a closing time
    stays there; from the next second on it moves to the next opening. A calendar without
    open time (or none within the horizon) counts wall-clock time instead."""
    start = _utc(start)
    remaining, cursor = duration, start
    for begin, end in open_intervals(calendar, tz, start):
        if end <= cursor:
            continue
        cursor = max(cursor, begin)
        if remaining <= end - cursor:
            return cursor + remaining
        remaining -= end - cursor
        cursor = end
    return start + duration


def is_open(at: datetime, calendar: BusinessCalendar, tz: ZoneInfo) -> bool:
    """Whether `at` falls in open time. A calendar without open time is always open
    (its clock runs in wall-clock time)."""
    if not calendar.has_open_time:
        return True
    at = _utc(at)
    for begin, end in open_intervals(calendar, tz, at):
        if end > at:
            return begin <= at
    return False


def close_of_business_day(at: datetime, calendar: BusinessCalendar, tz: ZoneInfo) -> datetime:
    """The last closing time of the business day `at` belongs to: the same day while it
    is open or before it opens, else the next business day. Without open time: the
    end of the local day."""
    at = _utc(at)
    intervals = (interval for interval in open_intervals(calendar, tz, at) if interval[1] > at)
    first = next(intervals, None)
    if first is None:
        next_day = at.astimezone(tz).date() + timedelta(days=1)
        return datetime.combine(next_day, time(0), tzinfo=tz).astimezone(UTC)
    business_day = first[0].astimezone(tz).date()
    closing = first[1]
    for begin, end in intervals:
        if begin.astimezone(tz).date() != business_day:
            break
        closing = max(closing, end)
    return closing


def business_seconds_between(start: datetime, end: datetime, calendar: BusinessCalendar, tz: ZoneInfo) -> float:
    """Open seconds from `start` to `end` (negative when `end` comes first); wall-clock
    seconds for a calendar without open time."""
    start, end = _utc(start), _utc(end)
    if end < start:
        return -business_seconds_between(end, start, calendar, tz)
    if not calendar.has_open_time:
        return (end - start).total_seconds()
    total, cursor = timedelta(0), start
    for begin, close in open_intervals(calendar, tz, start):
        if begin >= end:
            break
        low, high = max(cursor, begin), min(close, end)
        if high > low:
            total += high - low
            cursor = high
    return total.total_seconds()


@dataclass(frozen=True)
class SlaTargets:
    policy_id: int | None
    assign_by: datetime
    first_contact_by: datetime
    reassign_after: timedelta | None
    after_hours: bool


def compute_sla(
    *,
    policies: Sequence[SlaPolicy],
    submitted_at: datetime,
    temperature: str,
    inquiry_type: str,
    source: str,
    segment: str,
    named_account: bool,
    calendar: BusinessCalendar,
    tz: ZoneInfo,
) -> SlaTargets:
    """The targets of the first active policy (in the order given) that matches the lead;
    FALLBACK_* targets in business time when none does."""
    conditions = dict(
        temperature=temperature, inquiry_type=inquiry_type, source=source, segment=segment, named_account=named_account
    )
    policy = next((policy for policy in policies if policy.active and policy.matches(**conditions)), None)
    after_hours = not is_open(submitted_at, calendar, tz)
    if policy is None:
        return SlaTargets(
            policy_id=None,
            assign_by=add_business_time(submitted_at, FALLBACK_ASSIGN_WITHIN, calendar, tz),
            first_contact_by=add_business_time(submitted_at, FALLBACK_FIRST_CONTACT_WITHIN, calendar, tz),
            reassign_after=None,
            after_hours=after_hours,
        )

    def due(within: timedelta) -> datetime:
        if policy.business_hours:
            return add_business_time(submitted_at, within, calendar, tz)
        return _utc(submitted_at) + within

    first_contact_targets = []
    if policy.first_contact_by_close_of_day:
        first_contact_targets.append(close_of_business_day(submitted_at, calendar, tz))
    if policy.first_contact_within is not None:
        first_contact_targets.append(due(policy.first_contact_within))
    return SlaTargets(
        policy_id=policy.pk,
        assign_by=due(policy.assign_within),
        first_contact_by=min(first_contact_targets) if first_contact_targets else due(FALLBACK_FIRST_CONTACT_WITHIN),
        reassign_after=policy.reassign_after,
        after_hours=after_hours,
    )
