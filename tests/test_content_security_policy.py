"""Content-Security-Policy and Permissions-Policy on every page (SPEC §7): the policy allows
scripts only from our own files, so each page must work without inline <script> blocks or
on*= handler attributes; data for scripts travels in json_script blocks
(type="application/json", never executed) or data- attributes. The browser tests
(tests/browser) run queue.js and live.js under this policy in real Chromium."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.core import signing
from django.test import Client

from cadences.messages import unsubscribe_token
from goals.survey import survey_token
from leads.views import THANKS_SALT
from tests.workspace_kit import make_lead, make_team

pytestmark = pytest.mark.django_db

PAGES = [
    ("anonymous", "/"),
    ("anonymous", "/accounts/login/"),
    ("anonymous", "/accounts/password_reset/"),
    ("anonymous", "/accounts/password_reset/done/"),
    ("anonymous", "/admin/login/"),
    ("anonymous", "/f/web/"),
    ("anonymous", "/f/web/thanks/{thanks}/"),
    ("anonymous", "/unsubscribe/{unsubscribe}/"),
    ("rep", "/queue/"),
    ("rep", "/queue/stats/"),
    ("rep", "/goals/leaderboard/"),
    ("anonymous", "/survey/{survey}/"),
    ("rep", "/leads/{lead}/"),
    ("manager", "/start/"),
    ("manager", "/queue/?team={team}"),  # the team picker that submits on change
    ("manager", "/leads/{lead}/"),
    ("manager", "/dashboard/"),
    ("manager", "/dashboard/roi/"),
    ("manager", "/dashboard/import/"),
    ("rep", "/mailbox/"),
    ("rep", "/mailbox/connect/"),
    ("manager", "/mailbox/?team={team}"),
    ("manager", "/admin/mailboxes/mailbox/add/"),
    ("leader", "/dashboard/"),
    ("manager", "/admin/"),
    ("manager", "/admin/leads/lead/"),
    ("manager", "/admin/leads/lead/{lead}/change/"),
    ("manager", "/admin/routing/routingrule/"),
    ("manager", "/admin/routing/routingrule/add/"),
    ("manager", "/admin/routing/routingrule/dry-run/"),
    ("manager", "/admin/routing/team/{team}/change/"),
    ("manager", "/admin/goals/goal/add/"),
    ("manager", "/admin/password_change/"),
    ("superuser", "/admin/auth/user/{manager}/change/"),
    ("superuser", "/admin/auth/user/add/"),
    ("superuser", "/admin/axes/accessattempt/"),
]


class InlineCode(HTMLParser):
    """Every <script> without src that is not a JSON data block, and every on*= attribute."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self.found.append(f"inline <script> at line {self.getpos()[0]}")
        self.found += [f"<{tag} {name}=…> at line {self.getpos()[0]}" for name, _ in attrs if name.startswith("on")]


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


@pytest.fixture
def world(rep, manager):
    team = make_team("East", manager=manager, members=[rep])
    lead = make_lead(rep, team=team)
    return {
        "lead": lead.pk,
        "team": team.pk,
        "manager": manager.pk,
        "thanks": signing.dumps(lead.pk, salt=THANKS_SALT),
        "unsubscribe": unsubscribe_token(lead.pk),
        "survey": survey_token(lead.pk),
    }


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.com", "test-pass-123")


def assert_policies(response) -> None:
    policy = dict(
        directive.strip().split(" ", 1) for directive in response["Content-Security-Policy"].split(";") if directive
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'" and policy["form-action"] == "'self'"
    assert "unsafe-inline" not in policy["style-src"]
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]


@pytest.mark.parametrize("persona, url", PAGES, ids=[f"{persona} {url}" for persona, url in PAGES])
def test_every_page_runs_under_the_content_security_policy(request, world, persona, url):
    client = Client()
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    response = client.get(url.format(**world))
    assert response.status_code == 200, (response.status_code, response.get("Location"))
    assert_policies(response)
    assert inline_code(response.content.decode()) == []


def test_the_lockout_page_runs_under_the_policy_too(rep):
    client = Client()
    for _ in range(5):
        client.post("/accounts/login/", {"username": "rep.one", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "rep.one", "password": "test-pass-123"})
    assert response.status_code == 429
    assert_policies(response)
    assert inline_code(response.content.decode()) == []


def test_api_replies_carry_the_policies(client, rep):
    client.force_login(rep)
    response = client.get("/api/v1/me/status")
    assert response.status_code == 200
    assert_policies(response)


def test_the_inline_code_finder_finds_inline_code():
    html = (
        '<script>alert(1)</script><script src="/static/a.js"></script>'
        '<script type="application/json" id="c">{}</script><select onchange="go()"></select>'
    )
    assert inline_code(html) == ["inline <script> at line 1", "<select onchange=…> at line 1"]
