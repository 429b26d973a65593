"""The mailbox part of the sweep (pipeline/sweeper.py): a sync for every active mailbox
whose last sync is older than LEADOPS_MAILBOX_SYNC_EVERY, that was asked for ("Sync now"),
that stopped part-way (a large mailbox goes on where it stopped), or whose running sync
went silent (a dead worker: its claim is stale)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from leadops.queues import is_pending
from mailboxes.models import Mailbox, SyncState
from mailboxes.sync import enqueue_sync, job_id, stale_after

BATCH = 200


def due(now) -> Q:
    every = timedelta(seconds=settings.LEADOPS_MAILBOX_SYNC_EVERY)
    idle = ~Q(state=SyncState.SYNCING) & (
        Q(last_synced_at__isnull=True)
        | Q(last_synced_at__lt=now - every)
        | Q(sync_requested_at__isnull=False)
        | Q(state=SyncState.PARTIAL)
    )
    dead = Q(state=SyncState.SYNCING) & (Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - stale_after()))
    return idle | dead


def failed_recently(now) -> Q:
    """A failed mailbox is retried at the normal pace, not at every sweep."""
    every = timedelta(seconds=settings.LEADOPS_MAILBOX_SYNC_EVERY)
    return Q(state=SyncState.FAILED, last_error_at__gte=now - every, sync_requested_at__isnull=True)


def sweep(now=None) -> dict[str, int]:
    now = now or timezone.now()
    mailboxes = Mailbox.objects.filter(due(now), active=True).exclude(failed_recently(now))
    count = 0
    for mailbox_id in mailboxes.order_by("last_synced_at", "pk").values_list("pk", flat=True)[:BATCH]:
        if not is_pending(job_id(mailbox_id)):  # a queued or running sync is not asked for twice
            count += enqueue_sync(mailbox_id)
    return {"mailbox_syncs": count}
