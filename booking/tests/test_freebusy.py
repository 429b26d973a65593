"""Busy times from iCalendar feeds (booking/freebusy.py), and the worker's fetch with its
short cache (booking/feeds.py). The HTTP fetch is replaced at its one point, feeds.fetch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User

from booking import feeds
from booking.freebusy import FeedError, busy_times
from booking.models import CalendarFeed
from booking.sweeper import sweep
from routing.models import RepProfile

NY = ZoneInfo("America/New_York")
START, END = datetime(2026, 11, 22, tzinfo=UTC), datetime(2026, 12, 7, tzinfo=UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def calendar(*components: str) -> bytes:
    body = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tests//EN", *components, "END:VCALENDAR"])
    return (body + "\r\n").encode()


def event(uid: str, *lines: str) -> str:
    return "\r\n".join(["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20261101T000000Z", *lines, "END:VEVENT"])


def test_it_reads_timed_events_in_their_own_zones():
    feed = calendar(
        event("a", "DTSTART:20261123T150000Z", "DTEND:20261123T160000Z"),
        event("b", "DTSTART;TZID=Europe/Paris:20261124T100000", "DTEND;TZID=Europe/Paris:20261124T113000"),
        event("c", "DTSTART:20261125T090000", "DURATION:PT45M"),  # floating: the rep's zone
    )
    assert busy_times(feed, START, END, NY) == [
        (utc(2026, 11, 23, 15), utc(2026, 11, 23, 16)),
        (utc(2026, 11, 24, 9), utc(2026, 11, 24, 10, 30)),
        (utc(2026, 11, 25, 14), utc(2026, 11, 25, 14, 45)),
    ]


def test_it_expands_recurring_events_with_their_exceptions():
    feed = calendar(
        event(
            "weekly",
            "DTSTART;TZID=America/New_York:20261102T100000",
            "DTEND;TZID=America/New_York:20261102T110000",
            "RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=20",
            "EXDATE;TZID=America/New_York:20261125T100000",
        ),
        event(
            "weekly",
            "RECURRENCE-ID;TZID=America/New_York:20261130T100000",
            "DTSTART;TZID=America/New_York:20261130T140000",
            "DTEND;TZID=America/New_York:20261130T150000",
        ),
    )
    busy = busy_times(feed, START, END, NY)
    local = [(f"{s.astimezone(NY):%a %d %H:%M}", f"{e.astimezone(NY):%H:%M}") for s, e in busy]
    assert local == [
        ("Mon 23 10:00", "11:00"),  # Wednesday 25 is excepted
        ("Mon 30 14:00", "15:00"),  # moved that week
        ("Wed 02 10:00", "11:00"),
    ]


def test_free_and_cancelled_events_do_not_block_and_all_day_events_block_the_reps_day():
    feed = calendar(
        event("free", "DTSTART:20261123T150000Z", "DTEND:20261123T160000Z", "TRANSP:TRANSPARENT"),
        event("cancelled", "DTSTART:20261123T170000Z", "DTEND:20261123T180000Z", "STATUS:CANCELLED"),
        event("offsite", "DTSTART;VALUE=DATE:20261126", "DTEND;VALUE=DATE:20261127"),
        event("instant", "DTSTART:20261127T150000Z"),
    )
    assert busy_times(feed, START, END, NY) == [(utc(2026, 11, 26, 5), utc(2026, 11, 27, 5))]


def test_it_reads_free_busy_periods():
    freebusy = "\r\n".join([
        "BEGIN:VFREEBUSY", "UID:fb", "DTSTAMP:20261101T000000Z",
        "DTSTART:20261120T000000Z", "DTEND:20261210T000000Z",
        "FREEBUSY;FBTYPE=BUSY:20261123T140000Z/20261123T150000Z,20261123T160000Z/PT30M",
        "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20261124T140000Z/PT1H",
        "FREEBUSY;FBTYPE=FREE:20261125T140000Z/PT1H",
        "FREEBUSY:20261201T140000Z/PT2H",
        "END:VFREEBUSY",
    ])  # fmt: skip
    assert busy_times(calendar(freebusy), START, END, NY) == [
        (utc(2026, 11, 23, 14), utc(2026, 11, 23, 15)),
        (utc(2026, 11, 23, 16), utc(2026, 11, 23, 16, 30)),
        (utc(2026, 11, 24, 14), utc(2026, 11, 24, 15)),
        (utc(2026, 12, 1, 14), utc(2026, 12, 1, 16)),
    ]


def test_it_merges_overlaps_and_keeps_to_the_window():
    feed = calendar(
        event("a", "DTSTART:20261123T150000Z", "DTEND:20261123T170000Z"),
        event("b", "DTSTART:20261123T160000Z", "DTEND:20261123T180000Z"),
        event("old", "DTSTART:20261001T150000Z", "DTEND:20261001T160000Z"),
        event("far", "DTSTART:20270101T150000Z", "DTEND:20270101T160000Z"),
    )
    assert busy_times(feed, START, END, NY) == [(utc(2026, 11, 23, 15), utc(2026, 11, 23, 18))]


@pytest.mark.parametrize("feed", [b"", b"not a calendar", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n", "\x00\xff".encode()])
def test_a_feed_that_is_not_icalendar_is_an_error(feed):
    with pytest.raises(FeedError):
        busy_times(feed, START, END, NY)


# --- fetching, caching, the sweeper ----------------------------------------------------------------


@pytest.fixture
def feed(db):
    user = User.objects.create_user("rita", "rita@example.com")
    RepProfile.objects.create(user=user, time_zone="America/New_York")
    return CalendarFeed.objects.create(rep=user, url="https://calendar.example.com/rita.ics")


def test_the_worker_stores_the_busy_times_and_keeps_them_on_a_failure(feed, monkeypatch):
    now = utc(2026, 11, 22, 12)
    monkeypatch.setattr(
        feeds, "fetch", lambda url: calendar(event("a", "DTSTART:20261123T150000Z", "DTEND:20261123T160000Z"))
    )
    assert feeds.refresh(feed.pk, now) == "1 busy times"
    feed.refresh_from_db()
    assert feed.busy == [["2026-11-23T15:00:00+00:00", "2026-11-23T16:00:00+00:00"]]
    assert feed.fetched_at == now and feed.error == ""
    assert feeds.refresh(feed.pk, now + timedelta(seconds=60)) == "fresh enough"

    def broken(url):
        raise feeds.FeedFetchError("HTTP Error 500")

    monkeypatch.setattr(feeds, "fetch", broken)
    later = now + timedelta(minutes=10)
    assert feeds.refresh(feed.pk, later) == "failed"
    feed.refresh_from_db()
    assert feed.busy == [["2026-11-23T15:00:00+00:00", "2026-11-23T16:00:00+00:00"]]  # the last good copy
    assert feed.checked_at == later and feed.fetched_at == now and "500" in feed.error


def test_a_stale_feed_gets_one_refresh_job(feed, real_redis, settings):
    from leadops import queues

    now = utc(2026, 11, 22, 12)
    assert feeds.refresh_if_stale(feed, now) is True
    assert feeds.refresh_if_stale(feed, now) is False  # already queued
    assert queues.get_queue().job_ids == [f"calendar-feed-{feed.pk}"]
    CalendarFeed.objects.filter(pk=feed.pk).update(checked_at=now)
    feed.refresh_from_db()
    assert feeds.refresh_if_stale(feed, now + timedelta(seconds=settings.LEADOPS_FREEBUSY_TTL - 1)) is False


def test_the_sweeper_refreshes_old_copies(feed, real_redis, run_jobs, monkeypatch):
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y%m%dT150000Z")
    monkeypatch.setattr(feeds, "fetch", lambda url: calendar(event("a", f"DTSTART:{tomorrow}", "DURATION:PT1H")))
    assert sweep()["calendar_feeds"] == 1
    assert sweep()["calendar_feeds"] == 0  # its job is still waiting
    assert run_jobs() == 1
    feed.refresh_from_db()
    assert feed.fetched_at is not None and len(feed.busy) == 1
    assert sweep()["calendar_feeds"] == 0  # fresh now


def test_only_http_feeds_are_fetched():
    with pytest.raises(feeds.FeedFetchError):
        feeds.fetch("file:///etc/passwd")
