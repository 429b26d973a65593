"""The instant acknowledgment (SPEC §3.4): content, exactly once, and nothing lost when
Redis is down at intake."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection

from conftest import postgresql_only
from leadops import transports
from leads.acknowledgments import acknowledge_inquiry
from leads.choices import AckState, MessageState
from leads.messaging import deliver_message, mark_stuck_messages_uncertain
from leads.models import Inquiry, Lead, Message
from pipeline.sweeper import sweep

TUESDAY_10_NY = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
SATURDAY_14_NY = datetime(2026, 11, 21, 19, 0, tzinfo=UTC)
HOT = {
    "email": "ada@analytical.io",
    "first_name": "Ada",
    "phone": "+1 646 555 0142",
    "company": "Analytical Engines",
    "inquiry_type": "demo_request",
    "timezone": "America/New_York",
    "consent_sms": True,
    "message": "We need a demo for 40 reps next week.",
}


def submit(client, key, body, captured):
    with captured(execute=True):
        response = client.post(
            "/api/v1/leads", data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
        )
    assert response.status_code == 201, response.content
    return Lead.objects.get(pk=response.json()["id"])


@pytest.fixture
def sms_sent(capsys):
    def read() -> list[str]:
        return [line for line in capsys.readouterr().out.splitlines() if line.startswith("[sms to")]

    return read


@pytest.mark.django_db
def test_it_acknowledges_a_hot_lead_by_email_and_sms_within_the_job(
    client, intake_key, run_jobs, django_capture_on_commit_callbacks, sms_sent
):
    with time_machine.travel(TUESDAY_10_NY, tick=False):
        lead = submit(client, intake_key, HOT, django_capture_on_commit_callbacks)
        assert run_jobs() == 1  # one job routes, then acknowledges
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["ada@analytical.io"]
    assert email.subject == f"We received your demo request (L-{lead.pk})"
    assert "A specialist will contact you within 3 minutes on +16465550142." in email.body
    assert '"We need a demo for 40 reps next week."' in email.body  # quotes the inquiry
    assert "+1 212 555 0100" in email.body  # another way to reach the team
    [sms] = sms_sent()
    assert sms.startswith("[sms to +16465550142]") and "within 3 minutes" in sms
    lead.refresh_from_db()
    assert lead.acknowledged_at == TUESDAY_10_NY
    assert lead.inquiries.get().ack_state == AckState.DONE
    assert list(lead.messages.values_list("channel", "state")) == [("email", "sent"), ("sms", "sent")]
    assert lead.events.filter(kind="acknowledgment.sent").count() == 2


@pytest.mark.django_db
def test_it_promises_monday_morning_after_hours(client, intake_key, run_jobs, django_capture_on_commit_callbacks):
    with time_machine.travel(SATURDAY_14_NY, tick=False):
        submit(client, intake_key, {**HOT, "consent_sms": False}, django_capture_on_commit_callbacks)
        run_jobs()
    [email] = mail.outbox
    assert "Our team is away right now" in email.body
    assert "on Monday at 09:03 your time (America/New_York)" in email.body


@pytest.mark.django_db
def test_it_sends_no_sms_without_consent(client, intake_key, run_jobs, django_capture_on_commit_callbacks, sms_sent):
    submit(client, intake_key, {**HOT, "consent_sms": False}, django_capture_on_commit_callbacks)
    run_jobs()
    assert len(mail.outbox) == 1 and sms_sent() == []


@pytest.mark.django_db
def test_it_never_acknowledges_the_same_submission_twice(
    client, intake_key, run_jobs, django_capture_on_commit_callbacks, sms_sent
):
    lead = submit(client, intake_key, HOT, django_capture_on_commit_callbacks)
    inquiry = lead.inquiries.get()
    from leadops.queues import enqueue_now
    from leads.tasks import acknowledge_inquiry as job

    enqueue_now(job, inquiry.pk)  # a duplicated job
    sweep(now=datetime.now(UTC) + timedelta(minutes=5))  # and the sweeper re-enqueueing it
    run_jobs()
    acknowledge_inquiry(inquiry.pk)  # and a retry run by hand
    assert len(mail.outbox) == 1 and len(sms_sent()) == 1
    assert Message.objects.count() == 2


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_sends_once_when_two_workers_run_the_job_at_the_same_moment(client, intake_key, redis_down):
    response = client.post(
        "/api/v1/leads",
        data=json.dumps(HOT),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {intake_key}",
    )
    inquiry = Inquiry.objects.get(lead_id=response.json()["id"])
    barrier = threading.Barrier(2)
    results = []

    def worker():
        barrier.wait()
        try:
            results.append(acknowledge_inquiry(inquiry.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    [thread.start() for thread in threads]
    [thread.join() for thread in threads]
    assert sorted(results) == [0, 2]
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_it_catches_up_after_redis_returns(
    client, intake_key, settings, real_redis, run_jobs, django_capture_on_commit_callbacks, sms_sent
):
    from leadops import queues

    working_url = settings.REDIS_URL
    settings.REDIS_URL = "redis://127.0.0.1:6/0"
    queues._state.clear()
    lead = submit(client, intake_key, HOT, django_capture_on_commit_callbacks)  # 201 with Redis down
    assert lead.inquiries.get().ack_state == AckState.PENDING and mail.outbox == []

    settings.REDIS_URL = working_url  # Redis is back (empty: it keeps nothing on disk)
    queues._state.clear()
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=30)):
        assert sweep()["acknowledgments"] == 1
    run_jobs()
    assert len(mail.outbox) == 1 and len(sms_sent()) == 1
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=60)):
        counts = sweep()  # nothing left of the acknowledgment (the cadence has its own due steps)
        assert (counts["acknowledgments"], counts["messages"], counts["uncertain"]) == (0, 0, 0)
    lead.refresh_from_db()
    assert lead.acknowledged_at is not None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the worker checks connections like a request does
def test_the_worker_command_catches_up_in_burst_mode(
    client, intake_key, settings, real_redis, django_capture_on_commit_callbacks
):
    from leadops import queues

    working_url = settings.REDIS_URL
    settings.REDIS_URL = "redis://127.0.0.1:6/0"
    queues._state.clear()
    lead = submit(client, intake_key, {**HOT, "consent_sms": False}, django_capture_on_commit_callbacks)
    settings.REDIS_URL = working_url
    queues._state.clear()
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=30)):
        call_command("leadops_worker", "--burst")
    assert len(mail.outbox) == 1
    assert Lead.objects.get(pk=lead.pk).acknowledged_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, reason",
    [
        ({"email": "bot@mailinator.com"}, "junk: disposable email domain mailinator.com"),
        ({"phone": "+1 646 555 0142"}, "no email and no SMS or WhatsApp consent"),
    ],
)
def test_it_skips_what_must_not_be_acknowledged(
    client, intake_key, run_jobs, django_capture_on_commit_callbacks, body, reason
):
    lead = submit(client, intake_key, body, django_capture_on_commit_callbacks)
    run_jobs()
    assert mail.outbox == []
    assert lead.inquiries.get().ack_state == AckState.SKIPPED
    assert lead.events.get(kind="acknowledgment.skipped").data == {"reason": reason}


@pytest.mark.django_db
def test_it_does_not_acknowledge_a_repeat_inquiry_within_a_day(
    client, intake_key, run_jobs, django_capture_on_commit_callbacks
):
    submit(client, intake_key, HOT, django_capture_on_commit_callbacks)
    run_jobs()
    submit(client, intake_key, {**HOT, "inquiry_type": "pricing"}, django_capture_on_commit_callbacks)
    run_jobs()
    assert len(mail.outbox) == 1
    assert Inquiry.objects.filter(is_duplicate=True).get().ack_state == AckState.SKIPPED


@pytest.mark.django_db
def test_it_marks_a_message_whose_worker_died_mid_send_uncertain_and_never_resends(client, intake_key, redis_down):
    client.post(
        "/api/v1/leads",
        data=json.dumps({**HOT, "consent_sms": False}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {intake_key}",
    )
    inquiry = Inquiry.objects.get()
    now = datetime.now(UTC)
    # A worker claimed the email and died before recording the result.
    Message.objects.create(
        lead=inquiry.lead, dedupe_key=f"ack:{inquiry.pk}:email", purpose="acknowledgment", channel="email",
        recipient="ada@analytical.io", body="...", state=MessageState.SENDING, claimed_at=now - timedelta(minutes=6),
    )  # fmt: skip
    Inquiry.objects.filter(pk=inquiry.pk).update(ack_state=AckState.DONE)
    assert mark_stuck_messages_uncertain(now) == 1
    message = Message.objects.get()
    assert message.state == MessageState.UNCERTAIN
    assert deliver_message(message.pk) is False
    assert mail.outbox == []


@pytest.mark.django_db
def test_it_retries_a_failed_send_with_backoff_then_gives_up(client, intake_key, redis_down, monkeypatch):
    def refuse(self, outgoing):
        raise transports.TransportError("SMTP said no")

    monkeypatch.setattr(transports.EmailTransport, "send", refuse)
    client.post(
        "/api/v1/leads",
        data=json.dumps({**HOT, "consent_sms": False}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {intake_key}",
    )
    assert acknowledge_inquiry(Inquiry.objects.get().pk) == 0
    message = Message.objects.get()
    assert (message.state, message.attempts, message.error) == ("pending", 1, "SMTP said no")
    assert message.not_before > datetime.now(UTC) + timedelta(seconds=25)
    for _ in range(4):
        Message.objects.filter(pk=message.pk).update(not_before=datetime.now(UTC))
        deliver_message(message.pk)
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("failed", 5)
    assert message.lead.events.filter(kind="acknowledgment.failed").exists()


def test_the_twilio_transport_posts_to_the_messages_api(settings, monkeypatch):
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM_NUMBER = "AC1", "tok", "+15550001"
    settings.SMS_TRANSPORT = "twilio"
    seen = {}

    class Reply:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return b'{"sid": "SM123"}'

    def fake_post(request):
        seen["url"], seen["body"], seen["auth"] = request.full_url, request.data, request.headers["Authorization"]
        return Reply()

    monkeypatch.setattr(transports, "post", fake_post)
    reference = transports.transport_for("sms").send(transports.Outgoing(recipient="+16465550142", body="Hi"))
    assert reference == "SM123"
    assert seen["url"] == "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"
    assert b"To=%2B16465550142" in seen["body"] and b"Body=Hi" in seen["body"]
    assert seen["auth"].startswith("Basic ")
