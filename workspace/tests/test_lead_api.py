"""GET /api/v1/leads/{id}: who may read which lead, and what it shows."""

from __future__ import annotations

import pytest

from leads.models import Lead, LeadSource
from tests.workspace_kit import api_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(rep, lead_source):
    from django.utils import timezone

    return Lead.objects.create(
        lead_source=lead_source, email="ada@analytical.io", first_name="Ada", source="organic",
        inquiry_type="demo_request", temperature="hot", resolved_time_zone="America/New_York",
        submitted_at=timezone.now(), owner=rep, first_contact_due_at=timezone.now(),
    )  # fmt: skip


def get(client, user, lead_id, token=False):
    if token:
        key = api_token(user)
        return client.get(f"/api/v1/leads/{lead_id}", HTTP_AUTHORIZATION=f"Token {key}")
    client.force_login(user)
    return client.get(f"/api/v1/leads/{lead_id}")


def test_it_shows_the_owner_their_lead_with_token_auth(client, rep, lead):
    response = get(client, rep, lead.pk, token=True)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == lead.pk and body["email"] == "ada@analytical.io"
    assert body["owner"] == {"id": rep.pk, "username": "rep.one", "name": "Rita Rep"}
    assert body["sla"]["state"] == "breached"  # due now, never attempted
    assert set(body) >= {"stage", "temperature", "score", "junk", "timeline", "attempts", "plan", "routing_trace"}


def test_it_hides_another_reps_lead_with_404(client, other_rep, lead):
    assert get(client, other_rep, lead.pk).status_code == 404


@pytest.mark.parametrize("persona", ["manager", "leader"])
def test_it_shows_managers_and_leadership_every_lead(client, lead, persona, request):
    assert get(client, request.getfixturevalue(persona), lead.pk).status_code == 200


def test_it_refuses_anonymous_callers(client, lead):
    assert client.get(f"/api/v1/leads/{lead.pk}").status_code in (401, 403)


def test_it_answers_404_for_a_missing_lead(client, manager):
    assert get(client, manager, 999_999).status_code == 404


def test_the_openapi_schema_describes_the_api(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/leads" in paths and "post" in paths["/api/v1/leads"]
    assert "/api/v1/leads/{id}" in paths


def test_lead_sources_hash_their_keys(lead_source):
    from leads.models import IntakeKey

    key, raw = IntakeKey.issue(lead_source)
    stored = IntakeKey.objects.get(pk=key.pk)
    assert raw not in (stored.key_hash, stored.prefix + stored.key_hash) and len(stored.key_hash) == 64
    assert IntakeKey.objects.for_raw_key(raw) == stored
    assert LeadSource.objects.get().intake_keys.count() == 1
