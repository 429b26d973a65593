"""The installable queue and web push in real Chromium, with the real web and worker
processes and the local push-service stand-in (bench/push_service.py):

- the manifest is valid and its icons load; the service worker registers at "/" and
  controls the queue; offline, a page says so plainly;
- "Get alerts on this device" asks the browser and saves a subscription through the
  page's own code. Headless Chromium has no push service of its own (Chrome's is Google's,
  unreachable here), so the page saves a subscription made by the stand-in instead, with
  the same code path (LeadOpsPush.save);
- a lead posted to the API is pushed by the worker to the stand-in, which verifies the
  VAPID JWT and decrypts the payload; that payload is delivered to the service worker as
  a real push event through the DevTools protocol (ServiceWorker.deliverPushMessage), and
  the notification it shows is read back. Headless Chromium shows no notification a test
  could click, so the notificationclick handler's own function (self.leadops.openFor) is
  called in the service worker: the open queue navigates to the lead page, and "Accept"
  accepts the lead there."""

from __future__ import annotations

import json
import time

from django.test import override_settings

from bench.push_service import PushServiceStandIn
from leadops.webpush import generate_keys
from tests.browser.support import BrowserTestCase

PUBLIC_KEY, PRIVATE_KEY = generate_keys()
LOCAL_PUSH = "http://127.0.0.1:*"


