"""Rewards are given once per goal, rep and period: a second run, a lost marker, or two
workers closing the same period at the same moment still give one award and one push."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection

from conftest import postgresql_only
from goals import closing
from goals.models import Award, Goal, GoalClosing, GoalResult
from goals.tests.conftest import ny
from leads.lifecycle import log_attempt
from tests.workspace_kit import make_lead

WEEK = (date(2026, 11, 23), date(2026, 11, 30))


def fast_week(east, ava, ben) -> None:
    """Ava and Ben each call one lead back in 2 minutes on Monday 23 November."""
    for owner in (ava, ben):
        lead = make_lead(owner, team=east, at=ny(23, 10))
        log_attempt(lead, channel="call", outcome="no_answer", by=owner, at=ny(23, 10, 2))


@pytest.mark.django_db
def test_closing_a_period_twice_gives_one_award_per_rep(east, ava, ben, speed_goal, django_capture_on_commit_callbacks):
    fast_week(east, ava, ben)
    with django_capture_on_commit_callbacks(execute=True) as pushes:
        assert closing.record(speed_goal, "period", *WEEK, ny(30, 1)) == 2
        assert closing.record(speed_goal, "period", *WEEK, ny(30, 2)) == 0
    assert len(pushes) == 2  # one "reward.awarded" per new award, none for the repeat
    assert Award.objects.filter(goal=speed_goal).count() == 2
    assert GoalResult.objects.filter(goal=speed_goal, span="period").count() == 2
    assert closing.award(speed_goal, ava.pk, *WEEK, 120.0, ny(30, 3)) is None


@pytest.mark.django_db
def test_a_goal_without_a_reward_records_results_and_awards_nothing(east, ava, ben, speed_goal):
    speed_goal.reward = None
    speed_goal.save()
    fast_week(east, ava, ben)
    assert closing.record(speed_goal, "period", *WEEK, ny(30, 1)) == 0
    assert not Award.objects.exists() and GoalResult.objects.filter(met=True).count() == 2


@pytest.mark.django_db
def test_inactive_goals_and_days_before_the_start_are_not_closed(east, ava, ben, speed_goal):
    Goal.objects.filter(pk=speed_goal.pk).update(active=False)
    assert closing.run(ny(30, 1))["goal_spans_closed"] == 0
    Goal.objects.filter(pk=speed_goal.pk).update(active=True, starts_on=date(2026, 11, 26))
    closing.run(ny(30, 1))
    assert sorted(GoalClosing.objects.filter(span="day").values_list("starts_on", flat=True)) == [
        date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 28), date(2026, 11, 29),
    ]  # fmt: skip
    assert GoalClosing.objects.filter(span="period").get().starts_on == date(2026, 11, 23)


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_closing_the_same_week_at_once_give_one_award(east, ava, ben, speed_goal):
    fast_week(east, ava, ben)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(closing.run(ny(30, 1)))
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sum(result["rewards_awarded"] for result in results) == 2  # Ava's and Ben's, once each
    assert Award.objects.count() == 2
    assert GoalResult.objects.filter(span="period").count() == 2


@pytest.mark.django_db
def test_a_goal_started_weeks_ago_catches_up_over_a_few_sweeps(east, ava, ben, speed_goal, monkeypatch):
    monkeypatch.setattr(closing, "MAX_SPANS", 5)
    Goal.objects.filter(pk=speed_goal.pk).update(starts_on=date(2026, 11, 2))  # four weeks before 30 Nov
    runs = [closing.run(ny(30, 1))["goal_spans_closed"] for _ in range(8)]
    assert runs == [5, 5, 5, 5, 5, 5, 2, 0]  # 28 days and 4 weeks, five at a time, then nothing left
    assert GoalClosing.objects.filter(span="period").count() == 4


@pytest.mark.django_db
def test_a_goal_that_gave_rewards_cannot_be_deleted_in_the_admin(client, manager, east, ava, ben, speed_goal):
    fast_week(east, ava, ben)
    closing.record(speed_goal, "period", *WEEK, ny(30, 1))
    client.force_login(manager)
    response = client.post(f"/admin/goals/goal/{speed_goal.pk}/delete/", {"post": "yes"})
    assert response.status_code == 200 and "Cannot delete goal" in response.content.decode()
    assert Goal.objects.filter(pk=speed_goal.pk).exists() and Award.objects.count() == 2
