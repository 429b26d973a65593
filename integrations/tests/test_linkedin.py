"""LinkedIn Lead Gen Forms (Lead Sync) end to end: the validation handshake, a signed lead
notification stored first and its lead fetched from a stand-in LinkedIn API (response, then
form) by a job, routed and acknowledged; both readings of X-LI-Signature; tampered,
wrongly signed and replayed notifications."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from integrations.choices import FetchState
from integrations.fetching import fetch_remote_lead
from integrations.models import Connection, HookDelivery, RemoteFetch
from integrations.tests.conftest import LINKEDIN_SECRET, LINKEDIN_TOKEN, dumps, linkedin_signed, post
from leads.choices import AckState
from leads.models import Lead

pytestmark = pytest.mark.django_db
HOOK = "/hooks/linkedin/li-forms/"
RESPONSE_PATH = "/rest/leadFormResponses/7a1c-55"
FORM_PATH = "/rest/leadForms/9001"
LEAD_RESPONSE = {
    "id": "7a1c-55", "leadType": "SPONSORED", "testLead": False, "submittedAt": 1795531140000,
    "owner": {"sponsoredAccount": "urn:li:sponsoredAccount:512"},
    "versionedLeadGenFormUrn": "urn:li:versionedLeadGenForm:(urn:li:leadGenForm:9001,3)",
    "leadMetadata": {"sponsoredLeadMetadata": {"campaign": "urn:li:sponsoredCampaign:77"}},
    "formResponse": {"answers": [
        {"questionId": 1, "answerDetails": {"textQuestionAnswer": {"answer": "Katherine"}}},
        {"questionId": 2, "answerDetails": {"textQuestionAnswer": {"answer": "Johnson"}}},
        {"questionId": 3, "answerDetails": {"textQuestionAnswer": {"answer": "kj@orbits.dev"}}},
        {"questionId": 4, "answerDetails": {"textQuestionAnswer": {"answer": "+1 646 555 0188"}}},
        {"questionId": 5, "answerDetails": {"textQuestionAnswer": {"answer": "Orbits"}}},
        {"questionId": 6, "answerDetails": {"multipleChoiceAnswer": {"options": [2]}}},
    ]},
}  # fmt: skip
LEAD_FORM = {
    "id": 9001, "name": "Demo request",
    "content": {"questions": [
        {"questionId": 1, "name": "firstName", "predefinedField": "FIRST_NAME"},
        {"questionId": 2, "name": "lastName", "predefinedField": "LAST_NAME"},
        {"questionId": 3, "name": "email", "predefinedField": "EMAIL"},
        {"questionId": 4, "name": "phone", "predefinedField": "PHONE_NUMBER"},
        {"questionId": 5, "name": "company", "predefinedField": "COMPANY_NAME"},
        {"questionId": 6, "name": "teamSize", "questionDetails": {"multipleChoiceQuestionDetails": {"options": [
            {"id": 1, "text": {"localized": {"en_US": "1-10"}}}, {"id": 2, "text": {"localized": {"en_US": "11-50"}}},
        ]}}},
    ]},
}  # fmt: skip


def notification(notification_id: int = 4411, response_id: str = "7a1c-55") -> dict:
    return {
        "type": "LEAD_ACTION", "leadAction": "CREATED", "leadType": "SPONSORED", "notificationId": notification_id,
        "occurredAt": 1795531141000, "owner": {"sponsoredAccount": "urn:li:sponsoredAccount:512"},
        "leadGenForm": "urn:li:versionedLeadGenForm:(urn:li:leadGenForm:9001,3)",
        "leadGenFormResponse": f"urn:li:leadGenFormResponse:{response_id}",
        "associatedEntity": {"sponsoredCreative": "urn:li:sponsoredCreative:31"},
    }  # fmt: skip


@pytest.fixture
def linkedin(make_connection, stand_in):
    LEAD_RESPONSE["submittedAt"] = int((timezone.now() - timedelta(minutes=10)).timestamp() * 1000)
    stand_in.reply(RESPONSE_PATH, (200, LEAD_RESPONSE))
    stand_in.reply(FORM_PATH, (200, LEAD_FORM))
    return make_connection(
        "linkedin", "li-forms", signing=LINKEDIN_SECRET, token=LINKEDIN_TOKEN, inquiry_type="demo_request"
    )


def test_the_handshake_answers_the_challenge_as_json_and_is_remembered(client, linkedin):
    code = "890e4665-4dfe-4ab1-b689-ed553bceeed0"
    answer = client.get(HOOK, {"challengeCode": code})
    expected = hmac.new(LINKEDIN_SECRET.encode(), code.encode(), hashlib.sha256).hexdigest()
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    assert answer.json() == {"challengeCode": code, "challengeResponse": expected}
    validated = Connection.objects.get().validated_at
    assert validated and timezone.now() - validated < timedelta(seconds=5)
    assert HookDelivery.objects.get().outcome == "handshake"


def test_a_handshake_without_a_challenge_gets_400_and_is_not_a_validation(client, linkedin):
    answer = client.get(HOOK)
    assert answer.status_code == 400 and "challengeCode" in answer.json()["errors"]
    assert Connection.objects.get().validated_at is None
    assert HookDelivery.objects.get().outcome == "rejected"


@pytest.mark.parametrize(
    "reading", ["prefixed body", "raw body", "prefixed body, header prefix", "raw body, header prefix"]
)
def test_a_signed_notification_makes_one_lead_fetched_routed_and_acknowledged(
    deliver, linkedin, stand_in, routable, run_all_jobs, reading
):
    body = dumps(notification())
    answer = deliver(HOOK, body, linkedin_signed(body, reading=reading))
    assert answer.status_code == 200 and answer.json() == {"outcome": "queued", "fetches": 1}
    assert RemoteFetch.objects.get().state == FetchState.PENDING  # stored before any fetch
    delivery = HookDelivery.objects.get()
    assert f"matched the {reading.split(',')[0]}" in delivery.detail  # the log says which reading held
    run_all_jobs()
    [fetched] = stand_in.requests_to(RESPONSE_PATH)
    assert fetched.headers["authorization"] == f"Bearer {LINKEDIN_TOKEN}"
    assert fetched.headers["linkedin-version"] and fetched.headers["x-restli-protocol-version"] == "2.0.0"
    assert len(stand_in.requests_to(FORM_PATH)) == 1
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.email, lead.phone_e164, lead.company) == (
        "Katherine", "Johnson", "kj@orbits.dev", "+16465550188", "Orbits"
    )  # fmt: skip
    assert lead.external_id == "linkedin:7a1c-55" and lead.utm_campaign == "77"
    assert lead.submitted_at == datetime.fromtimestamp(LEAD_RESPONSE["submittedAt"] / 1000, UTC)  # not the fetch time
    assert lead.extra["answers"]["teamSize"] == "11-50" and lead.extra["linkedin"]["notificationId"] == "4411"
    assert lead.owner in routable[1]
    assert lead.inquiries.get().ack_state == AckState.DONE and mail.outbox[0].to == ["kj@orbits.dev"]
    delivery.refresh_from_db()
    assert delivery.outcome == "accepted" and delivery.lead_id == lead.pk
    assert f"matched the {reading.split(',')[0]}" in delivery.detail  # still said once the lead is fetched


def test_a_replayed_notification_is_answered_200_without_a_second_fetch_or_lead(
    deliver, linkedin, stand_in, run_all_jobs
):
    body = dumps(notification())
    deliver(HOOK, body, linkedin_signed(body))
    run_all_jobs()
    again = deliver(HOOK, body, linkedin_signed(body))
    assert again.status_code == 200 and again.json()["outcome"] == "replay"
    # The same notification id, even around another response, is a replay too.
    other = dumps(notification(4411, "8b2d-66"))
    assert deliver(HOOK, other, linkedin_signed(other)).json()["outcome"] == "replay"
    # Another notification of the same lead form response is not fetched again.
    repeat = dumps(notification(4412))
    assert deliver(HOOK, repeat, linkedin_signed(repeat)).json()["outcome"] == "replay"
    run_all_jobs()
    assert Lead.objects.count() == 1 and len(stand_in.requests_to(RESPONSE_PATH)) == 1


@pytest.mark.parametrize("spoil", ["tampered", "wrong-secret", "unsigned", "base64"])
def test_an_unverified_notification_gets_401_and_stores_nothing(client, linkedin, spoil):
    body = dumps(notification())
    headers = linkedin_signed(body, "not-the-client-secret" if spoil == "wrong-secret" else LINKEDIN_SECRET)
    if spoil == "tampered":
        body = dumps(notification(4411, "7a1c-56"))
    if spoil == "unsigned":
        headers = {}
    if spoil == "base64":  # the right MAC, in an encoding LinkedIn does not use
        digest = hmac.new(LINKEDIN_SECRET.encode(), b"hmacsha256=" + body, hashlib.sha256).digest()
        headers = {"HTTP_X_LI_SIGNATURE": base64.b64encode(digest).decode()}
    answer = post(client, HOOK, body, headers)
    assert answer.status_code == 401 and "signature" in answer.json()["errors"]
    assert not RemoteFetch.objects.exists() and not Lead.objects.exists()
    rejected = HookDelivery.objects.get()
    assert not rejected.verified and rejected.outcome == "rejected" and rejected.payload is None


def test_a_deleted_lead_notification_is_acknowledged_and_ignored(deliver, linkedin):
    body = dumps({**notification(), "leadAction": "DELETED"})
    answer = deliver(HOOK, body, linkedin_signed(body))
    assert answer.status_code == 200 and answer.json()["outcome"] == "ignored" and not RemoteFetch.objects.exists()


def test_the_api_down_then_back_loses_nothing(deliver, linkedin, stand_in, run_all_jobs):
    stand_in.reply(RESPONSE_PATH, (503, {"message": "down"}), (200, LEAD_RESPONSE))
    body = dumps(notification())
    deliver(HOOK, body, linkedin_signed(body))
    run_all_jobs()
    fetch = RemoteFetch.objects.get()
    assert fetch.state == FetchState.PENDING and "HTTP 503" in fetch.last_error and not Lead.objects.exists()
    assert fetch_remote_lead(fetch.pk, now=fetch.next_attempt_at) == "accepted"
    assert Lead.objects.get().external_id == "linkedin:7a1c-55"


def test_the_admin_shows_when_linkedin_last_validated_the_hook(client, manager, linkedin):
    client.force_login(manager)
    page = client.get(f"/admin/integrations/connection/{linkedin.pk}/change/").content.decode()
    assert "Last validated by the provider" in page and "Never: register the hook URL" in page
    client.get(HOOK, {"challengeCode": "c0de"})
    page = client.get(f"/admin/integrations/connection/{linkedin.pk}/change/").content.decode()
    assert "0 min ago" in page and "Never" not in page


def test_a_test_lead_is_stored_but_not_routed(deliver, linkedin, stand_in, routable, run_all_jobs):
    stand_in.reply(RESPONSE_PATH, (200, {**LEAD_RESPONSE, "testLead": True}))
    body = dumps(notification())
    deliver(HOOK, body, linkedin_signed(body))
    run_all_jobs()
    lead = Lead.objects.get()
    assert lead.junk and lead.junk_reason == "test lead" and lead.owner is None
    assert HookDelivery.objects.get().outcome == "test"
