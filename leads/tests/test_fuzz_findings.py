"""What the fuzzers found (test_intake_fuzz.py, test_api_schema_fuzz.py), one test each,
so that the fixes stay fixed even on a run whose random examples miss them."""

from __future__ import annotations

import json

import pytest
from drf_spectacular.generators import SchemaGenerator

from cadences.tests.signing import generic_post
from leadops.parsing import row_id
from tests.workspace_kit import api_token, make_lead, make_team

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "text, expected", [("42", 42), (" 7 ", 7), ("3¹", None), ("¹", None), ("①", None), ("٣", None), ("", None),
                       ("-1", None), ("9" * 18, int("9" * 18)), ("9" * 19, None)],
)  # fmt: skip
def test_row_id_reads_only_ascii_digits(text, expected):
    assert row_id(text) == expected


@pytest.mark.parametrize("query", ["rep=3¹", "team=¹", "rep=" + "9" * 40, "team=٣"])
def test_metric_filters_with_unicode_digits_are_a_400_not_a_500(client, leader, query):
    """int('3¹') raised ValueError after '3¹'.isdigit() said yes."""
    client.force_login(leader)
    response = client.get(f"/api/v1/metrics/sla?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [query.split("=")[0]]


def test_the_dashboard_pages_take_unicode_digits(client, leader):
    client.force_login(leader)
    assert client.get("/dashboard/roi/?team=¹").status_code == 200
    assert client.get("/dashboard/?team=¹").status_code == 400


def test_the_queue_takes_unicode_digits(client, manager, rep):
    make_team("East", manager=manager, members=[rep])
    client.force_login(manager)
    assert client.get("/queue/?team=¹").status_code == 404
    assert client.get("/queue/?q=¹").status_code == 200
    assert client.get("/queue/?q=L-" + "9" * 30).status_code == 200


@pytest.mark.parametrize("body", ["null", "[]", '"text"', "42"])
def test_the_inbound_webhook_answers_400_to_a_body_that_is_not_an_object(client, inbound_connections, body):
    """`"From" in None` raised TypeError on a JSON null body."""
    response = generic_post(client, "mail", body.encode())
    assert response.status_code == 400
    assert "errors" in response.json()


def test_an_api_url_that_matches_no_route_answers_json_404(client):
    response = client.get("/api/v1/leads/not-a-number")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")


def test_my_status_before_any_change_matches_the_schema(client, rep):
    token = api_token(rep)
    response = client.get("/api/v1/me/status", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.json() == {"status": "offline", "changed_at": None}
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert schema["components"]["schemas"]["StatusReply"]["properties"]["changed_at"]["nullable"] is True


def test_a_lead_without_sla_due_times_matches_the_schema(client, manager):
    lead = make_lead(None, first_contact_due_at=None, assign_due_at=None, sla_policy=None)
    token = api_token(manager)
    body = client.get(f"/api/v1/leads/{lead.pk}", HTTP_AUTHORIZATION=f"Token {token}").json()
    assert body["sla"]["assign_by"] is None and body["sla"]["first_contact_by"] is None
    sla = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]["Sla"]["properties"]
    assert sla["assign_by"]["nullable"] and sla["first_contact_by"]["nullable"] and sla["policy"]["nullable"]


def test_the_schema_documents_the_error_replies():
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert {"400", "401", "403", "404"} <= set(paths["/api/v1/leads/{id}/attempts"]["post"]["responses"])
    assert {"401", "403", "404"} <= set(paths["/api/v1/leads/{id}"]["get"]["responses"])
    assert paths["/api/v1/inbound/{slug}"]["post"]["security"] == [{"twilioSignature": []}, {"webhookSignature": []}]
    assert set(paths["/api/v1/inbound"]["post"]["responses"]) == {"401"}
    assert json.dumps(paths["/api/v1/leads"]["post"]["responses"]["401"])  # intake keeps its own


@pytest.mark.usefixtures("redis_down")
@pytest.mark.parametrize(
    "body, content_type",
    [(b'{"email": "a@b.io", "extra": {"x": NaN}}', "application/json"),
     (b'{"email": "a@b.io", "extra": {"x": Infinity}}', "application/json"),
     (b'{"email": "a@b.io", "extra": {"x": 1e999}}', "application/json"),
     (b"email=a%40b.io&extra=%7B%22x%22%3A+NaN%7D", "application/x-www-form-urlencoded")],
)  # fmt: skip
def test_non_finite_numbers_in_extra_are_a_400_not_a_postgresql_500(client, intake_key, body, content_type):
    """jsonb refuses NaN and Infinity: DataError (500) on PostgreSQL, fine on SQLite."""
    response = client.post(
        "/api/v1/leads", data=body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {intake_key}"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["extra"]


@pytest.mark.usefixtures("redis_down")
@pytest.mark.parametrize(
    "persona, url",
    [("leader", "/api/v1/metrics/sla?until=9999-12-31"), ("leader", "/dashboard/?until=9999-12-31"),
     ("leader", "/dashboard/export/summary.csv?until=9999-12-31"),
     ("leader", "/api/v1/metrics/sla?since=0001-01-01T00:00:00-23:59"), ("rep", "/queue/?per_page=-1"),
     ("manager", "/admin/leads/lead/?stage__exact=%00"), ("manager", "/api/v1/leads/1?q=%00")],
)  # fmt: skip
def test_the_reviews_500s_are_400s(client, request, persona, url):
    """OverflowError on the huge dates, a negative page size in the paginator, a NUL that
    PostgreSQL refuses in a query: each of these was a 500."""
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url).status_code == 400
