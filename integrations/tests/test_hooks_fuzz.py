"""Fuzzing the public hooks (SPEC §7: never a 500, whatever the body).

For every provider: random and hostile bodies (bytes that are not UTF-8, JSON of any
shape, the provider's own payload with one part swapped for junk), sent unsigned, with
junk signature headers, or *correctly signed* so that they get past verification and
reach the parser and the intake door. The property: no 5xx, and every answer but the
Meta handshake is JSON. The admin's "send a test" path gets the same samples and may only
refuse with a message. `HYPOTHESIS_PROFILE=thorough` runs many more examples."""

from __future__ import annotations

import json

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from integrations.inbound import mapped_fields
from integrations.mapping import clean_mapped
from integrations.models import Connection
from integrations.providers import adapter_for
from integrations.providers.base import PayloadError
from integrations.tests import conftest as kit
from leads.tests.fuzzing import examples
from leads.tests.test_intake_fuzz import ODD_TEXT, json_values

PROVIDERS = ("meta", "typeform", "hubspot", "google-ads", "generic", "linkedin", "calendly", "calcom")
SAMPLES = {
    "meta": {"object": "page", "entry": [{"id": "5", "changes": [{"field": "leadgen", "value": {"leadgen_id": "1"}}]}]},
    "typeform": {"event_type": "form_response", "form_response": {"token": "t", "hidden": {"utm_source": "x"},
                 "answers": [{"type": "email", "email": "a@b.io", "field": {"ref": "email"}},
                             {"type": "choices", "choices": {"labels": ["a"]}, "field": {"ref": "c"}}]}},
    "hubspot": [{"subscriptionType": "contact.creation", "objectId": 5, "portalId": 1}],
    "google-ads": {"lead_id": "L", "google_key": kit.GOOGLE_KEY, "is_test": False,
                   "user_column_data": [{"column_id": "EMAIL", "string_value": "a@b.io"}]},
    "generic": {"email": "a@b.io", "id": "g1", "phone": "+16465550142", "extra": {"k": "v"}},
    "linkedin": {"type": "LEAD_ACTION", "leadAction": "CREATED", "notificationId": 5,
                 "leadGenFormResponse": "urn:li:leadGenFormResponse:r1", "leadGenForm": "urn:li:leadGenForm:9"},
    "calendly": {"event": "invitee.created", "payload": {
        "uri": "https://api.calendly.com/scheduled_events/E/invitees/I", "email": "a@b.io", "name": "A B",
        "old_invitee": None, "text_reminder_number": "+16465550142", "questions_and_answers": [{"question": "q",
        "answer": "a"}], "scheduled_event": {"start_time": "2026-12-08T15:00:00Z", "end_time": "2026-12-08T15:30:00Z",
        "event_memberships": [{"user_email": "ava@example.com"}]}}},
    "calcom": {"triggerEvent": "BOOKING_CREATED", "payload": {
        "uid": "u1", "startTime": "2026-12-08T15:00:00Z", "endTime": "2026-12-08T15:30:00Z",
        "organizer": {"email": "ava@example.com"}, "attendees": [{"email": "a@b.io", "name": "A"}],
        "responses": {"notes": {"value": "n"}}, "rescheduleUid": "u0"}},
    "linkedin-sample": {"response": {"id": "r1", "submittedAt": 1, "formResponse": {"answers": [
        {"questionId": 1, "answerDetails": {"textQuestionAnswer": {"answer": "a@b.io"}}}]}},
        "form": {"content": {"questions": [{"questionId": 1, "predefinedField": "EMAIL"}]}}},
    "meta-graph": {"id": "1", "field_data": [{"name": "email", "values": ["a@b.io"]}]},
    "hubspot-contact": {"id": "1", "properties": {"email": "a@b.io", "country": "France"}},
}  # fmt: skip


@st.composite
def mutated(draw, sample):
    """The sample with one value somewhere in it replaced by junk."""
    value = json.loads(json.dumps(sample))
    node, steps = value, draw(st.integers(0, 4))
    for _ in range(steps):
        keys = list(node) if isinstance(node, dict) else list(range(len(node))) if isinstance(node, list) else []
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        if not isinstance(node[key], dict | list) or draw(st.booleans()):
            node[key] = draw(st.one_of(json_values, st.sampled_from(ODD_TEXT)))
            break
        node = node[key]
    return value


def bodies(provider: str):
    as_json = st.one_of(mutated(SAMPLES[provider]), json_values).map(lambda value: json.dumps(value).encode())
    return st.one_of(as_json, as_json, st.binary(max_size=300), st.sampled_from([b"", b"{", b"[]", b"\xff\xfe"]))


def signed(provider: str, body: bytes) -> dict:
    if provider == "meta":
        return kit.meta_signed(body)
    if provider == "typeform":
        return kit.typeform_signed(body)
    if provider == "hubspot":
        return kit.hubspot_signed(f"http://testserver/hooks/hubspot/{provider}/", body)
    if provider == "generic":
        return kit.standard_signed(body, msg_id="msg_fuzz")
    if provider == "linkedin":
        return kit.linkedin_signed(body)
    if provider == "calendly":
        return kit.calendly_signed(body)
    if provider == "calcom":
        return kit.calcom_signed(body)
    return {}


