"""Every stop condition of SPEC §3.7 through the public interfaces (SPEC §6): attempts and
stage changes over the API, replies and SMS STOP over the inbound webhook (generic JSON
and a Twilio form post), the unsubscribe link. Each cancels what remains of the plan,
and the worker sends nothing of it afterwards."""

from __future__ import annotations

import pytest
from django.core import mail

from cadences.messages import unsubscribe_token
from cadences.models import InboundDelivery, OptOut
from cadences.tests.conftest import events, ny, plan_rows, step
from cadences.tests.signing import generic_post, sms, twilio_post
from leadops.queues import get_queue
from leads.models import Lead
from pipeline.sweeper import sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def hot_lead(make_lead, enroll_now):
    lead = make_lead(email="ada@analytical.io", email_normalized="ada@analytical.io")  # as intake stores it
    enroll_now(lead)
    return lead


def statuses(lead: Lead) -> dict[str, int]:
    counts: dict[str, int] = {}
    for *_, status in plan_rows(lead):
        counts[status] = counts.get(status, 0) + 1
    return counts


def api(client, user, url: str, body: dict):
    client.force_login(user)
    return client.post(url, body, content_type="application/json")


def inbound_json(client, connections, **body):
    """A generic connection's signed JSON post (Standard Webhooks)."""
    return generic_post(client, connections["generic"].slug, body, webhook_id=body.get("reference") or "msg_1")


def inbound_twilio(client, connections, sender: str, text: str, sid: str = "SM1"):
    """Twilio's incoming-message webhook: a form post signed with X-Twilio-Signature."""
    return twilio_post(client, connections["twilio"].slug, sms(sender, text, sid))


def outcome(lead: Lead) -> str:
    """What the delivery log says became of the lead's last inbound message."""
    return InboundDelivery.objects.filter(lead=lead).latest("pk").result


def nothing_more_is_sent(lead: Lead, at, jobs) -> None:
    """A week later, after the sweeper and the jobs ran, the worker sent the lead nothing of the plan."""
    sent_before = len(mail.outbox)
    at(ny(20, 16))
    sweep()
    jobs()
    assert not [email for email in mail.outbox[sent_before:] if email.to == [lead.email]]
    assert not events(lead, "cadence.sent")  # nor an SMS


def test_a_connected_call_logged_over_the_api_cancels_the_rest(hot_lead, client, rep, at, jobs):
    at(ny(13, 10, 1))
    attempts = f"/api/v1/leads/{hot_lead.pk}/attempts"
    assert api(client, rep, attempts, {"channel": "call", "outcome": "no_answer"}).status_code == 201
    plan = client.get(f"/api/v1/leads/{hot_lead.pk}").json()["plan"]
    assert [row["status"] for row in plan[:2]] == ["done", "scheduled"]
    assert plan[1]["due_at"] == "2026-10-13T14:08:00Z"  # 7 minutes after the real call
    at(ny(13, 10, 9))
    reply = api(client, rep, attempts, {"channel": "call", "outcome": "connected"})
    assert reply.status_code == 201
    plan = client.get(f"/api/v1/leads/{hot_lead.pk}").json()["plan"]
    assert [row["status"] for row in plan] == ["done", "done"] + ["cancelled"] * 10
    assert step(hot_lead, 3).skip_reason == "lead reached (connected)"
    nothing_more_is_sent(hot_lead, at, jobs)


@pytest.mark.parametrize("stage", ["qualified", "disqualified"])
def test_a_decision_over_the_api_cancels_the_rest(hot_lead, client, rep, at, jobs, stage):
    at(ny(13, 10, 5))
    reply = api(client, rep, f"/api/v1/leads/{hot_lead.pk}/stage", {"stage": stage, "reason": "spoke at the event"})
    assert reply.status_code == 200 and reply.json()["stage"] == stage
    assert statuses(hot_lead) == {"cancelled": 12}
    assert events(hot_lead, "cadence.stopped")[0]["reason"] == f"lead {stage}"
    nothing_more_is_sent(hot_lead, at, jobs)


