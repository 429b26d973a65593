"""The cadences' part of the sweep (pipeline/sweeper.py, every LEADOPS_SWEEP_INTERVAL
seconds in the worker): steps past their due time that no tick ran - Redis lost the
job, the worker was down - wake the dispatcher, which applies the downtime rule
(cadences/dispatch.py)."""

from __future__ import annotations

from datetime import timedelta

from cadences.dispatch import BATCH, due_steps
from cadences.wakeups import DISPATCH_JOB
from leadops.queues import enqueue_now

GRACE = timedelta(seconds=10)


def sweep(now) -> dict[str, int]:
    overdue = len(due_steps(now - GRACE).values_list("pk", flat=True)[:BATCH])
    if overdue:
        enqueue_now(DISPATCH_JOB, None)
    return {"cadence_steps": overdue}
