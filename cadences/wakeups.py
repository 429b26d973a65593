"""Waking the dispatcher when planned steps fall due: one delayed RQ job per due *second*
(job id `cadence-tick-<epoch>`), not one per step, and only for the seconds of the next
few minutes (ARM_AHEAD).

However many steps are due in the same second, the scheduled registry holds one job for
it, and that job runs every step due then in batches (cadences/dispatch.py). The rq
scheduler scores jobs in whole seconds and polls about once a second, so a tick may start
up to ~1 s after its second begins; a running tick therefore keeps running steps as they
fall due until another job arrives (cadences/dispatch.py), so steps do not wait for the
scheduler's next poll.

A lead's plan holds a dozen steps over two weeks; writing a tick for each at enrolment
cost a dozen Redis jobs per lead (the largest part of enrolling one). So enrolment arms
only the seconds due within ARM_AHEAD, and the sweep (cadences/sweeper.py, every
LEADOPS_SWEEP_INTERVAL seconds) arms the seconds that come within it - several sweeps
before they fall due. Ticks are the latency shortcut: the sweep over the indexed `due_at`
column is the guarantee, so a tick lost with Redis only delays its steps until the next
sweep."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import redis
from django.conf import settings
from django.db import transaction
from rq.job import Job, JobStatus

from leadops.queues import get_queue

log = logging.getLogger(__name__)
TICK_JOB = "cadence-tick-{}"
NOW_JOB = "cadence-now-{}"  # steps due in the current second
CATCH_UP_JOB = "cadence-catch-up"  # steps already past due
# The RQ jobs of cadences/tasks.py, by the dotted name RQ stores (cadences/tasks.py imports
# the dispatcher, which wakes itself through this module).
DISPATCH_JOB = "cadences.tasks.dispatch_due_steps"
STEP_JOB = "cadences.tasks.run_planned_step"


def arm_ahead() -> timedelta:
    """How far ahead ticks are written: at least four sweeps, and never under 2 minutes, so
    a second is armed by several sweeps before it falls due (one late sweep costs nothing)."""
    return timedelta(seconds=max(120, 4 * settings.LEADOPS_SWEEP_INTERVAL))


def wake_at(moments: Iterable[datetime], *, armed: frozenset[int] = frozenset()) -> int:
    """Schedule the dispatcher for each second within arm_ahead() in which a step falls
    due (later ones are armed by the sweep); returns the number of jobs written. Past
    seconds wake it at once; seconds in `armed` already have their tick."""
    now = int(time.time())
    horizon = now + int(arm_ahead().total_seconds())
    seconds = sorted({int(moment.timestamp()) for moment in moments})
    written = 0
    try:
        queue = get_queue()
        if seconds and seconds[0] < now:
            written += _enqueue_unless_waiting(queue, CATCH_UP_JOB, None)
        if now in seconds:  # this very second: run now, waiting for the steps later in it
            written += _enqueue_unless_waiting(queue, NOW_JOB.format(now), now)
        future = [second for second in seconds if now < second <= horizon and second not in armed]
        if future:
            with queue.connection.pipeline() as pipeline:
                for second in future:
                    queue.enqueue_at(
                        datetime.fromtimestamp(second, UTC), DISPATCH_JOB, second, job_id=TICK_JOB.format(second),
                        failure_ttl=7 * 24 * 3600, result_ttl=600, pipeline=pipeline,
                    )  # fmt: skip
                    written += 1
                pipeline.execute()
    except redis.RedisError as error:
        log.warning("could not schedule cadence ticks: %s (the sweeper will run the steps)", error)
    return written


def _enqueue_unless_waiting(queue, job_id: str, tick: int | None) -> int:
    """Enqueue the dispatcher now, unless the same job still waits in the queue: that one
    reads the due steps when it starts, which is after this commit (wake_on_commit), so it
    runs these too. At 50 new leads a second this is about one job a second instead of one
    per lead for their first, due-at-once call step. While that job runs, a job of its own
    (a fresh id) is queued: the running one may have read the due steps already. Returns
    the jobs written (0 or 1)."""
    status = queue.connection.hget(Job.key_for(job_id), "status")
    if status == JobStatus.QUEUED.encode():
        return 0
    reusable = status is None or status.decode() in (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELED)
    queue.enqueue(DISPATCH_JOB, tick, job_id=job_id if reusable else None, failure_ttl=7 * 24 * 3600, result_ttl=600)
    return 1


def armed_seconds(start: datetime, end: datetime) -> frozenset[int]:
    """The seconds in [start, end] that already have a tick waiting in the scheduler."""
    registry = get_queue().scheduled_job_registry
    ids = registry.connection.zrangebyscore(registry.key, int(start.timestamp()), int(end.timestamp()))
    prefix = TICK_JOB.format("")
    return frozenset(
        int(job_id[len(prefix) :]) for job_id in (raw.decode() for raw in ids) if job_id.startswith(prefix)
    )


def wake_on_commit(moments: Iterable[datetime]) -> None:
    """wake_at once the current transaction commits (enqueue_at writes to Redis at once)."""
    moments = list(moments)
    if moments:
        transaction.on_commit(lambda: wake_at(moments))
