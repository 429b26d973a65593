"""Routing's deadlines, run by one job per second of deadline that every lead due in that
second shares: the owner's time to accept (routing/offers.py) and the escalation of a lead
nobody attempted in time (routing.assignment.reassign_if_untouched).

Each routed lead used to arm two RQ jobs of its own at its two deadlines: at 50 leads/s,
100 scheduled jobs a second, each built and stored by RQ - a tenth of the routing job's CPU
(bench/worker_cost.py --profile). Now a deadline arms the job of its second
(`routing-due-<epoch second>`), unless a lead before it did (a Redis SET NX, one round
trip), and that job runs every deadline due when it starts (the scheduler is about 1 s
precise). The sweeper stays the floor: a deadline whose job was lost (Redis restarted
without persistence) is found by its indexed column (routing/sweeper.py)."""

from __future__ import annotations

import logging
import math
import time
from datetime import UTC, datetime, timedelta

import redis
from django.db import transaction
from django.utils import timezone

from leadops.queues import connection_memo, enqueue_now, redis_connection
from leads.models import Lead
from routing import offers
from routing.assignment import reassign_if_untouched
from routing.models import Offer

log = logging.getLogger(__name__)
JOB = "routing.tasks.run_due_deadlines"
ARMED_KEY = "leadops:routing-due:{second}"
MEMO_SIZE = 2048  # seconds remembered as armed
BATCH = 200  # deadlines of each kind one job runs; more: it arms the next second's job


def job_id(second: int) -> str:
    return f"routing-due-{second}"


def arm_on_commit(at: datetime) -> None:
    transaction.on_commit(lambda: arm(at))


def arm(at: datetime) -> bool:
    """Make sure the job of `at`'s second is scheduled; True when this call scheduled it.
    A second this process armed, or found armed, is not asked about again (leads routed in
    the same second share their deadlines' seconds)."""
    second = math.ceil(at.timestamp())
    try:
        known = connection_memo("routing-due")
        if second in known:
            return False
        armed = redis_connection().set(
            ARMED_KEY.format(second=second), 1, nx=True, ex=max(second - int(time.time()), 0) + 3600
        )
    except redis.RedisError as error:
        log.warning("could not arm the routing deadlines of %s: %s (the sweeper will find them)", at, error)
        return False
    if armed and not enqueue_now(JOB, second, job_id=job_id(second), at=datetime.fromtimestamp(second, UTC)):
        return False
    if len(known) >= MEMO_SIZE:
        known.clear()  # forgetting costs a SET NX each for the seconds still to come
    known[second] = True
    return bool(armed)


def run_due(now: datetime | None = None) -> dict[str, int]:
    """Every escalation and time to accept due by `now`, each in its own transaction (a
    failing one is logged and left to the next job or the sweeper); counts of outcomes."""
    now = now or timezone.now()
    counts = {"reassignments": 0, "offers": 0}
    overdue = Lead.objects.filter(reassign_due_at__lte=now, first_attempt_at__isnull=True, owner__isnull=False)
    lead_ids = list(overdue.order_by("reassign_due_at").values_list("pk", flat=True)[:BATCH])
    for lead_id in lead_ids:
        counts["reassignments"] += _run(reassign_if_untouched, lead_id, now)
    expired = Offer.objects.filter(accept_by__lte=now).order_by("accept_by").values_list("lead_id", flat=True)
    offer_ids = list(expired[:BATCH])
    for lead_id in offer_ids:
        counts["offers"] += _run(offers.expire_offer, lead_id, now)
    if len(lead_ids) == BATCH or len(offer_ids) == BATCH:
        arm(now + timedelta(seconds=1))  # more are due: the next second's job goes on
    return counts


def _run(deadline, lead_id: int, now: datetime) -> int:
    try:
        outcome = deadline(lead_id, at=now)
    except Exception:
        log.exception("routing deadline %s of lead %s failed", deadline.__name__, lead_id, extra={"lead_id": lead_id})
        return 0
    return 0 if outcome in ("nothing to do", "not due yet", "settled") else 1
