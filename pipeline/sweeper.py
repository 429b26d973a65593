"""The guarantee behind the jobs: a periodic sweep over indexed "pending" columns that
re-enqueues whatever a lost job left undone (Redis down at intake, Redis restarted
without persistence, a worker killed). Jobs are the latency shortcut; this is the floor.

The worker process (`manage.py leadops_worker`) runs `sweep()` every
LEADOPS_SWEEP_INTERVAL seconds; a Redis lock keeps several workers from sweeping at once
(and a double sweep would only enqueue idempotent jobs twice). Each app sweeps its own
pending work: acknowledgments and messages (leads), routing, escalation and offers not
accepted in time (routing), due steps (cadences), pushes to the reps' devices (webpush),
announced leads to fetch and webhooks to send (integrations), calendar feeds (booking),
mailboxes to sync over IMAP (mailboxes).

Apps above the pipeline add their own periodic work with `register()` from their
AppConfig.ready() (goals: closing goal periods and awarding rewards, survey links; reports:
recomputing the SLA rollup's changed days); it
runs at the end of each sweep, under the same lock. One that fails is logged and retried by
the next sweep: it never stops the others, nor the SLA watch that follows."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.utils import timezone

from booking.sweeper import sweep as sweep_booking
from cadences.sweeper import arm_upcoming as arm_cadence_ticks
from cadences.sweeper import sweep as sweep_cadences
from integrations.sweeper import sweep as sweep_integrations
from leads.sweeper import sweep as sweep_leads
from mailboxes.sweeper import sweep as sweep_mailboxes
from notifications.alerts import sla_watch
from routing.sweeper import sweep as sweep_routing
from webpush.delivery import sweep as sweep_pushes

log = logging.getLogger(__name__)
_registered: list[Callable] = []


def register(task: Callable) -> None:
    """Run `task(now) -> dict[str, int]` at the end of every sweep (once per process)."""
    if task not in _registered:
        _registered.append(task)


def sweep(now=None) -> dict[str, int]:
    """Re-enqueue overdue work; returns counts per kind (for logs and tests)."""
    now = now or timezone.now()
    counts = sweep_leads(now)
    counts.update(sweep_routing(now))
    counts.update(sweep_cadences(now))
    counts.update(sweep_pushes(now))
    counts.update(sweep_integrations(now))
    counts.update(sweep_booking(now))
    counts.update(sweep_mailboxes(now))
    for task in _registered:
        try:
            counts.update(task(now))
        except Exception:
            log.exception("periodic work %s failed; the next sweep tries again", getattr(task, "__qualname__", task))
    if any(counts.values()):
        log.info("sweep re-enqueued %s", counts)
    # Not recovery but the regular arming of the cadence ticks of the next minutes.
    arm_cadence_ticks(now)
    return counts


def watch(now=None) -> dict[str, int]:
    """The SLA watch, run after each sweep by the worker: "sla.warning" at 80% of a lead's
    first-contact time, "sla.breached" when it is gone (notifications/alerts.py), each once;
    recording them tells the rep's pages and devices. Apart from sweep(): it raises alarms
    rather than recovering lost work."""
    counts = sla_watch(now or timezone.now())
    if any(counts.values()):
        log.info("SLA watch: %s", counts)
    return counts
