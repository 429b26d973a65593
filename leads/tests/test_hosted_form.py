"""The public hosted form /f/<slug>/ (CSRF, honeypot, promise in the lead's time)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from leads.models import Lead

SATURDAY_14_LONDON = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
FIELDS = {
    "first_name": "Grace",
    "last_name": "Hopper",
    "email": "grace@cobol.dev",
    "phone": "+44 20 7946 0958",
    "company": "Compilers Ltd",
    "country": "GB",
    "inquiry_type": "demo_request",
    "message": "Looking for a demo",
    "timezone": "Europe/London",
}

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_down")]


def csrf_client_and_token(slug: str):
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/f/{slug}/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    return client, token


def test_it_shows_a_mobile_friendly_form_with_a_hidden_honeypot(client, lead_source):
    page = client.get("/f/website/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="viewport"' in html and 'name="csrfmiddlewaretoken"' in html
    assert re.search(r'<div class="hp" aria-hidden="true">.*name="fax"', html, re.S)


def test_it_answers_404_for_an_unknown_or_disabled_form(client, lead_source):
    assert client.get("/f/nope/").status_code == 404
    lead_source.hosted_form_enabled = False
    lead_source.save()
    assert client.get("/f/website/").status_code == 404


def test_it_refuses_a_post_without_the_csrf_token(lead_source):
    response = Client(enforce_csrf_checks=True).post("/f/website/", FIELDS)
    assert response.status_code == 403
    assert Lead.objects.count() == 0


def test_it_stores_the_lead_and_states_the_promise_in_local_time(lead_source):
    client, token = csrf_client_and_token("website")
    with time_machine.travel(SATURDAY_14_LONDON, tick=False):
        response = client.post("/f/website/", {**FIELDS, "csrfmiddlewaretoken": token}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    lead = Lead.objects.get()
    assert (lead.email, lead.source, lead.after_hours) == ("grace@cobol.dev", "organic", True)
    assert "Thanks, Grace" in html
    assert "on Monday at 09:03 your time" in html
    assert "Monday 23 November, 09:03" in html and "Europe/London" in html


def test_it_shows_field_errors_and_keeps_what_was_typed(lead_source):
    client, token = csrf_client_and_token("website")
    response = client.post("/f/website/", {**FIELDS, "email": "grace@", "phone": "", "csrfmiddlewaretoken": token})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert 'value="Compilers Ltd"' in html
    assert Lead.objects.count() == 0


def test_it_thanks_a_bot_that_filled_the_honeypot_but_files_it_as_junk(lead_source):
    client, token = csrf_client_and_token("website")
    response = client.post("/f/website/", {**FIELDS, "fax": "123", "csrfmiddlewaretoken": token}, follow=True)
    assert response.status_code == 200
    assert Lead.objects.get().junk_reason == "honeypot field filled"


def test_it_renders_script_in_a_name_inert(lead_source):
    client, token = csrf_client_and_token("website")
    payload = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    response = client.post("/f/website/", {**FIELDS, "first_name": payload, "csrfmiddlewaretoken": token}, follow=True)
    html = response.content.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_it_rejects_a_forged_thanks_link(client, lead_source):
    assert client.get("/f/website/thanks/not-a-token/").status_code == 404
