"""WhatsApp as a channel, end to end: acknowledgments and cadence steps sent through the
Cloud API transport to a stand-in Graph API on 127.0.0.1 (integrations/tests/standin.py),
and Meta's webhooks (messages, statuses, the GET check) posted to a WhatsApp inbound
connection with X-Hub-Signature-256 computed here from Meta's documentation: "sha256="
and the hex HMAC-SHA256 of the raw body keyed with the app secret."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from cadences.models import InboundConnection, InboundDelivery, OptOut
from cadences.tests.conftest import events, plan_rows, step
from integrations.tests.standin import StandIn, dead_url
from leadops.timezones import zone
from leads.messaging import deliver_message
from leads.models import Inquiry, Lead, Message

pytestmark = pytest.mark.django_db

PHONE_NUMBER_ID = "106540352242922"
TOKEN = "EAAJB-test-token"
APP_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
VERIFY_TOKEN = "leadops-verify-42"
SEND_PATH = f"/v23.0/{PHONE_NUMBER_ID}/messages"
TUESDAY_10_KL = datetime(2026, 10, 13, 2, 0, tzinfo=UTC)  # Tuesday 13 October 2026, 10:00 in Kuala Lumpur
SITI = {
    "first_name": "Siti", "email": "siti@kedai.my", "phone": "+60 12-345 6789", "country": "MY",
    "region": "Selangor", "timezone": "Asia/Kuala_Lumpur", "inquiry_type": "demo_request", "source": "organic",
    "message": "Boleh demo untuk 10 orang?",
}  # fmt: skip


def sent(wamid: str) -> tuple[int, dict]:
    return 200, {
        "messaging_product": "whatsapp",
        "contacts": [{"input": "+60123456789", "wa_id": "60123456789"}],
        "messages": [{"id": wamid}],
    }


def meta_error(code: int, message: str, status: int = 400) -> tuple[int, dict]:
    details = {"messaging_product": "whatsapp", "details": message}
    return status, {"error": {"message": f"(#{code}) {message}", "type": "OAuthException", "code": code,
                              "error_data": details, "fbtrace_id": "AbC"}}  # fmt: skip


@pytest.fixture
def graph(settings):
    stand_in = StandIn()
    settings.WHATSAPP_TRANSPORT = "cloud"
    settings.WHATSAPP_API_BASE = stand_in.url + "/v23.0"
    settings.WHATSAPP_ACCESS_TOKEN = TOKEN
    settings.WHATSAPP_PHONE_NUMBER_ID = PHONE_NUMBER_ID
    settings.WHATSAPP_TEMPLATE = "lead_follow_up"
    settings.WHATSAPP_TEMPLATE_LANGUAGE = "ms"
    settings.WHATSAPP_VERIFY_TOKEN = VERIFY_TOKEN
    yield stand_in
    stand_in.close()


@pytest.fixture
def connection(lead_source):
    whatsapp = InboundConnection.objects.create(
        name="WhatsApp", slug="whatsapp", provider="whatsapp", secret=APP_SECRET
    )
    whatsapp.lead_sources.add(lead_source)
    return whatsapp


@pytest.fixture
def malaysian_lead(make_lead):
    def make(**fields) -> Lead:
        values = dict(
            phone="+60 12-345 6789", phone_e164="+60123456789", country="MY", region="Selangor",
            resolved_time_zone="Asia/Kuala_Lumpur", consent_sms=False, consent_whatsapp=True, first_name="Siti",
            submitted_at=TUESDAY_10_KL, received_at=TUESDAY_10_KL,
        )  # fmt: skip
        return make_lead(**(values | fields))

    return make


def meta_signature(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook(client, value: dict, *, secret: str = APP_SECRET, body: bytes | None = None, slug: str = "whatsapp"):
    """Meta's POST: one entry, one "messages" change holding `value`."""
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "60312345678", "phone_number_id": PHONE_NUMBER_ID},
            **value,
        }}]}],
    }  # fmt: skip
    signed = json.dumps(payload).encode()
    return client.post(
        f"/api/v1/inbound/{slug}", body if body is not None else signed, content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=meta_signature(signed, secret),
    )  # fmt: skip


