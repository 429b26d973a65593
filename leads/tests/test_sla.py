"""The SLA clock (leads/sla.py) and the lead time zone resolver, as tables of cases.

Unless a case says otherwise: Mon-Fri 09:00-17:00 in the lead's zone, a hot 3-minute
target, dates in 2026 (June 5 is a Friday)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from leadops.timezones import resolve_time_zone
from leads.models import SlaPolicy
from leads.sla import (
    FALLBACK_ASSIGN_WITHIN,
    FALLBACK_FIRST_CONTACT_WITHIN,
    STANDARD_CALENDAR,
    STANDARD_WEEK,
    BusinessCalendar,
    add_business_time,
    business_seconds_between,
    calendar_from_schedule,
    close_of_business_day,
    compute_sla,
    is_open,
    open_intervals,
)

HOT = timedelta(minutes=3)
NEW_YORK = "America/New_York"

WEEK = STANDARD_CALENDAR
US_WEEK = BusinessCalendar(weekly_hours=STANDARD_WEEK, holiday_country="US")
GB_WEEK = BusinessCalendar(weekly_hours=STANDARD_WEEK, holiday_country="GB")
SPLIT_WEEK = BusinessCalendar(weekly_hours={day: ((time(9), time(12)), (time(13), time(17))) for day in range(5)})
ALMOST_ALWAYS = BusinessCalendar(weekly_hours={day: ((time(0), time(23)),) for day in range(7)})


def local(zone_name: str, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone_name))


def as_local(moment: datetime, zone_name: str) -> str:
    return moment.astimezone(ZoneInfo(zone_name)).strftime("%Y-%m-%d %H:%M:%S")


def policy(name: str, **fields) -> SlaPolicy:
    fields.setdefault("first_contact_within", HOT)
    return SlaPolicy(name=name, **fields)


def targets(policies, submitted_at: datetime, calendar=WEEK, zone_name=NEW_YORK, **lead):
    lead = {
        "temperature": "hot",
        "inquiry_type": "demo_request",
        "source": "paid_ads",
        "segment": "b2b",
        "named_account": False,
        **lead,
    }
    return compute_sla(policies=policies, submitted_at=submitted_at, calendar=calendar, tz=ZoneInfo(zone_name), **lead)


@pytest.mark.parametrize(
    "zone_name, submitted, target, calendar, due",
    [
        pytest.param(NEW_YORK, "2026-06-05 16:58", HOT, WEEK, "2026-06-08 09:01:00", id="friday-16:58"),
        pytest.param(NEW_YORK, "2026-06-05 20:00", HOT, WEEK, "2026-06-08 09:03:00", id="friday-evening"),
        pytest.param(NEW_YORK, "2026-06-06 14:00", HOT, WEEK, "2026-06-08 09:03:00", id="saturday-afternoon"),
        pytest.param(NEW_YORK, "2026-06-09 16:57", HOT, WEEK, "2026-06-09 17:00:00", id="due-exactly-at-closing"),
        pytest.param(
            NEW_YORK, "2026-06-09 16:57", HOT + timedelta(seconds=1), WEEK, "2026-06-10 09:00:01", id="one-second-more"
        ),
        pytest.param(NEW_YORK, "2026-06-09 17:00", HOT, WEEK, "2026-06-10 09:03:00", id="at-closing-time"),
        pytest.param(NEW_YORK, "2026-06-09 10:00", HOT, WEEK, "2026-06-09 10:03:00", id="tuesday-morning"),
        pytest.param(NEW_YORK, "2026-06-09 08:00", HOT, WEEK, "2026-06-09 09:03:00", id="before-opening"),
        pytest.param(NEW_YORK, "2026-06-09 10:00", timedelta(hours=16), WEEK, "2026-06-11 10:00:00", id="two-days"),
        pytest.param(NEW_YORK, "2026-06-09 11:59", HOT, SPLIT_WEEK, "2026-06-09 13:02:00", id="lunch-break"),
        pytest.param(
            "America/Chicago", "2026-09-04 16:58", HOT, US_WEEK, "2026-09-08 09:01:00", id="us-labor-day-monday"
        ),
        pytest.param(
            "America/Chicago",
            "2026-09-04 16:58",
            HOT,
            BusinessCalendar(weekly_hours=STANDARD_WEEK, holiday_country="US", observe_public_holidays=False),
            "2026-09-07 09:01:00",
            id="holidays-not-observed",
        ),
        pytest.param(
            "Europe/London", "2026-05-22 16:58", HOT, GB_WEEK, "2026-05-26 09:01:00", id="uk-spring-bank-holiday"
        ),
        pytest.param(
            NEW_YORK,
            "2026-06-05 16:58",
            HOT,
            BusinessCalendar(weekly_hours=STANDARD_WEEK, holiday_country="ZZ"),
            "2026-06-08 09:01:00",
            id="unknown-holiday-country",
        ),
        pytest.param(
            NEW_YORK,
            "2026-06-05 16:58",
            HOT,
            BusinessCalendar(weekly_hours=STANDARD_WEEK, closed_dates=frozenset({date(2026, 6, 8)})),
            "2026-06-09 09:01:00",
            id="custom-closed-monday",
        ),
        pytest.param(NEW_YORK, "2026-03-06 15:00", timedelta(hours=4), WEEK, "2026-03-09 11:00:00", id="dst-spring"),
        pytest.param(NEW_YORK, "2026-10-30 15:00", timedelta(hours=4), WEEK, "2026-11-02 11:00:00", id="dst-fall"),
        pytest.param("Asia/Tokyo", "2026-06-09 10:00", HOT, WEEK, "2026-06-09 10:03:00", id="tokyo-lead"),
        pytest.param("Asia/Tokyo", "2026-06-05 16:58", HOT, WEEK, "2026-06-08 09:01:00", id="tokyo-friday"),
    ],
)
def test_it_counts_only_open_business_time(zone_name, submitted, target, calendar, due):
    due_at = add_business_time(local(zone_name, submitted), target, calendar, ZoneInfo(zone_name))
    assert due_at.tzinfo == UTC
    assert as_local(due_at, zone_name) == due


def test_it_counts_wall_clock_time_when_the_calendar_has_no_open_hours():
    start = local(NEW_YORK, "2026-03-07 12:00")
    closed = BusinessCalendar(weekly_hours={})
    due_at = add_business_time(start, timedelta(hours=24), closed, ZoneInfo(NEW_YORK))
    assert due_at - start == timedelta(hours=24)
    assert as_local(due_at, NEW_YORK) == "2026-03-08 13:00:00"  # real hours, across spring-forward
    assert is_open(start, closed, ZoneInfo(NEW_YORK))


def test_it_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="aware"):
        add_business_time(datetime(2026, 6, 9, 10), HOT, WEEK, ZoneInfo(NEW_YORK))


def test_it_yields_open_intervals_in_utc_across_a_dst_change():
    intervals = open_intervals(WEEK, ZoneInfo(NEW_YORK), local(NEW_YORK, "2026-03-06 12:00"))
    assert [next(intervals), next(intervals)] == [
        (datetime(2026, 3, 6, 14, tzinfo=UTC), datetime(2026, 3, 6, 22, tzinfo=UTC)),  # EST, UTC-5
        (datetime(2026, 3, 9, 13, tzinfo=UTC), datetime(2026, 3, 9, 21, tzinfo=UTC)),  # EDT, UTC-4
    ]


@pytest.mark.parametrize(
    "moment, calendar, expected",
    [
        ("2026-06-09 10:00", WEEK, True),
        ("2026-06-09 09:00", WEEK, True),
        ("2026-06-09 08:59:59", WEEK, False),
        ("2026-06-09 16:59:59", WEEK, True),
        ("2026-06-09 17:00", WEEK, False),
        ("2026-06-09 12:30", SPLIT_WEEK, False),
        ("2026-06-06 11:00", WEEK, False),
        ("2026-09-07 11:00", US_WEEK, False),
    ],
)
def test_it_tells_whether_the_business_is_open(moment, calendar, expected):
    assert is_open(local(NEW_YORK, moment), calendar, ZoneInfo(NEW_YORK)) is expected


@pytest.mark.parametrize(
    "arrived, calendar, closes",
    [
        pytest.param("2026-06-09 11:00", WEEK, "2026-06-09 17:00:00", id="while-open"),
        pytest.param("2026-06-09 18:00", WEEK, "2026-06-10 17:00:00", id="after-hours"),
        pytest.param("2026-06-09 08:00", WEEK, "2026-06-09 17:00:00", id="before-opening"),
        pytest.param("2026-06-05 18:00", WEEK, "2026-06-08 17:00:00", id="friday-evening"),
        pytest.param("2026-06-06 11:00", WEEK, "2026-06-08 17:00:00", id="saturday"),
        pytest.param("2026-06-09 10:00", SPLIT_WEEK, "2026-06-09 17:00:00", id="split-shift"),
        pytest.param("2026-09-04 18:00", US_WEEK, "2026-09-08 17:00:00", id="holiday-monday"),
    ],
)
def test_it_finds_the_close_of_the_business_day(arrived, calendar, closes):
    closing = close_of_business_day(local(NEW_YORK, arrived), calendar, ZoneInfo(NEW_YORK))
    assert as_local(closing, NEW_YORK) == closes


@pytest.mark.parametrize(
    "start, end, calendar, seconds",
    [
        pytest.param("2026-06-05 16:00", "2026-06-08 10:00", WEEK, 2 * 3600, id="over-a-weekend"),
        pytest.param("2026-06-08 10:00", "2026-06-05 16:00", WEEK, -2 * 3600, id="backwards"),
        pytest.param("2026-06-06 10:00", "2026-06-07 18:00", WEEK, 0, id="within-a-weekend"),
        pytest.param("2026-06-09 10:00", "2026-06-09 10:03", WEEK, 180, id="three-minutes"),
        pytest.param("2026-09-04 16:00", "2026-09-08 10:00", US_WEEK, 2 * 3600, id="over-a-holiday-weekend"),
        pytest.param("2026-06-09 11:00", "2026-06-09 14:00", SPLIT_WEEK, 2 * 3600, id="over-lunch"),
        pytest.param("2026-03-08 00:00", "2026-03-08 12:00", ALMOST_ALWAYS, 11 * 3600, id="dst-day-is-shorter"),
        pytest.param("2026-11-01 00:00", "2026-11-01 12:00", ALMOST_ALWAYS, 13 * 3600, id="dst-day-is-longer"),
    ],
)
def test_it_counts_business_seconds_between_two_moments(start, end, calendar, seconds):
    tz = ZoneInfo(NEW_YORK)
    assert business_seconds_between(local(NEW_YORK, start), local(NEW_YORK, end), calendar, tz) == seconds


def test_it_applies_the_first_matching_policy_in_the_order_given():
    policies = [
        policy("Warm only", temperatures=["warm"], first_contact_within=timedelta(minutes=15)),
        policy("Hot", temperatures=["hot"], assign_within=timedelta(seconds=30), reassign_after=timedelta(minutes=5)),
        policy("Anything", first_contact_within=timedelta(hours=1)),
    ]
    result = targets(policies, local(NEW_YORK, "2026-06-09 10:00"))
    assert as_local(result.assign_by, NEW_YORK) == "2026-06-09 10:00:30"
    assert as_local(result.first_contact_by, NEW_YORK) == "2026-06-09 10:03:00"
    assert result.reassign_after == timedelta(minutes=5)
    assert result.after_hours is False


def test_it_skips_inactive_policies():
    policies = [policy("Off", active=False, first_contact_within=timedelta(seconds=1)), policy("Hot")]
    result = targets(policies, local(NEW_YORK, "2026-06-09 10:00"))
    assert as_local(result.first_contact_by, NEW_YORK) == "2026-06-09 10:03:00"


def test_it_uses_the_fallback_targets_when_no_policy_matches():
    submitted = local(NEW_YORK, "2026-06-05 16:00")
    result = targets([policy("Warm only", temperatures=["warm"])], submitted)
    assert result.policy_id is None
    assert result.assign_by == add_business_time(submitted, FALLBACK_ASSIGN_WITHIN, WEEK, ZoneInfo(NEW_YORK))
    assert as_local(result.first_contact_by, NEW_YORK) == "2026-06-08 12:00:00"
    assert FALLBACK_FIRST_CONTACT_WITHIN == timedelta(hours=4)


@pytest.mark.parametrize(
    "submitted, due",
    [
        pytest.param("2026-03-07 12:00", "2026-03-08 13:00:00", id="spring-forward"),
        pytest.param("2026-10-31 12:00", "2026-11-01 11:00:00", id="fall-back"),
    ],
)
def test_it_counts_a_wall_clock_policy_across_dst_in_real_hours(submitted, due):
    day = timedelta(hours=24)
    submitted_at = local(NEW_YORK, submitted)
    result = targets([policy("Round the clock", business_hours=False, first_contact_within=day)], submitted_at)
    assert result.first_contact_by - submitted_at == day
    assert as_local(result.first_contact_by, NEW_YORK) == due
    assert result.after_hours is True


@pytest.mark.parametrize(
    "submitted, due",
    [
        pytest.param("2026-06-09 11:00", "2026-06-09 17:00:00", id="while-open"),
        pytest.param("2026-06-09 18:00", "2026-06-10 17:00:00", id="after-hours"),
    ],
)
def test_it_gives_an_event_lead_until_the_close_of_the_business_day(submitted, due):
    event = policy("Event", sources=["event"], first_contact_within=None, first_contact_by_close_of_day=True)
    result = targets([event], local(NEW_YORK, submitted), source="event")
    assert as_local(result.first_contact_by, NEW_YORK) == due


@pytest.mark.parametrize(
    "submitted, after_hours",
    [("2026-06-09 10:00", False), ("2026-06-09 20:00", True), ("2026-06-06 14:00", True)],
)
def test_it_flags_leads_that_arrive_after_hours(submitted, after_hours):
    assert targets([policy("Hot")], local(NEW_YORK, submitted)).after_hours is after_hours


@pytest.mark.django_db
def test_it_builds_a_calendar_from_a_business_schedule():
    from routing.models import BusinessSchedule, ClosedDay, WeeklyHours

    schedule = BusinessSchedule.objects.create(name="New York office", time_zone=NEW_YORK)
    for weekday in range(5):
        WeeklyHours.objects.create(schedule=schedule, weekday=weekday, opens=time(13), closes=time(17))
        WeeklyHours.objects.create(schedule=schedule, weekday=weekday, opens=time(9), closes=time(12))
    ClosedDay.objects.create(schedule=schedule, date=date(2026, 6, 8), name="Company day")
    schedule = BusinessSchedule.objects.prefetch_related("hours", "closed_days").get(pk=schedule.pk)

    calendar = calendar_from_schedule(schedule, "jp")

    assert calendar.weekly_hours[0] == ((time(9), time(12)), (time(13), time(17)))
    assert calendar.closed_dates == frozenset({date(2026, 6, 8)})
    assert calendar.holiday_country == "JP"
    # Hours are read in the lead's zone (Tokyo), not the schedule's (New York).
    tokyo = ZoneInfo("Asia/Tokyo")
    assert as_local(add_business_time(local("Asia/Tokyo", "2026-06-09 11:58"), HOT, calendar, tokyo), "Asia/Tokyo") == (
        "2026-06-09 13:01:00"
    )
    assert as_local(add_business_time(local("Asia/Tokyo", "2026-06-05 16:58"), HOT, calendar, tokyo), "Asia/Tokyo") == (
        "2026-06-09 09:01:00"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "temperature, inquiry_type, source, segment, named_account, policy_name, first_contact_by",
    [
        ("hot", "demo_request", "paid_ads", "b2b", False, "Hot", "10:03"),
        ("hot", "pricing", "paid_ads", "b2c", False, "B2C cart abandonment or pricing", "10:02"),
        ("hot", "demo_request", "organic", "b2c", False, "B2C other hot or warm inquiry", "10:05"),
        ("warm", "webinar", "event", "b2b", False, "Event (trade show) lead: same business day", "17:00"),
        ("hot", "demo_request", "paid_ads", "b2b", True, "Named-account inquiry", "10:15"),
        ("cold", "newsletter", "event", "enterprise", True, "Named-account inquiry", "10:15"),
        ("cold", "general", "organic", "enterprise", False, "Enterprise segment, cold", "10:30"),
        ("warm", "content_download", "organic", "b2b", False, "Warm from organic", "10:10"),
        ("warm", "webinar", "referral", "b2b", False, "Warm from referral", "10:30"),
        ("warm", "webinar", "paid_ads", "b2b", False, "Warm", "10:15"),
        ("cold", "newsletter", "paid_ads", "b2b", False, "Cold", "14:00"),
    ],
)
def test_it_applies_the_seeded_policies_in_order(
    temperature, inquiry_type, source, segment, named_account, policy_name, first_contact_by
):
    policies = list(SlaPolicy.objects.all())
    lead = dict(
        temperature=temperature, inquiry_type=inquiry_type, source=source, segment=segment, named_account=named_account
    )
    result = targets(policies, local(NEW_YORK, "2026-06-09 10:00"), **lead)
    assert SlaPolicy.objects.get(pk=result.policy_id).name == policy_name
    assert as_local(result.first_contact_by, NEW_YORK) == f"2026-06-09 {first_contact_by}:00"


@pytest.mark.parametrize(
    "payload_tz, phone_e164, country, region, expected",
    [
        pytest.param("Europe/Berlin", "+14155552671", "US", "CA", ("Europe/Berlin", "payload"), id="payload-wins"),
        pytest.param("", "+14155552671", "", "", ("America/Los_Angeles", "phone"), id="phone-415"),
        pytest.param("", "+442071234567", "", "", ("Europe/London", "phone"), id="phone-44"),
        pytest.param("Mars/Olympus", "+14155552671", "", "", ("America/Los_Angeles", "phone"), id="invalid-payload"),
        pytest.param("", "+18005551234", "", "", ("America/New_York", "phone"), id="toll-free-spans-zones"),
        pytest.param("", "+18005551234", "US", "Texas", ("America/Chicago", "phone"), id="region-picks-phone-zone"),
        pytest.param("", "+79161234567", "RU", "", ("Europe/Moscow", "phone"), id="russian-mobile"),
        pytest.param("", "not a phone", "US", "CA", ("America/Los_Angeles", "country"), id="region-code"),
        pytest.param("", "", "us", "california", ("America/Los_Angeles", "country"), id="region-name"),
        pytest.param("", "", "US", "US-CA", ("America/Los_Angeles", "country"), id="iso-region-code"),
        pytest.param("", "", "BR", "São Paulo", ("America/Sao_Paulo", "country"), id="accented-region"),
        pytest.param("", "", "AU", "WA", ("Australia/Perth", "country"), id="australian-state"),
        pytest.param("", "", "CA", "", ("America/Toronto", "country"), id="multi-zone-country"),
        pytest.param("", "", "FR", "", ("Europe/Paris", "country"), id="country-only"),
        pytest.param("", "", "ZZ", "", ("UTC", "default"), id="unknown-country"),
        pytest.param("", "", "", "", ("UTC", "default"), id="nothing"),
    ],
)
def test_it_resolves_the_lead_time_zone(payload_tz, phone_e164, country, region, expected):
    resolved = resolve_time_zone(
        payload_tz=payload_tz, phone_e164=phone_e164, country=country, region=region, default="UTC"
    )
    assert resolved == expected
