"""Meetings booked in another scheduler (booking/external.py), recorded directly: the
database's no-overlap rule still holds, junk leads get no meeting, a cancellation of a
meeting never recorded is ignored, and a lead's LeadOps meeting and its Calendly one are
two rows that never get mixed up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from booking import actions
from booking.actions import EXTERNAL, BookingError
from booking.external import record_external_meeting
from booking.models import Meeting
from booking.tests.conftest import ny
from conftest import postgresql_only
from leadops.booking_links import booking_path
from leads.models import LeadEvent
from tests.workspace_kit import make_lead

pytestmark = pytest.mark.usefixtures("redis_down")


def record(lead, external_id: str, start, *, action="booked", host="", **kwargs):
    return record_external_meeting(
        provider="calendly", action=action, external_id=external_id, lead_id=lead.pk if lead else None,
        starts_at=start, ends_at=start + timedelta(minutes=30) if start else None, host_email=host, **kwargs,
    )  # fmt: skip


def test_it_books_with_the_host_and_keeps_the_owner(lead, rep, other_rep):
    other_rep.email = "Oscar@Example.com"
    other_rep.save()
    recorded = record(lead, "inv-1", ny(24, 10), host="oscar@example.com")  # the email is matched without case
    assert recorded.outcome == "booked"
    meeting = Meeting.objects.get(pk=recorded.meeting_id)
    assert meeting.rep == other_rep and meeting.booked_via == "calendly" and not meeting.pooled
    lead.refresh_from_db()
    assert lead.owner == rep  # the lead stays its owner's; the host takes the call


def test_it_falls_back_on_the_owner_when_the_host_is_unknown(lead, rep):
    recorded = record(lead, "inv-1", ny(24, 10), host="stranger@agency.example")
    assert recorded.outcome == "booked" and Meeting.objects.get().rep == rep
    assert "the lead's owner" in recorded.detail


@postgresql_only  # the exclusion constraint on overlapping time ranges
def test_an_overlap_with_a_leadops_meeting_is_a_conflict_not_a_crash(lead, rep, book):
    book(lead, ny(24, 10))
    other = make_lead(rep, team=lead.team)
    recorded = record(other, "inv-2", ny(24, 10, 15))
    assert recorded.outcome == "conflict" and "overlaps" in recorded.detail
    assert Meeting.objects.count() == 1


def test_the_same_start_is_a_conflict_on_every_database(lead, rep, book):
    book(lead, ny(24, 10))
    other = make_lead(rep, team=lead.team)
    recorded = record(other, "inv-2", ny(24, 10))
    assert recorded.outcome == "conflict" and Meeting.objects.count() == 1


def test_a_junk_lead_gets_no_meeting(team, rep, clock):
    junk = make_lead(rep, team=team, junk=True, junk_reason="disposable email domain")
    recorded = record(junk, "inv-3", ny(24, 10))
    assert recorded.outcome == "closed" and not Meeting.objects.exists()


def test_cancelling_a_meeting_never_recorded_is_ignored(lead):
    recorded = record(None, "inv-unknown", None, action="cancelled")
    assert recorded.outcome == "ignored" and not LeadEvent.objects.filter(kind__startswith="meeting.").exists()


def test_a_leadops_meeting_is_not_touched_by_the_external_one(lead, book):
    own = book(lead, ny(24, 10))
    record(lead, "inv-4", ny(25, 11))
    record(None, "inv-4", None, action="cancelled")
    own.refresh_from_db()
    assert own.is_booked and own.external_id == ""
    assert Meeting.objects.get(external_id="inv-4").status == "cancelled"


def test_a_meeting_booked_elsewhere_is_changed_there_not_in_leadops(lead, rep, clock, client):
    """A move or cancellation in LeadOps would never reach Calendly: both pages say where to
    change it, and the actions refuse."""
    recorded = record(lead, "inv-5", ny(24, 10))
    with pytest.raises(BookingError) as refused:
        actions.cancel(recorded.meeting_id, by_label="rep.one")
    assert refused.value.code == EXTERNAL and "Calendly or Cal.com" in str(refused.value)
    with pytest.raises(BookingError):
        actions.reschedule(recorded.meeting_id, ny(24, 11), by_label="rep.one")
    with pytest.raises(BookingError):  # the lead's own link cannot move it either
        actions.book(lead.pk, ny(24, 11))
    assert Meeting.objects.get().starts_at == ny(24, 10)
    client.force_login(rep)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Booked in Calendly: reschedule or cancel it there" in page and "meeting-reschedule" not in page
    public = Client().get(booking_path(lead.pk)).content.decode()
    assert "You booked this call in Calendly" in public and "cancel-meeting" not in public
