"""Fetching the leads that Meta and HubSpot only announce by id (RemoteFetch rows).

A job claims a due row with a conditional UPDATE (the claim is a lease: a worker that dies
mid-fetch leaves the row due again LEASE later), calls the provider's API outside any
transaction, then stores the lead through the intake door and marks the row done in one
transaction. A failure is retried with exponential backoff (30 s doubling, at most an hour
apart) for about three days, then the row is marked failed and can be retried from the
admin. The sweeper re-enqueues due rows whose job was lost."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import DatabaseError, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from integrations.choices import FetchState, HookOutcome
from integrations.inbound import schedule_fetch, take_lead
from integrations.models import HookDelivery, RemoteFetch
from integrations.providers import adapter_for
from integrations.providers.base import FetchError
from integrations.secret_store import SecretUnreadable

log = logging.getLogger(__name__)
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=1)
MAX_ATTEMPTS = 80  # ~3 days at the cap
LEASE = timedelta(minutes=2)


def retry_delay(attempts: int) -> timedelta:
    return min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_CAP)


def _claim(fetch_id: int, now: datetime) -> RemoteFetch | None:
    claimed = RemoteFetch.objects.filter(
        pk=fetch_id, state=FetchState.PENDING, next_attempt_at__lte=now + timedelta(seconds=1)
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    if not claimed:
        return None
    return RemoteFetch.objects.select_related("connection__lead_source").get(pk=fetch_id)


def _retry_later(fetch: RemoteFetch, error: str, now: datetime) -> str:
    if fetch.attempts >= MAX_ATTEMPTS:
        RemoteFetch.objects.filter(pk=fetch.pk).update(state=FetchState.FAILED, last_error=error[:2000])
        log.error("fetching %s lead %s gave up after %s attempts: %s", fetch.connection.provider,
                  fetch.provider_id, fetch.attempts, error)  # fmt: skip
        return "failed"
    fetch.next_attempt_at = now + retry_delay(fetch.attempts)
    RemoteFetch.objects.filter(pk=fetch.pk).update(next_attempt_at=fetch.next_attempt_at, last_error=error[:2000])
    log.warning("fetching %s lead %s failed (attempt %s), retrying at %s: %s", fetch.connection.provider,
                fetch.provider_id, fetch.attempts, fetch.next_attempt_at.isoformat(), error)  # fmt: skip
    schedule_fetch(fetch)
    return "retry"


def _store(fetch: RemoteFetch, incoming, now: datetime) -> str:
    with transaction.atomic():
        taken = take_lead(fetch.connection, incoming)
        if taken.errors:
            RemoteFetch.objects.filter(pk=fetch.pk).update(
                state=FetchState.FAILED, last_error=taken.detail()[:2000], done_at=now
            )
        else:
            RemoteFetch.objects.filter(pk=fetch.pk).update(
                state=FetchState.DONE, lead_id=taken.lead_id, done_at=now, last_error=taken.detail()[:2000]
            )
        if fetch.delivery_id:
            # The notification's log row tells what it became once its lead is fetched.
            # What the request's log already says (e.g. which signature reading held) is kept.
            detail = Concat(Value(taken.detail() + "\n"), F("detail")) if taken.detail() else F("detail")
            HookDelivery.objects.filter(pk=fetch.delivery_id, outcome=HookOutcome.QUEUED).update(
                outcome=taken.outcome, lead_id=taken.lead_id, detail=detail
            )
    return taken.outcome


def fetch_remote_lead(fetch_id: int, now: datetime | None = None) -> str:
    """Fetch one announced lead and store it; what happened, for logs and tests."""
    now = now or timezone.now()
    fetch = _claim(fetch_id, now)
    if fetch is None:
        return "not due"
    adapter = adapter_for(fetch.connection.provider)
    try:
        incoming = adapter.fetch(fetch.connection, fetch.provider_id, fetch.context)
    except (FetchError, SecretUnreadable) as error:
        return _retry_later(fetch, str(error), now)
    try:
        return _store(fetch, incoming, now)
    except DatabaseError as error:
        return _retry_later(fetch, f"could not store the lead: {error}", now)


def fetch_again(fetch_ids, now: datetime | None = None) -> int:
    """The admin's "fetch again now": failed or waiting rows become due at once."""
    now = now or timezone.now()
    count = 0
    for fetch in RemoteFetch.objects.filter(pk__in=list(fetch_ids)).exclude(state=FetchState.DONE):
        RemoteFetch.objects.filter(pk=fetch.pk).update(state=FetchState.PENDING, next_attempt_at=now, attempts=0)
        fetch.next_attempt_at, fetch.attempts = now, 0
        schedule_fetch(fetch)
        count += 1
    return count
