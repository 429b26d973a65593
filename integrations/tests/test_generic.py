"""The generic JSON hook: a JSON-path mapping edited in the admin, Standard Webhooks HMAC
or a bearer key, idempotent on the mapped id (else the webhook-id)."""

from __future__ import annotations

import time

import pytest
from django.core import mail

from integrations.models import HookDelivery
from integrations.tests.conftest import GENERIC_KEY, GENERIC_SECRET, dumps, standard_signed
from leads.choices import AckState
from leads.models import Lead

pytestmark = pytest.mark.django_db
HOOK = "/hooks/generic/partner/"
MAPPING = {
    "email": "$.contact.emails.0", "phone": "contact.phone", "name": "contact.name", "company": "org.name",
    "external_id": "ref", "message": ["notes", "comment"], "extra": "meta",
}  # fmt: skip
PARTNER_LEAD = {
    "ref": "P-77", "contact": {"name": "Dorothy Vaughan", "emails": ["dv@fortran.io", "other@x.io"],
                               "phone": "+16465550166"},
    "org": {"name": "Fortran Ltd"}, "comment": "Call me after 3pm", "meta": {"partner": "acme"},
}  # fmt: skip


@pytest.fixture
def partner(make_connection):
    return make_connection("generic", "partner", signing=GENERIC_SECRET, field_map=MAPPING, source="partner")


def test_a_signed_lead_is_mapped_made_routed_and_acknowledged(deliver, partner, routable, run_all_jobs):
    body = dumps(PARTNER_LEAD)
    answer = deliver(HOOK, body, standard_signed(body))
    assert answer.status_code == 200, answer.content
    run_all_jobs()
    lead = Lead.objects.get()
    assert (lead.name, lead.email, lead.phone_e164, lead.company, lead.message) == (
        "Dorothy Vaughan", "dv@fortran.io", "+16465550166", "Fortran Ltd", "Call me after 3pm"
    )  # fmt: skip
    assert lead.external_id == "P-77" and lead.source == "partner" and lead.extra["partner"] == "acme"
    assert lead.owner in routable[1] and lead.inquiries.get().ack_state == AckState.DONE and mail.outbox


def test_a_replay_with_the_same_id_is_answered_200_without_a_second_lead(deliver, partner):
    body = dumps(PARTNER_LEAD)
    first = deliver(HOOK, body, standard_signed(body, msg_id="msg_a")).json()
    again = deliver(HOOK, body, standard_signed(body, msg_id="msg_b"))  # a new delivery of the same lead
    assert again.status_code == 200 and again.json()["outcome"] == "replay"
    assert again.json()["lead"]["id"] == first["lead"]["id"] and Lead.objects.count() == 1


def test_without_a_mapped_id_the_webhook_id_dedupes(deliver, make_connection):
    make_connection("generic", "plain", signing=GENERIC_SECRET)
    body = dumps({"email": "plain@fortran.io", "first_name": "Plain"})
    deliver("/hooks/generic/plain/", body, standard_signed(body, msg_id="msg_9"))
    again = deliver("/hooks/generic/plain/", body, standard_signed(body, msg_id="msg_9"))
    assert again.json()["outcome"] == "replay" and Lead.objects.get().external_id == "webhook:msg_9"


@pytest.mark.parametrize("spoil", ["tampered", "wrong-secret", "stale", "unsigned", "signed-with-other-id"])
def test_an_unverified_lead_gets_401(deliver, partner, spoil):
    body = dumps(PARTNER_LEAD)
    secret = "whsec_" + "d3Jvbmctc2VjcmV0LWJ5dGVzLTAxMjM0NTY3" if spoil == "wrong-secret" else GENERIC_SECRET
    headers = standard_signed(body, secret, at=time.time() - 600 if spoil == "stale" else None)
    if spoil == "tampered":
        body = body.replace(b"P-77", b"P-78")
    elif spoil == "unsigned":
        headers = {}
    elif spoil == "signed-with-other-id":
        headers["HTTP_WEBHOOK_ID"] = "msg_other"
    answer = deliver(HOOK, body, headers)
    assert answer.status_code == 401 and not Lead.objects.exists()
    assert HookDelivery.objects.get().outcome == "rejected"


def test_a_bearer_key_connection(deliver, make_connection):
    make_connection("generic", "zapier", verify=GENERIC_KEY)
    body = dumps({"email": "zap@fortran.io"})
    assert deliver("/hooks/generic/zapier/", body, {"HTTP_AUTHORIZATION": f"Bearer {GENERIC_KEY}"}).status_code == 200
    assert deliver("/hooks/generic/zapier/", body, {"HTTP_AUTHORIZATION": "Bearer guess"}).status_code == 401
    assert deliver("/hooks/generic/zapier/", body, {}).status_code == 401


def test_a_connection_with_no_secret_refuses_everything(deliver, make_connection):
    make_connection("generic", "open")
    assert deliver("/hooks/generic/open/", dumps({"email": "a@b.io"}), {}).status_code == 401


@pytest.mark.parametrize(
    "path, status",
    [("/hooks/generic/nobody/", 404), ("/hooks/teleport/partner/", 404), ("/hooks/typeform/partner/", 404)],
)
def test_unknown_hooks_are_404(client, partner, path, status):
    assert client.post(path, b"{}", content_type="application/json").status_code == status


def test_an_inactive_connection_is_404_and_get_is_405(client, partner):
    assert client.get(HOOK).status_code == 405
    partner.active = False
    partner.save()
    assert client.post(HOOK, b"{}", content_type="application/json").status_code == 404


def test_a_body_over_64_kib_is_413(deliver, partner):
    body = dumps({"email": "big@fortran.io", "message": "x" * 70_000})
    assert deliver(HOOK, body, standard_signed(body)).status_code == 413
    assert HookDelivery.objects.get().detail == "body larger than 64 KiB"  # every request is logged


def test_signed_but_not_json_is_400(deliver, partner):
    body = b"email=a@b.io"
    answer = deliver(HOOK, body, standard_signed(body))
    assert answer.status_code == 400 and HookDelivery.objects.get().outcome == "invalid"
