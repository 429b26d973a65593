"""Meta Lead Ads end to end: the handshake, a signed leadgen notification stored first and
its lead fetched from a stand-in Graph API by a job, then routed and acknowledged."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from integrations.choices import FetchState
from integrations.fetching import fetch_remote_lead
from integrations.models import HookDelivery, RemoteFetch
from integrations.sweeper import sweep
from integrations.tests.conftest import APP_SECRET, PAGE_TOKEN, VERIFY_TOKEN, dumps, meta_signed, post
from integrations.tests.standin import dead_url
from leads.choices import AckState
from leads.models import Lead

pytestmark = pytest.mark.django_db
HOOK = "/hooks/meta/fb-ads/"
GRAPH_LEAD = {
    "id": "444", "created_time": "2026-11-24T15:59:00+0000", "ad_id": "7", "form_id": "9", "platform": "fb",
    "campaign_name": "Winter demo", "is_organic": False,
    "field_data": [
        {"name": "full_name", "values": ["Ada Lovelace"]}, {"name": "email", "values": ["ada@analytical.io"]},
        {"name": "phone_number", "values": ["+1 646 555 0142"]}, {"name": "company_name", "values": ["Analytical"]},
        {"name": "team_size", "values": ["40"]},
    ],
}  # fmt: skip


def notification(*leadgen_ids: str) -> dict:
    changes = [
        {"field": "leadgen", "value": {"leadgen_id": lead_id, "page_id": "55", "form_id": "9", "ad_id": "7"}}
        for lead_id in leadgen_ids
    ]
    return {"object": "page", "entry": [{"id": "55", "time": 1764000000, "changes": changes}]}


@pytest.fixture
def meta(make_connection, stand_in):
    return make_connection(
        "meta", "fb-ads", signing=APP_SECRET, token=PAGE_TOKEN, verify=VERIFY_TOKEN, inquiry_type="demo_request"
    )


def test_the_handshake_echoes_the_challenge_only_for_the_right_token(client, meta):
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    answer = client.get(HOOK, query)
    assert answer.status_code == 200 and answer.content == b"1158201444"
    wrong = client.get(HOOK, {**query, "hub.verify_token": "guess"})
    assert wrong.status_code == 403 and b"1158201444" not in wrong.content
    assert list(HookDelivery.objects.values_list("outcome", flat=True)) == ["rejected", "handshake"]


def test_a_signed_notification_makes_one_lead_fetched_routed_and_acknowledged(
    deliver, meta, stand_in, routable, run_all_jobs
):
    stand_in.reply("/v21.0/444", (200, GRAPH_LEAD))
    body = dumps(notification("444"))
    answer = deliver(HOOK, body, meta_signed(body))
    assert answer.status_code == 200 and answer.json() == {"outcome": "queued", "fetches": 1}
    assert RemoteFetch.objects.get().state == FetchState.PENDING  # stored before any fetch
    run_all_jobs()
    [graph_call] = stand_in.requests_to("/v21.0/444")
    assert graph_call.headers["authorization"] == f"Bearer {PAGE_TOKEN}"
    proof = hmac.new(APP_SECRET.encode(), PAGE_TOKEN.encode(), hashlib.sha256).hexdigest()
    assert graph_call.query["appsecret_proof"] == [proof] and "field_data" in graph_call.query["fields"][0]
    lead = Lead.objects.get()
    assert (lead.name, lead.email, lead.phone_e164, lead.company) == (
        "Ada Lovelace", "ada@analytical.io", "+16465550142", "Analytical"
    )  # fmt: skip
    assert lead.external_id == "meta:444" and lead.utm_campaign == "Winter demo" and lead.utm_source == "fb"
    assert lead.extra["answers"]["team_size"] == "40" and lead.extra["meta"]["form_id"] == "9"
    assert lead.owner in routable[1]  # routed
    assert lead.inquiries.get().ack_state == AckState.DONE and mail.outbox[0].to == ["ada@analytical.io"]
    delivery = HookDelivery.objects.get()
    assert delivery.verified and delivery.outcome == "accepted" and delivery.lead_id == lead.pk
    assert delivery.provider_ids == "444"


def test_a_replayed_notification_is_answered_200_without_a_second_fetch_or_lead(deliver, meta, stand_in, run_all_jobs):
    stand_in.reply("/v21.0/444", (200, GRAPH_LEAD))
    body = dumps(notification("444"))
    deliver(HOOK, body, meta_signed(body))
    run_all_jobs()
    again = deliver(HOOK, body, meta_signed(body))
    assert again.status_code == 200 and again.json()["outcome"] == "replay"
    run_all_jobs()
    assert Lead.objects.count() == 1 and len(stand_in.requests_to("/v21.0/444")) == 1


@pytest.mark.parametrize(
    "spoil", ["tampered body", "wrong secret", "no signature"], ids=lambda spoil: spoil.replace(" ", "-")
)
def test_an_unverified_notification_gets_401_and_stores_nothing(client, meta, spoil):
    body = dumps(notification("444"))
    headers = meta_signed(body, "not-the-app-secret" if spoil == "wrong secret" else APP_SECRET)
    if spoil == "tampered body":
        body = dumps(notification("445"))
    if spoil == "no signature":
        headers = {}
    answer = post(client, HOOK, body, headers)
    assert answer.status_code == 401 and "signature" in answer.json()["errors"]
    assert not RemoteFetch.objects.exists() and not Lead.objects.exists()
    rejected = HookDelivery.objects.get()
    assert not rejected.verified and rejected.outcome == "rejected" and rejected.payload is None


def test_nothing_is_lost_while_the_graph_api_is_down(deliver, meta, stand_in, settings, run_all_jobs):
    stand_in.reply("/v21.0/444", (503, {"error": {"message": "down"}}), (200, GRAPH_LEAD))
    body = dumps(notification("444"))
    deliver(HOOK, body, meta_signed(body))
    run_all_jobs()  # the first fetch meets a 503
    fetch = RemoteFetch.objects.get()
    assert fetch.state == FetchState.PENDING and fetch.attempts == 1 and "HTTP 503" in fetch.last_error
    assert fetch.next_attempt_at > timezone.now() + timedelta(seconds=20)  # backed off
    assert not Lead.objects.exists()
    assert fetch_remote_lead(fetch.pk, now=fetch.next_attempt_at) == "accepted"  # the retry: Graph is back
    assert Lead.objects.get().external_id == "meta:444"
    assert RemoteFetch.objects.get().state == FetchState.DONE


def test_an_unreachable_graph_api_is_retried_with_growing_delays(deliver, meta, settings):
    settings.META_GRAPH_URL = dead_url()
    body = dumps(notification("444"))
    deliver(HOOK, body, meta_signed(body))
    fetch = RemoteFetch.objects.get()
    now, delays = timezone.now(), []
    for _ in range(4):
        assert fetch_remote_lead(fetch.pk, now=now) == "retry"
        fetch.refresh_from_db()
        delays.append((fetch.next_attempt_at - now).total_seconds())
        now = fetch.next_attempt_at
    assert delays == [30, 60, 120, 240] and fetch.attempts == 4
    assert "refused" in fetch.last_error.lower() and not Lead.objects.exists()


def test_the_sweeper_fetches_an_announced_lead_whose_job_was_lost(deliver, meta, stand_in, real_redis, run_all_jobs):
    stand_in.reply("/v21.0/444", (200, GRAPH_LEAD))
    body = dumps(notification("444"))
    deliver(HOOK, body, meta_signed(body))
    real_redis.flushdb()  # Redis restarted empty: the fetch job is gone
    assert sweep(timezone.now() + timedelta(minutes=1))["remote_fetches"] == 1
    run_all_jobs()
    assert Lead.objects.get().external_id == "meta:444"


def test_other_page_changes_are_acknowledged_and_ignored(deliver, meta):
    body = dumps({"object": "page", "entry": [{"id": "55", "changes": [{"field": "feed", "value": {}}]}]})
    answer = deliver(HOOK, body, meta_signed(body))
    assert answer.status_code == 200 and answer.json()["outcome"] == "ignored"
    assert not RemoteFetch.objects.exists()
