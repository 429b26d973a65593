"""Managers edit cadences in the admin (steps inline, templates checked) and read plans."""

from __future__ import annotations

import pytest

from cadences.models import Cadence, Enrollment
from cadences.progress import enroll
from cadences.tests.conftest import TUESDAY_10_NY

pytestmark = pytest.mark.django_db


def test_a_manager_sees_the_seeded_cadences_and_a_leads_plan(client, manager, make_lead):
    enroll(make_lead(), at=TUESDAY_10_NY)
    client.force_login(manager)
    listing = client.get("/admin/cadences/cadence/")
    assert listing.status_code == 200
    assert b"Hot: call now" in listing.content and b"Warm: content now" in listing.content
    hot = Cadence.objects.get(name__startswith="Hot")
    page = client.get(f"/admin/cadences/cadence/{hot.pk}/change/")
    assert page.status_code == 200 and b"Call 1: inside the SLA" in page.content
    enrollment = Enrollment.objects.get()
    plan = client.get(f"/admin/cadences/enrollment/{enrollment.pk}/change/")
    assert plan.status_code == 200 and b"scheduled" in plan.content


def test_a_step_template_with_a_syntax_error_is_refused(client, manager):
    client.force_login(manager)
    form = {
        "name": "Broken", "position": "1", "active": "on", "temperatures": "[]", "sources": "[]",
        "inquiry_types": "[]", "description": "",
        "steps-TOTAL_FORMS": "1", "steps-INITIAL_FORMS": "0", "steps-MIN_NUM_FORMS": "0", "steps-MAX_NUM_FORMS": "1000",
        "steps-0-order": "1", "steps-0-channel": "email", "steps-0-delay": "0", "steps-0-name": "Hello",
        "steps-0-subject": "Hi", "steps-0-body": "{% if %}", "steps-0-business_hours_only": "on",
    }  # fmt: skip
    response = client.post("/admin/cadences/cadence/add/", form)
    assert response.status_code == 200 and b"Template error" in response.content
    assert not Cadence.objects.filter(name="Broken").exists()


def test_reps_cannot_edit_cadences(client, rep):
    rep.is_staff = True
    rep.save()
    client.force_login(rep)
    assert client.get("/admin/cadences/cadence/").status_code == 403
