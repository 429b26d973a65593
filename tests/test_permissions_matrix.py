"""Who may open what (SPEC §6, §7): every page and API for each persona, in one table.

The lead belongs to `rep`; `other_rep` is a rep of the same company who must not see it
(404, so that ids do not leak); leadership reads everything and changes nothing; only
managers reach the admin and edit the routing rules. Pages take the session, the API a
user token (`Authorization: Token <key>`); anonymous pages redirect to the login page,
the anonymous API answers 401."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from booking.models import Meeting
from goals.survey import survey_token
from integrations.models import Connection
from leadops.booking_links import booking_token
from leads.models import LeadSource
from mailboxes.models import Mailbox
from routing.models import RoutingRule
from tests.workspace_kit import api_token, make_lead, make_team

pytestmark = pytest.mark.django_db


PERSONAS = ("anonymous", "rep", "other_rep", "manager", "leader")
LOGIN = "login"  # 302 to the login page (the admin's for /admin/)
DONE = 302  # a form post that worked redirects back to the page

# (label, method, url, JSON body for the API) -> expected status for
#  anonymous, rep (owner), other rep, manager, leadership
MATRIX = [
    ("queue", "GET", "/queue/", None, (LOGIN, 200, 200, 200, 200)),
    ("my stats", "GET", "/queue/stats/", None, (LOGIN, 200, 200, 200, 200)),
    ("lead page", "GET", "/leads/{lead}/", None, (LOGIN, 200, 404, 200, 200)),
    ("lead page: add a note", "POST", "/leads/{lead}/notes/", None, (LOGIN, DONE, 404, DONE, 403)),
    ("dashboard", "GET", "/dashboard/", None, (LOGIN, 403, 403, 200, 200)),
    ("ROI page", "GET", "/dashboard/roi/", None, (LOGIN, 403, 403, 200, 200)),
    ("admin", "GET", "/admin/", None, (LOGIN, LOGIN, LOGIN, 200, LOGIN)),
    ("admin: routing rule", "GET", "/admin/routing/routingrule/{rule}/change/", None,
     (LOGIN, LOGIN, LOGIN, 200, LOGIN)),
    ("API: lead", "GET", "/api/v1/leads/{lead}", None, (401, 200, 404, 200, 200)),
    ("API: accept", "POST", "/api/v1/leads/{lead}/accept", {}, (401, 200, 404, 200, 403)),
    ("API: attempt", "POST", "/api/v1/leads/{lead}/attempts", {"channel": "call", "outcome": "no_answer"},
     (401, 201, 404, 201, 403)),
    ("API: stage", "POST", "/api/v1/leads/{lead}/stage", {"stage": "disqualified", "reason": "Student"},
     (401, 200, 404, 200, 403)),
    ("API: SLA metrics", "GET", "/api/v1/metrics/sla", None, (401, 403, 403, 200, 200)),
    ("API: my status", "GET", "/api/v1/me/status", None, (401, 200, 200, 200, 200)),
    ("API: set my status", "POST", "/api/v1/me/status", {"status": "away"}, (401, 200, 200, 200, 200)),
    ("API: schema", "GET", "/api/schema/", None, (200, 200, 200, 200, 200)),
    # Accept or pass; the installable queue and web push; the managers' live board.
    ("API: pass", "POST", "/api/v1/leads/{lead}/pass", {"reason": "In a meeting"}, (401, 200, 404, 403, 403)),
    ("lead page: pass", "POST", "/leads/{lead}/pass/", None, (LOGIN, 400, 404, 403, 403)),
    ("API: my push devices", "GET", "/api/v1/me/push-subscriptions", None, (401, 200, 200, 200, 200)),
    ("API: save a push device", "POST", "/api/v1/me/push-subscriptions", {}, (401, 409, 409, 409, 409)),
    ("my alerts", "GET", "/me/alerts/", None, (LOGIN, 200, 200, 200, 200)),
    ("manifest", "GET", "/manifest.webmanifest", None, (200, 200, 200, 200, 200)),
    ("service worker", "GET", "/sw.js", None, (200, 200, 200, 200, 200)),
    ("offline page", "GET", "/offline/", None, (200, 200, 200, 200, 200)),
    ("board", "GET", "/board/", None, (LOGIN, 404, 404, 302, 404)),  # one team: straight to its board
    ("team board", "GET", "/board/{team}/", None, (LOGIN, 404, 404, 200, 404)),
    ("board: move a lead", "POST", "/board/{team}/leads/{lead}/reassign/", None, (LOGIN, 404, 404, 302, 404)),
    # Integrations: managers configure them in the admin; the hooks answer only signed requests.
    ("admin: connections", "GET", "/admin/integrations/connection/", None, (LOGIN, LOGIN, LOGIN, 200, LOGIN)),
    ("admin: connection", "GET", "/admin/integrations/connection/{connection}/change/", None,
     (LOGIN, LOGIN, LOGIN, 200, LOGIN)),
    ("admin: send a test", "GET", "/admin/integrations/connection/{connection}/try/", None,
     (LOGIN, LOGIN, LOGIN, 200, LOGIN)),
    ("admin: hook deliveries", "GET", "/admin/integrations/hookdelivery/", None, (LOGIN, LOGIN, LOGIN, 200, LOGIN)),
    ("admin: subscriptions", "GET", "/admin/integrations/subscription/", None, (LOGIN, LOGIN, LOGIN, 200, LOGIN)),
    ("admin: webhook deliveries", "GET", "/admin/integrations/webhookdelivery/", None,
     (LOGIN, LOGIN, LOGIN, 200, LOGIN)),
    ("hook: unsigned request", "POST", "/hooks/generic/{connection_slug}/", None, (401, 401, 401, 401, 401)),
    # The lead's booking page: no login, the signed link is the key (SPEC §6 /book/{signed-token}/).
    ("booking page", "GET", "/book/{token}/", None, (200, 200, 200, 200, 200)),
    ("booking slots", "GET", "/book/{token}/slots.json", None, (200, 200, 200, 200, 200)),
    ("booking page: forged link", "GET", "/book/{token}x/", None, (404, 404, 404, 404, 404)),
    ("lead page: cancel the meeting", "POST", "/leads/{lead}/meetings/{meeting}/cancel/", None,
     (LOGIN, DONE, 404, DONE, 403)),
    ("lead page: move the meeting", "POST", "/leads/{lead}/meetings/{meeting}/reschedule/", None,
     (LOGIN, DONE, 404, DONE, 403)),
    ("lead page: mark attendance", "POST", "/leads/{lead}/meetings/{meeting}/attendance/", None,
     (LOGIN, DONE, 404, DONE, 403)),
    # Mailbox analytics: a rep sees their own figures; managers and leadership anyone's.
    ("mailbox figures", "GET", "/mailbox/", None, (LOGIN, 200, 200, 200, 200)),
    ("mailbox figures of a rep", "GET", "/mailbox/?rep={rep}", None, (LOGIN, 200, 404, 200, 200)),
    ("connect my mailbox", "GET", "/mailbox/connect/", None, (LOGIN, 200, 200, 200, 200)),
    ("mailbox: sync now", "POST", "/mailbox/{mailbox}/sync/", None, (LOGIN, DONE, 404, DONE, 404)),
    ("mailbox: disconnect", "POST", "/mailbox/{mailbox}/disconnect/", None, (LOGIN, DONE, 404, DONE, 404)),
    ("admin: mailboxes", "GET", "/admin/mailboxes/mailbox/", None, (LOGIN, LOGIN, LOGIN, 200, LOGIN)),
    # Goals: the leaderboard for everyone signed in, the goals in the admin for managers, the
    # lead's survey page behind its signed link.
    ("leaderboard", "GET", "/goals/leaderboard/", None, (LOGIN, 200, 200, 200, 200)),
    ("admin: goals", "GET", "/admin/goals/goal/", None, (LOGIN, LOGIN, LOGIN, 200, LOGIN)),
    ("lead survey", "GET", "/survey/{survey}/", None, (200, 200, 200, 200, 200)),
    ("lead survey: forged link", "GET", "/survey/{survey}x/", None, (404, 404, 404, 404, 404)),
]  # fmt: skip
CASES = [
    pytest.param(persona, method, url, body, expected[index], id=f"{persona}: {label}")
    for label, method, url, body, expected in MATRIX
    for index, persona in enumerate(PERSONAS)
]


@pytest.fixture
def world(rep, manager):
    team = make_team(manager=manager, members=[rep])
    lead = make_lead(rep, team=team)
    rule = RoutingRule.objects.create(position=1, name="Everyone")
    start = timezone.now() + timedelta(days=1)
    meeting = Meeting.objects.create(
        lead=lead, rep=rep, starts_at=start, ends_at=start + timedelta(minutes=30), uid="m"
    )
    partner = LeadSource.objects.create(name="Partner", slug="partner")
    connection = Connection(name="Partner feed", slug="partner-feed", provider="generic", lead_source=partner)
    connection.set_secret("signing_secret", "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQ=")
    connection.save()
    mailbox = Mailbox.objects.create(owner=rep, host="imap.example.com", username="rep@example.com", password="x")
    return {
        "rep": rep.pk,
        "mailbox": mailbox.pk,
        "lead": lead.pk,
        "rule": rule.pk,
        "team": team.pk,
        "connection": connection.pk,
        "connection_slug": connection.slug,
        "meeting": meeting.pk,
        "token": booking_token(lead.pk),
        "survey": survey_token(lead.pk),
    }


def _client(request, persona: str, api: bool) -> Client:
    if persona == "anonymous":
        return Client()
    user = request.getfixturevalue(persona)
    if api:
        return Client(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("persona, method, url, body, expected", CASES)
def test_the_permission_matrix(request, world, persona, method, url, body, expected):
    url = url.format(**world)
    api = url.startswith("/api/v1/")
    client = _client(request, persona, api)
    if method == "GET":
        response = client.get(url)
    elif api:
        response = client.post(url, body, content_type="application/json")
    else:
        response = client.post(url, {"text": "Called, no answer."})
    if expected == LOGIN:
        assert response.status_code == 302
        login = "/admin/login/" if url.startswith("/admin/") else "/accounts/login/"
        assert response["Location"].startswith(login), response["Location"]
        return
    assert response.status_code == expected, response.content[:300]
    if expected == DONE and "/board/" not in url and not url.startswith("/mailbox/"):
        assert response["Location"].startswith(f"/leads/{world['lead']}/"), response["Location"]
    if api and expected >= 400:
        assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("persona", ["anonymous", "rep", "other_rep", "leader", "staff_leader"])
def test_only_managers_can_change_routing_rules(request, world, persona):
    client = Client()
    if persona == "staff_leader":  # leadership let into the admin still only reads
        user = request.getfixturevalue("leader")
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        client.force_login(user)
    elif persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    change = f"/admin/routing/routingrule/{world['rule']}/change/"
    payload = {"name": "Hijacked", "position": 0, "active": "on", "strategy": "round_robin",
               "fallback": "queue", "sources": "[]", "inquiry_types": "[]", "temperatures": "[]",
               "countries": "[]", "regions": "[]", "postal_prefixes": "[]", "product_interests": "[]"}  # fmt: skip
    for url in (change, "/admin/routing/routingrule/add/", f"/admin/routing/routingrule/{world['rule']}/delete/"):
        response = client.post(url, payload | {"post": "yes"})
        assert response.status_code in (302, 403), (url, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith("/admin/login/"), (url, response["Location"])
    rule = RoutingRule.objects.get(pk=world["rule"])
    assert rule.name == "Everyone"
    assert RoutingRule.objects.count() == 1


LOCKED_OUT_CASES = [
    pytest.param(persona, method, url, body, expected[index], id=f"locked-out {persona}: {label}")
    for label, method, url, body, expected in MATRIX
    if url.startswith("/api/v1/")
    for index, persona in enumerate(PERSONAS)
    if persona in ("rep", "manager")
]


@pytest.mark.parametrize("persona, method, url, body, expected", LOCKED_OUT_CASES)
def test_a_sign_in_lockout_leaves_the_api_as_it_was(request, world, persona, method, url, body, expected):
    """The lockout (django-axes) counts passwords typed into the sign-in pages; a user
    token does not sign in, so the API answers a locked-out user as before."""
    username = request.getfixturevalue(persona).username
    for _ in range(6):
        Client().post("/accounts/login/", {"username": username, "password": "wrong"})
    assert Client().post("/accounts/login/", {"username": username, "password": "test-pass-123"}).status_code == 429
    client = _client(request, persona, api=True)
    url = url.format(**world)
    response = client.get(url) if method == "GET" else client.post(url, body, content_type="application/json")
    assert response.status_code == expected, response.content[:300]
