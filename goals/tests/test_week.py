"""A week of work, simulated with time-machine: leads come in through the intake API and
are routed by the real job, reps log their calls through the attempts API, the worker's
sweep closes each day (streaks) and the week (rewards), and the reps' and leadership's
pages show it. The goal's figures are the metrics API's own, to the second."""

from __future__ import annotations

from datetime import timedelta

import pytest

from goals import closing
from goals.models import Award, GoalClosing, GoalResult
from goals.progress import board, streaks
from goals.tests.conftest import ny
from leadops.push import user_group
from notifications.tests.test_push import layer, listen  # noqa: F401  (fixtures: the real channel layer)
from pipeline.sweeper import sweep

pytestmark = pytest.mark.django_db

WEEKDAYS = (23, 24, 25, 26, 27)  # Monday 23 to Friday 27 November 2026
BEN_IS_SLOW = (24, 25, 26)  # 8 minutes on Tuesday, Wednesday and Thursday; 2 minutes otherwise


def work_a_day(day, submit, attempt, clock, ava, ben):
    clock.move(ny(day, 10))
    leads = [submit(), submit()]
    assert sorted(lead.owner.username for lead in leads) == ["ava", "ben"]  # round robin
    by_owner = {lead.owner.username: lead for lead in leads}
    clock.move(ny(day, 10, 2))
    attempt(by_owner["ava"], "connected")
    if day not in BEN_IS_SLOW:
        attempt(by_owner["ben"])
    clock.move(ny(day, 10, 8))
    if day in BEN_IS_SLOW:
        attempt(by_owner["ben"], "voicemail")


