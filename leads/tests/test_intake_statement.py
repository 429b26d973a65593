"""The one-round-trip new-lead write on PostgreSQL (leads/intake_statement.py), and what the
faster intake must keep: rows as the ORM would store them, duplicates joined, concurrent
submissions of one person folded into one lead, rate limits counted as before."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections, transaction
from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, MAX_CACHED_STATEMENT_PARAMS

from conftest import postgresql_only
from leads import actions, intake_statement
from leads.actions import IntakeStatus, lead_intake
from leads.intake import clean_submission
from leads.models import Inquiry, IntakeKey, Lead, LeadEvent

URL = "/api/v1/leads"
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def submission_of(**fields):
    submission, errors = clean_submission(fields, default_source="organic", allows_source=lambda source: True, now=NOW)
    assert not errors, errors
    return submission


def unsaved(submission, lead_source):
    lead = actions.build_lead(submission, lead_source, NOW)
    lead.route_after = NOW
    inquiry = actions._new_inquiry(lead, submission, lead_source, NOW, duplicate=False, channel="api")
    event = actions._submitted_event(lead, NOW, "tests")
    return lead, inquiry, event


def stored_values(instance):
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


@postgresql_only
@pytest.mark.django_db
class TestStatement:
    def test_it_stores_the_rows_the_objects_hold(self, lead_source):
        submission = submission_of(
            email="Grace@Hopper.dev", phone="+1 646 555 0150", first_name="Grace", company="Hopper Systems",
            inquiry_type="demo_request", message="A demo, please.", consent_email=True, submitted_at=NOW.isoformat(),
            extra={"landing_page": "/pricing", "tags": ["a", 1, None]}, utm_campaign="winter",
        )  # fmt: skip
        lead, inquiry, event = unsaved(submission, lead_source)
        with transaction.atomic():
            assert intake_statement.store_new_lead(lead, inquiry, event, since=NOW - timedelta(days=30)) is None
        assert lead.pk and inquiry.pk and event.pk
        assert stored_values(Lead.objects.get(pk=lead.pk)) == stored_values(lead)
        assert stored_values(Inquiry.objects.get(pk=inquiry.pk)) == stored_values(inquiry)
        assert stored_values(LeadEvent.objects.get(pk=event.pk)) == stored_values(event)
        assert inquiry.lead_id == event.lead_id == lead.pk
        assert event.data["inquiry"] == inquiry.pk and event.data["temperature"] == "hot"
        assert lead.extra == {"landing_page": "/pricing", "tags": ["a", 1, None]}
        assert lead.updated_at is not None and not lead._state.adding

    def test_it_returns_a_recent_lead_with_the_same_phone_and_stores_nothing(self, lead_source):
        first, inquiry, event = unsaved(submission_of(phone="+1 646 555 0151"), lead_source)
        with transaction.atomic():
            intake_statement.store_new_lead(first, inquiry, event, since=NOW - timedelta(days=30))
        again = unsaved(submission_of(phone="(646) 555-0151", country="US", email="new@mail.io"), lead_source)
        with transaction.atomic():
            assert intake_statement.store_new_lead(*again, since=NOW - timedelta(days=30)) == first.pk
        assert again[0].pk is None
        assert (Lead.objects.count(), Inquiry.objects.count(), LeadEvent.objects.count()) == (1, 1, 1)

    def test_it_makes_a_new_lead_when_the_earlier_one_is_older_than_the_window(self, lead_source):
        first = unsaved(submission_of(email="old@firm.io"), lead_source)
        with transaction.atomic():
            intake_statement.store_new_lead(*first, since=NOW - timedelta(days=30))
        again = unsaved(submission_of(email="old@firm.io"), lead_source)
        with transaction.atomic():
            assert intake_statement.store_new_lead(*again, since=NOW + timedelta(seconds=1)) is None
        assert Lead.objects.count() == 2

    def test_a_match_answers_only_its_own_look_up_within_one_transaction(self, lead_source):
        """The look-up hands its answer to the inserts in a transaction-local setting: the
        next intake of the same transaction (an import) must not read the previous one's."""
        since = NOW - timedelta(days=30)
        with transaction.atomic():
            first = unsaved(submission_of(email="same@firm.io"), lead_source)
            intake_statement.store_new_lead(*first, since=since)
            assert (
                intake_statement.store_new_lead(*unsaved(submission_of(email="same@firm.io"), lead_source), since=since)
                == first[0].pk
            )
            other = unsaved(submission_of(email="other@firm.io"), lead_source)
            assert intake_statement.store_new_lead(*other, since=since) is None
            junk = unsaved(submission_of(email="x@mailinator.com"), lead_source)
            assert intake_statement.store_new_lead(*junk, since=since) is None
        assert Lead.objects.count() == 3

    def test_it_never_matches_a_junk_lead_nor_merges_into_one(self, lead_source):
        junk = unsaved(submission_of(email="x@mailinator.com"), lead_source)
        assert junk[0].junk
        for _ in range(2):
            junk = unsaved(submission_of(email="x@mailinator.com"), lead_source)
            with transaction.atomic():
                assert intake_statement.store_new_lead(*junk, since=NOW - timedelta(days=30)) is None
        assert Lead.objects.filter(junk=True).count() == 2

    def test_its_per_lead_query_stays_small_enough_for_psycopg_to_cache_its_parsing(self):
        for has_email, has_phone in ((True, True), (True, False), (False, True), (False, False)):
            query = intake_statement._Shape(has_email, has_phone).execute
            assert len(query.encode()) <= MAX_CACHED_STATEMENT_LENGTH
            assert query.count("%s") <= MAX_CACHED_STATEMENT_PARAMS

    def test_it_prepares_once_per_connection_and_again_on_a_new_one(self, lead_source):
        def store(email):
            with transaction.atomic():
                intake_statement.store_new_lead(*unsaved(submission_of(email=email), lead_source), since=NOW)

        def prepared() -> list[str]:
            with connection.cursor() as cursor:
                cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'leadops_new_%%'")
                return [name for (name,) in cursor.fetchall()]

        def as_a_new_session():
            intake_statement._prepared.clear()
            with connection.cursor() as cursor:
                cursor.execute("DEALLOCATE ALL")

        as_a_new_session()
        store("one@firm.io")
        store("two@firm.io")  # a second PREPARE of the same name would fail
        assert prepared() == ["leadops_new_lead"]
        as_a_new_session()
        store("three@firm.io")
        assert prepared() == ["leadops_new_lead"]
        assert Lead.objects.count() == 3

    def test_a_session_that_lost_its_prepared_statements_heals_on_the_next_intake(self, lead_source):
        def store(email):
            with transaction.atomic():
                intake_statement.store_new_lead(*unsaved(submission_of(email=email), lead_source), since=NOW)

        store("one@firm.io")
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")  # as a pooler's DISCARD ALL would
        with pytest.raises(intake_statement.PreparedStatementsLost):
            store("two@firm.io")
        store("three@firm.io")
        assert sorted(Lead.objects.values_list("email", flat=True)) == ["one@firm.io", "three@firm.io"]

    def test_an_intake_that_finds_the_prepared_statements_gone_is_stored_all_the_same(self, lead_source):
        lead_intake(submission_of(email="one@firm.io"), lead_source, actor_label="tests")
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")  # as a pooler's DISCARD ALL would
        result = lead_intake(submission_of(email="two@firm.io"), lead_source, actor_label="tests")
        assert result.status == IntakeStatus.ACCEPTED and Lead.objects.filter(email="two@firm.io").count() == 1
        assert Inquiry.objects.filter(lead=result.lead).count() == 1


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_submissions_of_one_person_make_one_lead(lead_source):
    """Eight intakes of the same person at the same moment, each on its own connection:
    the advisory locks serialise them, so one lead and seven repeat inquiries."""
    workers = 8
    barrier = threading.Barrier(workers)
    statuses, errors = [], []

    def submit(n: int):
        try:
            barrier.wait()
            email = "twin@firm.io" if n % 2 else "Twin@Firm.io"
            phone = "+1 646 555 0160" if n % 3 else ""  # some by email only: the email lock still meets
            result = lead_intake(submission_of(email=email, phone=phone), lead_source, actor_label="tests")
            statuses.append(result.status)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert Lead.objects.count() == 1
    assert sorted(statuses) == sorted([IntakeStatus.ACCEPTED] + [IntakeStatus.DUPLICATE] * (workers - 1))
    assert Inquiry.objects.filter(is_duplicate=True).count() == workers - 1
    assert connection.vendor == "postgresql"


def post(client, key, email, ip):
    return client.post(
        URL, json.dumps({"email": email}), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}", REMOTE_ADDR=ip,
    )  # fmt: skip


@pytest.mark.django_db
def test_a_call_refused_for_its_address_does_not_use_up_the_keys_limit(client, lead_source, real_redis, settings):
    """The address's and the key's counters go to Redis together; when the address is
    refused, the key's call is given back, as when the key was not reached at all."""
    settings.LEADOPS_INTAKE_PER_IP_PER_MINUTE = 1
    _, key = IntakeKey.issue(lead_source, requests_per_minute=3)
    assert post(client, key, "a@firm.io", "198.51.100.1").status_code == 201  # key 1 (now cached)
    assert post(client, key, "b@firm.io", "198.51.100.1").status_code == 429  # address refused
    assert post(client, key, "c@firm.io", "198.51.100.2").status_code == 201  # key 2
    assert post(client, key, "d@firm.io", "198.51.100.3").status_code == 201  # key 3
    refused = post(client, key, "e@firm.io", "198.51.100.4")
    assert refused.status_code == 429
    assert refused.json() == {"errors": {"non_field_errors": ["Too many requests for this key."]}}
