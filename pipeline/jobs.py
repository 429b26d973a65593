"""RQ entry points of the pipeline. Each takes ids, reloads, re-checks state and calls
domain code, so running one twice (a retry, the sweeper) changes nothing."""

from __future__ import annotations

import logging

import redis

from leadops.queues import ROUTING, enqueue_now, get_queue
from leads import acknowledgments
from leads.models import Inquiry
from routing.assignment import assign_lead
from routing.config import one_configuration

log = logging.getLogger(__name__)
ACKNOWLEDGE_JOB = "leads.tasks.acknowledge_inquiry"
WAITING_LOOKAHEAD = 50


def handle_new_inquiry(inquiry_id: int, lead_id: int | None = None) -> None:
    """Everything a fresh submission needs, in one job (one enqueue on the intake's hot
    path): route the lead if it has no owner (the tighter target), then acknowledge it.
    Each step is idempotent and also covered by the sweeper, so a failure of one is
    logged and left to the sweeper rather than blocking the other. The intake passes the
    inquiry's lead (never changed once stored); a job without it looks it up."""
    if lead_id is None:
        lead_id = next(iter(Inquiry.objects.filter(pk=inquiry_id).values_list("lead_id", flat=True)[:1]), None)
        if lead_id is None:
            return
    with one_configuration():
        try:
            assign_lead(lead_id)
        except Exception:
            log.exception("routing lead %s failed; the sweeper will retry", lead_id, extra={"lead_id": lead_id})
        if _new_leads_waiting() and enqueue_now(ACKNOWLEDGE_JOB, inquiry_id, job_id=f"ack-{inquiry_id}"):
            return
        acknowledgments.acknowledge_inquiry(inquiry_id)


def _new_leads_waiting() -> bool:
    """Whether other leads wait to be routed (a burst). Then the acknowledgment becomes a
    job of its own on the default queue, taken once those leads have their owners: the
    owner's target is 200 ms, the acknowledgment's 1 s (SPEC §7). Under a steady overload it
    does not wait for the routing queue to run dry: past leadops.worker.MAX_WAIT the default
    queue takes turns with it. Otherwise the acknowledgment is sent here, without the cost
    of a second job. The first WAITING_LOOKAHEAD waiting jobs are looked at."""
    try:
        waiting = get_queue(ROUTING).get_job_ids(0, WAITING_LOOKAHEAD)
    except redis.RedisError:
        return False
    return any(job_id.startswith("inquiry-") for job_id in waiting)
