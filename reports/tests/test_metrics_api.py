"""GET /api/v1/metrics/sla and `sla_report`: the same figures, who may read them, and
field messages for bad filters."""

from __future__ import annotations

import io
import json

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from reports.tests.metrics_data import EXPECTED, NOW, build
from tests.workspace_kit import api_token

pytestmark = pytest.mark.django_db
URL = "/api/v1/metrics/sla"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def dataset(lead_source, rep, other_rep):
    return build(lead_source, rep, other_rep)


def get(client, user=None, token=False, **query):
    if user is not None and token:
        key = api_token(user)
        return client.get(URL, query, HTTP_AUTHORIZATION=f"Token {key}")
    if user is not None:
        client.force_login(user)
    return client.get(URL, query)


def report(*args) -> str:
    out = io.StringIO()
    call_command("sla_report", *args, stdout=out)
    return out.getvalue()


def test_it_answers_leadership_with_the_hand_worked_figures(client, leader, dataset):
    response = get(client, leader, token=True)
    assert response.status_code == 200
    body = response.json()
    assert body.pop("meetings")["booked"] == 0  # a new key (booking): the SPEC §6 keys are unchanged
    assert body == EXPECTED


def test_managers_and_superusers_may_read_it(client, manager, dataset):
    assert get(client, manager).status_code == 200
    admin = User.objects.create_superuser("root", "root@example.com", "pw-123456789")
    assert get(client, admin).status_code == 200


def test_reps_get_403(client, rep, dataset):
    assert get(client, rep).status_code == 403
    assert get(client, rep, token=True).status_code == 403


def test_anonymous_callers_get_401(client, dataset):
    assert get(client).status_code == 401


def test_it_is_read_only(client, leader):
    client.force_login(leader)
    assert client.post(URL, {}).status_code == 405


def test_bad_filters_get_400_with_a_message_per_field(client, leader):
    response = get(client, leader, since="last week", team="Nowhere", source="pigeon")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"since", "team", "source"}
    assert all(isinstance(messages, list) and messages for messages in errors.values())


def test_it_applies_the_filters(client, leader, dataset):
    body = get(client, leader, source="paid_ads", since="2026-11-16", until="2026-11-16").json()
    assert body["leads"] == 1 and body["time_to_first_response"]["median"] == 600.0


def test_sla_report_json_is_the_api_body_byte_for_byte(client, leader, dataset):
    api = get(client, leader, temperature="hot", until="2026-11-16")
    printed = report("--format", "json", "--temperature", "hot", "--until", "2026-11-16")
    assert printed.strip() == api.content.decode()
    assert json.loads(printed)["leads"] == 5  # hot until Monday: L1, L2, L5, L6, L7


def test_sla_report_table_prints_the_same_figures(dataset):
    text = report("--format", "table")
    assert "SLA report: all leads" in text
    assert "71.4% (5 of 7; target 95%)" in text  # within SLA
    assert "First response, median" in text and "20m 00s" in text  # 1200 s
    assert "First response, business mean" in text and "27m 40s" in text  # 1660 s
    assert "rep.one" in text and "75.0%" in text


def test_sla_report_refuses_bad_filters_with_a_sentence(db):
    with pytest.raises(CommandError, match="--team: No team with id or name 'Nowhere'"):
        report("--team", "Nowhere")


def test_the_openapi_schema_describes_the_metrics_endpoint(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    operation = response.json()["paths"]["/api/v1/metrics/sla"]["get"]
    assert {parameter["name"] for parameter in operation["parameters"]} >= {"since", "until", "team", "source"}


def test_an_offset_with_an_unencoded_plus_still_parses(client, leader, dataset):
    client.force_login(leader)
    # "+" in a query string reads as a space; the offset is still understood.
    response = client.get(URL + "?since=2026-11-16T15:00:00+00:00&until=2026-11-16T17:00:00+00:00")
    assert response.status_code == 200 and response.json()["leads"] == 2  # L1 (10:00 NY), L2 (11:00 NY)
