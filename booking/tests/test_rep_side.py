"""The rep's side: the meeting on the lead page (reschedule, cancel, held/no-show), the live
push to the rep, the reminder in the rep's queue, and the meeting metrics (API, dashboard)."""

from __future__ import annotations

from datetime import UTC

import pytest
from django.test import Client
from django.utils import timezone

from booking import actions
from booking.models import Meeting
from booking.tests.conftest import ny
from cadences.progress import due_tasks_for
from leadops.push import user_group
from tests.workspace_kit import make_lead


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.usefixtures("redis_down")
def test_the_lead_page_shows_the_meeting_and_the_rep_moves_it(lead, rep, book, clock):
    meeting = book(lead, ny(23, 10))
    client = signed_in(rep)
    page = client.get(f"/leads/{lead.pk}/")
    html = page.content.decode()
    assert 'id="meeting"' in html and 'data-live="meeting"' in html
    assert "Mon 23 Nov, 10:00–10:30" in html and "Their time: Mon 16:00 (Europe/Paris)" in html
    assert f'value="{ny(23, 11).astimezone(UTC).isoformat()}"' in html  # the free times to move it to
    response = client.post(f"/leads/{lead.pk}/meetings/{meeting.pk}/reschedule/", {"start": ny(23, 11).isoformat()})
    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.pk}/#meeting"
    meeting.refresh_from_db()
    assert meeting.starts_at == ny(23, 11) and meeting.sequence == 1
    assert "Meeting moved" in client.get(response["Location"]).content.decode()
    response = signed_in(rep).post(f"/leads/{lead.pk}/meetings/{meeting.pk}/reschedule/", {"start": "soon"})
    assert response.status_code == 302 and Meeting.objects.get().starts_at == ny(23, 11)
    signed_in(rep).post(f"/leads/{lead.pk}/meetings/{meeting.pk}/cancel/", {"reason": "Lead asked by phone"})
    meeting.refresh_from_db()
    assert (meeting.status, meeting.cancelled_by, meeting.cancel_reason) == (
        "cancelled",
        "rep.one",
        "Lead asked by phone",
    )


@pytest.mark.usefixtures("redis_down")
def test_the_rep_marks_a_no_show_after_the_start(lead, rep, book, clock):
    meeting = book(lead, ny(23, 10))
    client = signed_in(rep)
    client.post(f"/leads/{lead.pk}/meetings/{meeting.pk}/attendance/", {"attendance": "no_show"})
    assert Meeting.objects.get().attendance == ""  # not started yet: refused with a message
    clock.move(ny(23, 10, 40))
    html = client.get(f"/leads/{lead.pk}/").content.decode()
    assert 'id="mark-no-show"' in html
    client.post(f"/leads/{lead.pk}/meetings/{meeting.pk}/attendance/", {"attendance": "no_show"})
    assert Meeting.objects.get().attendance == "no_show"
    client.post(f"/leads/{lead.pk}/meetings/{meeting.pk}/attendance/", {"attendance": "maybe"})
    assert Meeting.objects.get().attendance == "no_show"


@pytest.mark.usefixtures("redis_down")
def test_others_cannot_touch_the_meeting(lead, rep, other_rep, leader, manager, book, clock):
    meeting = book(lead, ny(23, 10))
    url = f"/leads/{lead.pk}/meetings/{meeting.pk}/cancel/"
    assert signed_in(other_rep).post(url).status_code == 404
    assert signed_in(leader).post(url).status_code == 403
    assert Client().post(url).status_code == 302  # to the login page
    assert signed_in(rep).get(url).status_code == 405
    another = make_lead(rep)
    assert signed_in(rep).post(f"/leads/{another.pk}/meetings/{meeting.pk}/cancel/").status_code == 404
    assert Meeting.objects.get().status == "booked"
    assert signed_in(manager).post(url).status_code == 302
    assert Meeting.objects.get().status == "cancelled"


@pytest.mark.usefixtures("redis_down")
def test_the_reminder_shows_in_the_reps_queue_when_due(lead, rep, book, clock):
    book(lead, ny(24, 14))
    clock.move(ny(24, 13, 46))
    reminders = [task for task in due_tasks_for(rep, timezone.now()) if task.channel == "task"]
    assert len(reminders) == 1 and reminders[0].title.startswith("Meeting at Tue 14:00 with Ada Lovelace")
    assert reminders[0].tel == "tel:+14155550100"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_rep_hears_the_booking_live(team, rep, clock, listen):
    lead = make_lead(rep, team=team)
    heard = listen(user_group(rep.pk))
    actions.book(lead.pk, ny(23, 10))
    events = [event for event in heard(expect=1) if event["type"] == "meeting.booked"]
    assert len(events) == 1
    assert events[0]["meeting"]["starts_at"] == "2026-11-23T15:00:00+00:00"
    assert events[0]["lead"]["id"] == lead.pk and events[0]["change"]["kind"] == "meeting.booked"


@pytest.mark.usefixtures("redis_down")
def test_the_metrics_count_meetings_by_source_bucket_and_attendance(team, rep, leader, book, clock):
    from datetime import timedelta

    submitted = timezone.now() - timedelta(minutes=10)
    booked_fast = make_lead(rep, team=team, at=submitted, source="paid_ads")
    called_first = make_lead(
        rep, team=team, at=submitted, source="organic", first_attempt_at=submitted + timedelta(minutes=2)
    )
    make_lead(rep, team=team, at=submitted, source="organic")  # never books
    cancelled = make_lead(rep, team=team, at=submitted, source="paid_ads")
    make_lead(rep, team=team, at=submitted, source="paid_ads", junk=True)  # left out
    book(booked_fast, ny(23, 10))
    book(called_first, ny(23, 11))
    actions.cancel(book(cancelled, ny(23, 12)).pk, by_label="lead")
    clock.move(ny(23, 11, 5))
    actions.mark_attendance(Meeting.objects.get(lead=booked_fast).pk, "no_show", actor=rep)
    actions.mark_attendance(Meeting.objects.get(lead=called_first).pk, "held", actor=rep)

    body = signed_in(leader).get("/api/v1/metrics/sla?since=2026-11-01").json()
    assert {"leads", "within_sla", "conversion_by_bucket", "reps"} <= set(body)  # the SPEC keys are still there
    meetings = body["meetings"]
    assert (meetings["booked"], meetings["cancelled"], meetings["leads_booked"]) == (2, 1, 2)
    assert meetings["booking_rate"] == 0.5
    assert meetings["by_source"] == {
        "paid_ads": {"leads": 2, "booked": 1, "rate": 0.5}, "organic": {"leads": 2, "booked": 1, "rate": 0.5},
    }  # fmt: skip
    assert meetings["by_response_bucket"]["0-5m"] == {"leads": 1, "booked": 1, "rate": 1.0}
    assert meetings["by_response_bucket"]["never_attempted"] == {"leads": 3, "booked": 1, "rate": 0.3333}
    assert meetings["time_to_booking"] == {"mean": 600.0, "median": 600.0}  # booked 10 min after submitting
    assert (meetings["held"], meetings["no_show"], meetings["no_show_rate"]) == (1, 1, 0.5)

    html = signed_in(leader).get("/dashboard/?since=2026-11-01").content.decode()
    assert "Meetings booked by leads" in html
    assert '<div class="tile-value" id="meetings-booked">2</div>' in html
    assert '<div class="tile-value" id="meetings-rate">50.0%</div>' in html
