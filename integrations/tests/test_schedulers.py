"""Meetings booked in Calendly or Cal.com, end to end through /hooks/<provider>/<slug>/ with
real signatures: the invitee matched to a lead (email, then phone) or made a lead through
the intake door; the meeting recorded exactly as a LeadOps booking (timeline, the
cadence's calls cancelled and a reminder planned, metrics, the outbound meeting.booked
webhook); reschedules and cancellations find it; redeliveries are replays; tampered,
stale and unsigned requests store nothing."""

from __future__ import annotations

import time
from datetime import UTC, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from booking.models import Meeting
from cadences.models import PlannedStep
from cadences.progress import enroll
from integrations import secret_store
from integrations.models import HookDelivery, Subscription, WebhookDelivery
from integrations.tests.conftest import CALCOM_SECRET, CALENDLY_KEY, calcom_signed, calendly_signed, dumps, post
from leads.models import Lead, LeadEvent
from reports.meetings import meeting_metrics
from tests.workspace_kit import make_lead

pytestmark = pytest.mark.django_db
CALENDLY = "/hooks/calendly/demo-calls/"
CALCOM = "/hooks/calcom/cal/"


def tomorrow(hour: int, minute: int = 0):
    day = timezone.now().astimezone(UTC).date() + timedelta(days=1)
    return timezone.datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def iso(moment) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def calendly_event(kind: str, number: int, start, *, email="grace@navy.mil", host="ava@example.com", **invitee):
    """A Calendly v2 webhook body (invitee.created / invitee.canceled)."""
    event_uri = f"https://api.calendly.com/scheduled_events/EV-{number}"
    return {
        "event": kind, "created_at": iso(timezone.now()), "created_by": "https://api.calendly.com/users/U1",
        "payload": {
            "uri": f"{event_uri}/invitees/INV-{number}", "email": email, "name": "Grace Hopper",
            "first_name": "Grace", "last_name": "Hopper", "status": "active", "timezone": "America/New_York",
            "event": event_uri, "rescheduled": False, "old_invitee": None, "new_invitee": None,
            "questions_and_answers": [{"question": "What should we cover?", "answer": "Pricing", "position": 0}],
            "tracking": {"utm_source": "newsletter", "utm_campaign": "winter"}, "text_reminder_number": None,
            "scheduled_event": {
                "uri": event_uri, "name": "Demo call", "status": "active", "start_time": iso(start),
                "end_time": iso(start + timedelta(minutes=30)),
                "event_memberships": [{"user": "https://api.calendly.com/users/U1", "user_email": host,
                                       "user_name": "Ava"}],
            },
            **invitee,
        },
    }  # fmt: skip


def calcom_event(trigger: str, uid: str, start, *, email="grace@navy.mil", host="ava@example.com", **booking):
    return {
        "triggerEvent": trigger, "createdAt": iso(timezone.now()),
        "payload": {
            "type": "30min", "title": "Demo call between Ava and Grace", "uid": uid, "bookingId": 77,
            "startTime": iso(start), "endTime": iso(start + timedelta(minutes=30)), "status": "ACCEPTED",
            "organizer": {"id": 1, "name": "Ava", "email": host, "timeZone": "America/New_York"},
            "attendees": [{"name": "Grace Hopper", "email": email, "timeZone": "America/New_York"}],
            "responses": {"name": {"value": "Grace Hopper"}, "email": {"value": email},
                          "notes": {"value": "Pricing, please"}},
            **booking,
        },
    }  # fmt: skip


@pytest.fixture
def connections(make_connection):
    return (
        make_connection("calendly", "demo-calls", signing=CALENDLY_KEY, inquiry_type="demo_request"),
        make_connection("calcom", "cal", signing=CALCOM_SECRET, inquiry_type="demo_request"),
    )


@pytest.fixture
def known_lead(routable):
    """Grace's lead, owned by ben and in the hot cadence; ava hosts the meetings."""
    team, (ava, ben) = routable
    lead = make_lead(ben, team=team, email="grace@navy.mil", email_normalized="grace@navy.mil",
                     phone="+1 646 555 0199", phone_e164="+16465550199")  # fmt: skip
    enroll(lead, at=timezone.now())
    return lead


@pytest.fixture
def subscription(db):
    return Subscription.objects.create(
        name="CRM", url="https://crm.example/hooks", secret=secret_store.encrypt(secret_store.new_webhook_secret())
    )


def calls(lead) -> set[str]:
    steps = PlannedStep.objects.filter(enrollment__lead=lead, channel="call").values_list("status", flat=True)
    return set(steps)


def send_calendly(deliver, payload, **signing):
    body = dumps(payload)
    return deliver(CALENDLY, body, calendly_signed(body, **signing))


def send_calcom(deliver, payload):
    body = dumps(payload)
    return deliver(CALCOM, body, calcom_signed(body))