@override_settings(
    LEADOPS_VAPID_PUBLIC_KEY=PUBLIC_KEY,
    LEADOPS_VAPID_PRIVATE_KEY=PRIVATE_KEY,
    LEADOPS_VAPID_SUBJECT="mailto:ops@example.com",
    LEADOPS_PUSH_SERVICES=[LOCAL_PUSH],
)
class PushTest(BrowserTestCase):
    worker_env = {
        "LEADOPS_VAPID_PUBLIC_KEY": PUBLIC_KEY,
        "LEADOPS_VAPID_PRIVATE_KEY": PRIVATE_KEY,
        "LEADOPS_VAPID_SUBJECT": "mailto:ops@example.com",
        "LEADOPS_PUSH_SERVICES": LOCAL_PUSH,
    }

    def assigned_push(self, service, lead_id: int, timeout: float = 10.0):
        """The lead.assigned push of this lead. Others may come first: inside a lead's
        business hours (from 9:00 in San Francisco, 17:00 UTC) the warm-up lead's first call
        falls due at once, and its task.due push can arrive before this one."""
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            pushes = service.wait_for(seen + 1, timeout=max(deadline - time.monotonic(), 0.01))
            for push in pushes:
                if (push.payload["type"], push.payload["lead"]) == ("lead.assigned", lead_id):
                    return push
            seen = len(pushes)
        kinds = [(push.payload["type"], push.payload["lead"]) for push in service.received]
        self.fail(f"no lead.assigned push for lead {lead_id} in {timeout} s; pushes: {kinds}")

    def service_worker_ready(self, page) -> str:
        self.wait_until(page, "window.LeadOpsPush && window.LeadOpsPush.state.registered")
        self.wait_until(page, "navigator.serviceWorker.controller !== null", timeout=15_000)
        return page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")

    def deliver_push(self, page, payload: dict) -> None:
        """Hand the decrypted payload to the service worker as a real push event."""
        session = page.context.new_cdp_session(page)
        registrations = []
        session.on(
            "ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"])
        )
        session.send("ServiceWorker.enable")
        deadline = time.monotonic() + 5
        while not registrations and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        [registration] = [r for r in registrations if r["scopeURL"] == self.live_server_url + "/"]
        session.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": self.live_server_url,
                "registrationId": registration["registrationId"],
                "data": json.dumps(payload),
            },
        )

    def test_it_installs_subscribes_pushes_and_opens_the_lead(self):
        from leads.models import Lead
        from webpush.models import PushDelivery, PushSubscription

        team = self.make_team_and_rule()
        self.make_rep("rita", "Rita", team)
        key = self.intake_key()
        page = self.new_page(width=390, height=844, mobile=True)
        self.sign_in(page, "rita")

        # Installable: a valid manifest, its icons, a service worker whose scope covers /queue/ and /leads/.
        manifest = page.evaluate(
            "fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json().then(body => "
            "({type: r.headers.get('content-type'), body: body})))"
        )
        self.assertEqual(manifest["type"], "application/manifest+json")
        body = manifest["body"]
        self.assertEqual((body["display"], body["scope"]), ("standalone", "/"))
        self.assertTrue(body["start_url"].startswith("/queue/"))
        for icon in body["icons"]:
            self.assertEqual(page.evaluate(f"fetch({json.dumps(icon['src'])}).then(r => r.status)"), 200)
        self.assertEqual(self.service_worker_ready(page), self.live_server_url + "/")

        # The one button: the browser's permission (granted by the test), then a subscription.
        button = page.locator("#enable-push")
        self.assertEqual(button.inner_text(), "Get alerts on this device")
        button.click()
        self.wait_until(page, "!document.getElementById('enable-push').disabled")
        native = page.evaluate("window.LeadOpsPush.state")
        print(f"\nChromium's own push subscription: subscribed={native['subscribed']} error={native['error']!r}")
        self.screenshot(page, "push-queue-phone.png")

        with PushServiceStandIn(expected_key=PUBLIC_KEY) as service:
            subscription = service.subscribe()
            saved = page.evaluate(f"window.LeadOpsPush.save({json.dumps(subscription)})")
            self.assertIn("Chrome", saved["device"])
            self.assertTrue(
                PushSubscription.objects.filter(user__username="rita", endpoint=subscription["endpoint"]).exists()
            )
            page.wait_for_selector("#push-box[data-state='on']")

            self.post_lead(key)  # the first lead of a fresh worker pays its imports: the warm-up
            service.wait_for(1, timeout=10)
            started = time.monotonic()
            lead_id = self.post_lead(key, phone="+1 415 555 0100")["id"]
            push = self.assigned_push(service, lead_id)
            arrival = time.monotonic() - started
            print(f"submission -> push accepted by the stand-in: {arrival * 1000:.0f} ms")
            self.assertLess(arrival, 2.0)
            self.assertFalse(service.rejected)
            self.assertEqual((push.payload["type"], push.payload["lead"]), ("lead.assigned", lead_id))
            self.assertEqual(push.payload["tel"], "tel:+14155550100")
            for _ in range(50):  # the worker records the answer just after the stand-in sent it
                if PushDelivery.objects.get(event__lead_id=lead_id, kind="lead.assigned").status == "sent":
                    break
                time.sleep(0.1)
            self.assertEqual(PushDelivery.objects.get(event__lead_id=lead_id, kind="lead.assigned").status, "sent")

        # The service worker's push handler shows it; the page hears about it.
        self.deliver_push(page, push.payload)
        self.wait_until(page, "window.LeadOpsPush.state.shown.length >= 1")
        self.assertEqual(page.evaluate("window.LeadOpsPush.state.shown[0].lead"), lead_id)
        shown = page.evaluate(
            "navigator.serviceWorker.ready.then(r => r.getNotifications()).then(list => list.map(n => "
            "({title: n.title, body: n.body, tag: n.tag, data: n.data, actions: n.actions.map(a => a.action)})))"
        )
        if shown:  # headless Chromium may keep no notification list
            self.assertEqual(shown[0]["tag"], f"lead-{lead_id}-lead.assigned")
            self.assertEqual(shown[0]["actions"], ["accept", "call"])
            self.assertIn("Analytical Engines", shown[0]["body"])
        print(f"notifications listed by the registration: {len(shown)}")

        # Tapping it opens the lead page; "Accept" accepts it there.
        [worker] = page.context.service_workers
        data = {"lead": lead_id, "type": "lead.assigned", "tel": push.payload["tel"], "url": push.payload["url"]}
        worker.evaluate(f"self.leadops.openFor({json.dumps(data)}, '')")
        page.wait_for_url(f"**/leads/{lead_id}/")
        worker.evaluate(f"self.leadops.openFor({json.dumps(data)}, 'accept')")
        page.wait_for_selector("text=Accepted: the lead is yours. Call now.")
        self.assertIsNotNone(Lead.objects.get(pk=lead_id).accepted_at)
        self.screenshot(page, "push-lead-accepted-phone.png")

    def test_offline_the_queue_says_so_plainly(self):
        self.make_team_and_rule()
        self.make_rep("rita", "Rita")
        page = self.new_page()
        self.sign_in(page, "rita")
        self.service_worker_ready(page)
        page.context.set_offline(True)
        page.goto("/queue/")
        self.assertIn("You are offline", page.inner_text("h1"))
        self.screenshot(page, "offline.png")
        page.context.set_offline(False)
