"""HubSpot end to end: a v3-signed contact.creation event, the contact fetched from a
stand-in CRM API, the lead routed and acknowledged; tampered, wrongly signed and stale
requests refused; the API down, then back."""

from __future__ import annotations

import time

import pytest
from django.core import mail

from integrations.choices import FetchState
from integrations.fetching import fetch_remote_lead
from integrations.models import HookDelivery, RemoteFetch
from integrations.tests.conftest import HUBSPOT_SECRET, HUBSPOT_TOKEN, dumps, hubspot_signed
from leads.choices import AckState
from leads.models import Lead

pytestmark = pytest.mark.django_db
HOOK = "/hooks/hubspot/crm/"
URL = "http://testserver" + HOOK  # what HubSpot signs: the full URL it called
CONTACT = {
    "id": "901", "archived": False,
    "properties": {"email": "mary@jackson.dev", "firstname": "Mary", "lastname": "Jackson", "phone": "+16465550177",
                   "company": "Langley", "jobtitle": "Engineer", "country": "United States", "zip": "23666"},
}  # fmt: skip


def events(*contact_ids: int, kind: str = "contact.creation") -> list:
    return [
        {"eventId": 100 + index, "subscriptionId": 7, "portalId": 62515, "appId": 1, "occurredAt": 1764000000000,
         "subscriptionType": kind, "attemptNumber": 0, "objectId": contact_id, "changeFlag": "CREATED",
         "changeSource": "CRM"}
        for index, contact_id in enumerate(contact_ids)
    ]  # fmt: skip


@pytest.fixture
def hubspot(make_connection, stand_in):
    return make_connection("hubspot", "crm", signing=HUBSPOT_SECRET, token=HUBSPOT_TOKEN)


def test_a_signed_contact_creation_makes_one_lead_routed_and_acknowledged(
    deliver, hubspot, stand_in, routable, run_all_jobs
):
    stand_in.reply("/crm/v3/objects/contacts/901", (200, CONTACT))
    body = dumps(events(901))
    answer = deliver(HOOK, body, hubspot_signed(URL, body))
    assert answer.status_code == 200 and answer.json() == {"outcome": "queued", "fetches": 1}
    run_all_jobs()
    [call] = stand_in.requests_to("/crm/v3/objects/contacts/901")
    assert call.headers["authorization"] == f"Bearer {HUBSPOT_TOKEN}"
    assert {"email", "firstname", "phone"} <= set(call.query["properties"][0].split(","))
    lead = Lead.objects.get()
    assert (lead.first_name, lead.email, lead.company, lead.job_title, lead.country) == (
        "Mary", "mary@jackson.dev", "Langley", "Engineer", "US"  # a country name becomes its code
    )  # fmt: skip
    assert lead.external_id == "hubspot:901" and lead.extra["hubspot"]["portalId"] == "62515"
    assert lead.owner in routable[1] and lead.inquiries.get().ack_state == AckState.DONE and mail.outbox
    assert HookDelivery.objects.get().outcome == "accepted"


def test_a_replayed_event_is_answered_200_without_a_second_lead(deliver, hubspot, stand_in, run_all_jobs):
    stand_in.reply("/crm/v3/objects/contacts/901", (200, CONTACT))
    body = dumps(events(901))
    deliver(HOOK, body, hubspot_signed(URL, body))
    run_all_jobs()
    again = deliver(HOOK, body, hubspot_signed(URL, body))
    assert again.status_code == 200 and again.json()["outcome"] == "replay"
    run_all_jobs()
    assert Lead.objects.count() == 1 and len(stand_in.requests_to("/crm/v3/objects/contacts/901")) == 1


@pytest.mark.parametrize("spoil", ["tampered", "wrong-secret", "stale", "future", "other-url", "unsigned"])
def test_an_unverified_request_gets_401_and_stores_nothing(deliver, hubspot, spoil):
    body = dumps(events(901))
    at = {"stale": time.time() - 301, "future": time.time() + 400}.get(spoil)
    url = "https://elsewhere.example" + HOOK if spoil == "other-url" else URL
    headers = hubspot_signed(url, body, "wrong" if spoil == "wrong-secret" else HUBSPOT_SECRET, at=at)
    if spoil == "tampered":
        body = dumps(events(902))
    if spoil == "unsigned":
        headers = {}
    answer = deliver(HOOK, body, headers)
    assert answer.status_code == 401 and not RemoteFetch.objects.exists()
    assert HookDelivery.objects.get().outcome == "rejected"


def test_a_request_signed_for_the_public_url_is_accepted(deliver, hubspot, settings):
    settings.LEADOPS_PUBLIC_URL = "https://leads.example.com"
    body = dumps(events(901))
    answer = deliver(HOOK, body, hubspot_signed("https://leads.example.com" + HOOK, body))
    assert answer.status_code == 200


def test_other_events_are_ignored(deliver, hubspot):
    body = dumps(events(901, kind="contact.propertyChange"))
    answer = deliver(HOOK, body, hubspot_signed(URL, body))
    assert answer.json()["outcome"] == "ignored" and not RemoteFetch.objects.exists()


def test_the_crm_api_down_then_back(deliver, hubspot, stand_in, run_all_jobs):
    stand_in.reply("/crm/v3/objects/contacts/901", (500, {"status": "error"}), (429, {}), (200, CONTACT))
    body = dumps(events(901))
    deliver(HOOK, body, hubspot_signed(URL, body))
    run_all_jobs()
    fetch = RemoteFetch.objects.get()
    assert fetch.state == FetchState.PENDING and "HTTP 500" in fetch.last_error
    assert fetch_remote_lead(fetch.pk, now=fetch.next_attempt_at) == "retry"  # 429: still waiting
    fetch.refresh_from_db()
    assert fetch_remote_lead(fetch.pk, now=fetch.next_attempt_at) == "accepted"
    assert Lead.objects.get().external_id == "hubspot:901"
