"""Signing in and landing, the queue (order, filters, search, pagination, team view) and
"my stats"."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from leads.models import Attempt
from tests.workspace_kit import TUESDAY_11_NY, make_lead, make_team, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def tuesday_morning():
    with time_machine.travel(TUESDAY_11_NY, tick=False):
        yield


def row_ids(response) -> list[int]:
    return [int(value) for value in re.findall(r'<tr [^>]*data-lead="(\d+)"', response.content.decode())]


# --- signing in and landing -----------------------------------------------------------------------


def test_it_sends_visitors_to_the_sign_in_page(client):
    response = client.get("/queue/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/queue/"
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and b"Forgot your password?" in page.content


def test_it_lands_a_rep_on_their_queue(client, rep):
    response = client.post("/accounts/login/", {"username": "rep.one", "password": "test-pass-123"}, follow=True)
    assert response.redirect_chain[-1][0] == "/queue/"
    assert b"My queue" in response.content


def test_it_lands_leadership_on_the_dashboard(client, leader):
    response = client.post("/accounts/login/", {"username": "leader", "password": "test-pass-123"})
    assert response["Location"] == "/start/"
    assert client.get("/start/")["Location"] == "/dashboard/"


def test_it_lets_a_manager_choose_between_team_queue_dashboard_and_admin(client, manager, rep):
    team = make_team(manager=manager, members=[rep])
    client.force_login(manager)
    page = client.get("/start/").content.decode()
    assert f'href="/queue/?team={team.pk}"' in page
    assert 'href="/dashboard/"' in page and 'href="/admin/"' in page


def test_it_keeps_the_page_a_visitor_asked_for(client, rep):
    credentials = {"username": "rep.one", "password": "test-pass-123", "next": "/queue/stats/"}
    response = client.post("/accounts/login/", credentials)
    assert response["Location"] == "/queue/stats/"


def test_it_signs_out_with_a_post(client, rep):
    client.force_login(rep)
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
    assert client.get("/queue/").status_code == 302


def test_it_resets_a_forgotten_password_by_email(client, rep, settings):
    settings.LEADOPS_PUBLIC_URL = "https://leadops.example.com"
    response = client.post("/accounts/password_reset/", {"email": "rep.one@example.com"})
    assert response["Location"] == "/accounts/password_reset/done/"
    [email] = mail.outbox
    assert email.to == ["rep.one@example.com"] and "rep.one" in email.body
    link = re.search(r"https://leadops.example.com(/accounts/reset/\S+/)", email.body).group(1)
    form_page = client.get(link, follow=True)
    assert b"Choose a new password" in form_page.content
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "a-new-Secret-77", "new_password2": "a-new-Secret-77"}
    )
    assert done["Location"] == "/accounts/reset/done/"
    assert sign_in(client, "rep.one", "a-new-Secret-77")


# --- the queue ----------------------------------------------------------------------------------------


def test_it_shows_a_rep_only_their_own_open_leads(client, rep, other_rep):
    mine = make_lead(rep)
    make_lead(other_rep)
    make_lead(rep, stage="qualified")
    make_lead(rep, junk=True)
    client.force_login(rep)
    assert row_ids(client.get("/queue/")) == [mine.pk]


def test_it_sorts_by_time_left_with_hot_leads_first(client, rep):
    now = TUESDAY_11_NY
    cold_later = make_lead(rep, temperature="cold", first_contact_due_at=now + timedelta(hours=3))
    warm_same = make_lead(rep, temperature="warm", first_contact_due_at=now + timedelta(minutes=2))
    hot_same = make_lead(rep, first_contact_due_at=now + timedelta(minutes=2))
    overdue = make_lead(rep, temperature="warm", first_contact_due_at=now - timedelta(minutes=1))
    contacted = make_lead(rep, first_attempt_at=now, stage="contacted", first_contact_due_at=now)
    client.force_login(rep)
    assert row_ids(client.get("/queue/")) == [overdue.pk, hot_same.pk, warm_same.pk, cold_later.pk, contacted.pk]


def test_each_row_has_a_countdown_turning_amber_at_80_percent(client, rep):
    lead = make_lead(rep)  # hot: 3 minutes, so amber from 36 s before the due time
    client.force_login(rep)
    page = client.get("/queue/").content.decode()
    due = lead.first_contact_due_at
    assert f'data-due="{due.isoformat()}"' in page
    assert f'data-warn="{(due - timedelta(seconds=36)).isoformat()}"' in page
    assert 'href="tel:+14155550100"' in page


def test_each_row_carries_the_sort_key_the_page_uses_for_live_rows(client, rep):
    lead = make_lead(rep)
    client.force_login(rep)
    page = client.get("/queue/").content.decode()
    sort = json.loads(re.search(r"data-sort=\"([^\"]+)\"", page).group(1).replace("&quot;", '"'))
    due, submitted = (int(moment.timestamp() * 1000) for moment in (lead.first_contact_due_at, lead.submitted_at))
    assert sort == [0, due, 0, submitted, lead.pk]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("temperature=warm", ["warm"]),
        ("source=referral", ["referral"]),
        ("stage=contacted", ["contacted"]),
        ("q=Babbage", ["babbage"]),
        ("due_today=on", ["hot", "warm", "referral", "contacted", "babbage"]),
    ],
)
def test_it_filters_the_queue(client, rep, query, expected):
    now = TUESDAY_11_NY
    leads = {
        "hot": make_lead(rep),
        "warm": make_lead(rep, temperature="warm"),
        "referral": make_lead(rep, source="referral"),
        "contacted": make_lead(rep, stage="contacted", first_attempt_at=now, first_contact_due_at=now),
        "babbage": make_lead(rep, name="Charles Babbage"),
        "tomorrow": make_lead(rep, temperature="cold", first_contact_due_at=now + timedelta(days=1)),
    }
    client.force_login(rep)
    shown = set(row_ids(client.get(f"/queue/?{query}")))
    wanted = {leads[name].pk for name in expected}
    if query.startswith("due_today"):
        # The contacted lead has no next step without a cadence: only its due time counts.
        assert shown >= wanted - {leads["contacted"].pk} and leads["tomorrow"].pk not in shown
    else:
        assert shown == wanted


def test_it_finds_a_lead_by_its_reference(client, rep):
    lead = make_lead(rep)
    make_lead(rep)
    client.force_login(rep)
    assert row_ids(client.get(f"/queue/?q=L-{lead.pk}")) == [lead.pk]


def test_it_pages_long_queues(client, rep):
    for _ in range(27):
        make_lead(rep)
    client.force_login(rep)
    assert len(row_ids(client.get("/queue/"))) == 25
    assert len(row_ids(client.get("/queue/?page=2"))) == 2


def test_a_manager_sees_a_team_queue_with_owners(client, manager, rep, other_rep):
    team = make_team(manager=manager, members=[rep, other_rep])
    first, second = make_lead(rep, team=team), make_lead(other_rep, team=team)
    waiting = make_lead(None, team=team)
    elsewhere = make_lead(other_rep)  # a team member's lead routed by another team's rule
    make_lead(None)  # no team
    client.force_login(manager)
    response = client.get(f"/queue/?team={team.pk}")
    assert set(row_ids(response)) == {first.pk, second.pk, waiting.pk, elsewhere.pk}
    assert b"Owner" in response.content and b"unassigned" in response.content


def test_reps_have_no_team_view(client, rep):
    team = make_team(members=[rep])
    client.force_login(rep)
    assert client.get(f"/queue/?team={team.pk}").status_code == 404


def test_the_queue_lists_due_call_tasks_from_the_cadence(client, rep):
    progress = pytest.importorskip("cadences.progress")
    lead = make_lead(rep)
    progress.enroll(lead, at=TUESDAY_11_NY)
    client.force_login(rep)
    page = client.get("/queue/").content.decode()
    tasks = page[page.index('id="task-list"') : page.index("</ul>", page.index('id="task-list"'))]
    assert f'data-lead="{lead.pk}"' in tasks and 'href="tel:+14155550100"' in tasks


def test_the_queue_works_on_a_phone_sized_page(client, rep):
    make_lead(rep)
    client.force_login(rep)
    page = client.get("/queue/").content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert 'data-label="Time left"' in page  # the card layout labels each cell


# --- my stats -------------------------------------------------------------------------------------------


def test_my_stats_compare_my_speed_this_week_with_the_team(client, rep, other_rep):
    pytest.importorskip("reports.metrics")
    team = make_team(members=[rep, other_rep])
    now = TUESDAY_11_NY
    for owner, minutes in ((rep, 2), (rep, 4), (other_rep, 30)):
        lead = make_lead(
            owner, team=team, at=now - timedelta(hours=1), first_contact_due_at=now - timedelta(minutes=55)
        )
        lead.first_attempt_at = lead.submitted_at + timedelta(minutes=minutes)
        lead.save(update_fields=["first_attempt_at"])
        Attempt.objects.create(lead=lead, number=1, channel="call", outcome="no_answer", at=lead.first_attempt_at)
    make_lead(rep, team=team, at=now - timedelta(days=9))  # last week: not counted
    client.force_login(rep)
    response = client.get("/queue/stats/")
    me, team_card = response.context["mine"], response.context["team"]
    assert (me["leads"], me["median"], me["within_sla"]) == (2, "3m 00s", "100.0%")
    assert (team_card["leads"], team_card["median"], team_card["within_sla"]) == (3, "4m 00s", "66.7%")
    board = response.context["board"]
    assert [row["rep"] for row in board] == ["rep.one", "rep.two"] and board[0]["me"]
