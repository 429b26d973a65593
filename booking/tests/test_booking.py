"""Booking a meeting (booking/actions.py): the slot checked under lock, the meeting stored,
the lead's calls cancelled and a reminder planned (pipeline/flow.py), the invitations
queued once in the outbox; rescheduling, cancelling, pooled slots and attendance."""

from __future__ import annotations

from datetime import UTC, date, timedelta

import icalendar
import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from booking import actions
from booking.actions import BookingError
from booking.models import BookingSettings, CalendarFeed, Meeting
from booking.slots import BEYOND_HORIZON, NOT_OFFERED, TAKEN, TOO_SOON
from booking.tests.conftest import ny
from cadences.models import PlannedStep, StepStatus
from leads.lifecycle import change_stage
from leads.messaging import deliver_message
from leads.models import LeadEvent, Message
from routing.models import LeavePeriod
from tests.workspace_kit import make_lead

pytestmark = pytest.mark.usefixtures("redis_down")


def plan(lead) -> list[tuple[int, str, str]]:
    return list(
        PlannedStep.objects.filter(enrollment__lead=lead).order_by("number").values_list("number", "channel", "status")
    )


def invitation(message: Message) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(message.attachment)
    assert message.attachment_type == f"text/calendar; method={calendar['METHOD']}"
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def test_it_books_a_free_slot_with_the_owner(lead, rep, book):
    meeting = book(lead, ny(23, 10))
    assert (meeting.rep, meeting.starts_at, meeting.ends_at) == (rep, ny(23, 10), ny(23, 10, 30))
    assert meeting.status == "booked" and meeting.uid.startswith("meeting-") and meeting.sequence == 0
    booked = LeadEvent.objects.get(lead=lead, kind="meeting.booked")
    assert booked.data["starts_at"] == ny(23, 10).astimezone(UTC).isoformat() and booked.data["rep"] == "rep.one"
    lead.refresh_from_db()
    assert lead.reassign_due_at is None  # the meeting is the contact: no escalation away from it


def test_the_meeting_replaces_the_calls_and_plans_a_reminder(lead, book):
    before = plan(lead)
    assert ("call", "scheduled") in {(channel, status) for _, channel, status in before}
    meeting = book(lead, ny(24, 14))
    after = plan(lead)
    assert all(status == "cancelled" for _, channel, status in after if channel == "call")
    others_before = [row for row in before if row[1] != "call"]
    assert [row for row in after if row[1] != "call"][: len(others_before)] == others_before  # emails, texts go on
    reminder = PlannedStep.objects.get(pk=meeting.reminder_step_id)
    assert (reminder.channel, reminder.status, reminder.due_at) == ("task", "scheduled", ny(24, 13, 45))
    assert reminder.title.startswith("Meeting at Tue 14:00 with Ada")
    assert LeadEvent.objects.filter(lead=lead, kind="cadence.calls_cancelled").exists()


def test_the_invitation_goes_to_the_lead_and_the_rep_exactly_once(lead, rep, book, settings):
    meeting = book(lead, ny(23, 10))
    messages = {message.recipient: message for message in Message.objects.filter(purpose="meeting_invitation")}
    assert set(messages) == {lead.email, rep.email}
    calendar, event = invitation(messages[lead.email])
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == meeting.uid and int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == ny(23, 10) and event.decoded("DTEND") == ny(23, 10, 30)
    assert event["DTSTART"].to_ical().endswith(b"Z")  # in UTC
    assert str(event["ORGANIZER"]) == f"mailto:{rep.email}"
    attendees = {str(address): address.params for address in event["ATTENDEE"]}
    assert attendees[f"mailto:{lead.email}"]["PARTSTAT"] == "NEEDS-ACTION"
    assert "/book/" in str(event["URL"]) and str(event["URL"]) in str(event["DESCRIPTION"])
    assert event.walk("VALARM")
    assert "Paris" in messages[lead.email].body and "New_York" in messages[rep.email].body
    for message in messages.values():  # delivered by the outbox: once, even when retried
        assert deliver_message(message.pk) is True
        assert deliver_message(message.pk) is False
    assert len(mail.outbox) == 2
    sent = mail.outbox[0].message()
    parts = [part for part in sent.walk() if part.get_content_type() == "text/calendar"]
    assert parts and parts[0].get_param("method") == "REQUEST" and parts[0].get_filename() == "invite.ics"
    assert icalendar.Calendar.from_ical(parts[0].get_payload(decode=True))["METHOD"] == "REQUEST"


