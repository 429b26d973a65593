"""A handover follows one rule wherever it is asked for (routing/handover.py): the API,
the lead page's form and routing.assignment.hand_over all refuse a rep outside the
lead's team. The API used to skip the team check: an East Coast lead went to EMEA."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from leadops.roles import REPS
from leads.models import Lead
from routing.assignment import hand_over
from routing.handover import HandoverRefused
from tests.workspace_kit import make_lead, make_team

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_down")]
NOT_IN_TEAM = "That rep is not in the lead's team (East Coast)."


@pytest.fixture
def east_lead(rep, other_rep, manager):
    """Rita's East Coast lead; Oscar is a rep of EMEA only, Erin a rep of East Coast."""
    erin = User.objects.create_user(username="erin", password="x", first_name="Erin")
    erin.groups.add(Group.objects.get(name=REPS))
    east = make_team("East Coast", manager=manager, members=[rep, erin])
    make_team("EMEA", members=[other_rep])
    return make_lead(rep, team=east)


def handover_api(client, lead, username: str):
    return client.post(f"/api/v1/leads/{lead.pk}/handover", {"to": username}, content_type="application/json")


def test_the_api_refuses_a_rep_outside_the_leads_team(client, rep, east_lead):
    client.force_login(rep)
    response = handover_api(client, east_lead, "rep.two")
    assert response.status_code == 400
    assert response.json() == {"errors": {"to": [NOT_IN_TEAM]}}
    assert Lead.objects.get(pk=east_lead.pk).owner == rep


def test_a_manager_through_the_api_is_held_to_the_same_rule(client, manager, rep, east_lead):
    client.force_login(manager)
    assert handover_api(client, east_lead, "rep.two").status_code == 400
    assert Lead.objects.get(pk=east_lead.pk).owner == rep


def test_the_api_hands_over_within_the_team(client, rep, east_lead):
    client.force_login(rep)
    response = handover_api(client, east_lead, "erin")
    assert response.status_code == 200 and response.json()["owner"] == "erin"


def test_the_page_refuses_a_rep_outside_the_leads_team(client, rep, other_rep, east_lead):
    client.force_login(rep)
    response = client.post(f"/leads/{east_lead.pk}/handover/", {"to": other_rep.pk})
    assert response.status_code == 400
    assert Lead.objects.get(pk=east_lead.pk).owner == rep


def test_the_domain_function_refuses_it_too(rep, other_rep, east_lead):
    with pytest.raises(HandoverRefused, match=r"not in the lead's team"):
        hand_over(east_lead, other_rep, by=rep)
    assert Lead.objects.get(pk=east_lead.pk).owner == rep


def test_a_lead_without_a_team_may_go_to_any_rep(client, rep, other_rep):
    lead = make_lead(rep)
    client.force_login(rep)
    assert handover_api(client, lead, "rep.two").status_code == 200
