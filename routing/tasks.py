"""RQ entry points of routing: ids in, state re-checked, domain code called."""

from __future__ import annotations

from django.utils import timezone

from routing import assignment, deadlines, offers


def assign_lead(lead_id: int) -> str:
    decision = assignment.assign_lead(lead_id)
    return decision.outcome if decision else "nothing to do"


def reassign_if_untouched(lead_id: int) -> str:
    return assignment.reassign_if_untouched(lead_id)


def expire_offer(lead_id: int) -> str:
    return offers.expire_offer(lead_id)


def run_due_deadlines(second: int | None = None) -> dict[str, int]:
    """The job of one second's routing deadlines (routing/deadlines.py)."""
    return deadlines.run_due(timezone.now())


def route_waiting_leads() -> int:
    """Try again every waiting lead that is due, most urgent first."""
    lead_ids = assignment.waiting_lead_ids(timezone.now())
    for lead_id in lead_ids:
        assignment.assign_lead(lead_id)
    return len(lead_ids)
