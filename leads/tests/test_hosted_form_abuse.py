"""The hosted form must not be a relay (issue 16, item 5): it mails and texts whatever
address it is given, so posts are throttled per client address and per recipient,
bob+1@ and bob+2@ are one person for duplicates, and the acknowledgment of an unverified
sender quotes only a short, inert excerpt of their message."""

from __future__ import annotations

import json
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client

from leads.acknowledgments import excerpt
from leads.choices import AckState, IntakeChannel
from leads.enrichment import normalize_email
from leads.models import Inquiry, Lead
from leads.tests.test_acknowledgments import HOT, TUESDAY_10_NY
from leads.tests.test_hosted_form import FIELDS

pytestmark = pytest.mark.django_db
PHISHING = (
    "URGENT: your account is locked.\n\nLog in at https://evil.example/login within 24h or lose access.\r\n"
    '"Support team"\u202e ' + "x" * 400
)


def form_client():
    client = Client(enforce_csrf_checks=True)
    page = client.get("/f/website/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    return client, token


def post_form(client, token, address: str = "203.0.113.5", **fields):
    return client.post("/f/website/", {**FIELDS, "csrfmiddlewaretoken": token, **fields}, REMOTE_ADDR=address)


def test_one_address_may_post_the_form_five_times_a_minute(lead_source, real_redis):
    client, token = form_client()
    codes = [post_form(client, token, email=f"victim{n}@example.org", phone="").status_code for n in range(7)]
    assert codes == [302] * 5 + [429] * 2
    refused = post_form(client, token, email="one-more@example.org", phone="")
    assert "Too many requests from your network" in refused.content.decode()
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert Lead.objects.count() == 5
    assert post_form(client, token, "198.51.100.9", email="elsewhere@example.org", phone="").status_code == 302


def test_one_address_may_post_twenty_times_an_hour(lead_source, real_redis, settings):
    settings.LEADOPS_FORM_POSTS_PER_IP_PER_MINUTE = 0  # off: look at the hourly budget alone
    client, token = form_client()
    codes = [post_form(client, token, email=f"v{n}@example.org", phone="").status_code for n in range(21)]
    assert codes == [302] * 20 + [429]


def test_one_recipient_gets_at_most_three_posts_an_hour_whatever_the_tag(lead_source, real_redis):
    client, token = form_client()
    codes = [
        post_form(client, token, f"198.51.100.{n}", email=f"bob+{n}@example.org", phone="").status_code
        for n in range(4)
    ]
    assert codes == [302, 302, 302, 429]
    phone_codes = [
        post_form(client, token, f"192.0.2.{n}", email=f"p{n}@example.org", phone="+44 20 7946 0958").status_code
        for n in range(4)
    ]
    assert phone_codes == [302, 302, 302, 429]


def test_the_form_still_takes_leads_with_redis_down(lead_source, redis_down):
    client, token = form_client()
    codes = [post_form(client, token, email=f"v{n}@example.org", phone="").status_code for n in range(8)]
    assert codes == [302] * 8


@pytest.mark.parametrize(
    "address, normalized",
    [("Bob+1@Example.org", "bob@example.org"), ("bob+a+b@x.io", "bob@x.io"), ("bob@x.io", "bob@x.io"),
     ("+tag@x.io", "+tag@x.io"), ("bob+@x.io", "bob@x.io")],
)  # fmt: skip
def test_plus_tags_are_dropped_for_matching(address, normalized):
    assert normalize_email(address) == normalized


def test_plus_tags_do_not_defeat_the_repeat_suppression(lead_source, run_jobs, django_capture_on_commit_callbacks):
    client, token = form_client()
    with time_machine.travel(TUESDAY_10_NY, tick=False):
        for n in (1, 2, 3):
            with django_capture_on_commit_callbacks(execute=True):
                assert post_form(client, token, email=f"bob+{n}@example.org", phone="").status_code == 302
            run_jobs()
    lead = Lead.objects.get()  # one lead: the later posts are repeat inquiries of it
    assert (lead.email, lead.email_normalized) == ("bob+1@example.org", "bob@example.org")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["bob+1@example.org"]  # sent as typed
    assert [inquiry.ack_state for inquiry in Inquiry.objects.order_by("pk")] == [AckState.DONE, *[AckState.SKIPPED] * 2]


def test_an_unverified_senders_message_is_quoted_only_as_a_short_inert_excerpt(
    lead_source, run_jobs, django_capture_on_commit_callbacks
):
    client, token = form_client()
    with time_machine.travel(TUESDAY_10_NY, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            post_form(client, token, email="victim@example.org", phone="", message=PHISHING)
        run_jobs()
    assert Inquiry.objects.get().channel == IntakeChannel.HOSTED_FORM
    [line] = [line for line in mail.outbox[0].body.splitlines() if line.startswith("- Your message:")]
    quote = line.removeprefix("- Your message: ").strip('"')
    assert len(quote) <= 140 and quote.endswith("…")
    assert quote.startswith("URGENT: your account is locked. Log in at https[:]//evil[.]example/login")
    assert "https://" not in mail.outbox[0].body and "\u202e" not in quote and '"' not in quote


def test_an_intake_key_senders_message_keeps_its_full_quote(
    client, intake_key, run_jobs, django_capture_on_commit_callbacks
):
    message = "We need a demo for 40 reps next week. " * 5
    body = json.dumps({**HOT, "message": message})
    with time_machine.travel(TUESDAY_10_NY, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            headers = {"HTTP_AUTHORIZATION": f"Bearer {intake_key}"}
            response = client.post("/api/v1/leads", data=body, content_type="application/json", **headers)
        assert response.status_code == 201, response.content
        run_jobs()
    assert Inquiry.objects.get().channel == IntakeChannel.API
    assert f'"{message.strip()}"' in mail.outbox[0].body


@pytest.mark.parametrize(
    "text, expected",
    [("Hello\nthere", "Hello there"), ("see www.Bank.com now", "see www[.]Bank[.]com now"),
     ("e.g. 3.5 seats", "e.g. 3.5 seats"), ("a\x00b\u200bc", "abc"), ('say "hi"', "say 'hi'"),
     ("x" * 141, "x" * 139 + "…")],
)  # fmt: skip
def test_the_excerpt_is_one_short_inert_line(text, expected):
    assert excerpt(text) == expected