def text_from_lead(text: str, wamid: str = "wamid.IN1", at: datetime = TUESDAY_10_KL) -> dict:
    return {
        "contacts": [{"profile": {"name": "Siti"}, "wa_id": "60123456789"}],
        "messages": [{"from": "60123456789", "id": wamid, "timestamp": str(int(at.timestamp())), "type": "text",
                      "text": {"body": text}}],
    }  # fmt: skip


def status_of(wamid: str, state: str, **extra) -> dict:
    return {"statuses": [{"id": wamid, "status": state, "timestamp": str(int(TUESDAY_10_KL.timestamp()) + 5),
                          "recipient_id": "60123456789", **extra}]}  # fmt: skip


def submit(client, intake_key, captured, **fields):
    """Post to the intake API; its jobs are queued when the request's transaction commits."""
    with captured(execute=True):
        response = client.post(
            "/api/v1/leads", json.dumps(SITI | fields), content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {intake_key}",
        )  # fmt: skip
    assert response.status_code == 201, response.content
    return Lead.objects.get(pk=response.json()["id"])


class TestAcknowledgment:
    def test_a_lead_who_agreed_to_whatsapp_gets_the_acknowledgment_as_the_approved_template(
        self, client, intake_key, graph, at, jobs, django_capture_on_commit_callbacks
    ):
        graph.reply(SEND_PATH, sent("wamid.ACK1"))
        at(TUESDAY_10_KL)
        lead = submit(client, intake_key, django_capture_on_commit_callbacks, consent_whatsapp=True, consent_sms=True)
        jobs()
        [request] = graph.requests_to(SEND_PATH)
        assert request.method == "POST" and request.headers["authorization"] == f"Bearer {TOKEN}"
        body = request.json()
        assert (body["messaging_product"], body["to"], body["type"]) == ("whatsapp", "60123456789", "template")
        template = body["template"]
        assert (template["name"], template["language"]) == ("lead_follow_up", {"code": "ms"})
        [parameter] = template["components"][0]["parameters"]
        assert parameter["type"] == "text" and "\n" not in parameter["text"]
        assert f"thanks Siti, we got your demo request (L-{lead.pk})" in parameter["text"]
        assert "contact you within 3 minutes" in parameter["text"] and parameter["text"].endswith("opt out.")
        messages = {message.channel: message for message in Message.objects.filter(lead=lead)}
        assert set(messages) == {"email", "whatsapp"}  # WhatsApp instead of SMS, never both
        assert messages["whatsapp"].state == "sent"
        assert [data["reference"] for data in events(lead, "acknowledgment.sent") if data["channel"] == "whatsapp"] == [
            "wamid.ACK1"
        ]

    def test_without_whatsapp_consent_the_text_goes_by_sms_and_whatsapp_is_not_called(
        self, client, intake_key, graph, at, jobs, django_capture_on_commit_callbacks
    ):
        at(TUESDAY_10_KL)
        lead = submit(client, intake_key, django_capture_on_commit_callbacks, consent_sms=True)
        jobs()
        assert graph.requests_to(SEND_PATH) == []
        assert set(Message.objects.filter(lead=lead).values_list("channel", flat=True)) == {"email", "sms"}

    def test_a_phone_only_lead_with_whatsapp_consent_is_acknowledged(
        self, client, intake_key, graph, at, jobs, django_capture_on_commit_callbacks
    ):
        graph.reply(SEND_PATH, sent("wamid.ACK2"))
        at(TUESDAY_10_KL)
        lead = submit(client, intake_key, django_capture_on_commit_callbacks, email="", consent_whatsapp=True)
        jobs()
        assert list(Message.objects.filter(lead=lead).values_list("channel", "state")) == [("whatsapp", "sent")]
        assert Inquiry.objects.get(lead=lead).ack_state == "done"

    def test_a_malay_lead_gets_the_malay_version_and_the_sms_one_stands_in_for_a_missing_whatsapp_one(
        self, client, intake_key, graph, at, jobs, django_capture_on_commit_callbacks
    ):
        from cadences.models import AcknowledgmentTranslation

        graph.reply(SEND_PATH, sent("wamid.MS1"))
        sms_version = AcknowledgmentTranslation.objects.create(
            kind="sms", language="ms", body="{{ company_name }}: terima kasih {{ greeting_name }}, pakar akan "
            "menghubungi anda {{ promise }}. Balas STOP untuk berhenti.",
        )  # fmt: skip
        at(TUESDAY_10_KL)
        submit(client, intake_key, django_capture_on_commit_callbacks, consent_whatsapp=True, email="", language="ms")
        jobs()
        text = graph.requests_to(SEND_PATH)[-1].json()["template"]["components"][0]["parameters"][0]["text"]
        assert "terima kasih Siti, pakar akan menghubungi anda dalam masa 3 minit" in text
        sms_version.delete()
        AcknowledgmentTranslation.objects.create(
            kind="whatsapp",
            language="ms",
            body="Salam {{ greeting_name }}! Pakar kami akan WhatsApp anda {{ promise }}.",
        )
        at(TUESDAY_10_KL + timedelta(minutes=1))
        submit(client, intake_key, django_capture_on_commit_callbacks, consent_whatsapp=True, email="",
               language="ms", phone="+60 19-876 5432", first_name="Aminah")  # fmt: skip
        jobs()
        text = graph.requests_to(SEND_PATH)[-1].json()["template"]["components"][0]["parameters"][0]["text"]
        assert text.startswith("Salam Aminah! Pakar kami akan WhatsApp anda dalam masa")


