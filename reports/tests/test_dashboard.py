"""/dashboard/: who sees it, what it shows (the same figures as the API), its CSV exports,
the live breach counter, and that leadership can read but not change anything."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
import time_machine
from django.contrib.auth.models import User

from reports.tests.metrics_data import NOW, build

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def dataset(lead_source, rep, other_rep):
    return build(lead_source, rep, other_rep)


def as_user(client, user):
    client.force_login(user)
    return client


def rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_anonymous_visitors_are_sent_to_the_login_page(client, settings):
    response = client.get("/dashboard/?period=7")
    assert response.status_code == 302
    assert response["Location"] == f"{settings.LOGIN_URL}?next=/dashboard/%3Fperiod%3D7"


def test_leadership_logs_in_on_the_site_login_page_and_lands_on_the_dashboard(client, leader, settings):
    credentials = {"username": "leader", "password": "test-pass-123", "next": "/dashboard/"}
    response = client.post(settings.LOGIN_URL, credentials)
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200


@pytest.mark.parametrize(
    "url", ["/dashboard/", "/dashboard/roi/", "/dashboard/breaches.json", "/dashboard/export/reps.csv"]
)
def test_reps_get_403(client, rep, url):
    assert as_user(client, rep).get(url).status_code == 403


@pytest.mark.parametrize("persona", ["leader", "manager"])
def test_leadership_and_managers_see_the_dashboard(client, dataset, persona, request):
    response = as_user(client, request.getfixturevalue(persona)).get("/dashboard/?period=30")
    assert response.status_code == 200
    html = response.content.decode()
    # The hand-worked figures: 8 leads, 71.4% within SLA (5 of 7), median 20m, business mean 27m 40s.
    assert "8 leads (junk left out)" in html
    assert "71.4%" in html and "5 of 7 due leads" in html
    assert "20m 00s" in html and "27m 40s" in html
    assert "target ≥ 95%" in html and "target &lt; 5 min" in html
    assert "research" in html.lower() and "21.0x" in html
    assert "vendor/chartjs/chart.umd.js" in html and 'id="dashboard-data"' in html


def test_a_superuser_sees_the_dashboard(client, dataset):
    admin = User.objects.create_superuser("root", "root@example.com", "pw-123456789")
    assert as_user(client, admin).get("/dashboard/").status_code == 200


def test_the_dashboard_and_the_api_agree(client, leader, dataset):
    client = as_user(client, leader)
    page = client.get("/dashboard/", {"since": "2026-11-13"})
    api = client.get("/api/v1/metrics/sla", {"since": "2026-11-13"}).json()
    assert page.context["data"] == api


def test_bad_filters_show_the_errors_with_400(client, leader):
    response = as_user(client, leader).get("/dashboard/", {"since": "someday"})
    assert response.status_code == 400 and "since" in response.content.decode()


def test_the_dashboard_is_read_only(client, leader, manager):
    for user in (leader, manager):
        client = as_user(client, user)
        assert client.post("/dashboard/").status_code == 405
        assert client.post("/dashboard/roi/").status_code == 405
        assert client.post("/dashboard/export/reps.csv").status_code == 405


def test_leadership_cannot_edit_anything(client, leader, dataset):
    permissions = leader.get_all_permissions()
    assert permissions and all(name.split(".")[1].startswith("view_") for name in permissions)
    client = as_user(client, leader)
    assert client.get("/admin/leads/lead/").status_code == 302  # not staff: the admin is closed to them
    assert client.get("/dashboard/import/").status_code == 302  # the import form is managers' (admin)
    assert client.post("/dashboard/import/").status_code == 302


def test_a_staff_leader_still_cannot_change_anything_in_the_admin(client, leader, dataset):
    leader.is_staff = True  # even should someone open the admin to them: view permissions only
    leader.save()
    lead = dataset["L1"]
    client = as_user(client, leader)
    assert client.get(f"/admin/leads/lead/{lead.pk}/change/").status_code == 200  # read-only view
    assert client.post(f"/admin/leads/lead/{lead.pk}/change/", {"stage": "converted"}).status_code == 403
    assert client.get("/admin/leads/lead/add/").status_code == 403
    assert client.post(f"/admin/leads/lead/{lead.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/leads/slapolicy/add/").status_code == 403
    assert client.get("/dashboard/import/").status_code == 403  # importing is for managers
    lead.refresh_from_db()
    assert lead.stage == "qualified"


def test_the_headline_tiles_give_the_api_seconds_on_hover(client, leader, dataset):
    client = as_user(client, leader)
    html = client.get("/dashboard/", {"since": "2026-11-13"}).content.decode()
    api = client.get("/api/v1/metrics/sla", {"since": "2026-11-13"}).json()
    assert api["time_to_first_response"]["median"] == 1200.0
    assert 'title="1,200.000 s">20m 00s<' in html  # the median to the millisecond, as the API has it
    assert 'title="1,660.000 s">27m 40s<' in html  # the business-time mean


def test_the_breach_counter_listens_on_the_websocket(client, leader, settings):
    settings.LEADOPS_WS_URL = "wss://ws.example.com/"
    html = as_user(client, leader).get("/dashboard/").content.decode()
    assert 'data-ws-url="wss://ws.example.com"' in html and "dashboard/dashboard.js" in html


@pytest.mark.parametrize(
    ("table", "header", "first_row"),
    [
        ("reps", ["rep", "name", "leads"], ["rep.one", "Rita Rep", "4"]),
        ("buckets", ["bucket", "leads", "converted", "rate", "research_relative_likelihood"],
         ["0-5m", "2", "1", "0.5", "21.0"]),
        ("contact-rate", ["attempt", "leads_with_attempt", "first_connected_on_it", "rate"], ["1", "6", "1", "0.1667"]),
        ("trend", ["day", "leads", "due", "met", "within_sla_rate", "median_seconds"],
         ["2026-11-13", "1", "1", "1", "1.0", "219720.0"]),
        ("summary", ["metric", "unit", "value"], ["leads", "count", "8"]),
        ("heatmap", ["weekday", "hour", "leads", "touches"], ["Mon", "0", "0", "0"]),
        ("research", ["first_response", "relative_likelihood", "source"], ["< 5 min", "21.0"]),
    ],
)  # fmt: skip
def test_every_table_exports_as_csv(client, leader, dataset, table, header, first_row):
    response = as_user(client, leader).get(f"/dashboard/export/{table}.csv", {"period": "30"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    table_rows = rows(response)
    assert table_rows[0][: len(header)] == header
    assert table_rows[1][: len(first_row)] == first_row


def test_exports_neutralise_spreadsheet_formulas(client, leader, dataset, rep):
    rep.first_name, rep.last_name = "=HYPERLINK(1)", ""
    rep.save()
    table_rows = rows(as_user(client, leader).get("/dashboard/export/reps.csv"))
    assert table_rows[1][1] == "'=HYPERLINK(1)"


def test_an_unknown_export_is_404(client, leader):
    assert as_user(client, leader).get("/dashboard/export/secrets.csv").status_code == 404


def test_the_breach_counter_answers_json(client, leader, dataset):
    response = as_user(client, leader).get("/dashboard/breaches.json")
    assert response.status_code == 200
    body = response.json()
    assert (body["breached"], body["due_soon"]) == (1, 0)  # L7, waiting since Monday 15:03
    assert datetime.fromisoformat(body["at"]) == NOW
    assert as_user(client, leader).get("/dashboard/breaches.json", {"temperature": "cold"}).json()["breached"] == 0
