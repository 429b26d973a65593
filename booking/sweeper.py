"""The booking part of the sweep (pipeline/sweeper.py): calendar feeds whose copy is older
than LEADOPS_FREEBUSY_TTL are fetched again, so slots never rest on an old copy for long.
(Invitations are outbox messages: the leads sweeper delivers any left pending.)"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from booking.feeds import REFRESH_JOB, ttl
from booking.models import CalendarFeed
from leadops.queues import sweep_enqueue

BATCH = 200


def sweep(now=None) -> dict[str, int]:
    now = now or timezone.now()
    stale = CalendarFeed.objects.filter(Q(checked_at__isnull=True) | Q(checked_at__lt=now - ttl()), active=True)
    count = 0
    for feed_id in stale.order_by("checked_at").values_list("pk", flat=True)[:BATCH]:
        count += sweep_enqueue(REFRESH_JOB, feed_id, job_id=f"calendar-feed-{feed_id}")
    return {"calendar_feeds": count}
