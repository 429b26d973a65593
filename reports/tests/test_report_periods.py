"""Report periods stay within dates that exist (reports/periods.py): `until=9999-12-31`
asked for the day after the last date Python has, and `since` with an extreme offset had
no UTC equivalent. Both raised OverflowError (500) in the metrics API, the dashboard and
the CSV export; they are now field errors, like any other bad filter."""

from __future__ import annotations

import pytest

from reports.filters import parse_filters
from reports.periods import OUT_OF_RANGE

pytestmark = pytest.mark.django_db
OUT_OF_RANGE_QUERIES = [
    ("until", "9999-12-31"),
    ("until", "9999-12-31T23:59:59-23:59"),
    ("since", "0001-01-01T00:00:00-23:59"),
    ("since", "0001-01-01"),
    ("since", "1999-12-31"),
    ("until", "2100-01-01"),
]


@pytest.mark.parametrize("name, value", OUT_OF_RANGE_QUERIES)
def test_the_metrics_api_answers_a_field_error(client, leader, name, value):
    client.force_login(leader)
    response = client.get("/api/v1/metrics/sla", {name: value})
    assert response.status_code == 400
    assert response.json() == {"errors": {name: [OUT_OF_RANGE]}}


@pytest.mark.parametrize("name, value", OUT_OF_RANGE_QUERIES)
def test_the_dashboard_shows_a_form_error(client, leader, name, value):
    client.force_login(leader)
    response = client.get("/dashboard/", {name: value})
    assert response.status_code == 400
    assert OUT_OF_RANGE in response.content.decode()


@pytest.mark.parametrize("name, value", OUT_OF_RANGE_QUERIES)
def test_the_csv_export_answers_a_field_error(client, leader, name, value):
    client.force_login(leader)
    response = client.get("/dashboard/export/summary.csv", {name: value})
    assert response.status_code == 400
    assert response.json() == {"errors": {name: [OUT_OF_RANGE]}}


@pytest.mark.parametrize(
    "query", [{"since": "2000-01-01", "until": "2099-12-31"}, {"since": "2000-01-01T00:00:00-23:59"}]
)
def test_the_edges_of_the_range_are_reports(client, leader, query):
    filters, errors = parse_filters(query)
    assert errors == {}
    client.force_login(leader)
    assert client.get("/api/v1/metrics/sla", query).status_code == 200
    assert client.get("/dashboard/", query).status_code == 200
    assert client.get("/dashboard/export/trend.csv", query).status_code == 200
