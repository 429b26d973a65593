"""The cadences' part of the sweep (pipeline/sweeper.py, every LEADOPS_SWEEP_INTERVAL
seconds in the worker): steps past their due time that no tick ran - Redis lost the
job, the worker was down - wake the dispatcher, which applies the downtime rule
(cadences/dispatch.py); and the seconds that come within the arming horizon get their
tick (cadences/wakeups.py: enrolment arms only the next few minutes)."""

from __future__ import annotations

from datetime import timedelta

import redis
from django.db.models.functions import TruncSecond

from cadences.dispatch import BATCH
from cadences.models import PlannedStep, StepStatus
from cadences.reads import due_steps
from cadences.wakeups import DISPATCH_JOB, arm_ahead, armed_seconds, wake_at
from leadops.queues import enqueue_now

GRACE = timedelta(seconds=10)


def arm_upcoming(now) -> int:
    """Write the ticks of the seconds due within the arming horizon that have none yet;
    returns how many were written."""
    end = now + arm_ahead()
    seconds = (
        PlannedStep.objects.filter(
            status=StepStatus.SCHEDULED, notified_at__isnull=True, due_at__gt=now, due_at__lte=end
        )
        .annotate(second=TruncSecond("due_at"))
        .values_list("second", flat=True)
        .distinct()
    )
    moments = list(seconds)
    if not moments:
        return 0
    try:
        armed = armed_seconds(now, end)
    except redis.RedisError:
        return 0  # Redis is away: the overdue path above catches the steps when it is back
    return wake_at(moments, armed=armed)


def sweep(now) -> dict[str, int]:
    overdue = len(due_steps(now - GRACE).values_list("pk", flat=True)[:BATCH])
    if overdue:
        enqueue_now(DISPATCH_JOB, None)
    return {"cadence_steps": overdue}
