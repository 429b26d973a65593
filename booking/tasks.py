"""RQ entry points of the booking app: they take ids, reload and re-check, so running one
twice (a retry, the sweeper) changes nothing."""

from __future__ import annotations

from booking import feeds


def refresh_calendar_feed(feed_id: int) -> str:
    return feeds.refresh(feed_id)
