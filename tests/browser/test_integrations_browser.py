"""Integrations in real Chromium with the real worker process: a manager sets up a Typeform
connection in the admin, tries a sample with "Send a test" (nothing stored), then a signed
Typeform request to the live server becomes a lead that the worker routes to the rep's
open queue. Screenshots go to test-artifacts/."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.request

from django.contrib.auth.models import Group, User

from leadops.roles import MANAGERS
from tests.browser.support import PASSWORD, BrowserTestCase

SECRET = "typeform-browser-secret"
RESPONSE = {
    "event_id": "01HB", "event_type": "form_response",
    "form_response": {
        "form_id": "lT4Z3j", "token": "browser-1", "hidden": {"utm_source": "newsletter"},
        "answers": [
            {"type": "email", "email": "grace.hopper@navy.mil", "field": {"id": "a1", "type": "email", "ref": "email"}},
            {"type": "text", "text": "Grace", "field": {"id": "a2", "type": "short_text", "ref": "first_name"}},
            {"type": "text", "text": "US Navy", "field": {"id": "a3", "type": "short_text", "ref": "company"}},
            {"type": "phone_number", "phone_number": "+14155550177",
             "field": {"id": "a4", "type": "phone_number", "ref": "phone"}},
        ],
    },
}  # fmt: skip


class IntegrationsAdminTest(BrowserTestCase):
    def test_a_manager_sets_up_a_typeform_hook_and_a_signed_response_reaches_the_rep(self):
        from integrations.models import Connection
        from leads.models import Lead, LeadSource

        team = self.make_team_and_rule()
        self.make_rep("rita", "Rita", team)
        LeadSource.objects.create(name="Forms", slug="forms", default_source="organic")
        manager = User.objects.create_user("mona", "mona@example.com", PASSWORD, is_staff=True)
        manager.groups.add(Group.objects.get(name=MANAGERS))

        admin = self.new_page()
        admin.goto("/admin/login/")
        admin.fill('input[name="username"]', "mona")
        admin.fill('input[name="password"]', PASSWORD)
        admin.click('input[type="submit"]')
        admin.goto("/admin/integrations/connection/add/")
        admin.fill('input[name="name"]', "Demo form")
        admin.press('input[name="name"]', "Tab")  # the admin fills the slug from the name
        admin.fill('input[name="slug"]', "demo-form")
        self.assertEqual(admin.input_value('input[name="slug"]'), "demo-form")
        admin.select_option('select[name="provider"]', "typeform")
        admin.select_option('select[name="lead_source"]', label="Forms")
        admin.select_option('select[name="inquiry_type"]', "demo_request")
        admin.fill('input[name="new_signing_secret"]', SECRET)
        admin.click('input[name="_continue"]')
        admin.wait_for_selector("text=Send a test: see the lead a sample would make")
        self.assertNotIn(SECRET, admin.content())
        self.screenshot(admin, "integrations-connection.png")

        admin.click("text=Send a test: see the lead a sample would make")
        admin.fill('textarea[name="payload"]', json.dumps(RESPONSE, indent=1))
        admin.click('input[type="submit"]')
        table = admin.wait_for_selector("#sample-lead")
        self.assertIn("grace.hopper@navy.mil", table.inner_text())
        self.assertIn("typeform:browser-1", table.inner_text())
        self.screenshot(admin, "integrations-send-a-test.png")
        self.assertFalse(Lead.objects.exists())  # a test stores nothing

        queue = self.new_page()
        self.sign_in(queue, "rita")
        body = json.dumps(RESPONSE).encode()
        signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
        request = urllib.request.Request(  # noqa: S310
            f"{self.live_server_url}{Connection.objects.get().hook_path}", data=body, method="POST",
            headers={"Content-Type": "application/json", "Typeform-Signature": f"sha256={signature}"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            answer = json.loads(response.read())
        self.assertEqual(answer["outcome"], "accepted")
        row = self.wait_for_row(queue, answer["lead"]["id"])
        self.assertIn("Grace", row.inner_text())
        self.screenshot(queue, "integrations-lead-in-queue.png")
