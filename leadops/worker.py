"""The RQ worker class: runs jobs in the worker process itself (no fork per job), and takes
its queues in order without starving the later ones.

A forking worker pays ~13 ms and a fresh database connection per job; running in-process
costs ~4 ms and keeps one connection, checked before every job like a web request.
Jobs are idempotent and the sweeper re-enqueues anything a killed worker left, so the
isolation a fork gives is not what guarantees correctness here.

Queues are worked highest priority first (leadops/queues.py: routing, default,
integrations). Strict priority would let a steady stream of new leads hold back every
acknowledgment, cadence step and rep alert for as long as it lasts, so a later queue whose
oldest job has waited more than MAX_WAIT takes turns with the first: one job each, until
it has caught up."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import redis
from django.db import close_old_connections
from rq.job import Job
from rq.utils import utcparse
from rq.worker import SimpleWorker

log = logging.getLogger(__name__)
MAX_WAIT = timedelta(seconds=0.5)
CHECK_EVERY = 0.1  # seconds between looks at the later queues while none is behind


class LeadOpsWorker(SimpleWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._looked_at = 0.0

    def execute_job(self, job, queue):
        close_old_connections()
        try:
            return super().execute_job(job, queue)
        finally:
            close_old_connections()

    def reorder_queues(self, reference_queue):
        """Called by RQ after each dequeue: the order of the queues for the next one."""
        configured = list(self.queues)
        if len(configured) < 2:
            return
        if self._ordered_queues[0] is not configured[0]:
            self._ordered_queues = configured  # a later queue just had its turn: now the first's
            return
        now = time.monotonic()
        if now - self._looked_at < CHECK_EVERY:
            return
        self._looked_at = now
        try:
            behind = [queue for queue in configured[1:] if self._waited(queue) > MAX_WAIT]
        except redis.RedisError as error:  # the dequeue itself will report Redis
            log.debug("queue ages unavailable: %s", error)
            behind = []
        if behind:
            self._looked_at = 0.0  # look again after the first queue's turn
        self._ordered_queues = [*behind[:1], *(queue for queue in configured if queue not in behind[:1])]

    def _waited(self, queue) -> timedelta:
        """How long the oldest job of `queue` has waited (zero when it is empty)."""
        head = self.connection.lindex(queue.key, 0)
        if head is None:
            return timedelta(0)
        enqueued = self.connection.hget(Job.key_for(head.decode()), "enqueued_at")
        if not enqueued:
            return timedelta(0)
        return datetime.now(UTC) - utcparse(enqueued.decode()).replace(tzinfo=UTC)
