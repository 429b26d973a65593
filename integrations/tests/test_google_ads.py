"""Google Ads lead forms end to end: the google_key in the body must match; lead_id
dedupes; is_test leads are kept as junk ("test lead"): not routed, not acknowledged, not
counted."""

from __future__ import annotations

import pytest
from django.core import mail

from integrations.models import HookDelivery
from integrations.tests.conftest import GOOGLE_KEY, dumps
from leads.choices import AckState
from leads.models import Lead

pytestmark = pytest.mark.django_db
HOOK = "/hooks/google-ads/search-form/"


def google_lead(lead_id: str = "TeSter-123", *, key: str = GOOGLE_KEY, is_test: bool = False) -> dict:
    columns = [
        ("FULL_NAME", "Full Name", "Katherine Johnson"), ("EMAIL", "User Email", "kj@nasa.gov"),
        ("PHONE_NUMBER", "User Phone", "+16465550123"), ("COMPANY_NAME", "Company", "NASA"),
        ("COUNTRY", "Country", "US"), ("POSTAL_CODE", "Postal code", "23666"),
        ("QUESTION_1", "How many seats?", "25"),
    ]  # fmt: skip
    return {
        "lead_id": lead_id, "api_version": "1.0", "form_id": 40000000000, "campaign_id": 12345678901,
        "google_key": key, "is_test": is_test, "gcl_id": "EAIaIQob", "adgroup_id": 2000, "creative_id": 3000,
        "user_column_data": [
            {"column_id": column_id, "column_name": name, "string_value": value} for column_id, name, value in columns
        ],
    }  # fmt: skip


@pytest.fixture
def google(make_connection):
    return make_connection("google-ads", "search-form", verify=GOOGLE_KEY, inquiry_type="pricing")


def test_a_lead_with_the_right_key_is_made_routed_and_acknowledged(deliver, google, routable, run_all_jobs):
    answer = deliver(HOOK, dumps(google_lead()), {})
    assert answer.status_code == 200 and answer.json()["outcome"] == "accepted"
    run_all_jobs()
    lead = Lead.objects.get()
    assert (lead.name, lead.email, lead.company, lead.postal_code, lead.inquiry_type) == (
        "Katherine Johnson", "kj@nasa.gov", "NASA", "23666", "pricing"
    )  # fmt: skip
    assert lead.external_id == "google-ads:TeSter-123" and lead.extra["answers"]["How many seats?"] == "25"
    assert lead.extra["google_ads"]["gcl_id"] == "EAIaIQob"
    assert lead.owner in routable[1] and lead.inquiries.get().ack_state == AckState.DONE and mail.outbox


@pytest.mark.parametrize("spoil", ["wrong key", "no key", "not json"])
def test_a_lead_without_the_right_key_gets_401(deliver, google, spoil):
    body = {"wrong key": dumps(google_lead(key="guess")), "no key": dumps({"lead_id": "x"}), "not json": b"<xml/>"}
    answer = deliver(HOOK, body[spoil], {})
    assert answer.status_code == 401 and not Lead.objects.exists()
    assert HookDelivery.objects.get().outcome == "rejected"


def test_a_replay_is_answered_200_without_a_second_lead(deliver, google):
    deliver(HOOK, dumps(google_lead()), {})
    again = deliver(HOOK, dumps(google_lead()), {})
    assert again.status_code == 200 and again.json()["outcome"] == "replay" and Lead.objects.count() == 1


def test_a_test_lead_is_kept_as_junk_and_neither_routed_acknowledged_nor_counted(
    deliver, google, routable, run_all_jobs
):
    answer = deliver(HOOK, dumps(google_lead(is_test=True)), {})
    assert answer.status_code == 200 and answer.json()["outcome"] == "test"
    run_all_jobs()
    lead = Lead.objects.get()
    assert lead.junk and lead.junk_reason == "test lead" and lead.owner is None and lead.route_after is None
    assert lead.inquiries.get().ack_state == AckState.SKIPPED and not mail.outbox
    assert not Lead.objects.countable().exists()
    # A real lead from the same person afterwards is a new lead, not a duplicate of the test.
    real = deliver(HOOK, dumps(google_lead("real-1")), {})
    assert real.json()["outcome"] == "accepted" and Lead.objects.countable().count() == 1
