"""Reps' calendar feeds: fetched by the worker, never during a page view, and cached in the
database (CalendarFeed.busy) for the slot computation.

A page that reads a feed's copy older than LEADOPS_FREEBUSY_TTL seconds asks the worker for
a fresh one (one job per feed at a time) and goes on with the copy it has; the sweeper
(booking/sweeper.py) keeps every active feed within that age, so the copy is short-lived
cache, not the only source. A fetch or parse failure keeps the last good busy times and
records the error for the admin."""

from __future__ import annotations

import logging
import urllib.request
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from booking.freebusy import FeedError, busy_times
from booking.models import BookingSettings, CalendarFeed
from leadops.queues import sweep_enqueue
from leadops.timezones import zone
from routing.models import RepProfile

log = logging.getLogger(__name__)
REFRESH_JOB = "booking.tasks.refresh_calendar_feed"
MAX_FEED_BYTES = 5 * 1024 * 1024
FETCH_TIMEOUT = 10
LOOK_BACK = timedelta(days=1)


class FeedFetchError(Exception):
    """The feed's server could not be reached or sent something unusable."""


def fetch(url: str) -> bytes:
    """The one outbound call of this module (tests replace it at this point only)."""
    if not url.lower().startswith(("https://", "http://")):
        raise FeedFetchError("only http(s) feeds are fetched")
    request = urllib.request.Request(url, headers={"Accept": "text/calendar", "User-Agent": "LeadOps/1.0"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:  # noqa: S310
            body = response.read(MAX_FEED_BYTES + 1)
    except (OSError, ValueError) as error:
        raise FeedFetchError(str(error)) from error
    if len(body) > MAX_FEED_BYTES:
        raise FeedFetchError(f"feed larger than {MAX_FEED_BYTES} bytes")
    return body


def ttl() -> timedelta:
    return timedelta(seconds=settings.LEADOPS_FREEBUSY_TTL)


def is_stale(feed: CalendarFeed, now: datetime) -> bool:
    return feed.checked_at is None or now - feed.checked_at >= ttl()


def refresh_if_stale(feed: CalendarFeed, now: datetime) -> bool:
    """Ask the worker for a fresh copy when this one is old; True when a job was enqueued."""
    if not feed.active or not is_stale(feed, now):
        return False
    return sweep_enqueue(REFRESH_JOB, feed.pk, job_id=f"calendar-feed-{feed.pk}")


def horizon() -> timedelta:
    days = BookingSettings.objects.aggregate(longest=Max("horizon_days"))["longest"] or 14
    return timedelta(days=max(days, 14) + 1)


def refresh(feed_id: int, now: datetime | None = None) -> str:
    """Fetch and parse one feed and store its busy times; idempotent (a copy fresher than
    half the TTL is kept)."""
    now = now or timezone.now()
    feed = CalendarFeed.objects.filter(pk=feed_id, active=True).first()
    if feed is None:
        return "no such active feed"
    if feed.checked_at and now - feed.checked_at < ttl() / 2:
        return "fresh enough"
    time_zone = RepProfile.objects.filter(user_id=feed.rep_id).values_list("time_zone", flat=True).first()
    try:
        tz = zone(time_zone or settings.LEADOPS_DEFAULT_TIMEZONE)
        intervals = busy_times(fetch(feed.url), now - LOOK_BACK, now + horizon(), tz)
    except (FeedFetchError, FeedError, ValueError) as error:
        log.warning("calendar feed %s of user %s failed: %s", feed.pk, feed.rep_id, error)
        CalendarFeed.objects.filter(pk=feed.pk).update(checked_at=now, error=str(error)[:2000])
        return "failed"
    busy = [[start.isoformat(), end.isoformat()] for start, end in intervals]
    CalendarFeed.objects.filter(pk=feed.pk).update(busy=busy, fetched_at=now, checked_at=now, error="")
    return f"{len(busy)} busy times"
