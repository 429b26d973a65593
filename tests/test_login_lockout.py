"""Sign-in lockout (django-axes) on the two sign-in pages: after LEADOPS_LOGIN_FAILURE_LIMIT
wrong passwords for one username from one address, even the right password is refused
until the lockout ends or an administrator unlocks the account; API tokens and intake
keys, which never sign in, keep working."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.workspace_kit import api_token

pytestmark = pytest.mark.django_db

PASSWORD = "test-pass-123"  # the personas' (conftest.py)
LOGIN_PAGES = {"sign-in page": "/accounts/login/", "admin": "/admin/login/"}


def attempt(client: Client, page: str, username: str, password: str, address: str = "203.0.113.7"):
    return client.post(page, {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(client: Client, page: str, username: str, times: int, address: str = "203.0.113.7") -> None:
    for _ in range(times):
        attempt(client, page, username, "not-the-password", address)


@pytest.mark.parametrize("page", LOGIN_PAGES.values(), ids=LOGIN_PAGES.keys())
def test_it_locks_a_username_out_after_five_wrong_passwords(client, manager, page):
    fail(client, page, "manager", 5)

    response = attempt(client, page, "manager", PASSWORD)

    assert response.status_code == 429
    assert not signed_in(client)
    page_text = response.content.decode()
    assert "Sign-in paused" in page_text and "15 minutes" in page_text
    assert "Forgot your password?" in page_text


def test_fewer_wrong_passwords_do_not_lock_and_a_success_starts_the_count_again(client, rep):
    fail(client, "/accounts/login/", "rep.one", 4)
    assert attempt(client, "/accounts/login/", "rep.one", PASSWORD).status_code == 302
    client.logout()
    fail(client, "/accounts/login/", "rep.one", 4)
    assert attempt(client, "/accounts/login/", "rep.one", PASSWORD).status_code == 302


def test_the_lockout_is_per_username_and_address(client, rep, other_rep):
    fail(client, "/accounts/login/", "rep.one", 5)

    assert attempt(Client(), "/accounts/login/", "rep.two", PASSWORD).status_code == 302
    assert attempt(Client(), "/accounts/login/", "rep.one", PASSWORD, address="198.51.100.9").status_code == 302
    assert attempt(Client(), "/accounts/login/", "rep.one", PASSWORD).status_code == 429


def test_the_lockout_ends_after_its_cool_off(client, rep):
    fail(client, "/accounts/login/", "rep.one", 5)
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert attempt(client, "/accounts/login/", "rep.one", PASSWORD).status_code == 302
        assert signed_in(client)


def test_the_limit_and_the_lockout_follow_the_settings(client, rep, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=60)
    fail(client, "/accounts/login/", "rep.one", 2)

    response = attempt(client, "/accounts/login/", "rep.one", PASSWORD)

    assert response.status_code == 429 and "60 minutes" in response.content.decode()


def test_an_administrator_unlocks_a_username_at_once(client, rep):
    fail(client, "/accounts/login/", "rep.one", 5)
    assert attempt(client, "/accounts/login/", "rep.one", PASSWORD).status_code == 429

    call_command("axes_reset_username", "rep.one")

    assert attempt(client, "/accounts/login/", "rep.one", PASSWORD).status_code == 302


def test_a_locked_out_user_keeps_the_api_token_and_the_intake_key_working(client, rep, intake_key):
    fail(client, "/accounts/login/", "rep.one", 6)
    token = api_token(rep)

    status = Client(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/me/status", REMOTE_ADDR="203.0.113.7")
    intake = Client().post(
        "/api/v1/leads",
        {"email": "ada@example.com"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {intake_key}",
        REMOTE_ADDR="203.0.113.7",
    )

    assert status.status_code == 200
    assert intake.status_code == 201
