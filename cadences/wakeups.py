"""Waking the dispatcher when planned steps fall due: one delayed RQ job per due *second*
(job id `cadence-tick-<epoch>`), not one per step.

However many steps are due in the same second, the scheduled registry holds one job for
it, and that job runs every step due then in batches (cadences/dispatch.py). The rq
scheduler scores jobs in whole seconds and polls about once a second, so a tick may start
up to ~1 s after its second begins; a running tick therefore keeps running steps as they
fall due until another job arrives (cadences/dispatch.py), so steps do not wait for the
scheduler's next poll. Ticks are the latency shortcut: the sweeper (cadences/sweeper.py)
over the indexed `due_at` column is the guarantee, so a tick lost with Redis only delays
its steps until the next sweep."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime

import redis
from django.db import transaction

from leadops.queues import get_queue

log = logging.getLogger(__name__)
TICK_JOB = "cadence-tick-{}"
# The RQ jobs of cadences/tasks.py, by the dotted name RQ stores (cadences/tasks.py imports
# the dispatcher, which wakes itself through this module).
DISPATCH_JOB = "cadences.tasks.dispatch_due_steps"
STEP_JOB = "cadences.tasks.run_planned_step"


def wake_at(moments: Iterable[datetime]) -> int:
    """Schedule the dispatcher for each second in which a step falls due; returns the
    number of jobs written. Past seconds wake it at once."""
    now = int(time.time())
    seconds = sorted({int(moment.timestamp()) for moment in moments})
    written = 0
    try:
        queue = get_queue()
        if seconds and seconds[0] < now:
            queue.enqueue(DISPATCH_JOB, None, failure_ttl=7 * 24 * 3600, result_ttl=600)
            written += 1
        if now in seconds:  # this very second: run now, waiting for the steps later in it
            queue.enqueue(DISPATCH_JOB, now, failure_ttl=7 * 24 * 3600, result_ttl=600)
            written += 1
        with queue.connection.pipeline() as pipeline:
            for second in (second for second in seconds if second > now):
                queue.enqueue_at(
                    datetime.fromtimestamp(second, UTC), DISPATCH_JOB, second, job_id=TICK_JOB.format(second),
                    failure_ttl=7 * 24 * 3600, result_ttl=600, pipeline=pipeline,
                )  # fmt: skip
                written += 1
            pipeline.execute()
    except redis.RedisError as error:
        log.warning("could not schedule cadence ticks: %s (the sweeper will run the steps)", error)
    return written


def wake_on_commit(moments: Iterable[datetime]) -> None:
    """wake_at once the current transaction commits (enqueue_at writes to Redis at once)."""
    moments = list(moments)
    if moments:
        transaction.on_commit(lambda: wake_at(moments))
