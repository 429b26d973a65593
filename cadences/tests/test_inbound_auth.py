"""Inbound replies are authenticated per provider connection (issue 16, item 2): Twilio's
X-Twilio-Signature, Standard Webhooks signatures for generic JSON, never an intake key;
a connection reaches only its own lead sources' leads; the reply is no oracle; the
provider's id makes a replay act once; rate limits per connection and per sender."""

from __future__ import annotations

import base64
import secrets
from urllib.parse import urlencode

import pytest
from django.core.management import call_command

from cadences.models import InboundConnection, InboundDelivery, OptOut
from cadences.tests.signing import PUBLIC_URL, generic_post, sms, twilio_post, twilio_signature
from leads.models import LeadSource
from tests.workspace_kit import make_lead

pytestmark = [pytest.mark.django_db]
ACCEPTED = {"accepted": True, "matched": None, "lead": None, "result": None}


@pytest.fixture
def lead(rep, lead_source):
    return make_lead(
        rep, lead_source=lead_source, email="ada@analytical.io", email_normalized="ada@analytical.io",
        phone_e164="+16465550142", consent_sms=True,
    )  # fmt: skip


@pytest.fixture
def stranger_connection(settings):
    """A genuine connection of another lead source (e.g. a partner's own SMS number)."""
    settings.LEADOPS_PUBLIC_URL = PUBLIC_URL
    other = LeadSource.objects.create(name="Partner", slug="partner", default_source="partner")
    connection = InboundConnection.objects.create(name="Partner SMS", slug="partner-sms", provider="twilio",
                                                  secret="partner-token")  # fmt: skip
    connection.lead_sources.add(other)
    return connection


def opted_out(lead) -> bool:
    return OptOut.objects.filter(lead=lead, channel="sms").exists()


@pytest.mark.usefixtures("redis_down")
def test_a_signed_twilio_stop_opts_the_lead_out_and_the_reply_tells_nothing(client, lead, inbound_connections):
    response = twilio_post(client, "twilio", sms("+16465550142", "STOP"))
    assert (response.status_code, response.json()) == (202, ACCEPTED)
    assert opted_out(lead)
    delivery = InboundDelivery.objects.get()
    assert (delivery.delivery_id, delivery.lead, delivery.result) == ("SM1", lead, "opted_out")


@pytest.mark.usefixtures("redis_down")
@pytest.mark.parametrize(
    "forgery",
    [
        {"token": "not-the-auth-token"},
        {"signed_url": "https://evil.example/api/v1/inbound/twilio"},  # a URL from the Host header
        {"signed_url": PUBLIC_URL + "/api/v1/inbound/twilio?x=1"},
    ],
)
def test_a_forged_twilio_signature_is_refused(client, lead, inbound_connections, forgery):
    response = twilio_post(client, "twilio", sms("+16465550142", "STOP"), **forgery)
    assert response.status_code == 401 and "signature" in response.json()["errors"]
    assert not opted_out(lead) and not InboundDelivery.objects.exists()


@pytest.mark.usefixtures("redis_down")
def test_a_twilio_post_without_signature_or_with_altered_parameters_is_refused(client, lead, inbound_connections):
    form, url = urlencode(sms("+16465550142", "STOP")), "/api/v1/inbound/twilio"
    unsigned = client.post(url, form, content_type="application/x-www-form-urlencoded")
    assert unsigned.status_code == 401
    signature = twilio_signature(PUBLIC_URL + url, sms("+16465550142", "Hello"))
    altered = client.post(
        url, form, content_type="application/x-www-form-urlencoded", HTTP_X_TWILIO_SIGNATURE=signature
    )
    assert altered.status_code == 401
    assert not opted_out(lead)


@pytest.mark.usefixtures("redis_down")
def test_a_connection_cannot_touch_another_sources_leads(client, lead, stranger_connection):
    response = twilio_post(client, "partner-sms", sms("+16465550142", "STOP"), token="partner-token")
    assert (response.status_code, response.json()) == (202, ACCEPTED)  # the same answer as a match
    assert not opted_out(lead)
    assert InboundDelivery.objects.get().result == "unmatched"


@pytest.mark.usefixtures("redis_down")
def test_an_org_wide_connection_reaches_every_lead(client, lead, stranger_connection):
    stranger_connection.org_wide = True
    stranger_connection.save()
    twilio_post(client, "partner-sms", sms("+16465550142", "STOP"), token="partner-token")
    assert opted_out(lead)


@pytest.mark.usefixtures("redis_down")
def test_a_signed_generic_reply_is_recorded_once_even_when_replayed(client, lead, inbound_connections):
    body = {"channel": "email", "sender": "Ada <ADA@analytical.io>", "body": "Call me at 3"}
    first = generic_post(client, "mail", body, webhook_id="msg_42")
    again = generic_post(client, "mail", body, webhook_id="msg_42")
    assert first.json() == again.json() == ACCEPTED and again.status_code == 202
    assert lead.events.filter(kind="reply.received").count() == 1
    assert InboundDelivery.objects.get().result == "recorded"


