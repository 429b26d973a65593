"""The SLA rollup (reports/rollup.py) against the from-scratch computation on a random
history: the same figures (counts exactly, times to the millisecond) for several filters,
after changes not yet swept, after the sweep, and a recomputation changes nothing."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection

from booking.models import Attendance, Meeting, MeetingStatus
from leads.models import Attempt, Lead
from pipeline import sweeper
from reports import filters as report_filters
from reports import meetings, rollup, rollup_read, series
from reports.models import DayRollup, RollupDirty, RollupHistogram, RollupMonthHistogram
from reports.tests.metrics_data import make_lead
from routing.models import BusinessSchedule, Team

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 17, 15, 20, 7, tzinfo=NY)
TODAY = datetime(2026, 11, 17, tzinfo=NY)
STAGES = ("new", "assigned", "contacted", "connected", "qualified", "disqualified", "converted")
OUTCOMES = ("no_answer", "voicemail", "connected", "replied", "sent")
TOLERANCE = 0.0015  # seconds: percentiles are kept in whole milliseconds


def random_history(lead_source, reps, team, seed=7, count=300):
    rng = random.Random(seed)
    # The first lead is junk, then a week without leads: the trend starts with the first counted lead.
    leads = [make_lead(lead_source, "Early", submitted=NOW - timedelta(days=70), junk=True)]
    for index in range(count):
        submitted = NOW - timedelta(seconds=rng.uniform(0, 62 * 86400))
        owner = rng.choice([*reps, None])
        temperature, due_after = rng.choice((("hot", 180), ("warm", 900), ("cold", 14400)))
        due = submitted + timedelta(seconds=due_after) if rng.random() < 0.92 else None
        attempts, moment = [], submitted + timedelta(seconds=rng.expovariate(1 / 3000) - (5 if index % 40 == 0 else 0))
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3, 4)) if owner else 0):
            if moment >= NOW:
                break
            attempts.append((rng.choice(OUTCOMES), moment))
            moment += timedelta(seconds=rng.uniform(60, 86400))
        decided = None
        if attempts and rng.random() < 0.4:
            decided = min(NOW, attempts[0][1] + timedelta(seconds=rng.uniform(10, 3 * 86400)))
        lead = make_lead(
            lead_source, f"R{index}", submitted=submitted, temperature=temperature, due=due, attempts=tuple(attempts),
            assigned=submitted + timedelta(seconds=rng.uniform(1, 90)) if owner else None,
            acknowledged=submitted + timedelta(seconds=rng.uniform(1, 12)) if rng.random() < 0.8 else None,
            decided=decided, stage=rng.choice(STAGES), owner=owner, junk=rng.random() < 0.03,
            source=rng.choice(("organic", "paid_ads", "referral")), team=team if owner else None,
        )  # fmt: skip
        if owner and rng.random() < 0.2:
            book(lead, owner, submitted + timedelta(seconds=rng.uniform(30, 86400)), rng)
        leads.append(lead)
    return leads


def book(lead, rep, booked_at, rng):
    starts = booked_at + timedelta(days=2)
    return Meeting.objects.create(
        lead=lead, rep=rep, starts_at=starts, ends_at=starts + timedelta(minutes=30), uid=f"m{lead.pk}-{rng.random()}",
        status=rng.choice((MeetingStatus.BOOKED, MeetingStatus.BOOKED, MeetingStatus.CANCELLED)),
        attendance=rng.choice((Attendance.UNKNOWN, Attendance.HELD, Attendance.NO_SHOW)), booked_at=booked_at,
    )  # fmt: skip


def assert_same(rolled, scratch, path="") -> None:
    if isinstance(scratch, dict):
        assert set(rolled) == set(scratch), path
        for key in scratch:
            assert_same(rolled[key], scratch[key], f"{path}.{key}")
    elif isinstance(scratch, list):
        assert len(rolled) == len(scratch), path
        for index, (left, right) in enumerate(zip(rolled, scratch, strict=True)):
            assert_same(left, right, f"{path}[{index}]")
    elif isinstance(scratch, float) and rolled is not None:
        assert abs(rolled - scratch) <= TOLERANCE, (path, rolled, scratch)
    else:
        assert rolled == scratch, (path, rolled, scratch)


def both_ways(query: dict) -> None:
    filters, errors = report_filters.parse_filters(query)
    assert not errors
    fast, slow = series.dashboard(filters, NOW), series.dashboard(filters, NOW, rollup=False)
    for name in ("metrics", "contact_rates", "reps", "trend", "heatmap"):
        assert_same(getattr(fast, name), getattr(slow, name), name)
    figures = {key: fast.figures[key] for key in ("hot_leads", "hot_attempted", "hot_due", "hot_met", "never")}
    assert_same(figures, {key: slow.figures[key] for key in figures})
    assert_same(fast.figures["hot_median"], slow.figures["hot_median"], "hot_median")
    assert_same(fast.figures["hot_mean"], slow.figures["hot_mean"], "hot_mean")
    assert_same(meetings.metrics_body(filters, NOW), meetings.metrics_body(filters, NOW, rollup=False), "api")


@pytest.fixture
def team():
    return Team.objects.create(name="East Coast", schedule=BusinessSchedule.objects.get(is_default=True))


@pytest.fixture
def history(lead_source, rep, other_rep, team):
    leads = random_history(lead_source, [rep, other_rep], team)
    rollup.rebuild(NOW)
    return leads


def queries(team, rep):
    return [
        {},
        {"since": (NOW - timedelta(days=29)).date().isoformat()},
        {"since": "2026-10-09T13:17:00-04:00", "until": "2026-11-12T08:05:30-05:00"},
        {"until": "2026-11-03"},
        {"since": "2026-09-25", "until": "2026-11-05"},
        {"rep": rep.username},
        {"rep": rep.username, "since": "2026-10-20"},
        {"team": str(team.pk)},
        {"source": "paid_ads"},
        {"temperature": "hot"},
    ]


def test_the_rollup_answers_the_whole_days_of_a_period(history):
    filters, _ = report_filters.parse_filters({})
    days = rollup.covered_days(filters, NOW, report_filters.organisation_zone())
    assert len(days) >= 40
    assert rollup.whole_months(days)[0]  # October 2026: read from the month's histogram rows
    assert rollup_read.read(filters, NOW) is not None
    assert not RollupDirty.objects.filter(submitted_at__lt=TODAY).exists()  # today's stay: it is not over


def test_it_gives_the_figures_of_the_from_scratch_computation(history, team, rep):
    for query in queries(team, rep):
        both_ways(query)


def test_changes_are_computed_live_until_the_sweep_stores_them(history, team, rep, other_rep):
    old = [lead for lead in history if lead.submitted_at < NOW - timedelta(days=10) and not lead.junk]
    with_attempt = next(lead for lead in old if lead.owner_id and lead.first_attempt_at is None)
    at = with_attempt.submitted_at + timedelta(seconds=77.5)
    Attempt.objects.create(lead=with_attempt, number=1, channel="call", outcome="connected", at=at, by=rep)
    Lead.objects.filter(pk=with_attempt.pk).update(first_attempt_at=at, first_connected_at=at, stage="connected")
    Lead.objects.filter(pk=old[1].pk).update(stage="qualified", owner=other_rep)
    Lead.objects.filter(pk=old[2].pk).update(junk=True)
    old[3].delete()
    book(old[4], rep, old[4].submitted_at + timedelta(hours=1), random.Random(1))
    assert RollupDirty.objects.exists()
    for query in queries(team, rep)[:6]:
        both_ways(query)
    assert sweeper.sweep(NOW)["sla_rollup_days"] >= 1
    assert not RollupDirty.objects.filter(submitted_at__lt=TODAY).exists()
    for query in queries(team, rep)[:6]:
        both_ways(query)


def test_a_day_recomputed_twice_is_the_same(history):
    def snapshot():
        rows = DayRollup.objects.order_by("day", "owner").values_list(
            "day", "owner", "zone", "open_until", "leads", "attempted", "response_sum", "due", "met", "won", "data"
        )
        bins = RollupHistogram.objects.order_by("day", "owner", "kind", "bin").values_list(
            "day", "owner", "kind", "bin", "n", "values"
        )
        months = RollupMonthHistogram.objects.order_by("month", "owner", "kind", "bin").values_list(
            "month", "owner", "kind", "bin", "n", "values"
        )
        return list(rows), list(bins), list(months)

    before = snapshot()
    days = sorted({day for day, *_rest in before[0]})
    for day in days[:5]:
        rollup.recompute_day(day)
        rollup.recompute_day(day)
    assert snapshot() == before
    rollup.rebuild(NOW)
    assert snapshot() == before


def test_a_day_not_over_is_left_to_the_live_computation(history, lead_source):
    make_lead(lead_source, "Today", submitted=NOW - timedelta(minutes=5), due=NOW + timedelta(minutes=10))
    assert rollup.refresh(NOW) == 0
    assert RollupDirty.objects.exists()
    both_ways({})


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite drops a table's triggers when it rebuilds the table")
def test_a_migrate_puts_back_the_triggers_sqlite_dropped_with_a_rebuilt_table(lead_source):
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER reports_rollup_lead_insert")  # as rebuilding leads_lead would
    call_command("migrate", verbosity=0)
    make_lead(lead_source, "After", submitted=NOW - timedelta(days=3))
    assert RollupDirty.objects.filter(submitted_at=NOW - timedelta(days=3)).exists()
