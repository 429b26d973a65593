"""The integrations' admin: secrets are write-only (encrypted or hashed, shown once when
generated, never rendered again), "send a test" shows the lead a sample would make without
storing anything, and deliveries can be replayed."""

from __future__ import annotations

import json

import pytest
from django.contrib.messages import get_messages

from integrations import secret_store
from integrations.models import Connection, HookDelivery, Subscription, WebhookDelivery
from integrations.tests.conftest import APP_SECRET, GENERIC_SECRET, PAGE_TOKEN
from leads.models import Lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    return client


def connection_form(ads_source, **fields) -> dict:
    return {
        "name": "Facebook ads", "slug": "fb-ads", "provider": "meta", "lead_source": ads_source.pk, "active": "on",
        "source": "", "inquiry_type": "general", "field_map": "{}", "requests_per_minute": 600,
        "new_signing_secret": "", "new_access_token": "", "new_verify_key": "", **fields,
    }  # fmt: skip


def test_a_manager_adds_a_meta_connection_whose_secrets_are_never_shown_again(staff, ads_source):
    answer = staff.post(
        "/admin/integrations/connection/add/",
        connection_form(ads_source, new_signing_secret=APP_SECRET, new_access_token=PAGE_TOKEN),
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    connection = Connection.objects.get()
    assert connection.secret("signing_secret") == APP_SECRET and connection.secret("access_token") == PAGE_TOKEN
    assert APP_SECRET not in connection.signing_secret and PAGE_TOKEN not in connection.access_token  # encrypted
    [notice] = [str(message) for message in get_messages(answer.wsgi_request) if "never shown again" in str(message)]
    generated = notice.rsplit(" ", 1)[-1]  # the verify token, generated and shown once
    assert connection.verify_key_matches(generated) and generated not in connection.verify_key_hash
    assert generated in staff.get(answer.url).content.decode()  # shown once, on the page after saving
    page = staff.get(f"/admin/integrations/connection/{connection.pk}/change/").content.decode()
    for secret in (APP_SECRET, PAGE_TOKEN, generated, connection.signing_secret, connection.access_token):
        assert secret not in page
    assert "http://127.0.0.1:8000/hooks/meta/fb-ads/" in page and "signing secret: set" in page


def test_saving_without_typing_a_secret_keeps_it(staff, make_connection, ads_source):
    connection = make_connection("meta", "fb-ads", signing=APP_SECRET, token=PAGE_TOKEN, verify="v")
    answer = staff.post(
        f"/admin/integrations/connection/{connection.pk}/change/", connection_form(ads_source, name="Renamed")
    )
    assert answer.status_code == 302
    connection.refresh_from_db()
    assert connection.name == "Renamed" and connection.secret("signing_secret") == APP_SECRET


def test_a_provider_secret_that_is_needed_is_required(staff, ads_source):
    answer = staff.post("/admin/integrations/connection/add/", connection_form(ads_source, provider="typeform"))
    assert answer.status_code == 200 and "Typeform needs this." in answer.content.decode()
    bad = staff.post(
        "/admin/integrations/connection/add/",
        connection_form(ads_source, provider="generic", new_signing_secret="not-a-whsec"),
    )
    assert "Use a whsec_ secret" in bad.content.decode() and not Connection.objects.exists()


def test_send_a_test_shows_the_lead_a_sample_would_make_and_stores_nothing(staff, make_connection):
    mapping = {"email": "person.mail", "company": "org"}
    connection = make_connection("generic", "partner", signing=GENERIC_SECRET, field_map=mapping)
    url = f"/admin/integrations/connection/{connection.pk}/try/"
    assert "Send a test" in staff.get(f"/admin/integrations/connection/{connection.pk}/change/").content.decode()
    sample = json.dumps({"person": {"mail": "sample@fortran.io"}, "org": "Fortran"})
    page = staff.post(url, {"payload": sample}).content.decode()
    assert "The lead it would make" in page and "sample@fortran.io" in page and "Fortran" in page
    assert not Lead.objects.exists() and not HookDelivery.objects.exists()
    unusable = staff.post(url, {"payload": json.dumps({"person": {}})}).content.decode()
    assert "It would not make a lead" in unusable and "Give an email or a phone number." in unusable
    assert "Not valid JSON." in staff.post(url, {"payload": "{"}).content.decode()


def test_send_a_test_reads_a_graph_api_lead_for_meta(staff, make_connection):
    connection = make_connection("meta", "fb", signing=APP_SECRET, token=PAGE_TOKEN, verify="v")
    sample = {"id": "1", "field_data": [{"name": "email", "values": ["fb@lead.io"]}]}
    page = staff.post(f"/admin/integrations/connection/{connection.pk}/try/", {"payload": json.dumps(sample)})
    assert "fb@lead.io" in page.content.decode() and "meta:1" in page.content.decode()


def test_a_new_subscription_shows_its_secret_once(staff, settings):
    settings.LEADOPS_WEBHOOK_ALLOW_HTTP = False  # production: https only
    answer = staff.post(
        "/admin/integrations/subscription/add/",
        {"name": "CRM", "url": "https://crm.example.com/hooks", "events": ["lead.created", "sla.breached"],
         "active": "on"},
    )  # fmt: skip
    assert answer.status_code == 302, answer.content.decode()[:2000]
    subscription = Subscription.objects.get()
    [notice] = [str(message) for message in get_messages(answer.wsgi_request) if "never shown again" in str(message)]
    raw = notice.rsplit(" ", 1)[-1]
    assert raw.startswith("whsec_") and secret_store.decrypt(subscription.secret) == raw
    assert raw in staff.get(answer.url).content.decode()  # shown once, on the page after saving
    assert raw not in staff.get(f"/admin/integrations/subscription/{subscription.pk}/change/").content.decode()
    assert subscription.events == ["lead.created", "sla.breached"]
    plain_http = staff.post(
        "/admin/integrations/subscription/add/", {"name": "Plain", "url": "http://crm.example.com/", "active": "on"}
    )
    assert "Use an https:// URL." in plain_http.content.decode()


def test_replay_from_the_admin_queues_the_delivery_again(staff, client, intake_key, settings):
    subscription = Subscription.objects.create(
        name="CRM", url="https://crm.example.com/hooks", secret=secret_store.encrypt(GENERIC_SECRET)
    )
    client.post(
        "/api/v1/leads", json.dumps({"email": "r@fortran.io"}), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {intake_key}",
    )  # fmt: skip
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    WebhookDelivery.objects.update(state="failed", attempts=9)
    answer = staff.post(
        "/admin/integrations/webhookdelivery/", {"action": "replay_now", "_selected_action": [delivery.pk]}
    )
    assert answer.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == "pending" and delivery.attempts == 0


def test_delivery_logs_cannot_be_added_or_edited(staff, make_connection):
    connection = make_connection("generic", "partner", signing=GENERIC_SECRET)
    row = HookDelivery.objects.create(connection=connection, method="POST", outcome="rejected", status_code=401)
    assert staff.get("/admin/integrations/hookdelivery/add/").status_code == 403
    page = staff.get(f"/admin/integrations/hookdelivery/{row.pk}/change/")
    assert page.status_code == 200 and 'name="outcome"' not in page.content.decode()