@pytest.mark.usefixtures("redis_down")
@pytest.mark.parametrize(
    "forgery",
    [
        {"age": 6 * 60},  # stale: a replay
        {"age": -6 * 60},  # from the future
        {"secret": "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()},
    ],
)
def test_a_stale_or_forged_generic_signature_is_refused(client, lead, inbound_connections, forgery):
    body = {"channel": "email", "sender": "ada@analytical.io", "body": "Phish: http://evil.example"}
    response = generic_post(client, "mail", body, **forgery)
    assert response.status_code == 401 and "signature" in response.json()["errors"]
    assert not lead.events.filter(kind="reply.received").exists()


@pytest.mark.usefixtures("redis_down")
def test_a_generic_post_without_the_signature_headers_is_refused(client, lead, inbound_connections):
    body = {"channel": "email", "sender": "ada@analytical.io", "body": "hi"}
    response = client.post("/api/v1/inbound/mail", body, content_type="application/json")
    assert response.status_code == 401
    assert client.post("/api/v1/inbound/no-such-connection", body, content_type="application/json").status_code == 401


@pytest.mark.usefixtures("redis_down")
def test_matched_and_unmatched_senders_get_the_same_reply(client, lead, inbound_connections):
    known = generic_post(
        client, "mail", {"channel": "email", "sender": "ada@analytical.io", "body": "x"}, webhook_id="1"
    )
    unknown = generic_post(client, "mail", {"channel": "email", "sender": "who@x.io", "body": "x"}, webhook_id="2")
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
    assert list(InboundDelivery.objects.order_by("pk").values_list("result", flat=True)) == ["recorded", "unmatched"]


@pytest.mark.usefixtures("redis_down")
@pytest.mark.parametrize("how", ["bearer", "query"])
def test_an_intake_key_no_longer_opens_the_inbound_webhook(client, lead, intake_key, how):
    form = "From=%2B16465550142&Body=STOP&MessageSid=SM1"
    url, headers = "/api/v1/inbound", {}
    if how == "bearer":
        headers["HTTP_AUTHORIZATION"] = f"Bearer {intake_key}"
    else:
        url += f"?key={intake_key}"
    response = client.post(url, form, content_type="application/x-www-form-urlencoded", **headers)
    assert response.status_code == 401
    assert "/api/v1/inbound/<connection-slug>" in response.json()["errors"]["connection"][0]
    assert not opted_out(lead)


def test_inbound_is_rate_limited_per_sender_and_per_connection(client, lead, inbound_connections, real_redis):
    InboundConnection.objects.filter(slug="twilio").update(sender_requests_per_minute=2, requests_per_minute=4)
    replies = [twilio_post(client, "twilio", sms("+16465550142", "hi", sid=f"SM{n}")) for n in range(3)]
    assert [reply.status_code for reply in replies] == [202, 202, 429]
    assert int(replies[-1]["Retry-After"]) >= 1
    others = [twilio_post(client, "twilio", sms("+1646555019{n}", "hi", sid=f"SX{n}")) for n in range(3)]
    assert [reply.status_code for reply in others] == [202, 429, 429]  # 4 per minute for the connection
    assert "connection" in others[-1].json()["errors"]["non_field_errors"][0]


@pytest.mark.usefixtures("redis_down")
def test_the_command_prints_a_generic_secret_once_and_it_signs(client, lead, lead_source, capsys, settings):
    settings.LEADOPS_PUBLIC_URL = PUBLIC_URL
    call_command("create_inbound_connection", "--name", "Relay", "--provider", "generic", "--source", "website")
    secret = capsys.readouterr().out.strip().splitlines()[-1]
    assert secret.startswith("whsec_") and InboundConnection.objects.get(slug="relay").secret == secret
    body = {"channel": "email", "sender": "ada@analytical.io", "body": "Yes"}
    assert generic_post(client, "relay", body, secret=secret).status_code == 202
    assert lead.events.filter(kind="reply.received").exists()


def test_the_command_keeps_a_twilio_token_to_itself(capsys, lead_source):
    call_command("create_inbound_connection", "--name", "SMS", "--provider", "twilio", "--org-wide",
                 "--auth-token", "tw-secret-token")  # fmt: skip
    assert "tw-secret-token" not in capsys.readouterr().out
    with pytest.raises(Exception, match="lead sources"):
        call_command("create_inbound_connection", "--name", "Nowhere", "--provider", "generic")


def test_the_admin_shows_a_generic_secret_once_and_never_again(client, manager, lead_source):
    manager.is_superuser = True
    manager.save()
    client.force_login(manager)
    response = client.post(
        "/admin/cadences/inboundconnection/add/",
        {"name": "Relay", "slug": "relay", "provider": "generic", "new_secret": "", "lead_sources": [lead_source.pk],
         "active": "on", "requests_per_minute": 600, "sender_requests_per_minute": 10},
        follow=True,
    )  # fmt: skip
    connection = InboundConnection.objects.get(slug="relay")
    assert connection.secret.startswith("whsec_") and connection.secret in response.content.decode()
    page = client.get(f"/admin/cadences/inboundconnection/{connection.pk}/change/").content.decode()
    assert connection.secret not in page
    missing = client.post("/admin/cadences/inboundconnection/add/", {"name": "T", "slug": "t", "provider": "twilio",
                          "requests_per_minute": 600, "sender_requests_per_minute": 10})  # fmt: skip
    assert "auth token" in missing.content.decode() and "lead sources" in missing.content.decode()
