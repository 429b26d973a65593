"""Accept or pass, and the managers' live board, in real Chromium with the real web and
worker processes:

- a rep accepts from the queue row in one tap; another passes from the lead page with a
  reason and the lead appears live in a colleague's queue; a lead nobody accepts within
  the rule's accept_within moves on by itself (the deadline job in the worker);
- two managers watch the same board: a new lead appears on both without a reload, a rep
  stepping away shows on both, and one click moves a lead (both boards follow).
Screenshots of the board at desktop and phone width go to test-artifacts/."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import Group, User

from leadops.roles import MANAGERS
from tests.browser.support import PASSWORD, BrowserTestCase


class AcceptPassBoardTest(BrowserTestCase):
    def make_manager(self, username: str, team):
        user = User.objects.create_user(username, f"{username}@example.com", PASSWORD, first_name=username.title())
        user.groups.add(Group.objects.get(name=MANAGERS))
        if team.manager_id is None:
            team.manager = user
            team.save(update_fields=["manager"])
        else:
            team.members.add(user)  # a second manager who joined the team
        return user

    def open_board(self, username: str, team, **size):
        page = self.new_page(**size)
        page.goto("/accounts/login/")
        page.fill('input[name="username"]', username)
        page.fill('input[name="password"]', PASSWORD)
        page.click("button:has-text('Sign in')")
        page.wait_for_url("**/start/")
        page.goto(f"/board/{team.pk}/")
        page.wait_for_selector('#board-live-state[data-state="live"]')
        return page

    def test_it_accepts_passes_and_moves_an_unaccepted_lead_on(self):
        from leads.models import Lead
        from routing.models import RoutingRule

        team = self.make_team_and_rule()
        RoutingRule.objects.filter(team=team).update(accept_within=timedelta(seconds=3))
        self.make_rep("rita", "Rita", team)
        self.make_rep("oscar", "Oscar", team)
        key = self.intake_key()
        rita, oscar = self.new_page(), self.new_page()
        self.sign_in(rita, "rita")
        self.sign_in(oscar, "oscar")

        # Round robin: rita first. She accepts from the row.
        first = self.post_lead(key)["id"]
        self.wait_for_row(rita, first)
        rita.click(f"#lead-{first} .accept-button")
        rita.wait_for_selector(f"#lead-{first} .accept-button", state="detached")
        self.assertIsNotNone(Lead.objects.get(pk=first).accepted_at)

        # Oscar gets the next one and passes it on with a reason: it shows up in rita's queue.
        second = self.post_lead(key)["id"]
        self.wait_for_row(oscar, second)
        oscar.click(f"#lead-{second} .pass-link")
        oscar.wait_for_selector("#pass[open]")
        oscar.fill("#id_reason", "A language I do not speak")
        oscar.click("#pass-button")
        oscar.wait_for_selector("text=Passed on to Rita.")
        self.wait_for_row(rita, second)
        lead = Lead.objects.get(pk=second)
        self.assertEqual(lead.routing_trace["left_out"], [{"rep": "oscar", "why": "passed: A language I do not speak"}])

        # The third goes to oscar; nobody accepts it: after 3 s it moves to rita by itself.
        third = self.post_lead(key)["id"]
        self.wait_for_row(oscar, third)
        self.wait_for_row(rita, third, timeout=10_000)
        oscar.wait_for_selector(f"#lead-{third}", state="detached")
        lead = Lead.objects.get(pk=third)
        self.assertEqual(lead.owner.username, "rita")
        self.assertEqual(lead.routing_trace["left_out"][0]["rep"], "oscar")
        self.assertIn("did not accept within 3 s", lead.events.get(kind="lead.reassigned").data["reason"])
        self.screenshot(rita, "accept-pass-queue.png")

    def test_two_managers_watch_the_team_live_and_move_a_lead_in_one_click(self):
        from leads.models import Lead

        team = self.make_team_and_rule()
        self.make_rep("rita", "Rita", team)
        self.make_rep("oscar", "Oscar", team)
        self.make_manager("maya", team)
        self.make_manager("max", team)
        key = self.intake_key()
        rita, oscar = self.new_page(), self.new_page()
        self.sign_in(rita, "rita")
        self.sign_in(oscar, "oscar")
        maya = self.open_board("maya", team)
        max_phone = self.open_board("max", team, width=390, height=844, mobile=True)
        for board in (maya, max_phone):
            board.wait_for_selector(f"#rep-{User.objects.get(username='oscar').pk}[data-presence='online']")

        # A lead arrives: both boards show it waiting, with its clock, without a reload.
        maya.evaluate("window.__sameDocument = true")
        lead_id = self.post_lead(key, company="Babbage & Co")["id"]
        for board in (maya, max_phone):
            board.wait_for_selector(f"#wait-{lead_id}")
            self.assertRegex(board.inner_text(f"#wait-{lead_id} .countdown"), r"left")
        self.assertTrue(maya.evaluate("window.__sameDocument === true"))

        # Oscar steps away: both boards show it.
        oscar_id = User.objects.get(username="oscar").pk
        oscar.select_option("#my-status", "away")
        for board in (maya, max_phone):
            board.wait_for_selector(f"#rep-{oscar_id}[data-presence='away']")
            self.assertIn("away", board.inner_text(f"#rep-{oscar_id}"))

        # One click moves the lead to the other rep (traced); both boards follow.
        owner = Lead.objects.get(pk=lead_id).owner
        target = User.objects.get(username="oscar" if owner.username == "rita" else "rita")
        maya.click(f"#wait-{lead_id} details.move summary")
        maya.click(f"#wait-{lead_id} button.move-to[value='{target.pk}']")
        maya.wait_for_selector(f"text=L-{lead_id} moved to {target.first_name}.")
        lead = Lead.objects.get(pk=lead_id)
        self.assertEqual((lead.owner, lead.routing_trace["outcome"]), (target, "manager_choice"))
        self.wait_until(
            max_phone,
            f"document.querySelector('#wait-{lead_id} .wait-owner').textContent.trim() === {target.first_name!r}",
        )
        self.assertLessEqual(max_phone.evaluate("document.documentElement.scrollWidth"), 390, "sideways scrolling")
        self.screenshot(maya, "board-desktop.png")
        self.screenshot(max_phone, "board-phone.png")
