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
from django.core import mail
from django.test import Client

from cadences.messages import unsubscribe_url
from leads.actions import record_event
from leads.models import IntakeKey, hash_intake_key
from notifications.alerts import lead_link
from tests.workspace_kit import XSS, api_token, make_lead, make_team

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
    token = api_token(rep)
    with_token = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {token}")
    assert with_token.post(f"/api/v1/leads/{lead.pk}/accept", {}, content_type="application/json").status_code == 200


# --- production settings ------------------------------------------------------------------------


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(60),  # 80 characters
    "ALLOWED_HOSTS": "leadops.example.com",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
    "LEADOPS_PUBLIC_URL": "https://leadops.example.com",
}


def run_with(overrides: dict[str, str | None], *command: str) -> subprocess.CompletedProcess:
    """A command under production settings changed by `overrides` (None: unset)."""
    env = {**os.environ, **PRODUCTION, **overrides}
    env = {name: value for name, value in env.items() if value is not None}
    return subprocess.run(
        [sys.executable, *command], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_settings():
    result = run_with(
        {"LEADOPS_SECRETS_KEY": "x1mwu4rSYXlnyLpC_Pm6UjsyUcWZ0dNBBq6o7bEw4IY="},  # integrations' secrets at rest
        "manage.py", "check", "--deploy", "--fail-level", "WARNING",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "overrides, refusal",
    [
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS='*' with DEBUG=false"),
        ({"ALLOWED_HOSTS": "leadops.example.com,*"}, "ALLOWED_HOSTS='*' with DEBUG=false"),
        ({"EMAIL_URL": None}, "EMAIL_URL is unset"),
        ({"EMAIL_URL": "consolemail://"}, "EMAIL_URL is unset"),
        ({"LEADOPS_WS_ALLOWED_ORIGINS": "*"}, "'*' and 'null' are refused"),
        ({"LEADOPS_WS_ALLOWED_ORIGINS": "https://partner.example.com,null"}, "'*' and 'null' are refused"),
        ({"LEADOPS_PUBLIC_URL": "leadops.example.com"}, "LEADOPS_PUBLIC_URL must be an absolute http(s) URL"),
        ({"LEADOPS_PUBLIC_URL": "https://leadops.example.com/crm"}, "with no path"),
    ],
)
def test_it_refuses_to_start_with_unsafe_production_settings(overrides, refusal):
    result = run_with(overrides, "manage.py", "check", "--deploy")
    assert result.returncode != 0
    assert "LeadOps refuses to start" in result.stderr and refusal in result.stderr, result.stderr[-2000:]


@pytest.mark.parametrize("server_module", ["leadops.wsgi", "leadops.asgi"])
def test_the_servers_refuse_any_host_header_in_production(server_module):
    """gunicorn and daphne import these modules (they run no system checks)."""
    result = run_with({"ALLOWED_HOSTS": "*"}, "-c", f"import {server_module}")
    assert result.returncode != 0 and "ALLOWED_HOSTS='*' with DEBUG=false" in result.stderr


def test_mail_printed_to_the_console_is_an_explicit_choice_in_production():
    result = run_with({"EMAIL_URL": None, "LEADOPS_ALLOW_CONSOLE_EMAIL": "true"}, "manage.py", "check")
    assert result.returncode == 0, result.stderr[-2000:]


def test_check_deploy_warns_about_a_public_address_on_plain_http():
    result = run_with({"LEADOPS_PUBLIC_URL": "http://leadops.example.com"}, "manage.py", "check", "--deploy")
    assert "leadops.W001" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "overrides, origins",
    [
        ({}, ["https://leadops.example.com"]),
        (
            {"LEADOPS_WS_ALLOWED_ORIGINS": "https://partner.example.com"},
            ["https://leadops.example.com", "https://partner.example.com"],
        ),
        ({"DEBUG": "true"}, ["https://leadops.example.com", "localhost", "127.0.0.1", "[::1]"]),
    ],
)
def test_the_websocket_opens_to_the_public_address_and_listed_origins_only(overrides, origins):
    show = "from django.conf import settings; print(','.join(settings.LEADOPS_WS_ALLOWED_ORIGINS))"
    result = run_with(overrides, "manage.py", "shell", "-c", show)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-1] == ",".join(origins)


