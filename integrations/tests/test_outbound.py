"""Outbound webhooks: lead events POSTed to a real receiver on 127.0.0.1, signed in the
Standard Webhooks convention and verified here with the documented recipe; retries with
backoff, the delivery log, replay, disabling a dead endpoint (the manager is emailed),
and a slow receiver that slows nothing but its own job."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from integrations import secret_store
from integrations.choices import DeliveryState
from integrations.delivery import MAX_TRIES, RETRY_DELAYS, replay, send_webhook
from integrations.models import Subscription, WebhookAttempt, WebhookDelivery
from integrations.sweeper import sweep
from integrations.tests.standin import dead_url
from leads.lifecycle import change_stage, log_attempt
from leads.models import Lead
from notifications.alerts import sla_watch

pytestmark = pytest.mark.django_db
SECRET = "whsec_" + base64.b64encode(b"receiver-secret-0123456789abcd").decode()


def receiver_verifies(secret: str, headers: dict, body: bytes, now: float | None = None) -> bool:
    """What a receiver does (standardwebhooks.com): decode the secret's base64 part, HMAC
    "webhook-id.webhook-timestamp.body" with SHA-256, compare in constant time with each
    "v1,<base64>" signature; refuse timestamps more than 5 minutes away."""
    message_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs((now or time.time()) - int(timestamp)) > 300:
        return False
    key = base64.b64decode(secret.split("_", 1)[1])
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(digest).decode()
    return any(hmac.compare_digest(expected, given) for given in headers["webhook-signature"].split())


@pytest.fixture
def subscribe(stand_in):
    def make(events=(), url=None, team=None) -> Subscription:
        stand_in.reply("/receiver", (200, {"ok": True}))
        return Subscription.objects.create(
            name="CRM sync", url=url or stand_in.url + "/receiver", events=list(events), team=team,
            secret=secret_store.encrypt(SECRET),
        )  # fmt: skip

    return make


def submit(client, intake_key, email="ada@analytical.io", **fields):
    body = {"email": email, "first_name": "Ada", "inquiry_type": "demo_request", **fields}
    return client.post(
        "/api/v1/leads", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {intake_key}"
    )


def test_a_receiver_gets_signed_lead_events_it_can_verify(
    client, intake_key, subscribe, stand_in, routable, run_all_jobs, django_capture_on_commit_callbacks
):
    subscribe()
    with django_capture_on_commit_callbacks(execute=True):
        lead_id = submit(client, intake_key).json()["id"]
    run_all_jobs()
    lead = Lead.objects.get(pk=lead_id)
    with django_capture_on_commit_callbacks(execute=True):
        log_attempt(lead, channel="call", outcome="connected", by=lead.owner)
        change_stage(lead, stage="qualified", reason="Budget", by=lead.owner)
    run_all_jobs()
    received = stand_in.requests_to("/receiver")
    types = [seen.json()["type"] for seen in received]
    assert types == ["lead.created", "lead.assigned", "lead.contacted", "lead.connected", "lead.stage_changed"]
    for seen in received:
        assert receiver_verifies(SECRET, seen.headers, seen.body)
        assert not receiver_verifies("whsec_" + base64.b64encode(b"x" * 24).decode(), seen.headers, seen.body)
        assert seen.headers["content-type"] == "application/json" and seen.headers["webhook-id"].startswith("msg_")
    assigned = received[1].json()
    assert assigned["data"]["lead"]["id"] == lead_id and assigned["data"]["lead"]["owner"]["id"] == lead.owner_id
    assert assigned["data"]["lead"]["url"].endswith(f"/leads/{lead_id}/") and assigned["data"]["event"]["kind"]
    assert received[4].json()["data"]["event"]["data"]["to"] == "qualified"
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {DeliveryState.DELIVERED}
    assert set(WebhookAttempt.objects.values_list("status_code", flat=True)) == {200}


def test_a_subscription_gets_only_its_events_and_its_teams_leads(client, intake_key, subscribe, routable, manager):
    from tests.workspace_kit import make_lead, make_team

    team, reps = routable
    subscribe(events=["sla.breached"], team=team)
    other = make_team("Elsewhere")
    late = timezone.now() - timedelta(minutes=5)
    ours = make_lead(reps[0], team=team, submitted_at=late, first_contact_due_at=late + timedelta(minutes=1))
    make_lead(reps[1], team=other, submitted_at=late, first_contact_due_at=late + timedelta(minutes=1))
    assert sla_watch()["sla_breaches"] == 2
    [delivery] = WebhookDelivery.objects.all()
    assert delivery.event_type == "sla.breached" and delivery.lead_id == ours.pk


def test_junk_leads_are_not_sent(client, intake_key, subscribe):
    subscribe()
    assert submit(client, intake_key, email="x@mailinator.com").json()["status"] == "junk"
    assert not WebhookDelivery.objects.exists()


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(
    client, intake_key, subscribe, stand_in, run_all_jobs, django_capture_on_commit_callbacks
):
    subscribe(events=["lead.created"])
    stand_in.reply("/receiver", (500, {}), (502, {}), (200, {}))
    with django_capture_on_commit_callbacks(execute=True):
        submit(client, intake_key)
    run_all_jobs()
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 1 and delivery.last_status_code == 500
    first_at = delivery.next_attempt_at
    assert send_webhook(delivery.pk, now=first_at) == "retry"
    delivery.refresh_from_db()
    assert delivery.next_attempt_at - first_at == RETRY_DELAYS[1]  # 5 s, then a minute, ...
    assert send_webhook(delivery.pk, now=delivery.next_attempt_at) == "delivered"
    ids = {seen.headers["webhook-id"] for seen in stand_in.requests_to("/receiver")}
    assert ids == {delivery.message_id}  # the same id on every try: the receiver can dedupe
    assert list(delivery.tries.order_by("at").values_list("status_code", flat=True)) == [500, 502, 200]


def test_the_retries_span_about_a_day():
    assert MAX_TRIES == 9 and timedelta(hours=23) < sum(RETRY_DELAYS, timedelta()) < timedelta(hours=25)


def test_a_dead_endpoint_is_disabled_after_a_day_and_the_manager_is_told(
    client, intake_key, subscribe, routable, manager, django_capture_on_commit_callbacks
):
    subscription = subscribe(events=["lead.created"], url=dead_url() + "/gone")  # every manager is told
    submit(client, intake_key)
    delivery = WebhookDelivery.objects.get()
    now = timezone.now()
    outcomes = []
    for _ in range(MAX_TRIES):
        outcomes.append(send_webhook(delivery.pk, now=now))
        delivery.refresh_from_db()
        now = delivery.next_attempt_at
    assert outcomes == ["retry"] * (MAX_TRIES - 1) + ["failed"]
    subscription.refresh_from_db()
    assert not subscription.active and "no 2xx answer" in subscription.disabled_reason
    assert subscription.consecutive_failures == MAX_TRIES
    [email] = mail.outbox
    assert email.to == [manager.email] and "disabled" in email.subject
    # Nothing more goes to a disabled endpoint, and new events are not queued for it.
    submit(client, intake_key, email="grace@navy.mil")
    assert WebhookDelivery.objects.count() == 1


def test_410_gone_disables_at_once(client, intake_key, subscribe, stand_in, manager):
    subscription = subscribe()
    stand_in.reply("/receiver", (410, {}))
    submit(client, intake_key)
    assert send_webhook(WebhookDelivery.objects.get().pk) == "failed"
    subscription.refresh_from_db()
    assert not subscription.active and "410" in subscription.disabled_reason and mail.outbox


def test_replay_sends_a_delivered_event_again_with_the_same_id(
    client, intake_key, subscribe, stand_in, run_all_jobs, django_capture_on_commit_callbacks
):
    subscribe(events=["lead.created"])
    with django_capture_on_commit_callbacks(execute=True):
        submit(client, intake_key)
    run_all_jobs()
    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert replay([delivery.pk]) == 1
    run_all_jobs()
    seen = stand_in.requests_to("/receiver")
    assert len(seen) == 2 and seen[0].body == seen[1].body
    assert seen[0].headers["webhook-id"] == seen[1].headers["webhook-id"] == delivery.message_id


def test_a_slow_receiver_never_slows_intake(client, intake_key, subscribe, stand_in, settings):
    settings.LEADOPS_OUTBOUND_TIMEOUT = 0.5
    stand_in.delay = 2.0
    subscribe()
    started = time.monotonic()
    assert submit(client, intake_key).status_code == 201
    assert time.monotonic() - started < 1.0  # intake only wrote the outbox row
    started = time.monotonic()
    assert send_webhook(WebhookDelivery.objects.get().pk) == "retry"  # the job gives up quickly
    assert time.monotonic() - started < 1.5
    assert "timed out" in WebhookDelivery.objects.get().last_error.lower()


def test_the_sweeper_sends_what_a_lost_job_left_and_frees_a_dead_workers_claim(
    client, intake_key, subscribe, stand_in, real_redis, run_all_jobs
):
    subscribe(events=["lead.created"])
    submit(client, intake_key)  # its send job was never enqueued (no commit in this test)
    later = timezone.now() + timedelta(minutes=5)
    assert sweep(later)["webhooks"] == 1
    run_all_jobs()
    assert WebhookDelivery.objects.get().state == DeliveryState.DELIVERED
    WebhookDelivery.objects.update(state=DeliveryState.SENDING, claimed_at=timezone.now())  # a worker died
    assert sweep(later)["webhooks_released"] == 1
    assert WebhookDelivery.objects.get().state == DeliveryState.PENDING  # sent again: at least once


def test_the_teams_manager_is_told_once_when_its_endpoint_is_disabled(manager, django_user_model):
    from django.contrib.auth.models import Group

    from integrations.delivery import disable
    from leadops.roles import MANAGERS
    from tests.workspace_kit import make_team

    other = django_user_model.objects.create_user("other.manager", email="other@example.com")
    other.groups.add(Group.objects.get(name=MANAGERS))
    subscription = Subscription.objects.create(
        name="Team CRM", url="https://crm.example.com/", team=make_team("West", manager=manager),
        secret=secret_store.encrypt(SECRET),
    )  # fmt: skip
    assert disable(subscription, "down for a day", timezone.now())
    assert not disable(subscription, "down for a day", timezone.now())  # once
    [email] = mail.outbox
    assert email.to == [manager.email] and "crm.example.com" in email.body and "down for a day" in email.body
