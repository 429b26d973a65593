"""Two leads can never book the same time (real PostgreSQL, threads with their own
connections): the app's check under the rep's row lock gives one meeting and one "taken";
the exclusion constraint refuses an overlap even to writers that skip that check."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction

from booking import actions
from booking.actions import BookingError
from booking.models import Meeting
from booking.slots import TAKEN
from booking.tests.conftest import ny
from conftest import postgresql_only
from tests.workspace_kit import make_lead

pytestmark = [
    postgresql_only,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("redis_down"),
]


def race(work, count: int) -> list:
    """Run work(index) in `count` threads released at once; each result or exception."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int):
        barrier.wait()
        try:
            results[index] = work(index)
        except Exception as error:  # collected for the assertions
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    [thread.start() for thread in threads]
    [thread.join() for thread in threads]
    return results


def test_leads_racing_for_one_slot_get_one_meeting_and_taken_pages(team, rep, clock):
    leads = [make_lead(rep, team=team) for _ in range(6)]
    results = race(lambda index: actions.book(leads[index].pk, ny(23, 10)), len(leads))
    meetings = [result for result in results if isinstance(result, Meeting)]
    refusals = [result for result in results if isinstance(result, BookingError)]
    assert len(meetings) == 1, results
    assert len(refusals) == 5 and {refusal.code for refusal in refusals} == {TAKEN}, results
    assert Meeting.objects.filter(status="booked").count() == 1


def test_racing_for_overlapping_slots_books_only_compatible_ones(team, rep, clock):
    leads = [make_lead(rep, team=team) for _ in range(4)]
    starts = [ny(23, 10), ny(23, 10, 30), ny(23, 11), ny(23, 11, 30)]  # each touches its neighbour's buffer
    race(lambda index: actions.book(leads[index].pk, starts[index]), len(leads))
    booked = sorted(Meeting.objects.filter(status="booked").values_list("starts_at", flat=True))
    assert 1 <= len(booked) <= 2
    assert all(later - earlier >= ny(23, 11) - ny(23, 10) for earlier, later in zip(booked, booked[1:], strict=False))


def test_the_database_refuses_overlapping_meetings_of_a_rep(team, rep, other_rep):
    first, second = make_lead(rep, team=team), make_lead(rep, team=team)
    Meeting.objects.create(lead=first, rep=rep, starts_at=ny(23, 10), ends_at=ny(23, 10, 30), uid="one")
    with pytest.raises(IntegrityError, match="booked_meetings_never_overlap"), transaction.atomic():
        Meeting.objects.create(lead=second, rep=rep, starts_at=ny(23, 10, 15), ends_at=ny(23, 10, 45), uid="two")
    # Back to back, another rep, or cancelled: all fine.
    Meeting.objects.create(lead=second, rep=rep, starts_at=ny(23, 10, 30), ends_at=ny(23, 11), uid="three")
    Meeting.objects.create(lead=second, rep=other_rep, starts_at=ny(23, 10, 15), ends_at=ny(23, 10, 45), uid="four")
    Meeting.objects.create(
        lead=second, rep=rep, starts_at=ny(23, 10, 15), ends_at=ny(23, 10, 45), uid="five", status="cancelled"
    )
    cancelled = Meeting.objects.get(uid="five")
    cancelled.status = "booked"
    with pytest.raises(IntegrityError), transaction.atomic():
        cancelled.save(update_fields=["status"])  # booking a cancelled row again is checked too


def test_writers_that_skip_the_lock_still_cannot_overlap(team, rep):
    leads = [make_lead(rep, team=team) for _ in range(5)]

    def insert(index: int):
        start = ny(23, 10, index * 5)  # 10:00, 10:05, ... all overlapping
        return Meeting.objects.create(
            lead=leads[index], rep=rep, starts_at=start, ends_at=start + (ny(23, 10, 30) - ny(23, 10)), uid=f"u{index}"
        )

    results = race(insert, len(leads))
    assert sum(isinstance(result, Meeting) for result in results) == 1, results
    # Refused: the constraint's violation, or - inserts racing on an exclusion constraint
    # wait for each other's rows - PostgreSQL's deadlock detector cutting one wait short.
    # Never a second meeting. (booking/actions.py serialises a rep's bookings first, so
    # the app meets neither; a view would answer 409 or 503, never 500.)
    refused = [result for result in results if not isinstance(result, Meeting)]
    assert all(
        isinstance(result, IntegrityError) or (isinstance(result, OperationalError) and "deadlock" in str(result))
        for result in refused
    ), results
    assert Meeting.objects.filter(status="booked").count() == 1


def test_one_calendly_booking_delivered_twice_at_once_makes_one_meeting(team, rep, clock):
    """Calendly retries when an answer is slow: the two deliveries race for the lead's lock;
    the second finds the first's meeting (a replay), never an error or a second meeting."""
    from booking.external import record_external_meeting

    lead = make_lead(rep, team=team)

    def deliver(index: int):
        return record_external_meeting(
            provider="calendly", action="booked", external_id="https://api.calendly.com/x/invitees/I1",
            lead_id=lead.pk, starts_at=ny(24, 10), ends_at=ny(24, 10, 30),
        ).outcome  # fmt: skip

    assert sorted(race(deliver, 4)) == ["booked", "replay", "replay", "replay"]
    assert Meeting.objects.count() == 1
