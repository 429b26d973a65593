"""The leaderboard and its privacy options: names, or ranks only (a rep sees their own
name, managers and leadership see every name); who sees which goal; rewards listed."""

from __future__ import annotations

from datetime import date

import pytest

from goals.models import Award, Goal, Reward
from goals.tests.conftest import ny
from leads.lifecycle import log_attempt
from routing.tests.conftest import make_rep
from tests.workspace_kit import make_lead, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def week_so_far(clock, east, ava, ben):
    """Monday: Ava calls back in 1 minute, Ben in 4 (the lead page's and API's own function)."""
    clock.move(ny(23, 10))
    for owner, minutes in ((ava, 1), (ben, 4)):
        lead = make_lead(owner, team=east, at=ny(23, 10))
        log_attempt(lead, channel="call", outcome="no_answer", by=owner, at=ny(23, 10, minutes))
    clock.move(ny(23, 12))


def goal_for(east, privacy: str, **fields) -> Goal:
    values = dict(name="Fast", metric="median_response", target=5, period="week", team=east, minimum_leads=1,
                  privacy=privacy, starts_on=date(2026, 11, 23))  # fmt: skip
    return Goal.objects.create(**values | fields)


def page(client, user, query: str = "") -> str:
    client.force_login(user)
    response = client.get("/goals/leaderboard/" + query)
    assert response.status_code == 200
    return response.content.decode()


def test_with_names_shown_every_rep_sees_every_name_and_rank(client, week_so_far, east, ava, ben):
    goal_for(east, "names")
    html = page(client, ben)
    assert html.index("Ava Adams") < html.index("Ben Brown (you)")  # ranked: 1m 00s before 4m 00s
    assert "1m 00s" in html and "4m 00s" in html


def test_ranks_only_hides_the_other_reps_names_but_not_your_own(client, week_so_far, east, ava, ben, manager, leader):
    goal = goal_for(east, "ranks", reward=Reward.objects.create(name="Bolt", badge="⚡", bonus_note="$50 card"))
    Award.objects.create(goal=goal, reward=goal.reward, rep=ava, period_start=date(2026, 11, 16),
                         period_end=date(2026, 11, 23), value=70)  # fmt: skip
    html = page(client, ben)
    assert "Ben Brown (you)" in html and "Ava Adams" not in html and "Rep #1" in html
    assert "names hidden: you see your own" in html
    assert "$50 card" not in html and 'Bolt — <span class="muted">a rep</span>' in html  # the reward, no name
    html = page(client, ava)
    assert "Ava Adams (you)" in html and "Ben Brown" not in html and "$50 card" in html  # her own award, in full
    for reader in (manager, leader):  # they see every rep's figures on the dashboard anyway
        html = page(client, reader)
        assert "Ava Adams" in html and "Ben Brown" in html


def test_a_rep_sees_their_own_teams_goals_and_no_others(client, week_so_far, east, ava):
    west = make_team("West")
    wes = make_rep("wes", west)
    mine, theirs = goal_for(east, "names"), goal_for(west, "names", name="West only")
    assert "West only" not in page(client, ava)
    client.force_login(ava)
    assert client.get(f"/goals/leaderboard/?goal={theirs.pk}").status_code == 404
    assert client.get(f"/goals/leaderboard/?goal={mine.pk}").status_code == 200
    assert client.get("/goals/leaderboard/?goal=abc").status_code == 404
    assert client.get("/goals/leaderboard/?goal=" + "9" * 40).status_code == 404
    assert "Fast" not in page(client, wes) and "West only" in page(client, wes)


def test_a_reps_own_goal_and_the_minimum_number_of_leads(client, week_so_far, east, ava, ben):
    goal_for(east, "names", name="Ava alone", team=None, rep=ava, minimum_leads=2)
    html = page(client, ava)
    assert "Ava alone" in html and "not enough leads yet" in html  # one lead of two needed: no rank yet
    assert "Ava alone" not in page(client, ben)


def test_visitors_sign_in_first(client):
    response = client.get("/goals/leaderboard/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_dashboard_shows_the_goals_of_the_team_it_is_filtered_on(client, week_so_far, east, ava, leader):
    west = make_team("West")
    goal_for(east, "ranks", name="East speed", target=3)
    goal_for(west, "names", name="West speed")
    client.force_login(leader)
    html = client.get("/dashboard/").content.decode()
    assert "East speed" in html and "West speed" in html
    assert "Ava Adams" in html  # leadership sees names, whatever the goal's privacy
    html = client.get(f"/dashboard/?team={east.pk}").content.decode()
    assert "East speed" in html and "West speed" not in html
    assert "1 of 2 on target" in html  # Ava (1 min) is, Ben (4 min) is not
    # The team's own median over both leads, as the metrics API gives it for the team: 150 s.
    api = client.get(f"/api/v1/metrics/sla?since=2026-11-23&team={east.pk}").json()
    assert api["time_to_first_response"]["median"] == 150.0
    assert "The team so far: <strong>2m 30s</strong> over 2 leads" in html


@pytest.mark.parametrize(
    ("metric", "target", "value", "met"),
    [("median_response", 3, 150.0, True), ("within_sla", 95, 0.5, False), ("attempts_48h", 1, 1.0, True)],
)
def test_the_teams_own_figure_for_each_metric(week_so_far, east, metric, target, value, met):
    from goals import measure

    goal = goal_for(east, "names", metric=metric, target=target)
    whole = measure.team_figure(goal, date(2026, 11, 23), ny(23, 12), ny(23, 12))
    assert (whole.leads, whole.value, whole.met) == (2, value, met)  # Ava in 1 min (in time), Ben in 4 (late)