# --- absolute links: on LEADOPS_PUBLIC_URL, never on the request's Host header ----------------------


@pytest.mark.parametrize(
    "public_url, host, secure",
    [
        ("https://leadops.example.com", "evil.example", False),
        ("https://leadops.example.com", "evil.example:8443", True),
        ("http://127.0.0.1:8000", "evil.example", True),
    ],
)
def test_a_password_reset_link_ignores_the_host_header(client, rep, settings, public_url, host, secure):
    settings.ALLOWED_HOSTS = ["*"]  # as a careless deployment had it: the Host header gets through
    settings.LEADOPS_PUBLIC_URL = public_url
    response = client.post("/accounts/password_reset/", {"email": rep.email}, headers={"host": host}, secure=secure)
    assert response.status_code == 302
    [email] = mail.outbox
    assert "evil.example" not in email.body
    assert f"{public_url}/accounts/reset/" in email.body


def test_every_absolute_link_is_on_the_public_address(rep, settings):
    settings.LEADOPS_PUBLIC_URL = "https://crm.example.com"
    lead = make_lead(rep)
    assert unsubscribe_url(lead.pk).startswith("https://crm.example.com/unsubscribe/")
    assert lead_link(lead) == f"https://crm.example.com/leads/{lead.pk}/"


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


def test_api_tokens_are_stored_only_as_a_hash_and_work(client, rep):
    """Issue 16, item 3: DRF's authtoken kept raw keys, readable by anyone with the database
    (or a template reaching `user.auth_token.key`)."""
    from django.conf import settings

    from leadops.apitokens.models import ApiToken, hash_token

    assert "rest_framework.authtoken" not in settings.INSTALLED_APPS
    raw_key = api_token(rep)
    stored = ApiToken.objects.get(user=rep)
    assert stored.key_hash == hash_token(raw_key) and raw_key not in str(vars(stored))
    assert client.get("/api/v1/me/status", HTTP_AUTHORIZATION=f"Token {raw_key}").status_code == 200
    assert client.get("/api/v1/me/status", HTTP_AUTHORIZATION=f"Token {stored.key_hash}").status_code == 401
    rep.is_active = False
    rep.save()
    assert client.get("/api/v1/me/status", HTTP_AUTHORIZATION=f"Token {raw_key}").status_code == 401


def test_drf_create_token_prints_a_working_key_once(client, rep, capsys):
    from django.core.management import call_command

    call_command("drf_create_token", "rep.one")
    first = capsys.readouterr().out.strip()
    assert first.startswith("Generated token ") and first.endswith(" for user rep.one")
    raw_key = first.split()[2]
    assert len(raw_key) == 40
    assert client.get("/api/v1/me/status", HTTP_AUTHORIZATION=f"Token {raw_key}").status_code == 200
    call_command("drf_create_token", "-r", "rep.one")  # reset: the earlier token stops working
    fresh = capsys.readouterr().out.split()[2]
    assert client.get("/api/v1/me/status", HTTP_AUTHORIZATION=f"Token {raw_key}").status_code == 401
    assert client.get("/api/v1/me/status", HTTP_AUTHORIZATION=f"Token {fresh}").status_code == 200


def test_tokens_from_drf_authtoken_are_hashed_by_the_migration_and_keep_working(client, rep):
    from importlib import import_module

    from django.apps import apps
    from django.db import connection

    migration = import_module("leadops.apitokens.migrations.0002_hash_drf_tokens")
    legacy_key = secrets.token_hex(20)
    with connection.cursor() as cursor:
        cursor.execute(
            'CREATE TABLE authtoken_token ("key" varchar(40) PRIMARY KEY, "created" timestamp, "user_id" int)'
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, %s)", [legacy_key, "2026-01-02 03:04:05", rep.pk])

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection

    migration.hash_drf_tokens(apps, editor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0  # the raw keys are gone
        cursor.execute("DROP TABLE authtoken_token")
    assert client.get("/api/v1/me/status", HTTP_AUTHORIZATION=f"Token {legacy_key}").status_code == 200