def test_a_week_of_goals_streaks_and_rewards(
    client,
    clock,
    submit,
    attempt,
    ava,
    ben,
    manager,
    speed_goal,
    listen,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    for day in WEEKDAYS:
        work_a_day(day, submit, attempt, clock, ava, ben)
        clock.move(ny(day, 23, 59))
        assert closing.run()["goal_spans_closed"] == (1 if day > 23 else 0)  # yesterday closes; Monday was first
        if day == 25:  # Wednesday evening: the week so far, live, as the metrics API computes it
            week = board(speed_goal, manager, ny(25, 23, 59))
            figures = {row.name: (row.value, row.met, row.rank) for row in week.rows}
            assert figures == {"Ava Adams": (120.0, True, 1), "Ben Brown": (480.0, False, 2)}
            client.force_login(manager)
            api = client.get(f"/api/v1/metrics/sla?since=2026-11-23&team={speed_goal.team_id}").json()
            assert {rep["rep"]: rep["median"] for rep in api["reps"]} == {"ava": 120.0, "ben": 480.0}
            client.logout()

    # Friday's close, Saturday and Sunday (no leads: not measured), then the week closes on
    # Monday 30 November at midnight New York time: the sweep the worker runs does it.
    clock.move(ny(29, 23, 59))
    closing.run()
    assert not Award.objects.exists()  # the week is not over yet
    clock.move(ny(30, 0, 0, 5))
    ava_hears, ben_hears = listen(user_group(ava.pk)), listen(user_group(ben.pk))
    with django_capture_on_commit_callbacks(execute=True):  # the worker's sweep commits: the push leaves
        counts = sweep()
    assert counts["rewards_awarded"] == 1 and counts["goal_spans_closed"] == 2  # Sunday and the week

    days = GoalResult.objects.filter(goal=speed_goal, span="day")
    assert days.count() == 14  # 7 days x 2 reps, each recorded once
    assert list(days.filter(rep=ben).order_by("starts_on").values_list("met", flat=True)) == [
        True, False, False, False, True, False, False,  # Saturday and Sunday: no leads, not met
    ]  # fmt: skip
    assert not days.filter(starts_on__gte=ny(28, 0).date(), measured=True).exists()
    assert streaks(speed_goal, [ava.pk, ben.pk]) == {ava.pk: 5, ben.pk: 1}  # the weekend does not break it

    week = GoalResult.objects.get(goal=speed_goal, rep=ben, span="period")
    assert (week.starts_on, week.ends_on, week.leads, week.value, week.met) == (
        ny(23, 0).date(), ny(30, 0).date(), 5, 480.0, False,  # 120, 480, 480, 480, 120: median 480 s
    )  # fmt: skip
    [award] = Award.objects.all()
    assert (award.rep, award.reward.name, award.value, award.period_start) == (ava, "Five-minute hero", 120.0,
                                                                                ny(23, 0).date())  # fmt: skip
    [event] = [event for event in ava_hears(expect=1) if event["type"] == "reward.awarded"]
    assert event["type"] == "reward.awarded" and event["award"]["reward"] == "Five-minute hero"
    assert event["award"]["value"] == "2m 00s"
    assert [e for e in ben_hears() if e["type"] == "reward.awarded"] == []

    # Running again (a second worker, a retried sweep) changes nothing and tells nobody twice.
    with django_capture_on_commit_callbacks(execute=True):
        assert closing.run() == {"goal_spans_closed": 0, "rewards_awarded": 0, "lead_surveys": 0}
        GoalClosing.objects.all().delete()  # even with the markers gone, results and awards stay single
        assert closing.run()["rewards_awarded"] == 0
    assert Award.objects.count() == 1 and days.count() == 14
    assert [event for event in ava_hears() if event["type"] == "reward.awarded"] == []

    # The rep's My stats: the goal, the streak, the new reward; "Got it" clears the banner.
    clock.move(ny(30, 9))
    client.force_login(ava)
    page = client.get("/queue/stats/").content.decode()
    assert "Call back in 5 minutes" in page and "streak 5 days" in page
    assert "New reward: Five-minute hero" in page
    assert client.post(f"/goals/awards/{award.pk}/seen/").status_code == 302
    page = client.get("/queue/stats/").content.decode()
    assert "New reward" not in page and 'title="Five-minute hero' in page  # still among my rewards

    # The leaderboard lists the reward; the dashboard shows the goal (a new week: no leads yet).
    client.force_login(ben)
    leaderboard = client.get("/goals/leaderboard/").content.decode()
    assert "Ava Adams, 23 Nov – 29 Nov (2m 00s)" in leaderboard
    assert "Ben Brown (you)" in leaderboard
    assert '<td class="num">5 days</td>' in leaderboard and '<td class="num">1 day</td>' in leaderboard  # streaks
    client.force_login(manager)
    dashboard = client.get("/dashboard/?period=30").content.decode()
    assert 'id="goals"' in dashboard and "Call back in 5 minutes" in dashboard and "0 of 2 on target" in dashboard


def test_attempts_in_48_hours_wait_for_their_48_hours(clock, submit, attempt, east, ava, ben, badge):
    from goals.models import Goal

    goal = Goal.objects.create(
        name="Six touches", metric="attempts_48h", target=2, period="week", team=east, minimum_leads=1,
        reward=badge, starts_on=ny(23, 0).date(),
    )  # fmt: skip
    clock.move(ny(23, 10))
    leads = {lead.owner.username: lead for lead in (submit(), submit())}
    clock.move(ny(23, 10, 5))
    attempt(leads["ava"])
    clock.move(ny(24, 16))  # Tuesday: Ava's second call, inside the 48 hours
    attempt(leads["ava"])
    clock.move(ny(25, 9, 59))  # Wednesday 09:59: Monday's leads have not had their 48 hours
    assert closing.run()["goal_spans_closed"] == 0
    clock.move(ny(26, 0, 1))  # Thursday: Monday (+48 h) is settled
    assert closing.run()["goal_spans_closed"] == 1
    monday = {result.rep.username: (result.value, result.met) for result in goal.results.all()}
    assert monday == {"ava": (2.0, True), "ben": (0.0, False)}
    clock.move(ny(30, 0) + timedelta(hours=48))  # the week's reward waits for the week's last leads too
    counts = closing.run()
    assert counts["rewards_awarded"] == 1 and Award.objects.get().rep == ava
