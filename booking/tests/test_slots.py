"""Slot computation as tables of cases: pure functions, no database (booking/slots.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.slots import (
    BEYOND_HORIZON,
    NOT_OFFERED,
    TAKEN,
    TOO_SOON,
    RepCalendar,
    SlotRules,
    by_local_day,
    free_slots,
    pooled_slots,
    slot_problem,
    wall_clock,
    working_windows,
)

NY, PARIS, TOKYO, KOLKATA = (
    ZoneInfo(name) for name in ("America/New_York", "Europe/Paris", "Asia/Tokyo", "Asia/Kolkata")
)
NINE_TO_FIVE = {day: ((time(9), time(17)),) for day in range(5)}
MONDAY_8_NY = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 23 Nov 2026, 08:00 in New York
RULES = SlotRules()  # 30 min, 10 min buffer, 15 min notice, 14 days


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY).astimezone(UTC)


def rep(tz=NY, hours=NINE_TO_FIVE, leave=(), busy=()) -> RepCalendar:
    return RepCalendar(tz=tz, hours=hours, leave=tuple(leave), busy=tuple(busy))


@pytest.mark.parametrize(
    "label, calendar, now, expected_first",
    [
        ("before the day starts: its opening", rep(), MONDAY_8_NY, ny(2026, 11, 23, 9, 0)),
        ("notice: 10:07 + 15 min -> the 10:30 slot", rep(), ny(2026, 11, 23, 10, 7), ny(2026, 11, 23, 10, 30)),
        ("exactly notice before a slot: that slot", rep(), ny(2026, 11, 23, 10, 15), ny(2026, 11, 23, 10, 30)),
        ("after closing: next morning", rep(), ny(2026, 11, 23, 17, 30), ny(2026, 11, 24, 9, 0)),
        ("16:40: the last slot (16:30) is too soon", rep(), ny(2026, 11, 23, 16, 20), ny(2026, 11, 24, 9, 0)),
        ("Friday evening: Monday", rep(), ny(2026, 11, 27, 18, 0), ny(2026, 11, 30, 9, 0)),
        ("Saturday: Monday", rep(), ny(2026, 11, 28, 11, 0), ny(2026, 11, 30, 9, 0)),
        ("a rep in Paris: their 09:00 is 03:00 in New York", rep(PARIS), utc(2026, 11, 23, 6, 0),
         utc(2026, 11, 23, 8, 0)),
        ("a rep in Kolkata (+05:30): 09:00 is 03:30 UTC", rep(KOLKATA), utc(2026, 11, 23, 0, 0),
         utc(2026, 11, 23, 3, 30)),
        ("no hours set: Mon-Fri 09-17", rep(hours={}), MONDAY_8_NY, ny(2026, 11, 23, 9, 0)),
        ("a split day: 09-12 and 14-18", rep(hours={0: ((time(9), time(12)), (time(14), time(18)))}),
         ny(2026, 11, 23, 11, 50), ny(2026, 11, 23, 14, 0)),
        ("a window at 09:15 keeps its own grid", rep(hours={0: ((time(9, 15), time(11)),)}), MONDAY_8_NY,
         ny(2026, 11, 23, 9, 15)),
    ],
)  # fmt: skip
def test_it_offers_the_first_free_slot(label, calendar, now, expected_first):
    assert free_slots(calendar, RULES, now, limit=1) == [expected_first], label


@pytest.mark.parametrize(
    "label, busy, now, first_three",
    [
        ("a meeting 09:00-09:30 and the buffer: 10:00 next", [(ny(2026, 11, 23, 9), ny(2026, 11, 23, 9, 30))],
         MONDAY_8_NY, ["10:00", "10:30", "11:00"]),
        ("busy until 09:45: 09:55 would touch the buffer; 10:00", [(ny(2026, 11, 23, 9), ny(2026, 11, 23, 9, 45))],
         MONDAY_8_NY, ["10:00", "10:30", "11:00"]),
        ("busy from 10:00: 09:00 ok, 09:30 ends 10:00 inside the buffer",
         [(ny(2026, 11, 23, 10), ny(2026, 11, 23, 11))],
         MONDAY_8_NY, ["09:00", "11:30", "12:00"]),
        ("busy from 10:10 leaves 09:30 exactly a buffer away", [(ny(2026, 11, 23, 10, 10), ny(2026, 11, 23, 11))],
         MONDAY_8_NY, ["09:00", "09:30", "11:30"]),
        ("overlapping busy times merge", [(ny(2026, 11, 23, 9), ny(2026, 11, 23, 10)),
                                          (ny(2026, 11, 23, 9, 30), ny(2026, 11, 23, 12))],
         MONDAY_8_NY, ["12:30", "13:00", "13:30"]),
        ("an empty or reversed busy time blocks nothing", [(ny(2026, 11, 23, 9), ny(2026, 11, 23, 9))],
         MONDAY_8_NY, ["09:00", "09:30", "10:00"]),
    ],
)  # fmt: skip
def test_it_keeps_a_buffer_around_busy_times(label, busy, now, first_three):
    slots = free_slots(rep(busy=busy), RULES, now, limit=3)
    assert [f"{slot.astimezone(NY):%H:%M}" for slot in slots] == first_three, label


def test_it_skips_leave_days_in_the_reps_own_calendar():
    calendar = rep(leave=[(date(2026, 11, 23), date(2026, 11, 24))])
    assert free_slots(calendar, RULES, MONDAY_8_NY, limit=1) == [ny(2026, 11, 25, 9, 0)]
    # Leave is a day of the rep's zone: a Tokyo rep on leave Tuesday still works Monday.
    tokyo = rep(TOKYO, leave=[(date(2026, 11, 24), date(2026, 11, 24))])
    tokyo_slots = free_slots(tokyo, RULES, utc(2026, 11, 22, 0, 0))
    assert {slot.astimezone(TOKYO).date() for slot in tokyo_slots[:30]} == {date(2026, 11, 23), date(2026, 11, 25)}


def test_it_keeps_to_the_horizon_and_the_slot_length():
    slots = free_slots(rep(), RULES, MONDAY_8_NY)
    assert slots[-1] < MONDAY_8_NY + timedelta(days=14)
    assert len(slots) == 10 * 16  # ten working days of 16 half-hours
    hour_rules = SlotRules(length=timedelta(hours=1), buffer=timedelta(0), horizon=timedelta(days=1))
    assert [f"{s.astimezone(NY):%H}" for s in free_slots(rep(), hour_rules, MONDAY_8_NY)] == [
        "09", "10", "11", "12", "13", "14", "15", "16",
    ]  # fmt: skip


# DST: 2026-03-08 New York springs forward (02:00 -> 03:00), 2026-11-01 falls back.
@pytest.mark.parametrize(
    "label, hours, day, now, expected",
    [
        ("spring forward: 09:00 local stays 09:00 (13:00 UTC, was 14:00)", NINE_TO_FIVE, None,
         ny(2026, 3, 9, 7, 0), utc(2026, 3, 9, 13, 0)),
        ("fall back: 09:00 local is 14:00 UTC again", NINE_TO_FIVE, None, ny(2026, 11, 2, 7, 0),
         utc(2026, 11, 2, 14, 0)),
        ("an all-day window on the spring-forward Sunday has 23 hours", {6: ((time(0), time(23, 59)),)}, None,
         ny(2026, 3, 7, 23, 0), utc(2026, 3, 8, 5, 0)),
    ],
)  # fmt: skip
def test_it_reads_hours_on_the_wall_clock_across_dst_changes(label, hours, day, now, expected):
    assert free_slots(rep(hours=hours), RULES, now, limit=1) == [expected], label


def test_a_day_that_loses_an_hour_offers_fewer_slots():
    all_sunday = {6: ((time(0), time(23, 59)),)}
    rules = SlotRules(buffer=timedelta(0), notice=timedelta(0), horizon=timedelta(days=2))
    short_day = free_slots(rep(hours=all_sunday), rules, ny(2026, 3, 8, 0, 0))
    long_day = free_slots(rep(hours=all_sunday), rules, ny(2026, 11, 1, 0, 0))
    normal_day = free_slots(rep(hours=all_sunday), rules, ny(2026, 11, 8, 0, 0))  # Sundays only: one day each
    assert (len(short_day), len(normal_day), len(long_day)) == (46, 48, 50)
    assert all(b - a == timedelta(minutes=30) for a, b in zip(short_day, short_day[1:], strict=False))


def test_a_window_opening_in_the_dst_gap_opens_after_it():
    # 02:30 does not exist on 2026-03-08 in New York: the window opens at 03:30 EDT (07:30 UTC).
    assert wall_clock(date(2026, 3, 8), time(2, 30), NY) == utc(2026, 3, 8, 7, 30)
    windows = working_windows(rep(hours={6: ((time(2, 30), time(4)),)}), utc(2026, 3, 8), utc(2026, 3, 9))
    assert windows == [(utc(2026, 3, 8, 7, 30), utc(2026, 3, 8, 8, 0))]


@pytest.mark.parametrize(
    "label, start, busy, expected",
    [
        ("a free slot", ny(2026, 11, 23, 10, 0), [], ""),
        ("in the past", ny(2026, 11, 20, 10, 0), [], TOO_SOON),
        ("inside the notice", ny(2026, 11, 23, 8, 0) + timedelta(minutes=10), [], TOO_SOON),
        ("beyond the horizon", ny(2026, 12, 8, 10, 0), [], BEYOND_HORIZON),
        ("off the grid", ny(2026, 11, 23, 10, 10), [], NOT_OFFERED),
        ("outside working hours", ny(2026, 11, 23, 20, 0), [], NOT_OFFERED),
        ("a Saturday", ny(2026, 11, 28, 10, 0), [], NOT_OFFERED),
        ("the last slot of the day", ny(2026, 11, 23, 16, 30), [], ""),
        ("booked already", ny(2026, 11, 23, 10, 0), [(ny(2026, 11, 23, 10), ny(2026, 11, 23, 10, 30))], TAKEN),
        ("inside another meeting's buffer", ny(2026, 11, 23, 10, 30),
         [(ny(2026, 11, 23, 10), ny(2026, 11, 23, 10, 25))], TAKEN),
    ],
)  # fmt: skip
def test_it_says_why_a_time_cannot_be_booked(label, start, busy, expected):
    assert slot_problem(rep(busy=busy), RULES, MONDAY_8_NY, start) == expected, label


def test_pooled_slots_say_who_is_free():
    busy_at_nine = [(ny(2026, 11, 23, 9), ny(2026, 11, 23, 9, 30))]
    calendars = {1: rep(busy=busy_at_nine), 2: rep(), 3: rep(TOKYO)}
    pooled = pooled_slots(calendars, RULES, MONDAY_8_NY, limit=3)
    assert pooled[0] == (ny(2026, 11, 23, 9, 0), (2,))  # Tokyo has closed by then; rep 1 is busy
    assert pooled[1] == (ny(2026, 11, 23, 9, 30), (2,))
    assert pooled[2] == (ny(2026, 11, 23, 10, 0), (1, 2))


def test_it_groups_slots_by_the_leads_own_day():
    slots = [ny(2026, 11, 23, 16, 30), ny(2026, 11, 24, 9, 0)]  # 22:30 and 15:00 in Paris, 06:30 and 23:00 in Tokyo
    assert [(day.isoformat(), [f"{s:%H:%M}" for s in starts]) for day, starts in by_local_day(slots, TOKYO)] == [
        ("2026-11-24", ["06:30", "23:00"])
    ]
    assert [day.isoformat() for day, _ in by_local_day(slots, PARIS)] == ["2026-11-23", "2026-11-24"]


def test_a_slot_must_last():
    with pytest.raises(ValueError):
        SlotRules(length=timedelta(0))
