"""Schemathesis against our own OpenAPI schema (GET /api/schema/), in process through the
WSGI app: every documented operation, with bodies and parameters the schema allows and
(negative mode) ones it forbids. Checked: no 5xx, every status code documented, and each
reply matches the schema of its status.

`HYPOTHESIS_PROFILE=thorough` runs many more examples (leads/tests/fuzzing.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import example, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from leadops.wsgi import application
from leads.tests.fuzzing import examples
from tests.workspace_kit import api_token, make_lead

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
INBOUND = "/api/v1/inbound"

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
schema.config.generation.update(max_examples=examples(20))


@pytest.fixture
def in_process_requests():
    """Keep the test's database transaction across the WSGI calls, as Django's test client
    does: the handler would otherwise close the connection at each request's start and end."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_world(in_process_requests, redis_down, intake_key, manager, rep, inbound_connections):
    """A manager's token (sees and may act on every lead), the intake key, a few leads and
    the inbound connections (whose requests the fuzzer cannot sign)."""
    leads = [make_lead(rep).pk, make_lead(manager).pk, make_lead(None).pk]
    slugs = [connection.slug for connection in inbound_connections.values()]
    return {"token": api_token(manager), "intake_key": intake_key, "leads": leads, "slugs": slugs}


@pytest.mark.django_db
@schema.parametrize()
@settings(deadline=None)
def test_the_api_honours_its_schema(case, api_world):
    if case.path.startswith(INBOUND):
        # An intake key or a user token opens nothing here: only the provider's signature.
        headers = {"Authorization": f"Bearer {api_world['intake_key']}"}
        slug = (case.path_parameters or {}).get("slug")
        if isinstance(slug, str) and len(slug) % 3:  # mostly real connections, so that signatures are checked
            case.path_parameters["slug"] = api_world["slugs"][len(slug) % 2]
    elif case.path == "/api/v1/leads":
        headers = {"Authorization": f"Bearer {api_world['intake_key']}"}
    else:
        headers = {"Authorization": f"Token {api_world['token']}"}
    lead_id = (case.path_parameters or {}).get("id")
    if isinstance(lead_id, int) and lead_id % 4:  # mostly real leads, so that actions run
        case.path_parameters["id"] = api_world["leads"][lead_id % len(api_world["leads"])]
    response = case.call_and_validate(headers=headers, checks=CHECKS)
    if case.path.startswith(INBOUND) and case.method == "POST":
        refused = response.status_code in (401, 404)
        refused_by_the_nul_guard = response.status_code == 400 and "NUL" in response.text  # leadops/middleware.py
        assert refused or refused_by_the_nul_guard, "an unsigned inbound request must be refused"


# The metric filters as text, from the edges of what Python's datetime holds: dates near
# year 1 and 9999, offsets up to ±23:59 (PostgreSQL takes ±15:59), NUL bytes.
OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda minutes: timezone(timedelta(minutes=minutes)))
EDGE_MOMENTS = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=OFFSETS)
FILTER_TEXT = st.one_of(
    st.dates().map(lambda day: day.isoformat()),
    EDGE_MOMENTS.map(lambda moment: moment.isoformat()),
    st.sampled_from(["9999-12-31", "0001-01-01", "0001-01-01T00:00:00-23:59", "2026-01-01\x00", "\x00", "NaN"]),
    st.text(max_size=20),
)


@pytest.mark.django_db
@given(since=st.none() | FILTER_TEXT, until=st.none() | FILTER_TEXT)
@example(since=None, until="9999-12-31")
@example(since="0001-01-01T00:00:00-23:59", until=None)
@example(since=datetime(2026, 1, 1, tzinfo=UTC).isoformat(), until="9999-12-31T23:59:59-23:59")
@settings(max_examples=examples(60), deadline=None)
def test_the_metric_filters_take_any_date_text(client, leader, since, until):
    """The metrics API and the CSV export: a report, or a 400 with field errors, never a 500."""
    client.force_login(leader)
    query = {name: value for name, value in (("since", since), ("until", until)) if value is not None}
    for url in ("/api/v1/metrics/sla", "/dashboard/export/summary.csv"):
        response = client.get(url, query)
        assert response.status_code in (200, 400), (url, query, response.content[:300])
        if response.status_code == 400 and "\x00" in "".join(query.values()):  # the site-wide NUL guard
            assert "Must not contain NUL characters." in response.content.decode()
        elif response.status_code == 400:
            errors = response.json()["errors"]
            assert errors and all(isinstance(messages, list) and messages for messages in errors.values())
