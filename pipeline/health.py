"""What /healthz reports (leadops/views.py): the database, Redis, the workers' heartbeat,
the queue depth and how long the oldest lead has been waiting for an owner.

Worker heartbeat: each `manage.py leadops_worker` process writes its name and the time
into one Redis sorted set every HEARTBEAT_EVERY seconds (a thread beside the RQ worker and
the sweeper). An entry older than HEARTBEAT_TTL counts as a dead worker and is dropped on
the next read; the whole key also expires after HEARTBEAT_TTL, so when every worker is gone
(or Redis restarted without persistence) there is simply no heartbeat. RQ's own worker
records are not used for this: a worker killed with SIGKILL stays listed there for about
seven minutes (RQ's worker TTL).

Status codes: 200 when the database and Redis answer; 503, naming the failing part(s),
when either does not. A missing worker heartbeat is reported ("status": "degraded",
"failing": ["workers"]) but still answers 200: the load balancer's question is whether
this web process can take traffic, and it can - intake stores the lead and the sweeper of
the next worker that starts does the rest - while taking every web process out of
rotation because the workers died would turn a delay into lost leads."""

from __future__ import annotations

import os
import socket
import time

import redis
from django.db import DatabaseError, connection
from django.db.models import Min, Q
from django.utils import timezone

from leadops.queues import redis_connection, waiting_jobs
from leads.choices import Stage
from leads.models import Lead
from routing.decision import MORNING_QUEUE

HEARTBEAT_KEY = "leadops:worker-heartbeats"
HEARTBEAT_EVERY = 5  # seconds between a worker's beats
HEARTBEAT_TTL = 30  # seconds after which a silent worker counts as gone


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(name: str, connection: redis.Redis | None = None, now: float | None = None) -> None:
    """Record that the worker `name` is alive (raises redis.RedisError when Redis is down)."""
    connection = connection or redis_connection()
    pipe = connection.pipeline(transaction=False)
    pipe.zadd(HEARTBEAT_KEY, {name: now if now is not None else time.time()})
    pipe.expire(HEARTBEAT_KEY, HEARTBEAT_TTL)
    pipe.execute()


def forget(name: str, connection: redis.Redis | None = None) -> None:
    """A worker stopping cleanly takes its entry out at once."""
    (connection or redis_connection()).zrem(HEARTBEAT_KEY, name)


def live_workers(connection: redis.Redis | None = None, now: float | None = None) -> list[str]:
    """Workers that beat within HEARTBEAT_TTL (stale entries are dropped)."""
    connection = connection or redis_connection()
    now = now if now is not None else time.time()
    pipe = connection.pipeline(transaction=False)
    pipe.zremrangebyscore(HEARTBEAT_KEY, "-inf", now - HEARTBEAT_TTL)
    pipe.zrange(HEARTBEAT_KEY, 0, -1)
    _, names = pipe.execute()
    return [name.decode() for name in names]


def oldest_unassigned_seconds(now=None) -> float | None:
    """Age of the oldest lead waiting for routing: no owner, not junk, still new, routing
    pending (route_after set, the indexed column the sweeper reads), and not parked in a
    team's morning queue on purpose (routing_trace outcome "morning_queue": nobody is on
    duty and nobody on call, so it waits for the next opening)."""
    now = now or timezone.now()
    waiting = Lead.objects.filter(owner__isnull=True, junk=False, stage=Stage.NEW, route_after__isnull=False).filter(
        Q(routing_trace__outcome__isnull=True) | ~Q(routing_trace__outcome=MORNING_QUEUE)
    )
    oldest = waiting.aggregate(oldest=Min("received_at"))["oldest"]
    return round((now - oldest).total_seconds(), 1) if oldest else None


def _error(error: Exception) -> str:
    return f"error: {error.__class__.__name__}"


def check() -> tuple[dict, int]:
    """The health report and its HTTP status."""
    started = time.monotonic()
    report: dict = {
        "status": "ok",
        "failing": [],
        "database": "ok",
        "redis": "ok",
        "workers": None,
        "queue_depth": None,
        "oldest_unassigned_seconds": None,
    }
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        report["oldest_unassigned_seconds"] = oldest_unassigned_seconds()
    except DatabaseError as error:
        report["database"] = _error(error)
        report["failing"].append("database")
    try:
        client = redis_connection()
        client.ping()
        report["workers"] = len(live_workers(client))
        report["queue_depth"] = waiting_jobs()
    except redis.RedisError as error:
        report["redis"] = _error(error)
        report["failing"].append("redis")
    if report["workers"] == 0:
        report["failing"].append("workers")
    unavailable = {"database", "redis"} & set(report["failing"])
    report["status"] = "unavailable" if unavailable else ("degraded" if report["failing"] else "ok")
    report["seconds"] = round(time.monotonic() - started, 4)
    return report, 503 if unavailable else 200