def test_a_taken_slot_or_its_buffer_cannot_be_booked_again(lead, team, rep, book):
    book(lead, ny(23, 10))
    second = make_lead(rep, team=team)
    for start in (ny(23, 10), ny(23, 10, 30), ny(23, 9, 30)):
        with pytest.raises(BookingError) as error:
            book(second, start)
        assert error.value.code == TAKEN
    assert book(second, ny(23, 11)).starts_at == ny(23, 11)


@pytest.mark.parametrize(
    "start, code",
    [
        (ny(23, 8), TOO_SOON),
        (ny(23, 8, 30), NOT_OFFERED),  # past the notice, but before the rep's hours
        (ny(23, 10, 10), NOT_OFFERED),
        (ny(28, 10), NOT_OFFERED),  # a Saturday
        (ny(7, 10, month=12), BEYOND_HORIZON),
    ],
)
def test_it_refuses_times_it_does_not_offer(lead, book, start, code):
    with pytest.raises(BookingError) as error:
        book(lead, start)
    assert error.value.code == code
    assert not Meeting.objects.exists()


def test_leave_and_the_reps_calendar_feed_block_their_times(lead, rep, book):
    LeavePeriod.objects.create(rep=rep.rep_profile, starts_on=date(2026, 11, 24), ends_on=date(2026, 11, 24))
    busy = [[ny(23, 10).astimezone(UTC).isoformat(), ny(23, 12).astimezone(UTC).isoformat()]]
    CalendarFeed.objects.create(rep=rep, url="https://calendar.example.com/r.ics", busy=busy, checked_at=ny(23, 7, 59))
    for start in (ny(24, 10), ny(23, 11), ny(23, 12)):
        with pytest.raises(BookingError):
            book(lead, start)
    assert book(lead, ny(23, 12, 30)).starts_at == ny(23, 12, 30)


def test_team_settings_change_the_slots(lead, team, book):
    BookingSettings.objects.create(team=team, slot_minutes=45, buffer_minutes=0, notice_minutes=120, horizon_days=3)
    with pytest.raises(BookingError) as error:
        book(lead, ny(23, 9, 45))
    assert error.value.code == TOO_SOON
    meeting = book(lead, ny(23, 10, 30))
    assert meeting.ends_at - meeting.starts_at == timedelta(minutes=45)
    with pytest.raises(BookingError) as error:
        actions.reschedule(meeting.pk, ny(27, 9), by_label="lead")
    assert error.value.code == BEYOND_HORIZON


def test_booking_again_moves_the_meeting_with_a_new_sequence(lead, rep, book):
    meeting = book(lead, ny(23, 10))
    first_reminder = meeting.reminder_step_id
    moved = book(lead, ny(23, 10, 30))  # its own old time is not "busy" for itself
    assert moved.pk == meeting.pk and moved.starts_at == ny(23, 10, 30) and moved.sequence == 1
    assert Meeting.objects.count() == 1
    rescheduled = Message.objects.filter(dedupe_key__startswith=f"meeting:{meeting.pk}:1:")
    assert rescheduled.count() == 2
    _, event = invitation(rescheduled.get(recipient=lead.email))
    assert str(event["UID"]) == meeting.uid and int(event["SEQUENCE"]) == 1
    assert PlannedStep.objects.get(pk=first_reminder).status == StepStatus.CANCELLED
    assert PlannedStep.objects.get(pk=Meeting.objects.get().reminder_step_id).due_at == ny(23, 10, 15)
    assert (
        LeadEvent.objects.get(lead=lead, kind="meeting.rescheduled").data["previous_start"].startswith("2026-11-23T15")
    )


