"""The cadence engine's reads on every new lead's path and every dispatcher batch: compiled
once per process (leadops/compiled.py) or, on PostgreSQL, one statement where the ORM takes
two. What they read is cadences/models.py; who calls them is cadences/dispatch.py and
cadences/progress.py."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from cadences.models import Enrollment, OptOut, PlannedStep, StepStatus
from leadops import prepared
from leadops.compiled import CompiledQuery


def due_steps(now: datetime):
    """Steps waiting for the dispatcher (the partial index `planned_step_due`)."""
    return PlannedStep.objects.filter(status=StepStatus.SCHEDULED, notified_at__isnull=True, due_at__lte=now)


def due_rows(now: datetime, only: list[int] | None = None, *, limit: int):
    """Up to `limit` due steps (of `only`, when given), locked with their leads, with what
    running them reads."""
    rows = due_steps(now)
    if only is not None:
        rows = rows.filter(pk__in=only)
    related = ("step", "enrollment__cadence", "enrollment__lead__owner", "enrollment__lead__lead_source")
    return (
        rows.select_related(*related)
        .select_for_update(skip_locked=True, no_key=True, of=("self", "enrollment__lead"))
        .order_by("due_at", "pk")[:limit]
    )


_LOCKING_READS: dict[int, CompiledQuery] = {}  # per limit: compiled once (leadops/compiled.py)


def lock_due_steps(now: datetime, only: list[int] | None, limit: int) -> list[PlannedStep]:
    read = _LOCKING_READS.get(limit)
    if read is None:
        read = _LOCKING_READS[limit] = CompiledQuery(functools.partial(due_rows, limit=limit))
    return read.all(now) if only is None else read.all(now, only)


OPT_OUTS = CompiledQuery(lambda lead_ids: OptOut.objects.filter(lead_id__in=lead_ids).values_list("lead_id", "channel"))


def opt_outs(steps: list[PlannedStep]) -> dict[int, set[str]]:
    opted_out: dict[int, set[str]] = {}
    lead_ids = sorted({planned.enrollment.lead_id for planned in steps})
    for lead_id, channel in OPT_OUTS.rows(lead_ids):
        opted_out.setdefault(lead_id, set()).add(channel)
    return opted_out


def next_due_within(horizon: float) -> datetime | None:
    """The next step to fall due within `horizon` seconds, if any."""
    now = timezone.now()
    upcoming = NEXT_DUE.rows(now, now + timedelta(seconds=horizon))
    return upcoming[0][0] if upcoming else None


NEXT_DUE = CompiledQuery(
    lambda after, until: (
        PlannedStep.objects.filter(
            status=StepStatus.SCHEDULED, notified_at__isnull=True, due_at__gt=after, due_at__lte=until
        )
        .order_by("due_at")
        .values_list("due_at")[:1]
    )
)


def enrollment_and_opt_outs(lead_id: int) -> tuple[int | None, set[str]]:
    """The lead's latest enrollment (its id, None when it has none) and the channels it
    opted out of: one statement on PostgreSQL (enrolment is on every new lead's path)."""
    if connection.vendor != "postgresql":
        latest = Enrollment.objects.filter(lead_id=lead_id).order_by("-started_at", "-pk").values_list("pk", flat=True)
        return latest.first(), set(OptOut.objects.filter(lead_id=lead_id).values_list("channel", flat=True))
    with connection.cursor() as cursor:
        enrollments, opt_outs = Enrollment._meta.db_table, OptOut._meta.db_table
        prepared.execute(
            cursor,
            f"SELECT (SELECT id FROM {enrollments} WHERE lead_id = %s ORDER BY started_at DESC, id DESC LIMIT 1),"  # noqa: S608 - table names, not input
            f" ARRAY(SELECT channel FROM {opt_outs} WHERE lead_id = %s)",  # noqa: S608
            [lead_id, lead_id],
        )
        existing_id, channels = cursor.fetchone()
    return existing_id, set(channels)
