"""Typeform end to end: a signed form_response makes one lead (answers by ref and by type,
hidden UTM fields), routed and acknowledged; tampered or wrongly signed ones make none."""

from __future__ import annotations

import pytest
from django.core import mail

from integrations.models import HookDelivery
from integrations.tests.conftest import TYPEFORM_SECRET, dumps, typeform_signed
from leads.choices import AckState
from leads.models import Lead

pytestmark = pytest.mark.django_db
HOOK = "/hooks/typeform/demo-form/"


def form_response(response_id: str = "resp-123", email: str = "grace@navy.mil") -> dict:
    def answer(kind: str, ref: str, value) -> dict:
        return {"type": kind, kind: value, "field": {"id": f"id-{ref}", "type": "short_text", "ref": ref}}

    return {
        "event_id": "01HXYZ", "event_type": "form_response",
        "form_response": {
            "form_id": "lT4Z3j", "token": response_id, "submitted_at": "2026-11-24T15:58:00Z",
            "hidden": {"utm_source": "newsletter", "utm_campaign": "winter"},
            "answers": [
                answer("text", "first_name", "Grace"), answer("text", "last_name", "Hopper"),
                answer("email", "3f1c-work-email", email),  # a ref nobody named: found by its type
                answer("phone_number", "phone", "+16465550199"),
                answer("choice", "company", {"label": "US Navy"}),
                answer("choices", "interests", {"labels": ["Routing", "Reports"]}),
                answer("boolean", "newsletter", True),
            ],
        },
    }  # fmt: skip


@pytest.fixture
def typeform(make_connection):
    return make_connection("typeform", "demo-form", signing=TYPEFORM_SECRET, inquiry_type="demo_request")


def test_a_signed_response_makes_one_lead_routed_and_acknowledged(deliver, typeform, routable, run_all_jobs):
    body = dumps(form_response())
    answer = deliver(HOOK, body, typeform_signed(body))
    assert answer.status_code == 200, answer.content
    assert answer.json()["outcome"] == "accepted" and answer.json()["lead"]["status"] == "accepted"
    run_all_jobs()
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.email, lead.phone_e164, lead.company) == (
        "Grace", "Hopper", "grace@navy.mil", "+16465550199", "US Navy"
    )  # fmt: skip
    assert (lead.utm_source, lead.utm_campaign, lead.external_id) == ("newsletter", "winter", "typeform:resp-123")
    assert lead.extra["answers"]["interests"] == ["Routing", "Reports"] and lead.extra["answers"]["newsletter"] is True
    assert lead.submitted_at.isoformat() == "2026-11-24T15:58:00+00:00"
    assert lead.owner in routable[1] and lead.inquiries.get().ack_state == AckState.DONE
    assert mail.outbox[0].to == ["grace@navy.mil"]
    delivery = HookDelivery.objects.get()
    assert delivery.verified and delivery.outcome == "accepted" and delivery.provider_ids == "resp-123"


def test_a_replay_is_answered_200_with_the_first_lead(deliver, typeform):
    body = dumps(form_response())
    first = deliver(HOOK, body, typeform_signed(body)).json()
    again = deliver(HOOK, body, typeform_signed(body))
    assert again.status_code == 200 and again.json()["outcome"] == "replay"
    assert again.json()["lead"]["id"] == first["lead"]["id"] and Lead.objects.count() == 1


@pytest.mark.parametrize("spoil", ["tampered", "wrong-secret", "unsigned", "base64-of-another-body"])
def test_an_unverified_response_gets_401_and_makes_no_lead(deliver, typeform, spoil):
    body = dumps(form_response())
    headers = typeform_signed(body, "wrong" if spoil == "wrong-secret" else TYPEFORM_SECRET)
    if spoil == "tampered":
        body = body.replace(b"grace@navy.mil", b"evil@spam.io")
    elif spoil == "unsigned":
        headers = {}
    elif spoil == "base64-of-another-body":
        headers = typeform_signed(dumps(form_response(response_id="other")))
    answer = deliver(HOOK, body, headers)
    assert answer.status_code == 401 and not Lead.objects.exists()
    assert HookDelivery.objects.get().outcome == "rejected"


def test_a_response_without_any_contact_gets_400_with_field_errors(deliver, typeform):
    payload = form_response()
    payload["form_response"]["answers"] = payload["form_response"]["answers"][:2]  # names only
    body = dumps(payload)
    answer = deliver(HOOK, body, typeform_signed(body))
    assert answer.status_code == 400 and set(answer.json()["errors"]) == {"email", "phone"}
    delivery = HookDelivery.objects.get()
    assert delivery.outcome == "invalid" and delivery.status_code == 400 and not Lead.objects.exists()


def test_a_bad_side_field_is_left_out_rather_than_losing_the_lead(deliver, typeform):
    payload = form_response()
    payload["form_response"]["hidden"]["utm_source"] = "x" * 500
    body = dumps(payload)
    answer = deliver(HOOK, body, typeform_signed(body))
    assert answer.status_code == 200 and Lead.objects.get().utm_source == ""
    assert "utm_source" in HookDelivery.objects.get().detail


def test_a_duplicate_joins_the_recent_lead_like_the_api(deliver, typeform):
    first = dumps(form_response("a"))
    second = dumps(form_response("b"))
    deliver(HOOK, first, typeform_signed(first))
    answer = deliver(HOOK, second, typeform_signed(second))
    assert answer.json()["outcome"] == "duplicate" and Lead.objects.count() == 1
    assert Lead.objects.get().inquiries.count() == 2