# --- Calendly ------------------------------------------------------------------------------------


def test_a_calendly_booking_is_recorded_as_a_leadops_booking(deliver, connections, known_lead, routable, subscription):
    ava = routable[1][0]
    assert "scheduled" in calls(known_lead)
    answer = send_calendly(deliver, calendly_event("invitee.created", 1, tomorrow(15)))
    assert answer.status_code == 200, answer.content
    assert answer.json()["outcome"] == "meeting_booked" and answer.json()["lead"] == known_lead.pk
    assert answer.json()["lead_made"] is False and Lead.objects.count() == 1
    meeting = Meeting.objects.get()
    assert (meeting.lead, meeting.rep, meeting.status, meeting.booked_via) == (known_lead, ava, "booked", "calendly")
    assert (meeting.starts_at, meeting.ends_at) == (tomorrow(15), tomorrow(15, 30))
    assert meeting.external_provider == "calendly" and meeting.external_id.endswith("/invitees/INV-1")
    booked = LeadEvent.objects.get(lead=known_lead, kind="meeting.booked")
    assert booked.actor_label == "calendly" and booked.data["rep"] == "ava" and booked.data["via"] == "calendly"
    assert calls(known_lead) == {"cancelled"}  # the meeting is the contact
    reminder = PlannedStep.objects.get(pk=meeting.reminder_step_id)
    assert reminder.due_at == tomorrow(14, 45) and reminder.status == "scheduled"
    [webhook] = WebhookDelivery.objects.filter(event_type="meeting.booked")
    assert webhook.lead == known_lead and webhook.payload["data"]["event"]["data"]["external_id"] == meeting.external_id
    assert meeting_metrics(Lead.objects.all())["booked"] == 1
    assert not [message for message in mail.outbox if message.attachments]  # Calendly sends the invitations
    delivery = HookDelivery.objects.get()
    assert delivery.verified and delivery.outcome == "meeting_booked" and delivery.lead_id == known_lead.pk


def test_a_redelivered_calendly_booking_is_a_replay(deliver, connections, known_lead):
    payload = calendly_event("invitee.created", 1, tomorrow(15))
    send_calendly(deliver, payload)
    again = send_calendly(deliver, payload)
    assert again.status_code == 200 and again.json()["outcome"] == "replay"
    assert Meeting.objects.count() == 1 and LeadEvent.objects.filter(kind="meeting.booked").count() == 1


@pytest.mark.parametrize("spoil", ["tampered", "wrong-key", "stale", "future", "unsigned", "no-v1"])
def test_an_unverified_calendly_request_gets_401_and_stores_nothing(client, connections, known_lead, spoil):
    body = dumps(calendly_event("invitee.created", 1, tomorrow(15)))
    at = {"stale": time.time() - 181, "future": time.time() + 181}.get(spoil)
    headers = calendly_signed(body, "not-the-key" if spoil == "wrong-key" else CALENDLY_KEY, at=at)
    if spoil == "tampered":
        body = dumps(calendly_event("invitee.created", 1, tomorrow(16)))
    if spoil == "unsigned":
        headers = {}
    if spoil == "no-v1":
        headers = {"HTTP_CALENDLY_WEBHOOK_SIGNATURE": headers["HTTP_CALENDLY_WEBHOOK_SIGNATURE"].split(",")[0]}
    answer = post(client, CALENDLY, body, headers)
    assert answer.status_code == 401 and "signature" in answer.json()["errors"]
    assert not Meeting.objects.exists() and Lead.objects.count() == 1
    assert HookDelivery.objects.get().outcome == "rejected"


def test_a_timestamp_inside_the_three_minutes_is_accepted(deliver, connections, known_lead):
    answer = send_calendly(deliver, calendly_event("invitee.created", 1, tomorrow(15)), at=time.time() - 170)
    assert answer.status_code == 200 and answer.json()["outcome"] == "meeting_booked"


def test_a_calendly_reschedule_moves_the_meeting(deliver, connections, known_lead):
    first = calendly_event("invitee.created", 1, tomorrow(15))
    send_calendly(deliver, first)
    old_uri, new_uri = first["payload"]["uri"], calendly_event("invitee.created", 2, tomorrow(17))["payload"]["uri"]
    # Calendly cancels the old invitee (rescheduled: true) and creates a new one (old_invitee).
    cancelled = calendly_event(
        "invitee.canceled",
        1,
        tomorrow(15),
        rescheduled=True,
        new_invitee=new_uri,
        status="canceled",
        cancellation={"canceled_by": "Grace", "canceler_type": "invitee"},
    )
    assert send_calendly(deliver, cancelled).json()["outcome"] == "ignored"
    assert Meeting.objects.get().is_booked
    moved = calendly_event("invitee.created", 2, tomorrow(17), old_invitee=old_uri)
    answer = send_calendly(deliver, moved)
    assert answer.status_code == 200 and answer.json()["outcome"] == "meeting_moved"
    meeting = Meeting.objects.get()
    assert (meeting.starts_at, meeting.external_id, meeting.rescheduled_count) == (tomorrow(17), new_uri, 1)
    event = LeadEvent.objects.get(lead=known_lead, kind="meeting.rescheduled")
    assert event.data["previous_start"] == tomorrow(15).isoformat() and event.actor_label == "calendly"
    assert PlannedStep.objects.get(pk=meeting.reminder_step_id).due_at == tomorrow(16, 45)  # the reminder moved
    assert send_calendly(deliver, moved).json()["outcome"] == "replay"
    assert Meeting.objects.count() == 1


