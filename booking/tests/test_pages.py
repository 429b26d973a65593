"""The lead's booking page /book/<token>/, its JSON for the thank-you widget, the widget on
the hosted form's thank-you page and the booking link in the acknowledgment email."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from booking.models import Meeting
from booking.tests.conftest import ny
from leadops.booking_links import SALT, booking_path, booking_token, booking_url
from leads.acknowledgments import compose
from leads.models import Lead
from leads.tests.test_hosted_form import FIELDS, csrf_client_and_token
from routing.models import RoutingRule
from tests.workspace_kit import make_lead

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_down")]


def page_client(path: str) -> tuple[Client, str, str]:
    """A browser-like client (CSRF enforced) that opened the page; its HTML and form token."""
    client = Client(enforce_csrf_checks=True)
    html = client.get(path).content.decode()
    return client, html, re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def slot_times(html: str) -> list[str]:
    return re.findall(r'<button name="start" value="[^"]+" class="slot">([^<]+)</button>', html)


def test_the_page_shows_the_reps_slots_in_the_leads_own_zone(lead, clock):
    page = Client().get(booking_path(lead.pk))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Book a call with Rita Rep" in html and "Europe/Paris" in html
    assert slot_times(html)[:3] == ["15:00", "15:30", "16:00"]  # 09:00 in New York is 15:00 in Paris
    assert "Monday 23 November" in html
    assert 'value="2026-11-23T15:00:00+01:00"' in html


def test_one_click_books_and_the_page_shows_the_meeting(lead, clock):
    client, _, token = page_client(booking_path(lead.pk))
    response = client.post(booking_path(lead.pk), {"start": "2026-11-23T16:00:00+01:00", "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"].endswith("?done=booked")
    meeting = Meeting.objects.get()
    assert meeting.starts_at == ny(23, 10) and meeting.booked_via == "link"
    html = client.get(response["Location"]).content.decode()
    assert "You're booked" in html and "Your call with Rita Rep" in html
    assert "Monday 23 November, 16:00–16:30" in html
    assert 'value="2026-11-23T16:00:00+01:00"' not in html and 'value="2026-11-23T15:00:00+01:00"' in html


def test_a_taken_slot_gets_a_clear_page_with_the_next_times(lead, team, rep, clock):
    other = make_lead(rep, team=team)
    client, _, token = page_client(booking_path(other.pk))
    Client().post(booking_path(lead.pk), {"start": "2026-11-23T16:00:00+01:00"})  # the first lead takes it
    response = client.post(booking_path(other.pk), {"start": "2026-11-23T16:00:00+01:00", "csrfmiddlewaretoken": token})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Sorry, that time was just taken." in html and "Here are the next free times." in html
    assert 'value="2026-11-23T10:00:00-05:00"' not in html and slot_times(html)[:2] == ["09:00", "11:00"]
    assert Meeting.objects.count() == 1


@pytest.mark.parametrize(
    "start, status, text",
    [
        ("2026-11-23T16:10:00+01:00", 400, "That is not one of the times on offer."),
        ("2026-12-21T16:00:00+01:00", 400, "further ahead than we take bookings"),
        ("2026-11-20T16:00:00+01:00", 400, "too soon (or already past)"),
        ("2026-11-23T16:00:00", 400, "Please choose one of the times below."),  # no offset
        ("tomorrow", 400, "Please choose one of the times below."),
        ("", 400, "Please choose one of the times below."),
        ("2026-13-45T99:00:00+01:00", 400, "Please choose one of the times below."),
        ("9" * 5000, 400, "Please choose one of the times below."),
        ("0001-01-01T00:00:00+14:00", 400, "Please choose one of the times below."),
        ("9999-12-31T23:59:59-14:00", 400, "Please choose one of the times below."),
        ("9999-12-31T23:30:00+00:00", 400, "further ahead than we take bookings"),
    ],
)
def test_bad_times_get_a_clear_page(lead, clock, start, status, text):
    response = Client().post(booking_path(lead.pk), {"start": start})
    assert response.status_code == status
    assert text in response.content.decode()
    assert not Meeting.objects.exists()


def test_forged_stale_and_closed_links_get_clear_pages(lead, rep, clock, settings):
    forged = booking_token(lead.pk)[:-2] + "xx"
    other_salt = signing.dumps(lead.pk, salt="leadops.hosted-form.thanks")
    for token in (forged, other_salt, "nonsense", signing.dumps("1", salt=SALT), signing.dumps(-4, salt=SALT)):
        response = Client().get(f"/book/{token}/")
        assert response.status_code == 404 and "This booking link is not valid" in response.content.decode()
        assert Client().post(f"/book/{token}/", {"start": "2026-11-23T16:00:00+01:00"}).status_code == 404
    old = booking_path(lead.pk)
    clock.move(timezone.now() + timedelta(days=settings.LEADOPS_BOOKING_LINK_DAYS, seconds=1))
    response = Client().get(old)
    assert response.status_code == 410 and "This booking link has expired" in response.content.decode()
    assert Client().get(f"/book/{signing.dumps(987654, salt=SALT)}/").status_code == 404  # no such lead
    Lead.objects.filter(pk=lead.pk).update(stage="disqualified")
    fresh = Client().get(booking_path(lead.pk))
    assert fresh.status_code == 200 and "This request is closed" in fresh.content.decode()
    assert Client().post(booking_path(lead.pk), {"start": "2026-12-24T16:00:00+01:00"}).status_code == 410
    settings.LEADOPS_BOOKING_ENABLED = False
    assert Client().get(booking_path(lead.pk)).status_code == 404


def test_the_lead_cancels_from_the_link(lead, clock):
    Client().post(booking_path(lead.pk), {"start": "2026-11-23T16:00:00+01:00"})
    response = Client().post(booking_path(lead.pk) + "cancel/", {"reason": "Changed my mind"})
    assert response.status_code == 302 and response["Location"].endswith("?done=cancelled")
    assert Meeting.objects.get().status == "cancelled"
    assert "Your call is cancelled" in Client().get(response["Location"]).content.decode()
    again = Client().post(booking_path(lead.pk) + "cancel/")
    assert again.status_code == 409 and "There is no booked meeting to cancel." in again.content.decode()
    assert Client().get(booking_path(lead.pk) + "cancel/").status_code == 405


def test_the_widget_json_says_who_and_when(lead, team, clock):
    body = Client().get(booking_path(lead.pk) + "slots.json").json()
    assert body["mode"] == "rep" and body["assigned"] and body["rep"] == "Rita Rep"
    assert body["time_zone"] == "Europe/Paris" and len(body["slots"]) == 6
    assert body["slots"][0] == {"start": "2026-11-23T14:00:00+00:00", "time": "15:00", "day": "Monday 23 November"}
    waiting = make_lead(None, team=team)
    pooled = Client().get(booking_path(waiting.pk) + "slots.json").json()
    assert (pooled["mode"], pooled["assigned"], pooled["routed"]) == ("pool", False, False)
    assert Client().get("/book/forged/slots.json").json() == {"errors": {"token": ["This booking link is not valid"]}}


def test_the_thank_you_page_offers_the_slots_when_routing_has_chosen(team, rep, clock):
    RoutingRule.objects.create(position=0, name="All to East", team=team)
    from leads.models import LeadSource

    LeadSource.objects.create(name="Website", slug="website", default_source="organic")
    client, token = csrf_client_and_token("website")
    response = client.post("/f/website/", {**FIELDS, "csrfmiddlewaretoken": token}, follow=True)
    html = response.content.decode()
    lead = Lead.objects.get()
    assert 'id="booking-widget"' in html and 'data-state="waiting"' in html  # routing runs in the job
    assert f'data-slots-url="{booking_path(lead.pk)}slots.json"' in html
    assert "booking/booking.js" in html and "<script>" not in html.split('id="booking-widget"')[1]
    Lead.objects.filter(pk=lead.pk).update(owner=rep, team=team, stage="assigned")
    html = client.get(response.redirect_chain[-1][0]).content.decode()
    assert 'data-state="ready"' in html and "Book your call with Rita Rep" in html
    assert '<input type="hidden" name="from" value="thank_you">' in html
    assert "Europe/London" in html and re.search(r'class="slot-time">09:00<', html) is None  # NY 09:00 = 14:00 London
    assert 'class="slot-time">14:00<' in html


def test_the_acknowledgment_carries_the_leads_own_link_and_the_reps_name(lead, settings):
    inquiry = lead.inquiries.create(
        lead_source=lead.lead_source, inquiry_type="demo_request", source="paid_ads", submitted_at=lead.submitted_at
    )
    (email,) = [message for message in compose(lead, inquiry, timezone.now()) if message["channel"] == "email"]
    assert f"Pick a time for your call with Rita Rep, in one click: {booking_url(lead.pk)}" in email["body"]
    assert booking_url(lead.pk).startswith(settings.LEADOPS_PUBLIC_URL + "/book/")
    settings.LEADOPS_BOOKING_ENABLED = False
    settings.LEADOPS_BOOKING_URL = "https://cal.example.com/sales"
    (email,) = [message for message in compose(lead, inquiry, timezone.now()) if message["channel"] == "email"]
    assert "https://cal.example.com/sales" in email["body"] and "/book/" not in email["body"]
