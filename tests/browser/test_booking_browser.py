"""Booking in real Chromium: a lead in Paris fills the hosted form, waits on the thank-you
page while routing chooses the rep (the slots appear without a reload), sees Rita's free
times in Paris time and books one; the rep hears it live; the ICS invitation reads back
with `icalendar`; the cadence's calls are cancelled; the dashboard counts the meeting; two
leads clicking the same time at once get one meeting and one "taken" page. Screenshots of
the pages (desktop and phone) go to test-artifacts/."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar
from django.contrib.auth.models import Group, User

from leadops.booking_links import booking_path
from leadops.roles import LEADERSHIP
from tests.browser.support import PASSWORD, BrowserTestCase

PARIS = ZoneInfo("Europe/Paris")


class BookingTest(BrowserTestCase):
    def lead_page(self, *, width=1280, height=900, mobile=False):
        """A browser in Paris (its time zone goes into the hosted form's hidden field)."""
        context = self.browser.new_context(
            viewport={"width": width, "height": height},
            device_scale_factor=2 if mobile else 1,
            is_mobile=mobile,
            has_touch=mobile,
            base_url=self.live_server_url,
            timezone_id="Europe/Paris",
            locale="fr-FR",
        )
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    def wait_until(self, check, timeout: float = 15.0, what: str = ""):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.1)
        self.fail(f"timed out waiting for {what or check}")

    def submit_hosted_form(self, page, email: str) -> None:
        page.goto("/f/website/")
        page.fill('input[name="first_name"]', "Ada")
        page.fill('input[name="last_name"]', "Lovelace")
        page.fill('input[name="email"]', email)
        page.fill('input[name="phone"]', "+33 1 42 68 53 00")
        page.fill('input[name="company"]', "Analytical Engines")
        page.select_option('select[name="country"]', "FR")
        page.fill('textarea[name="message"]', "A demo for our 40 reps, please.")
        page.click("button:has-text('Send')")
        page.wait_for_url("**/thanks/**")

    def test_it_books_from_the_thank_you_page_and_counts_it(self):
        from booking.models import Meeting
        from cadences.models import PlannedStep
        from leads.models import Lead, Message
        from routing.assignment import assign_lead

        team = self.make_team_and_rule()
        self.make_rep("rita", "Rita", team)
        key = self.intake_key()
        rep_page = self.new_page()
        self.sign_in(rep_page, "rita")  # an open queue page: Rita is available, and listening

        # Routing runs in the worker: stop it, so the thank-you page comes first and waits.
        self.stop_workers()
        page = self.lead_page()
        self.submit_hosted_form(page, "ada.paris@analytical.io")
        page.wait_for_selector('#booking-widget[data-state="waiting"]')
        page.evaluate("window.__sameDocument = true")
        lead = Lead.objects.get(email="ada.paris@analytical.io")
        self.assertEqual(lead.resolved_time_zone, "Europe/Paris")
        assign_lead(lead.pk)  # what the worker's job does; the page polls and sees it
        page.wait_for_selector('#booking-widget[data-state="ready"]', timeout=5000)
        self.assertIn("Book your call with Rita", page.inner_text("#booking-title"))
        self.assertTrue(page.evaluate("window.__sameDocument === true"), "the thank-you page was reloaded")
        self.start_workers()

        # The slots are in the lead's own zone: each button's time is its start in Paris.
        buttons = page.locator("#booking-slots button.slot")
        self.assertGreaterEqual(buttons.count(), 3)
        self.assertIn("Europe/Paris", page.inner_text("#booking-status"))
        for index in range(3):
            start = datetime.fromisoformat(buttons.nth(index).get_attribute("value"))
            self.assertEqual(buttons.nth(index).locator(".slot-time").inner_text(), f"{start.astimezone(PARIS):%H:%M}")
        self.screenshot(page, "booking-thanks-desktop.png")

        # One click books.
        chosen = datetime.fromisoformat(buttons.nth(1).get_attribute("value"))
        buttons.nth(1).click()
        page.wait_for_selector("#booking-done")
        self.assertIn(f"{chosen.astimezone(PARIS):%H:%M}", page.inner_text("#meeting-time"))
        self.assertIn("Your call with Rita", page.inner_text("h1"))
        meeting = Meeting.objects.get(lead=lead)
        self.assertEqual((meeting.starts_at, meeting.booked_via, meeting.rep.username), (chosen, "thank_you", "rita"))
        self.screenshot(page, "booking-booked-desktop.png")

        # The rep hears it live, on the open queue page.
        rep_page.wait_for_selector(".toast-meeting-booked", timeout=10_000)
        self.assertIn("Meeting booked: Ada Lovelace", rep_page.inner_text("#toasts"))

        # Both invitations leave through the outbox; the ICS reads back with icalendar.
        def both_sent():
            rows = list(Message.objects.filter(lead=lead, purpose="meeting_invitation", state="sent"))
            return rows if len(rows) == 2 else None

        sent = self.wait_until(both_sent, what="both invitations sent")
        self.assertEqual({message.recipient for message in sent}, {"ada.paris@analytical.io", "rita@example.com"})
        calendar = icalendar.Calendar.from_ical(sent[0].attachment)
        (event,) = calendar.walk("VEVENT")
        self.assertEqual(str(calendar["METHOD"]), "REQUEST")
        self.assertEqual(str(event["UID"]), meeting.uid)
        self.assertEqual((event.decoded("DTSTART"), event.decoded("DTEND")), (meeting.starts_at, meeting.ends_at))
        self.assertIn("mailto:ada.paris@analytical.io", [str(attendee) for attendee in event["ATTENDEE"]])
        self.assertIn(booking_path(lead.pk).split(":")[0], str(event["URL"]))

        # The cadence stops calling; a reminder task waits before the meeting.
        steps = PlannedStep.objects.filter(enrollment__lead=lead)
        self.assertTrue(steps.filter(channel="call").exists())
        self.assertFalse(steps.filter(channel="call").exclude(status="cancelled").exists())
        self.assertTrue(steps.filter(channel="task", status="scheduled", title__startswith="Meeting at").exists())

        # The lead page on a phone, and the rep's view of the meeting.
        phone = self.lead_page(width=390, height=844, mobile=True)
        phone.goto(booking_path(lead.pk))
        self.assertLessEqual(phone.evaluate("document.documentElement.scrollWidth"), 390, "sideways scrolling")
        self.screenshot(phone, "booking-booked-phone.png", full_page=False)
        rep_page.goto(f"/leads/{lead.pk}/")
        self.assertIn("Meeting", rep_page.inner_text("#meeting"))
        self.screenshot(rep_page, "booking-lead-page-rep.png")

        # Two leads click the same time at once: one meeting, one "taken" page.
        racers = [self.post_lead(key, timezone="Europe/Paris")["id"] for _ in range(2)]
        self.wait_until(lambda: Lead.objects.filter(pk__in=racers, owner__username="rita").count() == 2, what="routed")
        first, second = self.lead_page(), self.lead_page(width=390, height=844, mobile=True)
        first.goto(booking_path(racers[0]))
        second.goto(booking_path(racers[1]))
        self.assertLessEqual(second.evaluate("document.documentElement.scrollWidth"), 390, "sideways scrolling")
        self.screenshot(first, "booking-page-desktop.png", full_page=False)
        self.screenshot(second, "booking-page-phone.png", full_page=False)
        slot = first.locator("#slots button.slot").first.get_attribute("value")
        self.assertEqual(second.locator(f'#slots button.slot[value="{slot}"]').count(), 1)
        click = f"document.querySelector('#slots button.slot[value=\"{slot}\"]').click()"
        posted = lambda response: response.request.method == "POST"  # noqa: E731
        with first.expect_response(posted) as first_reply, second.expect_response(posted) as second_reply:
            first.evaluate(click)
            second.evaluate(click)
        statuses = sorted([first_reply.value.status, second_reply.value.status])
        self.assertEqual(statuses, [302, 409])
        self.assertEqual(Meeting.objects.filter(lead_id__in=racers, status="booked").count(), 1)
        loser = second if second_reply.value.status == 409 else first
        loser.wait_for_selector("#booking-problem")
        self.assertIn("that time was just taken", loser.inner_text("#booking-problem"))
        self.assertEqual(loser.locator(f'#slots button.slot[value="{slot}"]').count(), 0)
        self.screenshot(loser, "booking-taken.png", full_page=False)

        # Leadership's dashboard counts both meetings.
        leader = User.objects.create_user("lena", "lena@example.com", PASSWORD, first_name="Lena")
        leader.groups.add(Group.objects.get(name=LEADERSHIP))
        board = self.new_page()
        board.goto("/accounts/login/?next=/dashboard/")
        board.fill('input[name="username"]', "lena")
        board.fill('input[name="password"]', PASSWORD)
        board.click("button:has-text('Sign in')")
        board.wait_for_url("**/dashboard/**")
        self.assertEqual(board.inner_text("#meetings-booked"), "2")
        board.locator("#meetings").scroll_into_view_if_needed()
        self.screenshot(board, "booking-dashboard.png")