def test_a_calendly_cancellation_cancels_the_meeting_and_its_reminder(deliver, connections, known_lead):
    send_calendly(deliver, calendly_event("invitee.created", 1, tomorrow(15)))
    reminder_id = Meeting.objects.get().reminder_step_id
    cancelled = calendly_event("invitee.canceled", 1, tomorrow(15), status="canceled",
                               cancellation={"canceled_by": "Grace Hopper", "reason": "Found a vendor",
                                             "canceler_type": "invitee"})  # fmt: skip
    answer = send_calendly(deliver, cancelled)
    assert answer.status_code == 200 and answer.json()["outcome"] == "meeting_cancelled"
    meeting = Meeting.objects.get()
    assert meeting.status == "cancelled" and meeting.cancel_reason == "Found a vendor"
    assert meeting.cancelled_by == "invitee"
    assert PlannedStep.objects.get(pk=reminder_id).status == "cancelled"
    assert LeadEvent.objects.get(lead=known_lead, kind="meeting.cancelled").data["reason"] == "Found a vendor"
    assert meeting_metrics(Lead.objects.all())["cancelled"] == 1
    assert send_calendly(deliver, cancelled).json()["outcome"] == "replay"


def test_an_unknown_invitee_becomes_a_lead_through_the_intake_door(deliver, connections, routable, run_all_jobs):
    ava = routable[1][0]
    payload = calendly_event(
        "invitee.created",
        3,
        tomorrow(15),
        email="mary@jackson.dev",
        name="Mary Jackson",
        first_name="Mary",
        last_name="Jackson",
        text_reminder_number="+1 757 555 0142",
    )
    answer = send_calendly(deliver, payload)
    assert answer.status_code == 200 and answer.json()["lead_made"] is True
    lead = Lead.objects.get()
    assert (lead.email, lead.first_name, lead.phone_e164, lead.utm_source) == (
        "mary@jackson.dev", "Mary", "+17575550142", "newsletter"
    )  # fmt: skip
    assert lead.external_id == "calendly:" + payload["payload"]["uri"] and lead.inquiry_type == "demo_request"
    assert "What should we cover?: Pricing" in lead.message
    meeting = Meeting.objects.get()
    assert meeting.lead == lead and meeting.rep == ava
    assert lead.owner == ava  # as a LeadOps booking of an unowned lead: the meeting's rep owns it
    run_all_jobs()  # routing finds it owned; the acknowledgment goes out
    lead.refresh_from_db()
    assert lead.owner == ava and mail.outbox and mail.outbox[-1].to == ["mary@jackson.dev"]
    # The same booking delivered again: matched by email, a replay, still one lead.
    assert send_calendly(deliver, payload).json()["outcome"] == "replay" and Lead.objects.count() == 1


def test_an_invitee_is_matched_by_phone_when_the_email_differs(deliver, connections, known_lead):
    payload = calendly_event("invitee.created", 4, tomorrow(15), email="g.hopper@elsewhere.org",
                             text_reminder_number="+1 (646) 555-0199")  # fmt: skip
    answer = send_calendly(deliver, payload)
    assert answer.json()["lead"] == known_lead.pk and answer.json()["lead_made"] is False
    assert Lead.objects.count() == 1 and Meeting.objects.get().lead == known_lead


def test_a_host_unknown_to_leadops_is_refused_until_the_lead_has_an_owner(deliver, connections, routable, run_all_jobs):
    payload = calendly_event("invitee.created", 5, tomorrow(15), email="dv@fortran.io", host="someone@agency.example")
    answer = send_calendly(deliver, payload)
    assert answer.status_code == 422 and "someone@agency.example" in answer.json()["errors"]["meeting"][0]
    lead = Lead.objects.get()  # the lead is kept, never lost
    assert not Meeting.objects.exists() and HookDelivery.objects.get().outcome == "invalid"
    run_all_jobs()  # routing gives the lead an owner; Calendly retries
    lead.refresh_from_db()
    assert lead.owner in routable[1]
    again = send_calendly(deliver, payload)
    assert again.status_code == 200 and again.json()["outcome"] == "meeting_booked"
    assert Meeting.objects.get().rep == lead.owner and Lead.objects.count() == 1


