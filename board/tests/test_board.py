"""The managers' live board (/board/): what it shows (presence, load, waiting leads with
their SLA clocks, today's figures by SPEC §4, the morning queue, who is on call), who may
open it, and the one-click move of a lead through routing (traced)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.test import Client

from board.figures import team_board, today_figures
from leadops.roles import MANAGERS
from leads.models import Lead
from reports.filters import MetricFilters  # the tests may compare with reports; board itself may not
from reports.metrics import summary
from routing.models import Offer, OnCallShift
from tests.workspace_kit import TUESDAY_11_NY, make_lead, make_team, rep_profile

pytestmark = pytest.mark.django_db
NOW = TUESDAY_11_NY + timedelta(hours=2)  # 13:00 in New York


@pytest.fixture
def team(manager, rep, other_rep):
    rep_profile(rep, status="available", status_changed_at=NOW - timedelta(minutes=42), capacity=10)
    rep_profile(other_rep, status="away", status_changed_at=NOW - timedelta(minutes=5), capacity=4)
    return make_team(manager=manager, members=[rep, other_rep])


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def today_leads(team, rep, other_rep):
    """Five leads of today (due 3 minutes after submission): responses of 2, 4 and 30
    minutes; one due and never called; one not due yet."""
    day = NOW - timedelta(hours=3)
    make_lead(rep, team=team, at=day, first_attempt_at=day + timedelta(minutes=2), stage="contacted")
    make_lead(rep, team=team, at=day, first_attempt_at=day + timedelta(minutes=4), stage="contacted")
    make_lead(other_rep, team=team, at=day, first_attempt_at=day + timedelta(minutes=30), stage="contacted")
    make_lead(other_rep, team=team, at=day)  # due 3 minutes later, never called: breached
    make_lead(rep, team=team, at=NOW - timedelta(minutes=1))  # due in 2 minutes
    make_lead(rep, team=team, at=NOW - timedelta(days=1), first_attempt_at=NOW - timedelta(days=1))  # yesterday
    make_lead(rep, team=team, at=day, junk=True)  # junk never counts


def test_todays_figures_follow_the_spec_definitions(team, rep, other_rep):
    today_leads(team, rep, other_rep)
    figures = today_figures(team, NOW)
    assert (figures["leads"], figures["attempted"], figures["median_seconds"]) == (5, 3, 240)
    assert (figures["met"], figures["due"], figures["within_sla"]) == (1, 4, 0.25)  # only the 2-minute call was in time
    # the same numbers as the reports app's definitions (reports/metrics.py) for the same leads
    start = NOW.replace(hour=5)  # midnight in New York
    leads = Lead.objects.filter(team=team, junk=False, submitted_at__gte=start, submitted_at__lte=NOW)
    report = summary(leads, NOW)
    assert report["response_median"] == figures["median_seconds"] and report["met"] / report["due"] == 0.25
    assert MetricFilters  # imported to show where the dashboard's filters live


def test_the_board_shows_reps_waiting_leads_the_morning_queue_and_who_is_on_call(team, manager, rep, other_rep):
    today_leads(team, rep, other_rep)
    waiting = make_lead(rep, team=team, at=NOW - timedelta(seconds=30), company="Babbage & Co")
    Offer.objects.create(lead=waiting, owner=rep, offered_at=NOW, accept_by=NOW + timedelta(minutes=2))
    queued = make_lead(None, team=team, at=NOW - timedelta(minutes=5), route_after=NOW)
    OnCallShift.objects.create(
        team=team, user=other_rep, starts_at=NOW - timedelta(hours=1), ends_at=NOW + timedelta(hours=8)
    )
    board = team_board(team, NOW)
    rows = {row.username: row for row in board.reps}
    assert (rows["rep.one"].presence, rows["rep.one"].since) == ("online", NOW - timedelta(minutes=42))
    assert (rows["rep.two"].presence, rows["rep.two"].on_call) == ("away", "Primary")
    assert (rows["rep.one"].open_leads, rows["rep.one"].capacity, rows["rep.one"].waiting) == (6, 10, 2)
    assert [row["lead"].pk for row in board.morning_queue] == [queued.pk]
    by_id = {row["lead"].pk: row for row in board.waiting}
    assert by_id[waiting.pk]["accept_by"] == NOW + timedelta(minutes=2) and not by_id[waiting.pk]["breached"]
    assert sum(row["breached"] for row in board.waiting) == 1

    with time_machine.travel(NOW, tick=False):
        html = client_for(manager).get(f"/board/{team.pk}/").content.decode()
    assert "Babbage &amp; Co" in html and "to accept by" in html and "on call (primary)" in html
    assert f'data-due="{waiting.first_contact_due_at.isoformat()}"' in html and "data-warn=" in html
    assert 'data-presence="away"' in html and "since" in html and "2/4 open" in html
    assert "<script>" not in html and 'id="board-config" type="application/json"' in html


def test_only_the_teams_managers_open_its_board(team, manager, rep):
    assert client_for(rep).get(f"/board/{team.pk}/").status_code == 404
    stranger = User.objects.create_user("manager.west")
    stranger.groups.add(Group.objects.get(name=MANAGERS))
    make_team("West", manager=stranger)
    assert client_for(stranger).get(f"/board/{team.pk}/").status_code == 404
    assert client_for(manager).get("/board/")["Location"] == f"/board/{team.pk}/"  # one team: its board


def test_one_click_moves_a_lead_to_the_chosen_rep_traced(team, manager, rep, other_rep):
    lead = make_lead(rep, team=team)
    answer = client_for(manager).post(f"/board/{team.pk}/leads/{lead.pk}/reassign/", {"to": str(other_rep.pk)})
    assert answer.status_code == 302 and answer["Location"] == f"/board/{team.pk}/"
    lead.refresh_from_db()
    assert lead.owner == other_rep and lead.routing_trace["outcome"] == "manager_choice"
    event = lead.events.get(kind="lead.reassigned")
    assert (event.actor, event.data["cause"], event.data["previous_owner"]) == (manager, "manager", "rep.one")


def test_a_move_to_someone_outside_the_team_or_of_another_teams_lead_is_refused(team, manager, rep, leader):
    lead = make_lead(rep, team=team)
    client = client_for(manager)
    client.post(f"/board/{team.pk}/leads/{lead.pk}/reassign/", {"to": str(leader.pk)})
    client.post(f"/board/{team.pk}/leads/{lead.pk}/reassign/", {"to": "1e9"})
    assert Lead.objects.get(pk=lead.pk).owner == rep
    elsewhere = make_lead(rep, team=make_team("West"))
    assert client.post(f"/board/{team.pk}/leads/{elsewhere.pk}/reassign/", {"to": str(rep.pk)}).status_code == 404