def test_cancelling_frees_the_slot_and_sends_a_cancellation(lead, team, rep, book, django_capture_on_commit_callbacks):
    meeting = book(lead, ny(23, 10))
    with django_capture_on_commit_callbacks(execute=True):
        actions.cancel(meeting.pk, by_label="lead", reason="Found another vendor")
    meeting.refresh_from_db()
    assert (meeting.status, meeting.cancelled_by, meeting.sequence) == ("cancelled", "lead", 1)
    cancellation = Message.objects.get(purpose="meeting_cancellation", recipient=lead.email)
    calendar, event = invitation(cancellation)
    assert calendar["METHOD"] == "CANCEL" and event["STATUS"] == "CANCELLED" and str(event["UID"]) == meeting.uid
    assert PlannedStep.objects.get(pk=meeting.reminder_step_id).status == StepStatus.CANCELLED
    with pytest.raises(BookingError):
        actions.cancel(meeting.pk, by_label="lead")
    assert book(make_lead(rep, team=team), ny(23, 10)).starts_at == ny(23, 10)


def test_an_unowned_lead_books_the_teams_pooled_slots_and_becomes_the_reps(team, rep, other_rep, clock, book):
    busy_lead = make_lead(rep, team=team)
    book(busy_lead, ny(23, 14))  # rep.one has a meeting ahead: the pool prefers rep.two
    waiting = make_lead(None, team=team)
    meeting = book(waiting, ny(23, 15))
    assert meeting.rep == other_rep and meeting.pooled
    waiting.refresh_from_db()
    assert (waiting.owner, waiting.stage, waiting.route_after) == (other_rep, "assigned", None)
    assigned = LeadEvent.objects.get(lead=waiting, kind="lead.assigned")
    assert assigned.data["outcome"] == "booked" and assigned.data["owner"] == "rep.two"
    assert plan(waiting)  # enrolled by the routing event, then its calls cancelled
    assert all(status == "cancelled" for _, channel, status in plan(waiting) if channel == "call")
    # 14:00: rep.one is busy, rep.two is free -> a pooled booking there goes to rep.two.
    third = book(make_lead(None, team=team), ny(23, 14))
    assert third.rep == other_rep


def test_a_closed_or_unplaceable_lead_cannot_book(lead, rep, book):
    change_stage(lead, stage="disqualified", reason="Student", by=rep)
    with pytest.raises(BookingError) as error:
        book(lead, ny(23, 10))
    assert error.value.code == actions.CLOSED
    lost = make_lead(None)  # no owner, no team, no routing rule
    with pytest.raises(BookingError) as error:
        book(lost, ny(23, 10))
    assert error.value.code == actions.NOBODY


def test_the_rep_marks_attendance_once_the_meeting_started(lead, rep, book, clock):
    meeting = book(lead, ny(23, 10))
    with pytest.raises(BookingError) as error:
        actions.mark_attendance(meeting.pk, "no_show", actor=rep)
    assert error.value.code == actions.NOT_STARTED
    clock.move(ny(23, 10, 5))
    actions.mark_attendance(meeting.pk, "no_show", actor=rep)
    meeting.refresh_from_db()
    assert meeting.attendance == "no_show"
    assert LeadEvent.objects.filter(lead=lead, kind="meeting.no_show", actor=rep).count() == 1
    with pytest.raises(BookingError) as error:
        actions.cancel(meeting.pk, by_label="lead")
    assert error.value.code == actions.STARTED
    clock.move(ny(23, 11))  # over: the lead may book a follow-up
    assert book(lead, ny(24, 9)).pk != meeting.pk


def test_the_database_refuses_two_booked_meetings_at_one_start(lead, team, rep):
    Meeting.objects.create(lead=lead, rep=rep, starts_at=ny(23, 10), ends_at=ny(23, 10, 30), uid="a")
    other = make_lead(rep, team=team)
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(lead=other, rep=rep, starts_at=ny(23, 10), ends_at=ny(23, 10, 30), uid="b")
    Meeting.objects.create(
        lead=other, rep=rep, starts_at=ny(23, 10), ends_at=ny(23, 10, 30), uid="c", status="cancelled"
    )
