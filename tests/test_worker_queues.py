"""leadops/worker.py: the worker takes the queue whose oldest job is nearest its target wait
(routing 0.2 s, default 1 s): new leads first, but work that has waited past the
difference goes before them, so no queue starves. On the real Redis, with the worker class
the Procfile runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq.job import Job
from rq.utils import utcformat

from leadops import queues
from leadops.worker import TARGETS, LeadOpsWorker

pytestmark = pytest.mark.django_db  # the worker checks the database connection around each job


def run_in_order(real_redis, *, default_waited: timedelta, leads: int = 3) -> list[str]:
    routing, default = queues.get_queue(queues.ROUTING), queues.get_queue(queues.DEFAULT)
    default.enqueue("time.sleep", 0, job_id="other-work")
    enqueued = datetime.now(UTC) - default_waited
    real_redis.hset(Job.key_for("other-work"), "enqueued_at", utcformat(enqueued))
    for n in range(leads):
        routing.enqueue("time.sleep", 0, job_id=f"lead-{n}")
    LeadOpsWorker([routing, default], connection=routing.connection).work(burst=True, with_scheduler=False)
    ids = ["other-work", *(f"lead-{n}" for n in range(leads))]
    started = {job_id: Job.fetch(job_id, connection=real_redis).started_at for job_id in ids}
    return sorted(ids, key=started.__getitem__)


def test_new_leads_go_before_work_that_has_not_waited_long(real_redis):
    assert run_in_order(real_redis, default_waited=timedelta(0)) == ["lead-0", "lead-1", "lead-2", "other-work"]


def test_work_that_waited_too_long_takes_its_turn_between_leads(real_redis):
    lag = timedelta(seconds=TARGETS[queues.DEFAULT] - TARGETS[queues.ROUTING])
    order = run_in_order(real_redis, default_waited=lag * 3)
    assert order == ["lead-0", "other-work", "lead-1", "lead-2"]


def test_work_just_short_of_its_target_waits_for_the_leads(real_redis):
    """The default job is 0.3 s short of its target; the leads' 0.2 s is nearer."""
    short = timedelta(seconds=TARGETS[queues.DEFAULT] - 0.3)
    order = run_in_order(real_redis, default_waited=short)
    assert order == ["lead-0", "lead-1", "lead-2", "other-work"]


def worker_record() -> dict:
    """A job that reads its worker's record as `rq info` and the dashboards do."""
    from rq import get_current_job
    from rq.worker import Worker

    job = get_current_job()
    stored = job.connection.hgetall(Worker.redis_worker_namespace_prefix + job.worker_name)
    return {key.decode(): value.decode() for key, value in stored.items()}


def test_the_bookkeeping_rq_shows_stays_true_with_fewer_round_trips(real_redis):
    """Heartbeats, state and suspension: the worker's key still carries its heartbeat and
    state after a burst of jobs, and `rq suspend` stops it at the next check - while a job
    costs fewer Redis commands than under RQ's SimpleWorker."""
    from redis.connection import AbstractConnection
    from rq.suspension import suspend
    from rq.worker import SimpleWorker

    default = queues.get_queue(queues.DEFAULT)
    sent = [0]
    send = AbstractConnection.send_packed_command

    def counted(self, command, check_health=True):
        sent[0] += 1
        return send(self, command, check_health)

    costs = {}
    for worker_class in (SimpleWorker, LeadOpsWorker):
        for n in range(20):
            default.enqueue("time.sleep", 0, job_id=f"{worker_class.__name__}-{n}")
        worker = worker_class([default], connection=default.connection)
        sent[0] = 0
        AbstractConnection.send_packed_command = counted
        try:
            worker.work(burst=True, with_scheduler=False)
        finally:
            AbstractConnection.send_packed_command = send
        costs[worker_class] = sent[0] / 20
        assert default.finished_job_registry.count >= 20
    assert costs[LeadOpsWorker] < costs[SimpleWorker] - 3, costs
    seen = default.enqueue("tests.test_worker_queues.worker_record", job_id="what-rq-shows")
    LeadOpsWorker([default], connection=default.connection).work(burst=True, with_scheduler=False)
    record = Job.fetch(seen.id, connection=real_redis).return_value()
    assert record["state"] == "busy" and record["last_heartbeat"], record
    suspend(default.connection)
    default.enqueue("time.sleep", 0, job_id="while-suspended")
    LeadOpsWorker([default], connection=default.connection).work(burst=True, with_scheduler=False)
    assert default.count == 1  # a suspended burst worker takes nothing


def test_a_job_left_by_a_killed_worker_stops_counting_as_pending(real_redis):
    """The sweeper re-enqueues work whose job is no longer pending (leadops.queues.is_pending).
    A worker killed mid-job leaves its job "started", or "queued" if it had just taken it off
    the queue: such a job counts as pending for its timeout and a few seconds, or
    QUEUED_FOR_AT_MOST seconds, not until RQ's own maintenance gets round to it."""
    now = datetime.now(UTC)

    def job(job_id: str, status: str, **times: timedelta) -> str:
        fields = {"status": status, "timeout": "60"}
        fields.update({name: utcformat(now - ago) for name, ago in times.items()})
        real_redis.hset(Job.key_for(job_id), mapping=fields)
        return job_id

    assert queues.is_pending(job("running", "started", started_at=timedelta(seconds=20)))
    assert not queues.is_pending(job("killed", "started", started_at=timedelta(seconds=60 + queues.STARTED_GRACE + 1)))
    assert queues.is_pending(job("waiting", "queued", enqueued_at=timedelta(seconds=5)))
    assert not queues.is_pending(job("popped", "queued", enqueued_at=timedelta(seconds=queues.QUEUED_FOR_AT_MOST + 1)))
    assert queues.is_pending(job("later", "scheduled", enqueued_at=timedelta(hours=1)))
    assert not queues.is_pending(job("done", "finished", started_at=timedelta(seconds=1)))
    assert not queues.is_pending("never-was")
    assert queues.is_pending("killed", "running")  # any of them