JUNK_HEADERS = st.dictionaries(
    st.sampled_from(["HTTP_X_HUB_SIGNATURE_256", "HTTP_TYPEFORM_SIGNATURE", "HTTP_X_HUBSPOT_SIGNATURE_V3",
                     "HTTP_X_HUBSPOT_REQUEST_TIMESTAMP", "HTTP_WEBHOOK_ID", "HTTP_WEBHOOK_TIMESTAMP",
                     "HTTP_WEBHOOK_SIGNATURE", "HTTP_AUTHORIZATION", "HTTP_X_LI_SIGNATURE",
                     "HTTP_CALENDLY_WEBHOOK_SIGNATURE", "HTTP_X_CAL_SIGNATURE_256"]),
    st.sampled_from(["", "sha256=", "v1,", "v1,AAAA", "Bearer", "99999999999999999999", "-1", "1e9", "sha256=zz",
                     "hmacsha256=", "t=,v1=", "t=99999999999999999999,v1=00", "t=1,v1", ",,,="]),
    max_size=4,
)  # fmt: skip


@pytest.fixture
def hooks(make_connection, redis_down):
    for provider in PROVIDERS:
        secrets = {
            "meta": {"signing": kit.APP_SECRET, "token": kit.PAGE_TOKEN, "verify": kit.VERIFY_TOKEN},
            "typeform": {"signing": kit.TYPEFORM_SECRET}, "hubspot": {"signing": kit.HUBSPOT_SECRET},
            "google-ads": {"verify": kit.GOOGLE_KEY}, "generic": {"signing": kit.GENERIC_SECRET},
            "linkedin": {"signing": kit.LINKEDIN_SECRET, "token": kit.LINKEDIN_TOKEN},
            "calendly": {"signing": kit.CALENDLY_KEY}, "calcom": {"signing": kit.CALCOM_SECRET},
        }[provider]  # fmt: skip
        make_connection(provider, provider, **secrets)


@pytest.mark.django_db
@settings(max_examples=examples(200))
@given(
    provider=st.sampled_from(PROVIDERS), data=st.data(), how=st.sampled_from(["signed", "signed", "junk", "none"]),
    method=st.sampled_from(["POST"] * 8 + ["GET", "PUT", "DELETE"]),
    content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]),
)  # fmt: skip
def test_the_hooks_never_answer_500(client, hooks, provider, data, how, method, content_type):
    body = data.draw(bodies(provider))
    headers = signed(provider, body) if how == "signed" else data.draw(JUNK_HEADERS) if how == "junk" else {}
    path = f"/hooks/{provider}/{provider}/"
    if method == "GET" and provider == "meta":
        path += "?" + data.draw(st.sampled_from(["hub.mode=subscribe&hub.challenge=1", "hub.verify_token=%FF", ""]))
    if method == "GET" and provider == "linkedin":
        path += "?" + data.draw(st.sampled_from(["challengeCode=c0de", "challengeCode=%FF%00", "challengeCode=", ""]))
    response = client.generic(method, path, body, content_type=content_type, **headers)
    event(f"{provider} {response.status_code}")
    assert response.status_code < 500, (response.status_code, body[:200])
    if not (method == "GET" and response.status_code == 200):
        assert response["Content-Type"] == "application/json", response.content[:200]
    if response.status_code >= 400:
        assert isinstance(response.json()["errors"], dict)


@pytest.mark.django_db
@settings(max_examples=examples(150))
@given(provider=st.sampled_from(PROVIDERS), data=st.data())
def test_send_a_test_refuses_with_a_message_never_an_exception(hooks, provider, data):
    connection = Connection.objects.select_related("lead_source").get(provider=provider)
    key = {"meta": "meta-graph", "hubspot": "hubspot-contact", "linkedin": "linkedin-sample"}.get(provider, provider)
    payload = data.draw(st.one_of(mutated(SAMPLES[key]), json_values))
    try:
        incoming = adapter_for(provider).sample(payload, None)
    except PayloadError:
        return
    if incoming is not None:
        submission, errors, _ = clean_mapped(mapped_fields(connection, incoming), connection.lead_source)
        assert (submission is None) == bool(errors)


@pytest.mark.django_db
@pytest.mark.parametrize("provider", PROVIDERS)
def test_nul_characters_and_lone_surrogates_in_a_signed_body_are_not_a_500(client, hooks, provider):
    """A fuzz finding on PostgreSQL: jsonb refuses \\u0000, so the log keeps a cleaned copy."""
    sample = json.loads(json.dumps(SAMPLES[provider]))
    hostile = {"\u0000key": "va\u0000lue", "lone": "\ud800", "nested": [{"\u0000": "\udfff"}]}
    if isinstance(sample, dict):
        sample.update(hostile)
    else:
        sample[0].update(hostile)
    body = json.dumps(sample).encode()
    response = client.generic(
        "POST", f"/hooks/{provider}/{provider}/", body, content_type="application/json", **signed(provider, body)
    )
    assert response.status_code < 500, response.content[:300]