def test_an_email_reply_to_the_inbound_webhook_stops_the_cadence_and_tells_the_owner(
    hot_lead, client, inbound_connections, at, jobs, rep, django_capture_on_commit_callbacks
):
    at(ny(13, 10, 40))
    with django_capture_on_commit_callbacks(execute=True):  # the alert's delivery job is enqueued on commit
        reply = inbound_json(
            client, inbound_connections, channel="email", sender="Ada Lovelace <ADA@Analytical.io>",
            subject="Re: your demo", body="Thursday 3pm works.", reference="<msg-1@mail>",
        )  # fmt: skip
    assert reply.status_code == 202
    assert reply.json() == {"accepted": True, "matched": None, "lead": None, "result": None}  # no oracle
    assert outcome(hot_lead) == "recorded"
    assert step(hot_lead, 4).status == "cancelled"  # the 10:32 email: no worker has run it yet
    assert events(hot_lead, "cadence.stopped")[0]["reason"] == "the lead replied by email"
    assert events(hot_lead, "reply.received")[0]["body"] == "Thursday 3pm works."
    jobs()  # the owner's alert goes through the outbox
    [alert] = [email for email in mail.outbox if email.to == [rep.email]]
    assert alert.subject == f"Ada Lovelace replied (L-{hot_lead.pk})" and "Thursday 3pm works." in alert.body
    nothing_more_is_sent(hot_lead, at, jobs)


def test_a_text_reply_in_twilios_form_shape_stops_the_cadence(hot_lead, client, inbound_connections, at, jobs):
    at(ny(13, 10, 20))
    reply = inbound_twilio(client, inbound_connections, "+16465550142", "Yes call me after lunch")
    assert reply.status_code == 202 and outcome(hot_lead) == "recorded"
    recorded = events(hot_lead, "reply.received")[0]
    assert (recorded["channel"], recorded["body"], recorded["reference"]) == (
        "sms",
        "Yes call me after lunch",
        "SM1",
    )
    assert events(hot_lead, "cadence.stopped")[0]["reason"] == "the lead replied by sms"
    nothing_more_is_sent(hot_lead, at, jobs)


@pytest.mark.parametrize("word", ["STOP", " stop ", "Unsubscribe"])
def test_sms_stop_to_the_inbound_webhook_opts_out_once_and_stops_the_cadence(
    hot_lead, client, inbound_connections, at, jobs, word
):
    at(ny(13, 10, 20))
    reply = inbound_twilio(client, inbound_connections, "+1 (646) 555-0142", word)
    assert reply.status_code == 202 and outcome(hot_lead) == "opted_out"
    hot_lead.refresh_from_db()
    assert hot_lead.consent_sms is False
    assert OptOut.objects.get(lead=hot_lead, channel="sms").source == "SMS STOP"
    assert len(events(hot_lead, "lead.opted_out")) == 1
    assert events(hot_lead, "cadence.stopped")[0]["reason"] == "opted out of sms (SMS STOP)"
    assert statuses(hot_lead) == {"cancelled": 12}
    assert not events(hot_lead, "reply.received")  # a STOP is not a reply to tell the rep about
    inbound_twilio(client, inbound_connections, "+16465550142", "STOP", sid="SM2")  # the provider repeats it
    assert len(events(hot_lead, "lead.opted_out")) == 1
    nothing_more_is_sent(hot_lead, at, jobs)


def test_the_unsubscribe_link_in_a_sent_email_stops_the_cadence(make_lead, enroll_now, client, at, jobs):
    lead = make_lead(temperature="warm", inquiry_type="content_download")
    enroll_now(lead)
    jobs()
    [email] = mail.outbox  # the warm cadence's content email, sent at once
    link = email.body.split("No more emails: ")[1].split()[0]
    assert link.endswith(f"/unsubscribe/{unsubscribe_token(lead.pk)}/")
    path = link[link.index("/unsubscribe/") :]
    at(ny(13, 11))
    assert client.post(path).status_code == 200
    assert lead.enrollments.get().stop_reason == "opted out of email (unsubscribe link)"
    assert {row[3] for row in plan_rows(lead)[1:]} == {"cancelled"}
    mail.outbox.clear()
    get_queue().empty()
    at(ny(20, 16))
    sweep()
    jobs()
    assert not mail.outbox