class TestErrors:
    def message(self, lead: Lead) -> Message:
        return Message.objects.create(
            lead=lead, dedupe_key=f"test:{lead.pk}", purpose="cadence", channel="whatsapp",
            recipient=lead.phone_e164, body="Hi Siti",
        )  # fmt: skip

    @pytest.mark.parametrize(
        ("answer", "expected"),
        [
            (meta_error(131026, "Message undeliverable"), "code 131026"),
            (meta_error(100, "Invalid parameter"), "code 100"),
            (meta_error(131047, "Re-engagement message"), "code 131047"),
            (meta_error(132001, "Template name does not exist in the translation"), "code 132001"),
        ],
    )
    def test_a_permanent_refusal_fails_the_message_at_once(self, malaysian_lead, graph, at, answer, expected):
        at(TUESDAY_10_KL)
        graph.reply(SEND_PATH, answer)
        message = self.message(malaysian_lead())
        assert deliver_message(message.pk) is False
        message.refresh_from_db()
        assert (message.state, message.attempts) == ("failed", 1)
        assert expected in message.error
        assert events(message.lead, "cadence.failed")[0]["channel"] == "whatsapp"

    def test_without_a_template_a_first_contact_fails_with_a_sentence(self, malaysian_lead, graph, at, settings):
        settings.WHATSAPP_TEMPLATE = ""
        at(TUESDAY_10_KL)
        message = self.message(malaysian_lead())
        deliver_message(message.pk)
        message.refresh_from_db()
        assert message.state == "failed" and "set WHATSAPP_TEMPLATE" in message.error
        assert graph.requests_to(SEND_PATH) == []

    @pytest.mark.parametrize(
        "answer",
        [
            meta_error(130429, "Rate limit hit"),
            meta_error(131056, "Pair rate limit hit"),
            meta_error(2, "Service temporarily unavailable", status=503),
            meta_error(190, "Access token has expired", status=401),
            (502, b"<html>Bad gateway</html>"),
        ],
    )
    def test_a_passing_refusal_is_retried_with_back_off_and_then_sent(self, malaysian_lead, graph, at, answer):
        at(TUESDAY_10_KL)
        graph.reply(SEND_PATH, answer, sent("wamid.LATER"))
        message = self.message(malaysian_lead())
        assert deliver_message(message.pk) is False
        message.refresh_from_db()
        assert (message.state, message.attempts) == ("pending", 1) and message.not_before > TUESDAY_10_KL
        assert deliver_message(message.pk) is False  # not before its back-off
        at(message.not_before)
        assert deliver_message(message.pk) is True
        message.refresh_from_db()
        assert message.state == "sent" and len(graph.requests_to(SEND_PATH)) == 2

    def test_an_unreachable_api_is_retried(self, malaysian_lead, graph, at, settings):
        settings.WHATSAPP_API_BASE = dead_url() + "/v23.0"
        at(TUESDAY_10_KL)
        message = self.message(malaysian_lead())
        deliver_message(message.pk)
        message.refresh_from_db()
        assert message.state == "pending" and message.error.startswith("WhatsApp:")


