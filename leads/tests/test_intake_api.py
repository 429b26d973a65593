"""POST /api/v1/leads: every reply code of SPEC §6, idempotency, duplicates and junk."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from leads.models import Inquiry, IntakeKey, Lead, LeadEvent

URL = "/api/v1/leads"
TUESDAY_10_NY = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 10:00 in New York


def post(client, key, body, content_type="application/json", **headers):
    data = json.dumps(body) if content_type == "application/json" and not isinstance(body, str | bytes) else body
    if key:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client.post(URL, data=data, content_type=content_type, **headers)


HOT_LEAD = {
    "email": "Ada.Lovelace@Analytical.io",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "phone": "+1 646 555 0142",
    "company": "Analytical Engines",
    "job_title": "VP Sales",
    "inquiry_type": "demo_request",
    "message": "We need a demo for 40 reps next week.",
    "consent_sms": True,
    "utm_source": "google",
    "extra": {"landing_page": "/pricing"},
}


@pytest.mark.django_db
@pytest.mark.usefixtures("redis_down")  # intake must not need Redis
class TestAccepted:
    def test_it_stores_a_hot_lead_and_returns_its_sla(self, client, intake_key):
        with time_machine.travel(TUESDAY_10_NY, tick=False):
            response = post(client, intake_key, {**HOT_LEAD, "timezone": "America/New_York"})
        assert response.status_code == 201
        body = response.json()
        lead = Lead.objects.get(pk=body["id"])
        assert body == {
            "id": lead.pk,
            "status": "accepted",
            "temperature": "hot",
            "duplicate_of": None,
            "sla": {
                "assign_by": "2026-11-24T15:00:30+00:00",
                "first_contact_by": "2026-11-24T15:03:00+00:00",
                "after_hours": False,
            },
        }
        assert lead.email_normalized == "ada.lovelace@analytical.io"
        assert lead.phone_e164 == "+16465550142"
        assert lead.company_domain == "analytical.io"
        assert lead.source == "organic"  # the key's default source
        assert lead.extra == {"landing_page": "/pricing"}
        assert lead.sla_policy.name == "Hot"
        assert LeadEvent.objects.filter(lead=lead, kind="lead.submitted").count() == 1

    def test_it_accepts_form_encoded_bodies(self, client, intake_key):
        body = "email=bob%40example.org&inquiry_type=newsletter&consent_email=on&country=fr"
        response = post(client, intake_key, body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 201, response.content
        lead = Lead.objects.get(pk=response.json()["id"])
        assert (lead.temperature, lead.consent_email, lead.country) == ("cold", True, "FR")
        assert lead.resolved_time_zone == "Europe/Paris"

    def test_it_starts_the_clock_at_submitted_at(self, client, intake_key):
        # Submitted Friday 16:58 New York: a hot lead is due Monday 09:01 (SPEC §3.3).
        friday = datetime(2026, 11, 20, 16, 58, tzinfo=UTC) + timedelta(hours=5)
        with time_machine.travel(friday + timedelta(minutes=1), tick=False):
            response = post(
                client, intake_key, {**HOT_LEAD, "timezone": "America/New_York", "submitted_at": friday.isoformat()}
            )
        assert response.status_code == 201
        assert response.json()["sla"]["first_contact_by"] == "2026-11-23T14:01:00+00:00"

    def test_it_tells_a_lead_after_hours(self, client, intake_key):
        saturday = datetime(2026, 11, 21, 19, 0, tzinfo=UTC)  # 14:00 New York
        with time_machine.travel(saturday, tick=False):
            response = post(client, intake_key, {**HOT_LEAD, "timezone": "America/New_York"})
        sla = response.json()["sla"]
        assert sla["after_hours"] is True
        assert sla["first_contact_by"] == "2026-11-23T14:03:00+00:00"  # Monday 09:03, not Saturday's clock

    def test_it_finds_the_time_zone_from_the_phone(self, client, intake_key):
        response = post(client, intake_key, {"phone": "+44 20 7946 0958", "inquiry_type": "pricing"})
        assert response.status_code == 201
        assert Lead.objects.get().resolved_time_zone == "Europe/London"

    def test_it_accepts_a_phone_only_lead(self, client, intake_key):
        response = post(client, intake_key, {"phone": "(646) 555-0142", "country": "US"})
        assert response.status_code == 201
        assert Lead.objects.get().phone_e164 == "+16465550142"


@pytest.mark.django_db
@pytest.mark.usefixtures("redis_down")  # intake must not need Redis
class TestIdempotencyAndDuplicates:
    def test_it_replays_a_repeated_external_id_with_200(self, client, intake_key):
        first = post(client, intake_key, {**HOT_LEAD, "external_id": "form-42"})
        again = post(client, intake_key, {**HOT_LEAD, "external_id": "form-42", "message": "changed"})
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()
        assert Lead.objects.count() == 1 and Inquiry.objects.count() == 1

    def test_it_scopes_external_ids_to_the_lead_source(self, client, intake_key, lead_source):
        from leads.models import LeadSource

        other = LeadSource.objects.create(name="Ads", slug="ads", default_source="paid_ads")
        _, other_key = IntakeKey.issue(other)
        post(client, intake_key, {**HOT_LEAD, "external_id": "x-1"})
        response = post(client, other_key, {"email": "someone@else.io", "external_id": "x-1"})
        assert response.status_code == 201
        assert Lead.objects.count() == 2

    def test_it_joins_a_repeat_inquiry_to_the_existing_lead(self, client, intake_key):
        first = post(client, intake_key, {"email": "ada@analytical.io", "inquiry_type": "newsletter"}).json()
        second = post(client, intake_key, {"email": " ADA@analytical.io ", "inquiry_type": "demo_request"})
        assert second.status_code == 201
        body = second.json()
        assert body["id"] == first["id"] and body["duplicate_of"] == first["id"]
        assert body["status"] == "duplicate"
        lead = Lead.objects.get()
        assert lead.inquiries.count() == 2
        # A demo request reheats a newsletter lead and pulls its SLA in.
        assert body["temperature"] == "hot" and lead.temperature == "hot"
        assert lead.sla_policy.name == "Hot"
        event = lead.events.get(kind="inquiry.repeated")
        assert event.data["temperature"] == {"from": "cold", "to": "hot"}

    def test_it_matches_duplicates_by_phone_in_e164(self, client, intake_key):
        post(client, intake_key, {"phone": "+1 646 555 0142"})
        response = post(client, intake_key, {"phone": "646-555-0142", "country": "US", "email": "new@x.io"})
        assert response.json()["duplicate_of"] is not None
        assert Lead.objects.count() == 1

    def test_it_makes_a_new_lead_after_30_days(self, client, intake_key):
        with time_machine.travel(datetime(2026, 10, 1, 15, tzinfo=UTC), tick=False):
            post(client, intake_key, {"email": "ada@analytical.io"})
        with time_machine.travel(datetime(2026, 11, 2, 15, tzinfo=UTC), tick=False):
            response = post(client, intake_key, {"email": "ada@analytical.io"})
        assert response.json()["duplicate_of"] is None
        assert Lead.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.usefixtures("redis_down")  # intake must not need Redis
class TestJunk:
    @pytest.mark.parametrize(
        "fields, reason",
        [
            ({"email": "bot@mailinator.com"}, "disposable email domain mailinator.com"),
            ({"email": "bot@eu.yopmail.com"}, "disposable email domain eu.yopmail.com"),
            ({"email": "ok@firm.io", "fax": "+1 555"}, "honeypot field filled"),
            ({"phone": "+1 212 123 4567"}, "phone number cannot exist"),
        ],
    )
    def test_it_keeps_junk_flagged_but_unrouted(self, client, intake_key, fields, reason):
        response = post(client, intake_key, fields)
        assert response.status_code == 201
        assert response.json()["status"] == "junk"
        lead = Lead.objects.get()
        assert (lead.junk, lead.junk_reason) == (True, reason)

    def test_it_never_merges_junk_into_a_real_lead(self, client, intake_key):
        post(client, intake_key, {"email": "ada@analytical.io"})
        post(client, intake_key, {"email": "ada@analytical.io", "fax": "spam"})
        assert Lead.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.usefixtures("redis_down")  # intake must not need Redis
class TestRejected:
    def test_it_answers_401_without_a_valid_key(self, client, intake_key):
        assert post(client, None, HOT_LEAD).status_code == 401
        response = post(client, "lo_wrong", HOT_LEAD)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert "intake key" in response.json()["errors"]["non_field_errors"][0]

    def test_it_answers_401_for_a_revoked_key(self, client, intake_key):
        IntakeKey.objects.update(revoked_at=datetime.now(UTC))
        assert post(client, intake_key, HOT_LEAD).status_code == 401

    def test_it_answers_413_over_64_kib(self, client, intake_key):
        response = post(client, intake_key, {"email": "a@b.io", "extra": {"blob": "x" * 70_000}})
        assert response.status_code == 413
        assert Lead.objects.count() == 0

    def test_it_answers_415_for_other_media_types(self, client, intake_key):
        response = post(client, intake_key, "email: a@b.io", content_type="text/plain")
        assert response.status_code == 415
        assert response.json()["errors"]["non_field_errors"]

    def test_it_answers_405_to_get(self, client, intake_key):
        assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {intake_key}").status_code == 405

    @pytest.mark.parametrize(
        "body, field",
        [
            ({}, "email"),
            ({"first_name": "Ada"}, "phone"),
            ({"email": "not-an-email"}, "email"),
            ({"phone": "call me"}, "phone"),
            ({"phone": "5550142"}, "phone"),
            ({"email": "a@b.io", "country": "XX"}, "country"),
            ({"email": "a@b.io", "country": "FRA"}, "country"),
            ({"email": "a@b.io", "timezone": "Mars/Olympus"}, "timezone"),
            ({"email": "a@b.io", "submitted_at": "yesterday"}, "submitted_at"),
            ({"email": "a@b.io", "submitted_at": "2026-11-20T10:00:00"}, "submitted_at"),
            ({"email": "a@b.io", "submitted_at": "2099-01-01T00:00:00Z"}, "submitted_at"),
            ({"email": "a@b.io", "extra": [1, 2]}, "extra"),
            ({"email": "a@b.io", "extra": "not json"}, "extra"),
            ({"email": "a@b.io", "inquiry_type": "free_money"}, "inquiry_type"),
            ({"email": "a@b.io", "source": "carrier_pigeon"}, "source"),
            ({"email": "a@b.io", "first_name": "x" * 101}, "first_name"),
            ({"email": "a@b.io", "message": "x" * 5001}, "message"),
            ({"email": "a@b.io", "company": {"name": "Acme"}}, "company"),
            ({"email": "a@b.io", "consent_sms": "perhaps"}, "consent_sms"),
            ({"email": "a@b.io", "name": "Ada\x00Lovelace"}, "name"),
        ],
    )
    def test_it_answers_400_with_field_messages(self, client, intake_key, body, field):
        response = post(client, intake_key, body)
        assert response.status_code == 400, response.content
        errors = response.json()["errors"]
        assert field in errors and all(isinstance(message, str) and message for message in errors[field])
        assert Lead.objects.count() == 0

    @pytest.mark.parametrize("raw", ["[1, 2]", '"a string"', "{not json", "null", '{"a": ' * 5000])
    def test_it_answers_400_to_bodies_that_are_not_a_json_object(self, client, intake_key, raw):
        response = post(client, intake_key, raw)
        assert response.status_code == 400
        assert "non_field_errors" in response.json()["errors"]

    def test_it_refuses_a_source_the_key_may_not_send(self, client, intake_key, lead_source):
        lead_source.allowed_sources = ["organic"]
        lead_source.save()
        response = post(client, intake_key, {"email": "a@b.io", "source": "paid_ads"})
        assert response.status_code == 400
        assert "source" in response.json()["errors"]

    def test_it_answers_503_when_the_database_cannot_store_the_lead(self, client, intake_key, monkeypatch):
        from django.db import OperationalError

        def broken(*args, **kwargs):
            raise OperationalError("connection refused")

        monkeypatch.setattr("leads.api.lead_intake", broken)
        response = post(client, intake_key, HOT_LEAD)
        assert response.status_code == 503
        assert response["Retry-After"] == "5"


@pytest.mark.django_db
def test_it_answers_429_with_retry_after_per_key(client, lead_source, real_redis):
    _, limited = IntakeKey.issue(lead_source, requests_per_minute=3)
    _, other = IntakeKey.issue(lead_source, requests_per_minute=3)
    codes = [post(client, limited, {"email": f"lead{n}@firm.io"}).status_code for n in range(4)]
    assert codes == [201, 201, 201, 429]
    response = post(client, limited, {"email": "late@firm.io"})
    assert response.status_code == 429 and 1 <= int(response["Retry-After"]) <= 60
    assert post(client, other, {"email": "other@firm.io"}).status_code == 201  # per key
