"""Business-time response over many leads (reports/business_time.py) agrees with the SLA
clock's own `business_seconds_between`, case by case, in Python and in SQL."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from leads import sla
from leads.models import Lead
from reports import business_time
from reports.tests.metrics_data import make_lead

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
US_WEEK = sla.BusinessCalendar(weekly_hours=sla.STANDARD_WEEK, holiday_country="US")
LUNCH_BREAK = sla.BusinessCalendar(
    weekly_hours={day: ((time(9), time(12)), (time(13), time(17, 30))) for day in range(5)}
)
OVERLAPPING = sla.BusinessCalendar(weekly_hours={0: ((time(9), time(13)), (time(12), time(17)))})
CLOSED = sla.BusinessCalendar(weekly_hours={}, closed_dates=frozenset())
WITH_CLOSED_DAY = sla.BusinessCalendar(weekly_hours=sla.STANDARD_WEEK, closed_dates=frozenset({date(2026, 11, 18)}))


def span(calendar, tz, start: datetime, end: datetime) -> float:
    times = business_time.open_time(calendar, tz, start.astimezone(tz).date(), end.astimezone(tz).date())
    return times.between(start, end)


@pytest.mark.parametrize(
    ("calendar", "tz", "start", "end", "seconds"),
    [
        # Friday 16:58 -> Monday 09:01: 2 min on Friday, 1 on Monday.
        (US_WEEK, NY, datetime(2026, 11, 13, 16, 58, tzinfo=NY), datetime(2026, 11, 16, 9, 1, tzinfo=NY), 180),
        # Thanksgiving (US holiday) counts nothing.
        (US_WEEK, NY, datetime(2026, 11, 25, 17, tzinfo=NY), datetime(2026, 11, 27, 9, 30, tzinfo=NY), 1800),
        # A lunch break is closed time.
        (LUNCH_BREAK, LONDON, datetime(2026, 11, 16, 11, 30, tzinfo=LONDON),
         datetime(2026, 11, 16, 13, 30, tzinfo=LONDON), 3600),
        # Overlapping hours count once.
        (OVERLAPPING, NY, datetime(2026, 11, 16, 8, tzinfo=NY), datetime(2026, 11, 16, 18, tzinfo=NY), 8 * 3600),
        # No open time at all: wall-clock seconds (as the SLA clock counts then).
        (CLOSED, NY, datetime(2026, 11, 14, 8, tzinfo=NY), datetime(2026, 11, 14, 9, tzinfo=NY), 3600),
        # A custom closed day.
        (WITH_CLOSED_DAY, NY, datetime(2026, 11, 17, 16, tzinfo=NY), datetime(2026, 11, 19, 10, tzinfo=NY), 7200),
        # End before start: negative, like business_seconds_between.
        (US_WEEK, NY, datetime(2026, 11, 16, 10, tzinfo=NY), datetime(2026, 11, 16, 9, 30, tzinfo=NY), -1800),
    ],
)  # fmt: skip
def test_it_counts_open_seconds_like_the_sla_clock(calendar, tz, start, end, seconds):
    assert span(calendar, tz, start, end) == seconds
    assert sla.business_seconds_between(start, end, calendar, tz) == seconds


@pytest.mark.parametrize("calendar", [US_WEEK, LUNCH_BREAK, WITH_CLOSED_DAY], ids=["us", "lunch", "closed-day"])
@pytest.mark.parametrize("tz", [NY, LONDON, ZoneInfo("Asia/Kolkata")], ids=["ny", "london", "kolkata"])
def test_it_agrees_with_the_sla_clock_on_random_spans_across_dst(calendar, tz):
    rng = random.Random(7)
    origin = datetime(2026, 3, 1, tzinfo=UTC)  # spans the March and November DST changes
    for _ in range(150):
        start = origin + timedelta(seconds=rng.uniform(0, 270 * 86400))
        end = start + timedelta(seconds=rng.choice([rng.uniform(0, 3600), rng.uniform(0, 12 * 86400)]))
        expected = sla.business_seconds_between(start, end, calendar, tz)
        assert span(calendar, tz, start, end) == pytest.approx(expected, abs=1e-6)


def test_it_spans_more_than_the_sla_horizon():
    start, end = datetime(2020, 1, 6, 9, tzinfo=NY), datetime(2026, 1, 5, 10, tzinfo=NY)
    times = business_time.open_time(sla.STANDARD_CALENDAR, NY, start.date(), end.date())
    weekdays = sum(1 for n in range((end.date() - start.date()).days) if (start.date() + timedelta(n)).weekday() < 5)
    assert times.between(start, end) == weekdays * 8 * 3600 + 3600


@pytest.mark.django_db
def test_the_sql_mean_matches_the_python_clock_per_lead(lead_source, settings):
    rng = random.Random(11)
    zones = ["America/New_York", "Europe/London", "America/Los_Angeles"]
    for index in range(40):
        submitted = datetime(2026, 11, 2, tzinfo=UTC) + timedelta(seconds=rng.uniform(0, 20 * 86400))
        first = submitted + timedelta(seconds=rng.uniform(0, 3 * 86400))
        lead = make_lead(lead_source, f"R{index}", submitted=submitted, attempts=(("no_answer", first),))
        Lead.objects.filter(pk=lead.pk).update(
            resolved_time_zone=zones[index % 3], country=["US", "GB", "US"][index % 3]
        )
    calendar_by_country = {
        "US": business_time.calendar_for(None, "US"),
        "GB": business_time.calendar_for(None, "GB"),
    }
    leads = Lead.objects.filter(first_attempt_at__isnull=False)
    expected = sum(
        sla.business_seconds_between(
            lead.submitted_at,
            lead.first_attempt_at,
            calendar_by_country[lead.country],
            ZoneInfo(lead.resolved_time_zone),
        )
        for lead in leads
    ) / len(leads)
    assert business_time.business_mean(leads) == pytest.approx(expected, abs=1e-6)