def test_other_calendly_events_are_acknowledged_and_ignored(deliver, connections):
    payload = {"event": "routing_form_submission.created", "payload": {"submitter": "x"}}
    answer = send_calendly(deliver, payload)
    assert answer.status_code == 200 and answer.json()["outcome"] == "ignored" and not Lead.objects.exists()


def test_a_calendly_booking_without_times_is_a_400(deliver, connections, known_lead):
    payload = calendly_event("invitee.created", 6, tomorrow(15))
    payload["payload"]["scheduled_event"]["end_time"] = "soon"
    answer = send_calendly(deliver, payload)
    assert answer.status_code == 400 and not Meeting.objects.exists()


# --- Cal.com -------------------------------------------------------------------------------------


def test_a_calcom_booking_is_moved_then_cancelled(deliver, connections, known_lead, routable, subscription):
    ava = routable[1][0]
    created = calcom_event("BOOKING_CREATED", "bk-1", tomorrow(15))
    answer = send_calcom(deliver, created)
    assert answer.status_code == 200 and answer.json()["outcome"] == "meeting_booked"
    meeting = Meeting.objects.get()
    assert (meeting.rep, meeting.booked_via, meeting.external_id) == (ava, "calcom", "bk-1")
    assert calls(known_lead) == {"cancelled"} and WebhookDelivery.objects.filter(event_type="meeting.booked").exists()
    assert send_calcom(deliver, created).json()["outcome"] == "replay"
    moved = calcom_event("BOOKING_RESCHEDULED", "bk-2", tomorrow(18), rescheduleUid="bk-1",
                         rescheduleStartTime=iso(tomorrow(15)))  # fmt: skip
    assert send_calcom(deliver, moved).json()["outcome"] == "meeting_moved"
    meeting.refresh_from_db()
    assert (meeting.starts_at, meeting.external_id, meeting.sequence) == (tomorrow(18), "bk-2", 1)
    assert send_calcom(deliver, moved).json()["outcome"] == "replay"
    cancelled = calcom_event("BOOKING_CANCELLED", "bk-2", tomorrow(18), cancellationReason="No longer needed",
                             cancelledBy="grace@navy.mil", status="CANCELLED")  # fmt: skip
    assert send_calcom(deliver, cancelled).json()["outcome"] == "meeting_cancelled"
    meeting.refresh_from_db()
    assert meeting.status == "cancelled" and meeting.cancelled_by == "grace@navy.mil"
    assert [event.kind for event in LeadEvent.objects.filter(lead=known_lead, kind__startswith="meeting.")] == [
        "meeting.booked", "meeting.rescheduled", "meeting.cancelled"
    ]  # fmt: skip
    assert send_calcom(deliver, cancelled).json()["outcome"] == "replay"


def test_an_unknown_calcom_attendee_becomes_a_lead(deliver, connections, routable):
    answer = send_calcom(deliver, calcom_event("BOOKING_CREATED", "bk-9", tomorrow(15), email="ada@analytical.io"))
    assert answer.status_code == 200 and answer.json()["lead_made"] is True
    lead = Lead.objects.get()
    assert lead.email == "ada@analytical.io" and lead.external_id == "calcom:bk-9" and lead.message == "Pricing, please"
    assert Meeting.objects.get().lead == lead


@pytest.mark.parametrize("spoil", ["tampered", "wrong-secret", "unsigned"])
def test_an_unverified_calcom_request_gets_401(client, connections, known_lead, spoil):
    body = dumps(calcom_event("BOOKING_CREATED", "bk-1", tomorrow(15)))
    headers = calcom_signed(body, "nope" if spoil == "wrong-secret" else CALCOM_SECRET)
    if spoil == "tampered":
        body = dumps(calcom_event("BOOKING_CREATED", "bk-1", tomorrow(16)))
    if spoil == "unsigned":
        headers = {}
    answer = post(client, CALCOM, body, headers)
    assert answer.status_code == 401 and not Meeting.objects.exists()


def test_a_calcom_connection_without_a_secret_refuses_everything(client, make_connection, known_lead):
    make_connection("calcom", "open-cal")
    body = dumps(calcom_event("BOOKING_CREATED", "bk-1", tomorrow(15)))
    answer = post(client, "/hooks/calcom/open-cal/", body, calcom_signed(body, ""))
    assert answer.status_code == 401 and "secret" in answer.json()["errors"]["signature"][0]
    assert not Meeting.objects.exists()


def test_a_calcom_ping_is_ignored(deliver, connections):
    answer = send_calcom(deliver, {"triggerEvent": "PING", "createdAt": iso(timezone.now()), "payload": {}})
    assert answer.status_code == 200 and answer.json()["outcome"] == "ignored"
