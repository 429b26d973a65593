"""Factories shared by the workspace, push, consumer and alert tests (plain functions;
the personas rep, other_rep, manager and leader come from the root conftest)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from django.contrib.auth import get_user_model
from django.utils import timezone

from leadops.apitokens.models import ApiToken
from leads.models import Lead, LeadSource, SlaPolicy
from routing.models import BusinessSchedule, RepProfile, Team

TUESDAY_11_NY = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # inside business hours in New York
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
_numbers = count(1)


def lead_source() -> LeadSource:
    source, _ = LeadSource.objects.get_or_create(slug="web", defaults={"name": "Web", "default_source": "organic"})
    return source


def make_lead(owner=None, *, team=None, at=None, **fields) -> Lead:
    """An assigned (or, without owner, new) hot lead from paid ads, due in 3 minutes."""
    number = next(_numbers)
    at = at or timezone.now()
    values = dict(
        lead_source=lead_source(), email=f"ada{number}@analytical{number}.io", first_name="Ada",
        last_name=f"Lovelace {number}", company=f"Analytical Engines {number}", phone="+1 415 555 0100",
        phone_e164="+14155550100", source="paid_ads", inquiry_type="demo_request", temperature="hot", score=70,
        country="US", resolved_time_zone="America/New_York", company_domain=f"analytical{number}.io",
        submitted_at=at, received_at=at, first_contact_due_at=at + timedelta(minutes=3),
        sla_policy=SlaPolicy.objects.filter(name="Hot").first(), stage="assigned" if owner else "new",
        owner=owner, team=team, assigned_at=at if owner else None, message="Can you show us the product?",
    )  # fmt: skip
    values.update(fields)
    return Lead.objects.create(**values)


def make_team(name: str = "East", *, manager=None, members=(), webhook: str = "") -> Team:
    team = Team.objects.create(
        name=name, schedule=BusinessSchedule.objects.get(is_default=True), manager=manager, chat_webhook_url=webhook
    )
    team.members.add(*members)
    return team


def rep_profile(user, **fields) -> RepProfile:
    profile, _ = RepProfile.objects.update_or_create(user=user, defaults=fields)
    return profile


def sign_in(client, username: str, password: str) -> bool:
    """Sign in through the login form, as a person does, and say whether it worked.

    Client.login() calls authenticate() without a request, which django-axes (sign-in
    lockout) refuses; the form gives it the request, and the attempt is counted."""
    client.logout()
    client.post("/accounts/login/", {"username": username, "password": password})
    user = get_user_model().objects.filter(username=username).first()
    return user is not None and client.session.get("_auth_user_id") == str(user.pk)


def api_token(user) -> str:
    """A new API token of the user: the raw key, for `Authorization: Token <key>`."""
    return ApiToken.issue(user, label="tests")[1]
