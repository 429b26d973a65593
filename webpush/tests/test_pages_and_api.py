"""The installable queue (manifest, service worker, offline page), the subscription API
(with a hypothesis fuzz: never a 500), the rep's alert settings page, the VAPID key
command and check, and signing out."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from leadops import webpush
from routing.models import RepProfile
from webpush import checks
from webpush.models import PushSubscription

pytestmark = pytest.mark.django_db
API = "/api/v1/me/push-subscriptions"


@pytest.fixture
def rep_client(rep):
    client = Client()
    client.force_login(rep)
    return client


def test_the_manifest_makes_the_queue_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["start_url"].startswith("/queue/") and manifest["scope"] == "/"
    assert manifest["display"] == "standalone" and manifest["name"] and manifest["short_name"]
    sizes = {icon["sizes"] for icon in manifest["icons"] if icon["type"] == "image/png"}
    assert {"192x192", "512x512"} <= sizes
    assert any(icon["purpose"] == "maskable" for icon in manifest["icons"])
    for icon in manifest["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/")), icon


def test_the_service_worker_is_served_from_the_root_with_its_shell(client):
    response = client.get("/sw.js")
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/" and response["Cache-Control"] == "no-cache"
    first_line, source = response.content.decode().split("\n", 1)
    settings_line = json.loads(first_line.removeprefix("self.LEADOPS_SW = ").rstrip(";"))
    assert "/offline/" in settings_line["shell"] and "/static/workspace/queue.js" in settings_line["shell"]
    assert "notificationclick" in source and 'addEventListener("push"' in source
    for url in settings_line["shell"]:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url
        else:
            assert client.get(url).status_code == 200, url


def test_the_offline_page_says_so_plainly_and_shows_nothing_personal(client):
    response = client.get("/offline/")
    assert response.status_code == 200 and b"You are offline" in response.content


def test_workspace_pages_link_the_manifest_and_load_push_without_inline_script(rep_client, vapid):
    html = rep_client.get("/queue/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert 'id="push-script"' in html and f'data-public-key="{vapid[0]}"' in html
    assert 'id="enable-push"' in html
    scripts = [chunk.split(">", 1)[0] for chunk in html.split("<script")[1:]]
    assert all(" src=" in tag or 'type="application/json"' in tag for tag in scripts), scripts


def test_without_keys_the_page_offers_no_push(rep_client):
    assert 'data-public-key=""' in rep_client.get("/queue/").content.decode()


def test_a_rep_saves_updates_lists_and_removes_a_device(rep, rep_client, push_service):
    info = push_service.subscribe()
    created = rep_client.post(API, {**info, "device": "Android · Chrome"}, content_type="application/json")
    assert created.status_code == 201 and created.json()["device"] == "Android · Chrome"
    again = rep_client.post(API, info, content_type="application/json")
    assert again.status_code == 200 and PushSubscription.objects.count() == 1
    listed = rep_client.get(API).json()
    assert listed["enabled"] and listed["public_key"] == push_service.expected_key and len(listed["devices"]) == 1
    gone = rep_client.delete(f"{API}?endpoint={info['endpoint']}")
    assert gone.status_code == 204 and not PushSubscription.objects.exists()
    assert rep_client.delete(f"{API}?endpoint={info['endpoint']}").status_code == 404


@pytest.mark.parametrize(
    "change, field",
    [
        ({"endpoint": "https://evil.example/push/1"}, "endpoint"),
        ({"endpoint": "http://10.0.0.1/push/1"}, "endpoint"),
        ({"keys": {"p256dh": "AAAA", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, "keys"),
        ({"keys": {"p256dh": None, "auth": "x"}}, "keys"),
        ({"keys": "nope"}, "keys"),
    ],
)
def test_bad_subscriptions_get_field_messages(rep_client, push_service, change, field):
    response = rep_client.post(API, {**push_service.subscribe(), **change}, content_type="application/json")
    assert response.status_code == 400 and field in response.json()["errors"]


def test_without_vapid_keys_subscribing_is_refused_clearly(rep_client, push_service, settings):
    settings.LEADOPS_VAPID_PRIVATE_KEY = ""
    response = rep_client.post(API, push_service.subscribe(), content_type="application/json")
    assert response.status_code == 409 and "VAPID" in response.json()["errors"]["push"][0]


def test_another_rep_on_the_same_browser_takes_the_device_over(rep, other_rep, push_service):
    info = push_service.subscribe()
    for user in (rep, other_rep):
        client = Client()
        client.force_login(user)
        client.post(API, info, content_type="application/json")
    assert PushSubscription.objects.get().user == other_rep


def test_signing_out_stops_pushes_to_that_browser_only(rep, push_service):
    here, elsewhere = Client(), Client()
    for client in (here, elsewhere):
        client.force_login(rep)
        client.post(API, push_service.subscribe(), content_type="application/json")
    here.post("/accounts/logout/")
    assert PushSubscription.objects.count() == 1


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)


@pytest.mark.parametrize("fuzz_target", ["post", "delete"])
@given(body=st.dictionaries(st.sampled_from(["endpoint", "keys", "device", "expirationTime", "x"]), json_values))
@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_subscription_api_never_answers_500(rep_client, push_service, fuzz_target, body):
    if fuzz_target == "post":
        response = rep_client.post(API, body, content_type="application/json")
    else:
        response = rep_client.delete(f"{API}?endpoint={body.get('endpoint')}")
    assert response.status_code < 500
    if response.status_code == 400:
        assert "errors" in response.json()


def test_the_alert_settings_page_saves_the_reps_choices(rep, rep_client):
    page = rep_client.get("/me/alerts/")
    assert page.status_code == 200 and b"Push to my devices" in page.content
    saved = rep_client.post("/me/alerts/", {"push_alerts": "hot", "sms_alerts": "all", "sms_phone": "+1 415 555 0199"})
    assert saved.status_code == 302
    profile = RepProfile.objects.get(user=rep)
    assert (profile.push_alerts, profile.sms_alerts, profile.sms_phone) == ("hot", "all", "+14155550199")
    bad = rep_client.post("/me/alerts/", {"push_alerts": "loud", "sms_alerts": "all", "sms_phone": "12"})
    assert bad.status_code == 400 and b"valid number" in bad.content


def test_a_rep_removes_a_device_from_the_settings_page(rep, rep_client, other_rep, push_service):
    mine = PushSubscription.objects.create(
        user=rep, endpoint=push_service.subscribe()["endpoint"], p256dh="x", auth="y"
    )
    theirs = PushSubscription.objects.create(
        user=other_rep, endpoint=push_service.subscribe()["endpoint"], p256dh="x", auth="y"
    )
    rep_client.post("/me/alerts/", {"remove": str(theirs.pk)})
    rep_client.post("/me/alerts/", {"remove": str(mine.pk)})
    assert list(PushSubscription.objects.all()) == [theirs]


def test_the_key_command_prints_a_working_pair(settings):
    out = io.StringIO()
    call_command("generate_vapid_keys", "--subject", "mailto:ops@example.com", stdout=out, stderr=io.StringIO())
    lines = dict(line.split("=", 1) for line in out.getvalue().split())
    assert webpush.public_key_of(lines["LEADOPS_VAPID_PRIVATE_KEY"]) == lines["LEADOPS_VAPID_PUBLIC_KEY"]
    assert lines["LEADOPS_VAPID_SUBJECT"] == "mailto:ops@example.com"
    assert len(webpush.b64url_decode(lines["LEADOPS_VAPID_PUBLIC_KEY"])) == 65
    settings.LEADOPS_VAPID_PUBLIC_KEY = lines["LEADOPS_VAPID_PUBLIC_KEY"]
    settings.LEADOPS_VAPID_PRIVATE_KEY = lines["LEADOPS_VAPID_PRIVATE_KEY"]
    assert checks.vapid_keys(None) == []
    settings.LEADOPS_VAPID_PUBLIC_KEY = webpush.generate_keys()[0]
    assert [error.id for error in checks.vapid_keys(None)] == ["webpush.E002"]
    settings.LEADOPS_VAPID_PRIVATE_KEY = ""
    assert [error.id for error in checks.vapid_keys(None)] == ["webpush.E001"]


@pytest.mark.parametrize(
    "url, allowed",
    [
        ("https://fcm.googleapis.com/fcm/send/abc", True),
        ("https://web.push.apple.com/QGx", True),
        ("https://updates.push.services.mozilla.com/wpush/v2/x", True),
        ("http://fcm.googleapis.com/fcm/send/abc", False),
        ("https://fcm.googleapis.com.evil.example/x", False),
        ("https://user:pw@fcm.googleapis.com/x", False),
        ("https://fcm.googleapis.com:8443/x", False),
        ("https://127.0.0.1/x", False),
    ],
)
def test_only_known_push_services_are_taken(settings, url, allowed):
    settings.LEADOPS_PUSH_SERVICES = [
        "https://fcm.googleapis.com",
        "https://*.push.apple.com",
        "https://updates.push.services.mozilla.com",
    ]
    assert webpush.endpoint_allowed(url) is allowed


def test_the_service_worker_speaks_the_language_of_the_page_that_loads_it(client):
    def labels(language: str) -> dict:
        first_line = client.get("/sw.js", HTTP_ACCEPT_LANGUAGE=language).content.decode().split("\n", 1)[0]
        return json.loads(first_line.removeprefix("self.LEADOPS_SW = ").rstrip(";"))["labels"]

    assert labels("en")["accept"] == "Accept" and labels("en")["call"] == "Call"
    assert labels("ms")["accept"] == "Terima" and labels("ms")["offline"].startswith("Anda di luar talian")
    assert labels("id")["something_new"] == "Ada sesuatu yang baru di antrean Anda."
