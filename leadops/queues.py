"""One door to Redis for jobs: a queue object per process, enqueued after commit.

Enqueueing never fails a request: if Redis is down the error is logged and the sweeper
(pipeline/sweeper.py) re-enqueues the work once Redis answers again. That is why every job
is idempotent and every piece of pending work is also visible in the database."""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime

import redis
from django.conf import settings
from django.db import transaction
from rq import Queue
from rq.job import Job
from rq.utils import utcparse

log = logging.getLogger(__name__)
_state: dict = {}
_lock = threading.Lock()
# The queues, highest priority first. A new lead's routing waits behind nothing but other
# routing: its owner's target is 200 ms, everything else (acknowledgments at 1 s, cadence
# steps at 2 s, pushes) runs from "default". "integrations" holds the calls to outside
# services, so a slow provider or receiver never waits in front of either.
ROUTING, DEFAULT, INTEGRATIONS = "routing", "default", "integrations"
PIPELINE_QUEUES = (ROUTING, DEFAULT)


def redis_connection() -> redis.Redis:
    """A process-wide Redis client (rebuilt after a fork), failing fast when Redis is down.
    Built under a lock: the worker's threads (heartbeat, sweeper) may ask at the same time."""
    client = _state.get("redis")
    if client is None or _state.get("pid") != os.getpid():
        with _lock:
            if _state.get("redis") is None or _state.get("pid") != os.getpid():
                _state.clear()
                _state["redis"] = redis.Redis.from_url(
                    settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=2, health_check_interval=30
                )
                _state["pid"] = os.getpid()
            client = _state["redis"]
    return client


def connection_memo(name: str) -> dict:
    """A dict for what this process learnt from Redis, kept with the process's client and
    dropped with it (a new client after a fork; the tests' fresh Redis)."""
    redis_connection()
    return _state.setdefault(f"memo:{name}", {})


def get_queue(name: str = DEFAULT) -> Queue:
    client = redis_connection()
    key = f"queue:{name}"
    if key not in _state:
        _state[key] = Queue(name, connection=client)
    return _state[key]


def enqueue_now(
    func: Callable | str, *args, job_id: str | None = None, at: datetime | None = None, queue: str = DEFAULT
) -> bool:
    """Enqueue immediately (or at `at`); False, logged, when Redis cannot take it. `func` is
    the job's function, or its dotted name (RQ stores jobs by that name anyway). `queue`:
    ROUTING, DEFAULT or INTEGRATIONS (above)."""
    try:
        queue = get_queue(queue)
        if at is None:
            # Our own pipeline: RQ's SADD of the queue name and the job go in one round trip.
            pipe = queue.connection.pipeline()
            queue.enqueue(func, *args, job_id=job_id, failure_ttl=7 * 24 * 3600, result_ttl=600, pipeline=pipe)
            pipe.execute()
        else:
            queue.enqueue_at(at, func, *args, job_id=job_id, failure_ttl=7 * 24 * 3600, result_ttl=600)
        return True
    except redis.RedisError as error:
        name = func if isinstance(func, str) else func.__name__
        log.warning("could not enqueue %s%s: %s (the sweeper will retry)", name, args, error)
        return False


PENDING_STATES = {"queued", "scheduled", "started", "deferred"}
# A job whose worker was killed keeps the state it had: "started" while it ran, "queued" when
# the worker had just taken it off the queue. RQ fails such jobs at its next maintenance (every
# 10 minutes, and only between jobs). So a job counts as pending for so long only: queued for
# QUEUED_FOR_AT_MOST seconds (far past any target; the work is idempotent if it was a real
# backlog), started for its timeout (RQ stops a job at its timeout) and a few seconds.
QUEUED_FOR_AT_MOST = 90
STARTED_GRACE = 5


def is_pending(*job_ids: str) -> bool:
    """Whether any of these jobs is still waiting or running (Redis down: False)."""
    try:
        connection = redis_connection()
        pipe = connection.pipeline(transaction=False)
        for job_id in job_ids:
            pipe.hmget(f"rq:job:{job_id}", "status", "enqueued_at", "started_at", "timeout")
        return any(_alive(*fields) for fields in pipe.execute())
    except redis.RedisError:
        return False


def _alive(status: bytes | None, enqueued_at: bytes | None, started_at: bytes | None, timeout: bytes | None) -> bool:
    state = status.decode() if status else ""
    if state not in PENDING_STATES:
        return False
    now = datetime.now(UTC)
    if state == "started" and started_at:
        limit = (int(timeout) if timeout and timeout.isdigit() else 180) + STARTED_GRACE
        return (now - utcparse(started_at.decode()).replace(tzinfo=UTC)).total_seconds() < limit
    if state in ("queued", "deferred") and enqueued_at:
        return (now - utcparse(enqueued_at.decode()).replace(tzinfo=UTC)).total_seconds() < QUEUED_FOR_AT_MOST
    return True


def sweep_enqueue(func: Callable, *args, job_id: str, also_pending: tuple[str, ...] = (), queue: str = DEFAULT) -> bool:
    """The sweeper's enqueue: skipped while the same work is already queued, so a backlog
    is not multiplied by every sweep. True when it enqueued."""
    if is_pending(job_id, *also_pending):
        return False
    return enqueue_now(func, *args, job_id=job_id, queue=queue)


def enqueue_on_commit(
    func: Callable | str, *args, job_id: str | None = None, at: datetime | None = None, queue: str = DEFAULT
) -> None:
    """Enqueue once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: enqueue_now(func, *args, job_id=job_id, at=at, queue=queue))


def waiting_jobs(*names: str) -> int:
    """How many jobs wait in these queues (default: the pipeline's); 0 when Redis is down."""
    try:
        pipe = redis_connection().pipeline(transaction=False)
        for name in names or PIPELINE_QUEUES:
            pipe.llen(get_queue(name).key)
        return sum(pipe.execute())
    except redis.RedisError:
        return 0


def take_waiting(name: str, pattern: re.Pattern, *, limit: int, lookahead: int = 50) -> list[str]:
    """Take up to `limit` waiting jobs whose ids match `pattern` off queue `name` - half of
    those among the first `lookahead`, so that another worker keeps its share - for the
    caller to do their work (pipeline/jobs.py: one job routes several new leads). LREM
    tells which ones this process got when another takes the same; their job records are
    deleted, as their work is now the caller's. Returns the ids taken ([] when Redis is
    unreachable). Every job taken must stand for work the sweeper finds in the database,
    should the caller die before doing it."""
    queue = get_queue(name)
    try:
        waiting = [job_id for job_id in queue.get_job_ids(0, lookahead) if pattern.match(job_id)]
        wanted = waiting[: min(limit, len(waiting) // 2)]
        if not wanted:
            return []
        pipe = queue.connection.pipeline(transaction=False)
        for job_id in wanted:
            pipe.lrem(queue.key, 1, job_id)
        taken = [job_id for job_id, removed in zip(wanted, pipe.execute(), strict=True) if removed]
        if taken:
            queue.connection.delete(*(Job.key_for(job_id) for job_id in taken))
    except redis.RedisError as error:
        log.warning("could not look at the %s queue: %s", name, error)
        return []
    return taken
