"""Goals end to end in real Chromium with the real web and worker processes: a rep has My
stats open when a manager adds a goal whose first week is already over; the worker's
sweep closes that week, gives the rep the reward, and the rep's open page shows it live
(a toast over the websocket), then on reload in the goal panel until "Got it"."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.browser.support import BrowserTestCase


class RewardTest(BrowserTestCase):
    worker_env = {"LEADOPS_SWEEP_INTERVAL": "1"}  # the goals' periodic work runs after each sweep

    def test_the_worker_rewards_a_closed_week_and_the_rep_sees_it_live(self):
        from goals.measure import local_day, period_bounds, start_of
        from goals.models import Award, Goal, Reward
        from leads.lifecycle import log_attempt
        from tests.workspace_kit import make_lead

        team = self.make_team_and_rule()
        rita = self.make_rep("rita", "Rita", team)
        last_week, _ = period_bounds("week", local_day(timezone.now()) - timedelta(days=7))
        for day in range(3):  # Monday to Wednesday of last week: called back in 90 seconds
            at = start_of(last_week + timedelta(days=day)) + timedelta(hours=10)
            lead = make_lead(rita, team=team, at=at)
            log_attempt(lead, channel="call", outcome="no_answer", by=rita, at=at + timedelta(seconds=90))

        page = self.new_page()
        self.sign_in(page, "rita")
        page.goto("/queue/stats/")
        page.wait_for_selector('#live-state[data-state="live"]')
        badge = Reward.objects.create(name="Speedster", kind="badge", badge="⚡")
        Goal.objects.create(
            name="Call back in 2 minutes", metric="median_response", target=2, period="week", team=team,
            minimum_leads=1, reward=badge, starts_on=last_week,
        )  # fmt: skip

        toast = page.wait_for_selector(".toast-reward", timeout=20_000)
        assert "New reward: ⚡ Speedster" in toast.inner_text()
        assert "Call back in 2 minutes" in toast.inner_text() and "1m 30s" in toast.inner_text()
        award = Award.objects.get()
        assert (award.rep, award.period_start) == (rita, last_week)

        page.reload()
        page.wait_for_selector(".goal-new-award")
        self.screenshot(page, "goals-my-stats-reward.png")
        page.click(".goal-new-award button")
        page.wait_for_selector("#my-goals")
        assert page.locator(".goal-new-award").count() == 0
        assert Award.objects.get().seen_at is not None
