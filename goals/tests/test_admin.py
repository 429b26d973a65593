"""Managers set goals and rewards in the admin; bad input gets the form's field errors,
never a 500 and never a saved row. Leadership reads; awards are the worker's alone."""

from __future__ import annotations

import pytest

from goals.models import Goal, Reward

pytestmark = pytest.mark.django_db


def goal_form(**fields) -> dict:
    values = {"name": "Fast", "active": "on", "starts_on": "2026-11-23", "team": "", "rep": "",
              "metric": "median_response", "target": "5", "period": "week", "minimum_leads": "3",
              "reward": "", "privacy": "names"}  # fmt: skip
    return values | fields


@pytest.fixture
def admin_client(client, manager):
    client.force_login(manager)
    return client


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "Choose a team or a rep (exactly one)."),
        ({"team": "TEAM", "rep": "AVA"}, "Choose a team or a rep (exactly one)."),
        ({"team": "TEAM", "metric": "within_sla", "target": "150"}, "between 1 and 100 %"),
        ({"team": "TEAM", "target": "0"}, "between 0.1 and 10080 minutes"),
        ({"team": "TEAM", "metric": "attempts_48h", "target": "-2"}, "between 0.1 and 50 attempts"),
        ({"team": "TEAM", "target": "fast"}, "Enter a number."),
        ({"team": "TEAM", "target": "NaN"}, "Enter a number."),
        ({"team": "TEAM", "target": "1e999"}, "Ensure that there are no more than 7 digits in total."),
        ({"team": "TEAM", "target": "12345678"}, "Ensure that there are no more than 7 digits in total."),
        ({"team": "TEAM", "metric": "conversion"}, "Select a valid choice."),
        ({"team": "TEAM", "period": "decade"}, "Select a valid choice."),
        ({"team": "TEAM", "minimum_leads": "0"}, "At least one lead."),
        ({"team": "TEAM", "starts_on": "yesterday"}, "Enter a valid date."),
        ({"team": "TEAM", "name": ""}, "This field is required."),
        ({"rep": "MANAGER"}, "Select a valid choice."),  # goals are for reps
    ],
)
def test_bad_goals_get_field_errors(admin_client, east, ava, manager, fields, message):
    ids = {"TEAM": str(east.pk), "AVA": str(ava.pk), "MANAGER": str(manager.pk)}
    response = admin_client.post("/admin/goals/goal/add/", goal_form(**{k: ids.get(v, v) for k, v in fields.items()}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Goal.objects.exists()


def test_a_manager_sets_a_team_goal_and_a_reps_goal(admin_client, east, ava):
    assert admin_client.post("/admin/goals/goal/add/", goal_form(team=east.pk)).status_code == 302
    response = admin_client.post(
        "/admin/goals/goal/add/", goal_form(name="Ava 95%", rep=ava.pk, metric="within_sla", target="95")
    )
    assert response.status_code == 302
    assert set(Goal.objects.values_list("name", "team", "rep")) == {("Fast", east.pk, None), ("Ava 95%", None, ava.pk)}
    listing = admin_client.get("/admin/goals/goal/").content.decode()
    assert "≤ 5m 00s" in listing and "≥ 95%" in listing


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "badge", "badge": ""}, "A badge needs a symbol"),
        ({"kind": "badge", "badge": "123456789"}, "Ensure this value has at most 8 characters"),
        ({"kind": "bonus", "bonus_note": "  "}, "Say what the bonus is"),
        ({"kind": "trophy", "badge": "🏆"}, "Select a valid choice."),
        ({"name": "", "badge": "⚡"}, "This field is required."),
    ],
)
def test_bad_rewards_get_field_errors(admin_client, fields, message):
    form = {"name": "Hero", "kind": "badge", "badge": "", "bonus_note": "", "description": ""} | fields
    response = admin_client.post("/admin/goals/reward/add/", form)
    assert response.status_code == 200 and message in response.content.decode()
    assert not Reward.objects.exists()


def test_a_bonus_with_its_note_is_saved(admin_client):
    form = {"name": "Monthly bonus", "kind": "bonus", "badge": "", "bonus_note": "$200 with the pay", "description": ""}
    assert admin_client.post("/admin/goals/reward/add/", form).status_code == 302
    assert Reward.objects.get().bonus_note == "$200 with the pay"


def test_leadership_reads_and_nobody_adds_awards_by_hand(client, leader, admin_client, east):
    assert admin_client.get("/admin/goals/award/add/").status_code == 403
    leader.is_staff = True
    leader.save()
    client.force_login(leader)
    assert client.get("/admin/goals/goal/").status_code == 200
    assert client.post("/admin/goals/goal/add/", goal_form(team=east.pk)).status_code == 403
    assert not Goal.objects.exists()
