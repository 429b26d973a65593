"""The security bars of SPEC §7 beyond the workspace (test_workspace_security.py covers the
queue, lead page and admin lead pages): markup inert on the dashboards, team views and the
rest of the admin; CSRF on every form and on session-authenticated API calls; a clean
`check --deploy` with production settings; intake keys stored hashed and revocable."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from leads.actions import record_event
from leads.models import IntakeKey, hash_intake_key
from tests.workspace_kit import XSS, make_lead, make_team

pytestmark = pytest.mark.django_db


BASE_DIR = Path(__file__).resolve().parents[2]
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"


@pytest.fixture
def hostile_world(rep, manager):
    """Markup in everything a person can type: the lead's fields, the rep's and the team's names."""
    rep.first_name, rep.last_name = XSS, XSS
    rep.save(update_fields=["first_name", "last_name"])
    team = make_team(XSS, manager=manager, members=[rep])
    lead = make_lead(rep, team=team, name=XSS, company=XSS, message=XSS, first_name=XSS, last_name=XSS, job_title=XSS)
    record_event(lead, "note.added", actor=rep, text=XSS)
    return {"lead": lead.pk, "team": team.pk}


def assert_inert(html: str) -> None:
    assert "<script>alert" not in html
    assert "<img src=x" not in html


@pytest.mark.parametrize(
    "persona, url, shows_payload",
    [
        ("leader", "/dashboard/", True),  # the rep and team names in the filters and leaderboard
        ("leader", "/dashboard/?team={team}", True),
        ("leader", "/dashboard/roi/?team={team}", True),
        ("leader", "/dashboard/?rep=" + XSS, True),  # the filter error repeats the value
        ("manager", "/queue/?team={team}", True),
        ("manager", "/queue/?q=" + XSS, False),
        ("rep", "/queue/stats/", False),
        ("manager", "/admin/leads/lead/?q=" + XSS, True),  # the search box repeats the query
        ("manager", "/admin/leads/leadevent/", False),
        ("manager", "/admin/routing/team/", True),
    ],
)
def test_markup_in_lead_team_and_user_names_is_inert(client, request, hostile_world, persona, url, shows_payload):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = client.get(url.format(rep=request.getfixturevalue("rep").pk, **hostile_world))
    assert response.status_code in (200, 400), response.status_code
    html = response.content.decode()
    assert_inert(html)
    if shows_payload:
        assert ESCAPED in html


def test_the_breaches_feed_and_exports_carry_no_live_markup(client, leader, hostile_world):
    client.force_login(leader)
    feed = client.get("/dashboard/breaches.json")
    assert feed["Content-Type"] == "application/json"
    export = client.get("/dashboard/export/reps.csv")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert export["X-Content-Type-Options"] == "nosniff"


# --- CSRF ------------------------------------------------------------------------------------------


def test_the_login_form_needs_its_csrf_token(rep):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "rep.one", "password": "test-pass-123"})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_admin_posts_need_their_csrf_token(manager, lead_source):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    response = client.post("/admin/leads/leadsource/add/", {"name": "Forged", "slug": "forged"})
    assert response.status_code == 403
    assert not lead_source.__class__.objects.filter(slug="forged").exists()


def test_the_import_upload_needs_its_csrf_token(manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    response = client.post("/dashboard/import/", {"file": b"email\nada@example.com\n"})
    assert response.status_code == 403


def test_the_api_with_a_session_needs_the_csrf_token_but_not_with_a_token(rep):
    lead = make_lead(rep)
    session = Client(enforce_csrf_checks=True)
    session.force_login(rep)
    refused = session.post(f"/api/v1/leads/{lead.pk}/accept", {}, content_type="application/json")
    assert refused.status_code == 403
    token = Token.objects.create(user=rep).key
    with_token = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {token}")
    assert with_token.post(f"/api/v1/leads/{lead.pk}/accept", {}, content_type="application/json").status_code == 200


# --- production settings ------------------------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings():
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(60),  # 80 characters
        "ALLOWED_HOSTS": "leadops.example.com",
        "LEADOPS_SECRETS_KEY": "x1mwu4rSYXlnyLpC_Pm6UjsyUcWZ0dNBBq6o7bEw4IY=",  # integrations' secrets at rest
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# --- intake keys ------------------------------------------------------------------------------------


def _intake(raw_key: str, email: str = "ada@example.com"):
    return Client().post(
        "/api/v1/leads", {"email": email}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw_key}"
    )


def test_intake_keys_are_stored_only_as_a_hash(lead_source):
    key, raw_key = IntakeKey.issue(lead_source, label="site")
    row = IntakeKey.objects.filter(pk=key.pk).values().get()
    assert row["key_hash"] == hash_intake_key(raw_key) != raw_key
    assert not any(raw_key in str(value) for value in row.values())
    assert raw_key.startswith(row["prefix"]) and len(row["prefix"]) < len(raw_key) // 3


@pytest.mark.usefixtures("redis_down")
def test_a_key_revoked_in_the_admin_gets_401_at_once(client, manager, lead_source):
    key, raw_key = IntakeKey.issue(lead_source, label="site")
    assert _intake(raw_key).status_code == 201  # now cached in this process
    client.force_login(manager)
    response = client.post("/admin/leads/intakekey/", {"action": "revoke", "_selected_action": [key.pk]})
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert _intake(raw_key, "grace@example.com").status_code == 401


@pytest.mark.usefixtures("redis_down")
def test_a_key_revoked_on_its_change_page_gets_401(client, manager, lead_source):
    key, raw_key = IntakeKey.issue(lead_source, label="site")
    assert _intake(raw_key).status_code == 201
    client.force_login(manager)
    change = client.post(
        f"/admin/leads/intakekey/{key.pk}/change/",
        {"lead_source": lead_source.pk, "label": "site", "requests_per_minute": 1200,
         "revoked_at_0": "2026-01-01", "revoked_at_1": "00:00:00"},
    )  # fmt: skip
    assert change.status_code == 302, change.content[:500]
    assert _intake(raw_key, "grace@example.com").status_code == 401
