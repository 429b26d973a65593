"""Attempts, stage changes and inbound replies through the API (SPEC §6, §3.7-3.8)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cadences.models import InboundDelivery
from cadences.tests.signing import generic_post, twilio_post
from leads.models import Lead, Message

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_down")]
NOW = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
NO_ORACLE = {"accepted": True, "matched": None, "lead": None, "result": None}


@pytest.fixture
def lead(rep, lead_source):
    return Lead.objects.create(
        lead_source=lead_source, email="ada@analytical.io", phone="+16465550142", phone_e164="+16465550142",
        email_normalized="ada@analytical.io", first_name="Ada", source="organic", inquiry_type="demo_request",
        temperature="hot", resolved_time_zone="America/New_York", submitted_at=NOW, owner=rep, stage="assigned",
        first_contact_due_at=NOW,
    )  # fmt: skip


def post(client, user, url, body):
    client.force_login(user)
    return client.post(url, body, content_type="application/json")


def test_it_logs_a_call_and_sets_first_attempt_and_stage(client, rep, lead):
    response = post(client, rep, f"/api/v1/leads/{lead.pk}/attempts", {"channel": "call", "outcome": "no_answer"})
    assert response.status_code == 201
    assert response.json()["number"] == 1 and response.json()["by"] == "rep.one"
    lead.refresh_from_db()
    assert lead.first_attempt_at is not None and lead.stage == "contacted" and lead.first_connected_at is None
    second = post(client, rep, f"/api/v1/leads/{lead.pk}/attempts", {"channel": "call", "outcome": "connected"})
    assert second.json()["number"] == 2
    lead.refresh_from_db()
    assert lead.stage == "connected" and lead.first_connected_at is not None
    assert lead.events.filter(kind="attempt.logged").count() == 2


@pytest.mark.parametrize(
    "body, field",
    [
        ({"channel": "fax", "outcome": "sent"}, "channel"),
        ({"channel": "call", "outcome": "replied"}, "outcome"),
        ({"channel": "email", "outcome": "voicemail"}, "outcome"),
        ({}, "channel"),
    ],
)
def test_it_refuses_an_attempt_that_does_not_fit_with_a_field_message(client, rep, lead, body, field):
    response = post(client, rep, f"/api/v1/leads/{lead.pk}/attempts", body)
    assert response.status_code == 400 and field in response.json()["errors"]
    assert lead.attempts.count() == 0


def test_only_the_owner_or_a_manager_can_log_or_change_stage(client, other_rep, manager, leader, lead):
    url = f"/api/v1/leads/{lead.pk}/attempts"
    assert post(client, other_rep, url, {"channel": "call", "outcome": "connected"}).status_code == 404
    assert post(client, leader, url, {"channel": "call", "outcome": "connected"}).status_code == 403
    assert post(client, manager, url, {"channel": "call", "outcome": "connected"}).status_code == 201


def test_it_qualifies_then_converts_a_lead(client, rep, lead):
    response = post(client, rep, f"/api/v1/leads/{lead.pk}/stage", {"stage": "qualified", "reason": "budget ok"})
    assert response.status_code == 200 and response.json()["stage"] == "qualified"
    converted = post(client, rep, f"/api/v1/leads/{lead.pk}/stage", {"stage": "converted"})
    assert converted.json()["converted_at"] is not None
    event = lead.events.filter(kind="stage.changed").first()
    assert (event.data["from"], event.data["to"], event.data["reason"]) == ("assigned", "qualified", "budget ok")


def test_it_refuses_to_convert_a_disqualified_lead(client, rep, lead):
    post(client, rep, f"/api/v1/leads/{lead.pk}/stage", {"stage": "disqualified"})
    response = post(client, rep, f"/api/v1/leads/{lead.pk}/stage", {"stage": "converted"})
    assert response.status_code == 400 and "stage" in response.json()["errors"]
    assert post(client, rep, f"/api/v1/leads/{lead.pk}/stage", {"stage": "new"}).status_code == 400


def test_an_inbound_email_reply_is_recorded_and_the_owner_told(client, lead, inbound_connections):
    body = {"channel": "email", "sender": "Ada <ADA@analytical.io>", "body": "Call me at 3"}
    response = generic_post(client, "mail", body)
    assert response.status_code == 202 and response.json() == NO_ORACLE
    assert InboundDelivery.objects.get().result == "recorded"
    assert lead.events.get(kind="reply.received").data["body"] == "Call me at 3"
    alert = Message.objects.get(purpose="reply_alert")
    assert alert.recipient == "rep.one@example.com" and "Call me at 3" in alert.body


def test_an_inbound_sms_stop_opts_the_lead_out(client, lead, inbound_connections):
    response = twilio_post(client, "twilio", {"From": "+16465550142", "Body": "STOP", "MessageSid": "SM1"})
    assert response.json() == NO_ORACLE and InboundDelivery.objects.get().result == "opted_out"
    lead.refresh_from_db()
    assert lead.consent_sms is False
    assert lead.events.filter(kind="lead.opted_out").exists()


def test_an_inbound_message_needs_a_signature_and_may_not_match(client, lead, inbound_connections):
    body = {"channel": "email", "sender": "stranger@x.io", "body": "hi"}
    assert client.post("/api/v1/inbound/mail", body, content_type="application/json").status_code == 401
    response = generic_post(client, "mail", body)
    assert response.json() == NO_ORACLE and InboundDelivery.objects.get().result == "unmatched"
