"""leadops/worker.py: the worker takes its queues in order (routing first), but a later
queue whose oldest job has waited past MAX_WAIT takes turns with the first: priority,
never starvation. On the real Redis, with the worker class the Procfile runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq.job import Job
from rq.utils import utcformat

from leadops import queues
from leadops.worker import MAX_WAIT, LeadOpsWorker

pytestmark = pytest.mark.django_db  # the worker checks the database connection around each job


def run_in_order(real_redis, *, default_waited: timedelta) -> list[str]:
    routing, default = queues.get_queue(queues.ROUTING), queues.get_queue(queues.DEFAULT)
    default.enqueue("time.sleep", 0, job_id="other-work")
    enqueued = datetime.now(UTC) - default_waited
    real_redis.hset(Job.key_for("other-work"), "enqueued_at", utcformat(enqueued))
    for n in range(3):
        routing.enqueue("time.sleep", 0, job_id=f"lead-{n}")
    LeadOpsWorker([routing, default], connection=routing.connection).work(burst=True, with_scheduler=False)
    ids = ["other-work", "lead-0", "lead-1", "lead-2"]
    started = {job_id: Job.fetch(job_id, connection=real_redis).started_at for job_id in ids}
    return sorted(ids, key=started.__getitem__)


def test_new_leads_go_before_work_that_has_not_waited_long(real_redis):
    assert run_in_order(real_redis, default_waited=timedelta(0)) == ["lead-0", "lead-1", "lead-2", "other-work"]


def test_work_that_waited_too_long_takes_its_turn_between_leads(real_redis):
    order = run_in_order(real_redis, default_waited=MAX_WAIT * 4)
    assert order == ["lead-0", "other-work", "lead-1", "lead-2"]
