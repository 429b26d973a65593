"""The RQ worker class: runs jobs in the worker process itself (no fork per job), and takes
its queues by their jobs' deadlines.

A forking worker pays ~13 ms and a fresh database connection per job; running in-process
costs ~4 ms and keeps one connection, checked before every job like a web request.
Jobs are idempotent and the sweeper re-enqueues anything a killed worker left, so the
isolation a fork gives is not what guarantees correctness here.

Which queue goes next: each queue has a target wait (TARGETS: a new lead's routing 0.2 s,
the default queue's acknowledgments and cadence steps 0.6 s, from SPEC §7's 200 ms and 1 s),
and the queue whose oldest job is nearest its target - or furthest past it - goes first
(earliest deadline first). Fresh leads therefore go before an acknowledgment that has
waited less than 0.4 s, and under a steady overload every queue falls behind its target by about as much,
instead of one queue starving while another keeps its target. Strict priority let the
acknowledgments of a 50 leads/s stream wait 6 s behind the routing. The heads' ages are
read in one Redis round trip after each dequeue.

RQ's own bookkeeping around a job cost about as many Redis round trips as the job's work:
a heartbeat (HSET and EXPIRE, two round trips) three times per job, the worker's state
written twice per job though it did not change, and the suspension flag read before every
job. This worker sends a heartbeat outside a job's pipeline at most every HEARTBEAT_EVERY
seconds (RQ lets a worker's key live 480 s), writes its state only when it changes, and
reads the suspension flag at most once a second (`rq suspend` takes effect within a
second). The pipelined heartbeats around each job (job, execution) are RQ's, unchanged."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import redis
from django.db import close_old_connections
from rq.job import Job
from rq.utils import utcparse
from rq.worker import SimpleWorker

from leadops.queues import DEFAULT, INTEGRATIONS, ROUTING

log = logging.getLogger(__name__)
# Seconds a queue's jobs should wait at most. An acknowledgment's job is queued once its
# lead is routed, and must reach the mail backend within 1 s of the submission: 0.6 s
# leaves the routing (its 0.2 s) and the sending their time.
TARGETS = {ROUTING: 0.2, DEFAULT: 0.6, INTEGRATIONS: 5.0}
OTHER_TARGET = 1.0  # any other queue
HEARTBEAT_EVERY = 5.0  # seconds between the worker's own heartbeats (its key lives 480 s)
SUSPENSION_CHECK_EVERY = 1.0  # seconds
# For each queue key: its oldest job's enqueued_at, "" when the queue is empty.
_HEADS = """
local heads = {}
for i, key in ipairs(KEYS) do
    local head = redis.call('LINDEX', key, 0)
    heads[i] = head and (redis.call('HGET', ARGV[1] .. head, 'enqueued_at') or '') or ''
end
return heads
"""


class LeadOpsWorker(SimpleWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._heads = self.connection.register_script(_HEADS)
        self._beat_at = self._suspension_checked_at = float("-inf")
        self._state_written = None

    def heartbeat(self, timeout=None, pipeline=None):
        """RQ's heartbeat, at most every HEARTBEAT_EVERY seconds when it costs round trips
        of its own; inside a pipeline (with the job's) always, and any other timeout too."""
        if pipeline is None and timeout is None and time.monotonic() - self._beat_at < HEARTBEAT_EVERY:
            return
        super().heartbeat(timeout, pipeline)
        if pipeline is None:
            self._beat_at = time.monotonic()

    def set_state(self, state, pipeline=None):
        """RQ's, skipped when the state written last is this one."""
        if pipeline is None and state == self._state_written:
            self._state = state
            return
        super().set_state(state, pipeline)
        self._state_written = state

    def check_for_suspension(self, burst):
        if time.monotonic() - self._suspension_checked_at < SUSPENSION_CHECK_EVERY:
            return
        super().check_for_suspension(burst)
        self._suspension_checked_at = time.monotonic()

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
        try:
            heads = self._heads(keys=[queue.key for queue in configured], args=[Job.redis_job_namespace_prefix])
        except redis.RedisError as error:  # the dequeue itself will report Redis
            log.debug("queue ages unavailable: %s", error)
            self._ordered_queues = configured
            return
        now = datetime.now(UTC)
        deadlines = {}
        for queue, head in zip(configured, heads, strict=True):
            if head:
                waited = (now - utcparse(head.decode()).replace(tzinfo=UTC)).total_seconds()
                deadlines[queue.name] = TARGETS.get(queue.name, OTHER_TARGET) - waited
        # queues with work by deadline, then the empty ones in their configured order
        self._ordered_queues = sorted(
            configured, key=lambda queue: (queue.name not in deadlines, deadlines.get(queue.name, 0.0))
        )