class TestCadenceSteps:
    def test_a_whatsapp_step_is_sent_to_a_lead_who_agreed(
        self, malaysian_lead, enroll_now, jobs, one_step_cadence, graph
    ):
        graph.reply(SEND_PATH, sent("wamid.STEP1"))
        one_step_cadence("whatsapp", body="Hi {{ greeting_name }}, about {{ quote_short }}")
        lead = malaysian_lead(source="chat")
        enroll_now(lead, TUESDAY_10_KL)
        jobs()
        [request] = graph.requests_to(SEND_PATH)
        text = request.json()["template"]["components"][0]["parameters"][0]["text"]
        assert text == "Hi Siti, about We need a demo for 40 reps next week. Reply STOP to opt out."
        assert step(lead, 1).status == "done"
        assert [data["reference"] for data in events(lead, "cadence.sent")] == ["wamid.STEP1"]

    def test_a_whatsapp_step_is_skipped_without_consent_or_phone(
        self, malaysian_lead, enroll_now, jobs, one_step_cadence, graph
    ):
        one_step_cadence("whatsapp", body="Hi")
        no_consent = malaysian_lead(source="chat", consent_whatsapp=False, consent_sms=True)
        no_phone = malaysian_lead(source="chat", phone="", phone_e164="")
        for lead in (no_consent, no_phone):
            enroll_now(lead, TUESDAY_10_KL)
        jobs()
        assert graph.requests_to(SEND_PATH) == []
        assert step(no_consent, 1).skip_reason == "no WhatsApp consent"
        assert step(no_phone, 1).skip_reason == "no phone number"


