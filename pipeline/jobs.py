"""RQ entry points of the pipeline. Each takes ids, reloads, re-checks state and calls
domain code, so running one twice (a retry, the sweeper) changes nothing."""

from __future__ import annotations

import logging

from leads import acknowledgments
from leads.models import Inquiry
from routing.assignment import assign_lead
from routing.config import one_configuration

log = logging.getLogger(__name__)


def handle_new_inquiry(inquiry_id: int) -> None:
    """Everything a fresh submission needs, in one job (one enqueue on the intake's hot
    path): route the lead if it has no owner (the tighter target), then acknowledge it.
    Each step is idempotent and also covered by the sweeper, so a failure of one is
    logged and left to the sweeper rather than blocking the other."""
    lead_id = Inquiry.objects.filter(pk=inquiry_id).values_list("lead_id", flat=True).first()
    if lead_id is None:
        return
    with one_configuration():
        try:
            assign_lead(lead_id)
        except Exception:
            log.exception("routing lead %s failed; the sweeper will retry", lead_id, extra={"lead_id": lead_id})
        acknowledgments.acknowledge_inquiry(inquiry_id)
