"""The `worker` process: an RQ worker with its scheduler, plus the periodic sweeper and
the heartbeat /healthz reads (pipeline/health.py)."""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import redis
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from rq import Queue

from leadops.queues import get_queue, redis_connection
from leadops.worker import LeadOpsWorker
from pipeline import health
from pipeline.sweeper import sweep, watch

log = logging.getLogger("leadops.worker")
SWEEP_LOCK = "leadops:sweep-lock"


def sweep_forever(stop: threading.Event, interval: int) -> None:
    while not stop.wait(interval):
        try:
            # One sweep per interval across all worker processes.
            if redis_connection().set(SWEEP_LOCK, "1", nx=True, ex=max(interval - 1, 1)):
                close_old_connections()
                sweep()
                watch()
        except redis.RedisError as error:
            log.warning("sweeper: Redis unavailable (%s); retrying in %ss", error, interval)
        except Exception:  # a sweep must never kill the worker
            log.exception("sweeper failed; retrying in %ss", interval)
        finally:
            close_old_connections()


def wait_for_redis(connection: redis.Redis, pause: float = 1.0) -> None:
    while True:
        try:
            connection.ping()
            return
        except redis.ConnectionError:
            time.sleep(pause)


def beat_forever(stop: threading.Event, name: str) -> None:
    """The worker's heartbeat: every few seconds while the process lives (Redis down: retried)."""
    while True:
        try:
            health.beat(name)
        except redis.RedisError as error:
            log.debug("heartbeat: Redis unavailable (%s)", error)
        if stop.wait(health.HEARTBEAT_EVERY):
            return


class Command(BaseCommand):
    help = "Run an RQ worker with its scheduler and the sweeper that re-enqueues lost work."

    def add_arguments(self, parser):
        parser.add_argument("--burst", action="store_true", help="Exit when the queue is empty.")
        parser.add_argument(
            "--queues",
            default=",".join(settings.LEADOPS_WORKER_QUEUES),
            help="Queues to work, highest priority first (default LEADOPS_WORKER_QUEUES: "
            "routing,default,integrations). Run one worker with --queues routing,default and another with "
            "--queues integrations to keep calls to outside services (webhooks, provider fetches) entirely "
            "apart from routing.",
        )

    def handle(self, *args, **options):
        stop = threading.Event()
        interval = settings.LEADOPS_SWEEP_INTERVAL
        if options["burst"]:
            sweep()  # catch up on anything a lost job left, then drain the queue
            watch()
        else:
            threading.Thread(target=sweep_forever, args=(stop, interval), daemon=True, name="sweeper").start()
            name = health.worker_name()
            threading.Thread(target=beat_forever, args=(stop, name), daemon=True, name="heartbeat").start()
        # The worker blocks on Redis for minutes at a time: its connection has no read timeout.
        connection = redis.Redis.from_url(settings.REDIS_URL)
        names = [name.strip() for name in options["queues"].split(",") if name.strip()] or [get_queue().name]
        queues = [Queue(name, connection=connection) for name in names]
        try:
            while True:
                worker = LeadOpsWorker(queues, connection=connection)
                try:
                    worker.work(with_scheduler=True, burst=options["burst"], logging_level="WARNING")
                    return  # stopped by a signal, or the burst is done
                except redis.ConnectionError as error:
                    # RQ quits when Redis vanishes mid-job (it cannot record the job's end):
                    # the process stays, waits for Redis and starts a fresh worker, whose
                    # sweeper catches up on what the outage left (bench/drills.py, redis).
                    if options["burst"]:
                        raise
                    log.warning("worker: Redis went away (%s); starting again once it answers", error)
                    wait_for_redis(connection)
        finally:
            stop.set()
            if not options["burst"]:
                with contextlib.suppress(redis.RedisError):
                    health.forget(name)
