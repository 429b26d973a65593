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
