"""Security of the workspace (SPEC §7): lead fields are shown inert everywhere, reps see
and touch only their own leads and never the admin, and every form needs its CSRF token."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from leads.actions import record_event
from tests.workspace_kit import XSS, make_lead

pytestmark = pytest.mark.django_db
ACTIONS = ("accept", "attempts", "email", "stage", "notes", "handover")


@pytest.fixture
def hostile_lead(rep):
    lead = make_lead(
        rep, name=XSS, company=XSS, message=XSS, job_title=XSS, utm_source=XSS, city=XSS, product_interest=XSS,
        website="javascript:alert(1)", routing_trace={"summary": XSS, "candidates": [
            {"rep": XSS, "name": XSS, "reasons": [XSS], "open_leads": 0, "capacity": 1}]},
    )  # fmt: skip
    record_event(lead, "note.added", actor=rep, text=XSS)
    return lead


def assert_inert(html: str) -> None:
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_queue_shows_lead_fields_as_text(client, rep, hostile_lead):
    client.force_login(rep)
    assert_inert(client.get("/queue/").content.decode())


def test_the_lead_page_shows_lead_fields_as_text(client, rep, hostile_lead):
    client.force_login(rep)
    html = client.get(f"/leads/{hostile_lead.pk}/").content.decode()
    assert_inert(html)
    assert 'href="javascript:' not in html  # a website that is not http(s) is not a link
    config = re.search(r'<script id="lead-config" type="application/json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in config  # json_script escapes markup inside the page's data


def test_the_admin_shows_lead_fields_as_text(client, manager, hostile_lead):
    client.force_login(manager)
    assert_inert(client.get("/admin/leads/lead/").content.decode())
    change = client.get(f"/admin/leads/lead/{hostile_lead.pk}/change/")
    assert change.status_code == 200
    assert "<script>alert" not in change.content.decode()


def test_a_rep_cannot_open_or_act_on_another_reps_lead(client, other_rep, hostile_lead):
    client.force_login(other_rep)
    assert client.get(f"/leads/{hostile_lead.pk}/").status_code == 404
    for action in ACTIONS:
        assert client.post(f"/leads/{hostile_lead.pk}/{action}/", {"text": "x"}).status_code == 404, action
    assert client.get(f"/api/v1/leads/{hostile_lead.pk}").status_code == 404


def test_a_rep_cannot_open_the_admin(client, rep, hostile_lead):
    client.force_login(rep)
    for url in ("/admin/", "/admin/leads/lead/", f"/admin/leads/lead/{hostile_lead.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), url


def test_every_form_on_the_lead_page_carries_a_csrf_token(client, rep, hostile_lead):
    client.force_login(rep)
    html = client.get(f"/leads/{hostile_lead.pk}/").content.decode()
    forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", html, re.S)
    assert len(forms) >= 7
    assert all('name="csrfmiddlewaretoken"' in form for form in forms)


@pytest.mark.parametrize("action", ACTIONS)
def test_actions_without_a_csrf_token_are_refused(rep, hostile_lead, action):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    assert client.post(f"/leads/{hostile_lead.pk}/{action}/", {"text": "x"}).status_code == 403


def test_actions_only_take_post(client, rep, hostile_lead):
    client.force_login(rep)
    for action in ACTIONS:
        assert client.get(f"/leads/{hostile_lead.pk}/{action}/").status_code == 405, action