@pytest.mark.usefixtures("real_redis")  # rate limits counted in a Redis database of their own
class TestWebhook:
    def test_meta_checks_the_address_with_the_verify_token(self, client, connection, graph, inbound_connections):
        query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
        answer = client.get("/api/v1/inbound/whatsapp", query)
        assert answer.status_code == 200 and answer.content == b"1158201444"
        wrong = client.get("/api/v1/inbound/whatsapp", query | {"hub.verify_token": "guess"})
        assert wrong.status_code == 403 and "verify token" in wrong.json()["errors"]["hub.verify_token"][0]
        assert client.get("/api/v1/inbound/twilio", query).status_code == 401  # not a WhatsApp connection
        assert client.get("/api/v1/inbound/nowhere", query).status_code == 401

    def test_a_reply_stops_the_cadence_and_opens_the_window_for_free_text(
        self, client, connection, graph, malaysian_lead, enroll_now, at
    ):
        lead = malaysian_lead()
        enroll_now(lead, TUESDAY_10_KL)
        at(TUESDAY_10_KL + timedelta(minutes=5))
        answer = webhook(client, text_from_lead("Boleh call saya petang ini", at=TUESDAY_10_KL + timedelta(minutes=5)))
        assert answer.status_code == 200
        [reply] = events(lead, "reply.received")
        assert (reply["channel"], reply["body"], reply["reference"]) == (
            "whatsapp",
            "Boleh call saya petang ini",
            "wamid.IN1",
        )
        assert events(lead, "cadence.stopped")[0]["reason"] == "the lead replied by whatsapp"
        assert "scheduled" not in {status for *_, status in plan_rows(lead)}
        assert InboundDelivery.objects.get(connection=connection).result == "recorded"
        # Inside the 24-hour window a message is free text, line breaks and all.
        graph.reply(SEND_PATH, sent("wamid.FREE"))
        message = Message.objects.create(
            lead=lead, dedupe_key="note", purpose="cadence", channel="whatsapp", recipient=lead.phone_e164,
            body="Terima kasih!\nSaya akan call jam 3.",
        )  # fmt: skip
        assert deliver_message(message.pk) is True
        body = graph.requests_to(SEND_PATH)[-1].json()
        assert body["type"] == "text" and body["text"]["body"] == "Terima kasih!\nSaya akan call jam 3."
        # A day later the window has closed: the template again.
        at(TUESDAY_10_KL + timedelta(hours=24, minutes=6))
        later = Message.objects.create(
            lead=lead, dedupe_key="later", purpose="cadence", channel="whatsapp", recipient=lead.phone_e164, body="Hi"
        )
        assert deliver_message(later.pk) is True
        assert graph.requests_to(SEND_PATH)[-1].json()["type"] == "template"

    def test_a_replayed_delivery_acts_once(self, client, connection, graph, malaysian_lead):
        lead = malaysian_lead()
        for _ in range(2):
            assert webhook(client, text_from_lead("Hello")).status_code == 200
        assert len(events(lead, "reply.received")) == 1
        assert InboundDelivery.objects.filter(connection=connection).count() == 1

    def test_unsigned_tampered_or_foreign_posts_are_refused(self, client, connection, graph, malaysian_lead):
        lead = malaysian_lead()
        tampered = json.dumps({"object": "whatsapp_business_account", "entry": []}).encode()
        assert webhook(client, text_from_lead("Hello"), body=tampered).status_code == 401
        assert webhook(client, text_from_lead("Hello"), secret="another app's secret").status_code == 401
        unsigned = client.post("/api/v1/inbound/whatsapp", b"{}", content_type="application/json")
        assert unsigned.status_code == 401 and "X-Hub-Signature-256" in unsigned.json()["errors"]["signature"][0]
        assert not events(lead, "reply.received") and not InboundDelivery.objects.exists()

    def test_stop_by_whatsapp_opts_the_lead_out_of_whatsapp(
        self, client, connection, graph, malaysian_lead, enroll_now, one_step_cadence, jobs
    ):
        lead = malaysian_lead()
        enroll_now(lead, TUESDAY_10_KL)
        assert webhook(client, text_from_lead("STOP")).status_code == 200
        lead.refresh_from_db()
        assert lead.consent_whatsapp is False
        assert OptOut.objects.get(lead=lead).channel == "whatsapp"
        assert events(lead, "lead.opted_out") == [{"channel": "whatsapp"}]
        assert lead.enrollments.get().state == "stopped"

    def test_delivery_statuses_go_on_the_timeline_and_a_failure_fails_our_message(
        self, client, connection, graph, malaysian_lead, at
    ):
        at(TUESDAY_10_KL)
        graph.reply(SEND_PATH, sent("wamid.OUT1"))
        lead = malaysian_lead()
        message = Message.objects.create(
            lead=lead, dedupe_key="out", purpose="cadence", channel="whatsapp", recipient=lead.phone_e164, body="Hi"
        )
        assert deliver_message(message.pk) is True
        assert webhook(client, status_of("wamid.OUT1", "sent")).status_code == 200
        assert webhook(client, status_of("wamid.OUT1", "delivered")).status_code == 200
        assert webhook(client, status_of("wamid.OUT1", "delivered")).status_code == 200  # Meta retries
        assert events(lead, "whatsapp.delivered") == [{"message": message.pk}]
        error = {"code": 131026, "title": "Message undeliverable",
                 "error_data": {"details": "Receiver is incapable of receiving this message"}}  # fmt: skip
        assert webhook(client, status_of("wamid.OUT1", "failed", errors=[error])).status_code == 200
        [failed] = events(lead, "whatsapp.failed")
        assert failed["message"] == message.pk and failed["reason"].startswith("131026 Message undeliverable")
        message.refresh_from_db()
        assert message.state == "failed" and "131026" in message.error
        assert webhook(client, status_of("wamid.UNKNOWN", "read")).status_code == 200
        assert InboundDelivery.objects.get(delivery_id="read:wamid.UNKNOWN").result == "unmatched"

    def test_a_sender_over_the_rate_limit_is_dropped_but_meta_gets_its_200(
        self, client, connection, graph, malaysian_lead
    ):
        InboundConnection.objects.filter(pk=connection.pk).update(sender_requests_per_minute=2)
        lead = malaysian_lead()
        for number in range(3):
            assert webhook(client, text_from_lead(f"Hello {number}", wamid=f"wamid.R{number}")).status_code == 200
        assert [data["body"] for data in events(lead, "reply.received")] == ["Hello 0", "Hello 1"]

    def test_a_lead_of_another_source_is_not_matched(self, client, connection, graph, make_lead):
        from leads.models import LeadSource

        elsewhere = LeadSource.objects.create(name="Partner", slug="partner", default_source="partner")
        lead = make_lead(lead_source=elsewhere, phone_e164="+60123456789", consent_whatsapp=True)
        assert webhook(client, text_from_lead("Hello")).status_code == 200
        assert not events(lead, "reply.received")
        assert InboundDelivery.objects.get(connection=connection).result == "unmatched"


