"""RQ entry points of the cadences app: ids (or a tick second) in, state re-checked in
the database, domain code called. Running one twice changes nothing."""

from __future__ import annotations

from cadences import dispatch


def dispatch_due_steps(tick: int | None = None) -> dict:
    """Run every due step; a tick (`tick` = its due second) also runs those about to fall due."""
    return dispatch.dispatch(tick)


def run_planned_step(planned_step_id: int) -> str:
    """Run one planned step if it is (still) scheduled and due."""
    return dispatch.run_step(planned_step_id)
