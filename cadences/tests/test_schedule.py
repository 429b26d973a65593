"""The plan: every step's due time computed up front in the lead's business hours
(cadences/schedule.py), for the seeded SPEC §3.7 cadences and as pure rules."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from cadences import schedule
from cadences.models import Cadence, Enrollment, PlannedStep
from cadences.progress import enroll, rule_of
from cadences.tests.conftest import FRIDAY_1650_NY, NEW_YORK, TUESDAY_10_NY, local, ny, plan_rows
from leads import sla
from routing.models import BusinessSchedule, ClosedDay, Team, WeeklyHours

US_CALENDAR = dataclasses.replace(sla.STANDARD_CALENDAR, holiday_country="US")
FACTS = schedule.LeadFacts(has_email=True, has_phone=True, sms_consent=True)
M, H, D = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


def facts(**changes) -> schedule.LeadFacts:
    return dataclasses.replace(FACTS, **changes)


@pytest.mark.django_db
def test_it_plans_the_default_hot_cadence_for_a_lead_at_10_on_a_tuesday(make_lead):
    lead = make_lead()
    enroll(lead, at=TUESDAY_10_NY)
    assert plan_rows(lead) == [
        (1, "call", "Tue 13 10:00", "scheduled"),
        (2, "call", "Tue 13 10:07", "scheduled"),
        (3, "call", "Tue 13 10:27", "scheduled"),
        (4, "email", "Tue 13 10:32", "scheduled"),
        (5, "call", "Tue 13 14:32", "scheduled"),
        (6, "sms", "Tue 13 15:32", "scheduled"),
        # Days 2-7: one touch a day, call and email in turn, 3 open hours later each day.
        (7, "call", "Wed 14 10:32", "scheduled"),
        (8, "email", "Thu 15 13:32", "scheduled"),
        (9, "call", "Fri 16 16:32", "scheduled"),
        (10, "email", "Mon 19 11:32", "scheduled"),
        (11, "call", "Tue 20 14:32", "scheduled"),
        (12, "email", "Wed 21 09:32", "scheduled"),
    ]
    in_48_hours = PlannedStep.objects.filter(enrollment__lead=lead, due_at__lt=TUESDAY_10_NY + 2 * D)
    assert in_48_hours.count() >= 6  # SPEC §1: winning teams make 6-8 attempts in the first 48 hours
    daily_hours = [row[2][-5:-3] for row in plan_rows(lead)[6:]]
    assert len(set(daily_hours)) == 6  # a different hour each day


@pytest.mark.django_db
def test_it_moves_steps_after_friday_closing_to_monday_morning(make_lead):
    lead = make_lead(submitted_at=FRIDAY_1650_NY)
    enroll(lead, at=FRIDAY_1650_NY)
    assert plan_rows(lead) == [
        (1, "call", "Fri 16 16:50", "scheduled"),
        (2, "call", "Fri 16 16:57", "scheduled"),
        (3, "call", "Mon 19 09:17", "scheduled"),  # 3 open minutes on Friday, 17 on Monday
        (4, "email", "Mon 19 09:22", "scheduled"),
        (5, "call", "Mon 19 13:22", "scheduled"),
        (6, "sms", "Mon 19 14:22", "scheduled"),
        (7, "call", "Tue 20 09:22", "scheduled"),
        (8, "email", "Wed 21 12:22", "scheduled"),
        (9, "call", "Thu 22 15:22", "scheduled"),
        (10, "email", "Fri 23 10:22", "scheduled"),
        (11, "call", "Mon 26 13:22", "scheduled"),
        (12, "email", "Tue 27 16:22", "scheduled"),
    ]


@pytest.mark.django_db
def test_it_plans_a_saturday_lead_from_the_monday_opening(make_lead):
    saturday = ny(17, 14)
    lead = make_lead(submitted_at=saturday)
    enroll(lead, at=saturday)
    assert plan_rows(lead)[:4] == [
        (1, "call", "Mon 19 09:00", "scheduled"),
        (2, "call", "Mon 19 09:07", "scheduled"),
        (3, "call", "Mon 19 09:27", "scheduled"),
        (4, "email", "Mon 19 09:32", "scheduled"),
    ]


@pytest.mark.django_db
def test_it_plans_skipped_steps_with_their_reason(make_lead):
    no_consent = make_lead(consent_sms=False)
    email_only = make_lead(phone="", phone_e164="", consent_sms=False)
    enroll(no_consent, at=TUESDAY_10_NY)
    enroll(email_only, at=TUESDAY_10_NY)
    sms = PlannedStep.objects.get(enrollment__lead=no_consent, number=6)
    assert (sms.status, sms.skip_reason, local(sms.due_at)) == ("skipped", "no SMS consent", "Tue 13 15:32")
    statuses = {(row[1], row[3]) for row in plan_rows(email_only)}
    assert statuses == {("call", "skipped"), ("sms", "skipped"), ("email", "scheduled")}
    assert set(
        PlannedStep.objects.filter(enrollment__lead=email_only, channel="call").values_list("skip_reason", flat=True)
    ) == {"no phone number"}
    # Skipped steps keep their place: the emails are due when they would be for anyone.
    assert [row[2] for row in plan_rows(email_only)] == [row[2] for row in plan_rows(no_consent)]


@pytest.mark.django_db
def test_it_plans_warm_and_cold_leads_with_their_own_cadences(make_lead):
    warm = make_lead(temperature="warm", inquiry_type="content_download")
    cold = make_lead(temperature="cold", inquiry_type="newsletter")
    enroll(warm, at=TUESDAY_10_NY)
    enroll(cold, at=TUESDAY_10_NY)
    assert plan_rows(warm) == [
        (1, "email", "Tue 13 10:00", "scheduled"),
        (2, "call", "Tue 13 10:15", "scheduled"),
        (3, "sms", "Tue 13 11:15", "scheduled"),
        (4, "call", "Tue 13 14:15", "scheduled"),
        (5, "email", "Wed 14 14:15", "scheduled"),
    ]
    # Nurture over weeks; 11 November (Veterans Day) is not a business day.
    assert [row[2] for row in plan_rows(cold)] == ["Wed 14 10:00", "Wed 21 10:00", "Wed 28 10:00", "Thu 12 10:00"]


@pytest.mark.django_db
def test_it_follows_the_first_matching_active_cadence_in_position_order(make_lead):
    special = Cadence.objects.create(name="Paid ads hot", position=5, temperatures=["hot"], sources=["paid_ads"])
    special.steps.create(order=1, channel="call", name="Call", needs_phone=True)
    paid = make_lead(source="paid_ads")
    organic = make_lead(source="organic")
    assert enroll(paid, at=TUESDAY_10_NY).cadence == special
    assert enroll(organic, at=TUESDAY_10_NY).cadence.name.startswith("Hot")
    special.active = False
    special.save()
    assert enroll(make_lead(source="paid_ads"), at=TUESDAY_10_NY).cadence.name.startswith("Hot")


@pytest.mark.django_db
def test_it_enrolls_a_lead_once(make_lead):
    lead = make_lead()
    first = enroll(lead, at=TUESDAY_10_NY)
    again = enroll(lead, at=TUESDAY_10_NY + H)
    assert again == first
    assert Enrollment.objects.filter(lead=lead).count() == 1
    assert PlannedStep.objects.filter(enrollment__lead=lead).count() == 12
    assert lead.events.filter(kind="cadence.enrolled").count() == 1


@pytest.mark.django_db
def test_it_does_not_enroll_junk_or_decided_leads(make_lead):
    assert enroll(make_lead(junk=True, junk_reason="honeypot field filled"), at=TUESDAY_10_NY) is None
    assert enroll(make_lead(stage="disqualified"), at=TUESDAY_10_NY) is None


@pytest.mark.django_db
def test_it_uses_the_team_schedule_and_the_lead_time_zone(make_lead):
    early = BusinessSchedule.objects.create(name="Early birds", time_zone="Europe/London")
    WeeklyHours.objects.bulk_create(
        WeeklyHours(schedule=early, weekday=day, opens=ny(13, 7).time(), closes=ny(13, 15).time()) for day in range(5)
    )
    ClosedDay.objects.create(schedule=early, date=ny(14, 0).date(), name="Team offsite")
    team = Team.objects.create(name="Early", schedule=early)
    lead = make_lead(team=team, resolved_time_zone="America/Los_Angeles")
    enroll(lead, at=ny(13, 16))  # 13:00 in Los Angeles: open 07:00-15:00 there
    rows = [(row[1], row[2]) for row in plan_rows(lead)]
    assert rows[:5] == [
        ("call", "Tue 13 16:00"),  # 13:00 LA
        ("call", "Tue 13 16:07"),
        ("call", "Tue 13 16:27"),
        ("email", "Tue 13 16:32"),
        ("call", "Thu 15 12:32"),  # 4 h: 1:28 on Tuesday, Wednesday closed, 2:32 from 07:00 LA
    ]


# --- the rules as pure functions ------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (ny(13, 10), 1, "Wed 14 10:00"),
        (ny(16, 15, 30), 1, "Mon 19 15:30"),  # Friday + 1 business day
        (ny(16, 15, 30), 5, "Fri 23 15:30"),
        (ny(17, 20), 1, "Tue 20 09:00"),  # from Saturday: Monday at 20:00 is closed, so the next opening
        (ny(9, 10), 1, "Tue 13 10:00"),  # Friday 9 Oct + 1: Monday 12 Oct is Columbus Day
    ],
)
def test_it_counts_whole_day_delays_in_business_days(start, days, expected):
    assert local(schedule.add_business_days(start, days, US_CALENDAR, NEW_YORK)) == expected


@pytest.mark.parametrize(
    ("base", "previous", "expected"),
    [
        (ny(14, 15, 32), ny(13, 15, 32), "Wed 14 10:32"),  # 6:32 open + 3 h wraps to 1:32 after opening
        (ny(14, 10, 32), ny(13, 10, 32), "Wed 14 13:32"),
        (ny(14, 9), ny(13, 9), "Wed 14 12:00"),
        (ny(14, 17), ny(13, 17), "Wed 14 12:00"),  # at closing: 8 h + 3 h wraps to 3 h
        (ny(13, 15), ny(13, 11), "Wed 14 10:00"),  # a wrap before the previous step: next open day
    ],
)
def test_it_varies_the_time_of_day_by_three_open_hours(base, previous, expected):
    assert local(schedule.vary(base, previous, True, US_CALENDAR, NEW_YORK)) == expected


def test_it_varies_steps_outside_business_hours_over_the_whole_day():
    assert local(schedule.vary(ny(14, 22), ny(13, 22), False, US_CALENDAR, NEW_YORK)) == "Wed 14 01:00"


def test_it_counts_wall_clock_time_for_steps_allowed_at_any_hour():
    rule = schedule.StepRule(number=1, channel="email", delay=30 * M, business_hours_only=False)
    assert local(schedule.next_due(ny(16, 16, 50), rule, US_CALENDAR, NEW_YORK)) == "Fri 16 17:20"
    daily = schedule.StepRule(number=1, channel="email", delay=D, business_hours_only=False)
    assert local(schedule.next_due(ny(31, 12), daily, US_CALENDAR, NEW_YORK)) == "Sun 01 12:00"  # across DST


@pytest.mark.parametrize(
    ("rule", "facts", "reason"),
    [
        (schedule.StepRule(1, "email"), FACTS, ""),
        (schedule.StepRule(1, "email"), facts(has_email=False), "no email address"),
        (schedule.StepRule(1, "sms"), facts(has_phone=False), "no phone number"),
        (schedule.StepRule(1, "call", needs_phone=True), facts(has_phone=False), "no phone number"),
        (schedule.StepRule(1, "sms", needs_sms_consent=True), facts(sms_consent=False), "no SMS consent"),
        (schedule.StepRule(1, "email"), facts(opted_out=frozenset({"email"})), "opted out of email"),
        (schedule.StepRule(1, "call"), facts(opted_out=frozenset({"email"})), ""),
    ],
)  # fmt: skip
def test_it_checks_step_conditions_against_the_lead(rule, facts, reason):
    assert schedule.skip_reason(rule, facts) == reason


@pytest.mark.parametrize(
    ("due", "now", "business_hours_only", "expected"),
    [
        (ny(13, 10, 30), ny(13, 10, 34), True, None),  # on time (within 5 min)
        (ny(13, 16, 59, 59), ny(13, 17, 0, 30), True, None),  # jitter at closing time
        (ny(13, 10, 0), ny(13, 11, 0), True, None),  # an hour late, inside business hours
        (ny(13, 10, 0), ny(13, 14, 0), True, None),  # hours late, still inside business hours
        (ny(13, 16, 30), ny(13, 17, 40), True, "Wed 14 09:00"),  # now after closing
        (ny(13, 16, 30), ny(14, 3, 0), True, "Wed 14 09:00"),  # never at 3 AM
        (ny(16, 16, 0), ny(17, 10, 0), True, "Mon 19 09:00"),  # a Saturday
        (ny(13, 20, 0), ny(13, 21, 30), False, None),  # any-hour step, within 2 h
        (ny(13, 20, 0), ny(13, 23, 0), False, "Wed 14 09:00"),  # any-hour step, 3 h late at night
    ],
)
def test_it_applies_the_downtime_rule_to_overdue_messages(due, now, business_hours_only, expected):
    resume = schedule.catch_up(due, now, business_hours_only, US_CALENDAR, NEW_YORK)
    assert (local(resume) if resume else None) == expected


@pytest.mark.django_db
def test_the_seeded_rules_make_the_same_plan_as_enroll(make_lead, hot_cadence):
    rules = [rule_of(step, number) for number, step in enumerate(hot_cadence.steps.order_by("order"), start=1)]
    planned = schedule.plan(rules, TUESDAY_10_NY, US_CALENDAR, NEW_YORK, FACTS)
    lead = make_lead()
    enroll(lead, at=TUESDAY_10_NY)
    assert [local(time.due_at) for time in planned] == [row[2] for row in plan_rows(lead)]