class TestConnectionsAndAttempts:
    def test_the_command_stores_the_app_secret_from_the_environment(self, settings, lead_source, capsys):
        settings.WHATSAPP_APP_SECRET = ""
        with pytest.raises(CommandError, match="Meta app's secret"):
            call_command("create_inbound_connection", name="WA", provider="whatsapp", source=["website"])
        settings.WHATSAPP_APP_SECRET = APP_SECRET
        call_command("create_inbound_connection", name="WA", provider="whatsapp", source=["website"])
        output = capsys.readouterr().out
        assert "/api/v1/inbound/wa" in output and APP_SECRET not in output and "WHATSAPP_VERIFY_TOKEN" in output
        assert InboundConnection.objects.get(slug="wa").secret == APP_SECRET

    def test_a_rep_logs_a_whatsapp_message_over_the_attempts_api(self, client, rep, malaysian_lead):
        lead = malaysian_lead()
        client.force_login(rep)
        url = f"/api/v1/leads/{lead.pk}/attempts"
        response = client.post(url, {"channel": "whatsapp", "outcome": "sent"}, content_type="application/json")
        assert response.status_code == 201 and response.json()["channel"] == "whatsapp"
        refused = client.post(url, {"channel": "whatsapp", "outcome": "voicemail"}, content_type="application/json")
        assert refused.status_code == 400 and "outcome" in refused.json()["errors"]
        lead.refresh_from_db()
        assert lead.first_attempt_at is not None


def test_the_system_check_names_what_the_cloud_api_still_needs(settings):
    from leadops.checks import whatsapp_settings

    assert whatsapp_settings(None) == []  # the console default
    settings.WHATSAPP_TRANSPORT = "cloud"
    settings.WHATSAPP_ACCESS_TOKEN = settings.WHATSAPP_PHONE_NUMBER_ID = settings.WHATSAPP_TEMPLATE = ""
    [warning] = whatsapp_settings(None)
    assert warning.id == "leadops.W002" and "WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID" in warning.msg
    settings.WHATSAPP_TRANSPORT = "meta"
    assert whatsapp_settings(None)[0].id == "leadops.E001"


@pytest.mark.usefixtures("redis_down")
def test_the_hosted_form_records_whatsapp_consent_apart_from_sms(lead_source):
    from leads.tests.test_hosted_form import FIELDS, csrf_client_and_token

    client, token = csrf_client_and_token("website")
    assert 'name="consent_whatsapp"' in client.get("/f/website/").content.decode()
    fields = FIELDS | {"email": "siti@kedai.my", "country": "MY", "consent_whatsapp": "1", "csrfmiddlewaretoken": token}
    assert client.post("/f/website/", fields).status_code == 302
    lead = Lead.objects.get(email="siti@kedai.my")
    assert (lead.consent_whatsapp, lead.consent_sms) == (True, False)


def test_a_step_in_business_hours_waits_past_the_leads_state_holidays(malaysian_lead, enroll_now, one_step_cadence):
    """Thursday 19 March 2026, 20:00 in Malaysia: Hari Raya from Friday to Monday (observed)
    everywhere, and Johor closes on Tuesday too."""
    one_step_cadence("whatsapp", body="Hi", business_hours_only=True)
    thursday_evening = datetime(2026, 3, 19, 12, 0, tzinfo=UTC)
    kuala_lumpur = malaysian_lead(source="chat", region="Kuala Lumpur", submitted_at=thursday_evening)
    johor = malaysian_lead(source="chat", region="Johor", submitted_at=thursday_evening)
    for lead in (kuala_lumpur, johor):
        enroll_now(lead, thursday_evening)
    kl_time = zone("Asia/Kuala_Lumpur")
    assert step(kuala_lumpur, 1).due_at.astimezone(kl_time).strftime("%a %d %H:%M") == "Tue 24 09:00"
    assert step(johor, 1).due_at.astimezone(kl_time).strftime("%a %d %H:%M") == "Wed 25 09:00"
