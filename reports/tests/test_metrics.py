"""The SPEC §4 metrics on a hand-built dataset (reports/tests/metrics_data.py works every
figure out by hand): ties, leads never attempted, leads not yet due, an after-hours lead
in business time, junk and duplicate inquiries left out, filters, empty sets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reports import filters as report_filters
from reports import metrics, series
from reports.tests.metrics_data import EXPECTED, NOW, S, build, make_lead, ny
from routing.models import BusinessSchedule, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return Team.objects.create(name="East Coast", schedule=BusinessSchedule.objects.get(is_default=True))


@pytest.fixture
def dataset(lead_source, rep, other_rep, team):
    return build(lead_source, rep, other_rep, team=team)


def compute(**query):
    filters, errors = report_filters.parse_filters(query)
    assert not errors
    return metrics.sla_metrics(filters, now=NOW)


def test_it_computes_every_figure_as_worked_out_by_hand(dataset):
    assert compute() == EXPECTED


def test_it_has_exactly_the_keys_of_the_spec(dataset):
    body = compute()
    assert list(body) == [
        "leads", "time_to_first_response", "within_sla", "assignment_latency", "acknowledgment_latency",
        "contact_rate_by_attempt", "conversion_by_bucket", "time_to_qualification", "reps",
    ]  # fmt: skip
    assert set(body["time_to_first_response"]) == {"mean", "median", "p90", "business_mean"}
    assert set(body["within_sla"]) == {"rate", "met", "due"}
    assert set(body["conversion_by_bucket"]) == {"0-5m", "5-15m", "15-60m", "60m+", "never_attempted"}
    assert all(set(rep) == {"rep", "leads", "median", "within_sla_rate"} for rep in body["reps"])


def test_it_leaves_junk_out_of_everything(dataset):
    dataset["L9"].junk = False
    dataset["L9"].save(update_fields=["junk"])
    assert compute()["leads"] == EXPECTED["leads"] + 1  # the junk lead was what kept it at 8


def test_it_counts_a_repeat_inquiry_as_no_lead(dataset, lead_source):
    from leads.models import Inquiry

    assert Inquiry.objects.filter(lead=dataset["L1"]).count() == 1  # the duplicate, on L1
    assert compute()["leads"] == 8


def test_a_lead_not_yet_due_counts_once_its_due_time_has_passed(dataset):
    filters, _ = report_filters.parse_filters({})
    later = metrics.sla_metrics(filters, now=dataset["L8"].first_contact_due_at + S)
    assert later["within_sla"] == {"rate": 0.625, "met": 5, "due": 8}
    exactly_due = metrics.sla_metrics(filters, now=dataset["L8"].first_contact_due_at)
    assert exactly_due["within_sla"]["due"] == 7  # due "has passed" only after the due time


def test_a_first_attempt_exactly_at_the_due_time_is_within_sla(lead_source, rep):
    make_lead(lead_source, "A", submitted=ny(16, 10), due=ny(16, 10, 3), attempts=(("no_answer", ny(16, 10, 3)),))
    assert compute()["within_sla"] == {"rate": 1.0, "met": 1, "due": 1}


def test_a_response_of_exactly_five_minutes_is_in_the_5_to_15_minute_bucket(lead_source):
    make_lead(lead_source, "A", submitted=ny(16, 10), attempts=(("no_answer", ny(16, 10, 5)),), stage="qualified")
    make_lead(lead_source, "B", submitted=ny(16, 10), attempts=(("no_answer", ny(16, 10, 4, 59)),))
    buckets = compute()["conversion_by_bucket"]
    assert buckets["0-5m"] == {"leads": 1, "converted": 0, "rate": 0.0}
    assert buckets["5-15m"] == {"leads": 1, "converted": 1, "rate": 1.0}


def test_a_response_of_exactly_an_hour_is_in_the_60m_plus_bucket(lead_source):
    make_lead(lead_source, "A", submitted=ny(16, 10), attempts=(("no_answer", ny(16, 11)),))
    assert compute()["conversion_by_bucket"]["60m+"]["leads"] == 1


def test_an_empty_set_gives_nulls_and_zeros(db):
    body = compute()
    assert body["leads"] == 0
    assert body["time_to_first_response"] == {"mean": None, "median": None, "p90": None, "business_mean": None}
    assert body["within_sla"] == {"rate": None, "met": 0, "due": 0}
    assert body["contact_rate_by_attempt"] == {}
    assert body["conversion_by_bucket"]["0-5m"] == {"leads": 0, "converted": 0, "rate": None}
    assert body["reps"] == []


def test_one_value_is_its_own_median_and_percentiles(lead_source):
    make_lead(lead_source, "A", submitted=ny(16, 10), attempts=(("no_answer", ny(16, 10, 1, 30)),))
    response = compute()["time_to_first_response"]
    assert response == {"mean": 90.0, "median": 90.0, "p90": 90.0, "business_mean": 90.0}


def test_it_filters_by_source_temperature_team_and_rep(dataset, team, other_rep):
    assert compute(source="paid_ads")["leads"] == 1  # L3
    hot = compute(temperature="hot")
    assert hot["leads"] == 5  # L1, L2, L5, L6, L7
    assert hot["within_sla"] == {"rate": 0.6, "met": 3, "due": 5}  # L5 late, L7 never attempted
    assert compute(team="East Coast")["leads"] == 4  # L1, L2, L6, L7
    assert compute(team=str(team.pk)) == compute(team="east coast")
    by_rep = compute(rep="rep.two")
    assert by_rep["leads"] == 3 and by_rep["reps"] == [EXPECTED["reps"][1]]
    assert compute(rep=str(other_rep.pk)) == by_rep


def test_it_filters_by_submission_dates(dataset):
    # Friday only: L6. A date means a whole day in the organisation's time zone (New York).
    friday = compute(since="2026-11-13", until="2026-11-13")
    assert friday["leads"] == 1 and friday["time_to_first_response"]["business_mean"] == 120.0
    # Datetimes: since is included, until is not.
    monday_morning = compute(since="2026-11-16T10:00:00-05:00", until="2026-11-16T12:00:00-05:00")
    assert monday_morning["leads"] == 2  # L1, L2 (L3 at 12:00 is excluded)
    assert compute(since="2026-11-17")["leads"] == 1  # L8


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-11-16T10:00:00"}, "until"),  # no offset
        ({"since": "2026-11-17", "until": "2026-11-16"}, "until"),
        ({"team": "Nowhere"}, "team"),
        ({"source": "carrier_pigeon"}, "source"),
        ({"temperature": "lukewarm"}, "temperature"),
        ({"rep": "nobody"}, "rep"),
    ],
)
def test_it_rejects_bad_filters_with_a_message_per_field(db, query, field):
    filters, errors = report_filters.parse_filters(query)
    assert filters is None and list(errors) == [field] and errors[field][0]


def test_the_dashboard_adds_hot_figures_trend_and_rep_detail(dataset):
    filters, _ = report_filters.parse_filters({"since": "2026-11-13"})
    board = series.dashboard(filters, now=NOW)
    assert board.metrics["leads"] == 8
    # Hot attempted: L1 120, L2 120, L5 7200, L6 219720 -> median (120 + 7200) / 2
    assert board.figures["hot_median"] == 3660.0 and board.figures["hot_attempted"] == 4
    days = {row["day"]: row for row in board.trend}
    assert list(days) == ["2026-11-13", "2026-11-14", "2026-11-15", "2026-11-16", "2026-11-17"]
    assert days["2026-11-14"] == {"day": "2026-11-14", "leads": 0, "due": 0, "met": 0, "within_sla_rate": None,
                                  "median": None}  # fmt: skip
    # Monday: L1-L5, L7; due 6, met 4; responses 120 120 600 1800 7200 -> median 600
    assert days["2026-11-16"] == {"day": "2026-11-16", "leads": 6, "due": 6, "met": 4, "within_sla_rate": 0.6667,
                                  "median": 600.0}  # fmt: skip
    one, two = board.reps
    assert (one["rep"], one["attempted"], one["due"], one["met"], one["won"]) == ("rep.one", 3, 4, 3, 2)
    # rep.one's attempts within 48 h of submission: L1 2, L2 2, L6 0 (Monday is 61 h after Friday 20:00)
    assert one["attempts_per_lead_48h"] == round(4 / 4, 2)
    assert two["attempts_per_lead_48h"] == round(5 / 3, 2)  # L3 1, L4 3, L5 1
    assert board.spread["median"] == {"min": 120.0, "max": 1800.0, "stdev": 840.0}


def test_the_heatmap_counts_leads_and_touches_by_weekday_and_hour(dataset):
    filters, _ = report_filters.parse_filters({})
    grids = series.busiest_times(filters.leads(), filters.reporting_zone())
    assert grids["leads"][4][20] == 1  # Friday 20:00: L6
    assert grids["leads"][0][10] == 1 and grids["leads"][0][11] == 1  # Monday: L1, L2
    assert sum(map(sum, grids["leads"])) == 8
    assert grids["touches"][0][13] == 3  # L4's three attempts on Monday 13:xx
    assert sum(map(sum, grids["touches"])) == 11  # 2 + 2 + 1 + 3 + 1 + 2 (junk L9 left out)


def test_the_breach_counter_counts_open_leads_past_or_near_their_due_time(dataset, lead_source):
    make_lead(lead_source, "Soon", submitted=NOW - timedelta(minutes=1), due=NOW + timedelta(minutes=2))
    filters, _ = report_filters.parse_filters({})
    counts = series.breach_counts(filters, now=NOW)
    assert (counts["breached"], counts["due_soon"]) == (1, 1)  # L7 breached; "Soon" due in 2 minutes
    later = series.breach_counts(filters, now=NOW + metrics.BREACH_LOOKBACK + timedelta(hours=4))
    assert later["breached"] == 0  # older than the 7-day window of the live counter


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "–"), (0.4, "0s"), (59, "59s"), (65, "1m 05s"), (3600, "1h 00m"), (90061, "1d 1h"), (-30, "-30s")],
)
def test_durations_read_like_people_write_them(value, text):
    assert metrics.human_duration(value) == text


def test_a_gap_in_attempt_numbers_still_counts_each_number(lead_source):
    from leads.models import Attempt

    lead = make_lead(lead_source, "A", submitted=ny(16, 10), attempts=(("no_answer", ny(16, 10, 1)),))
    Attempt.objects.create(lead=lead, number=3, channel="call", outcome="connected", at=ny(16, 11))
    make_lead(lead_source, "B", submitted=ny(16, 10), attempts=(("connected", ny(16, 10, 2)),))
    # Attempt 1: A and B, B reached on it; no attempt 2; attempt 3: A, reached on it.
    assert compute()["contact_rate_by_attempt"] == {"1": 0.5, "3": 1.0}
