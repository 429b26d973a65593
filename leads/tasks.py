"""RQ entry points of the leads app. Each takes ids, reloads, re-checks state and calls
domain code, so running one twice (a retry, the sweeper) changes nothing. A new
submission's own job (route, then acknowledge) is pipeline/jobs.py; an outbox message's is
leads.messaging.deliver_message."""

from __future__ import annotations

from leads import acknowledgments


def acknowledge_inquiry(inquiry_id: int) -> int:
    return acknowledgments.acknowledge_inquiry(inquiry_id)
