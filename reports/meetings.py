"""Meeting metrics (the booking app's meetings), over the same filtered leads as every other
figure: the `meetings` key of GET /api/v1/metrics/sla and `sla_report --format json`, and
the dashboard's "Meetings" card.

Definitions (times in seconds, rates 0-1, null without data):
- booked: meetings booked and not cancelled; cancelled: meetings cancelled; leads_booked:
  leads with a meeting that is not cancelled; booking_rate: leads_booked / leads.
- by_source and by_response_bucket: the same rate per lead channel, and per SPEC §4
  response bucket of time to first response (leads never attempted apart, as
  "never_attempted" - a lead that books at once is often never called).
- time_to_booking: the lead's first booking minus its submission (mean, median), over the
  leads that ever booked (a later cancellation does not undo when they booked).
- attendance as the reps mark it: held, no_show, no_show_rate = no_show / (held + no_show)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Avg, Count, Exists, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from booking.models import Attendance, Meeting, MeetingStatus
from leads.choices import Source
from reports import rollup_read
from reports.aggregates import Seconds, analytic_queries, percentile
from reports.filters import MetricFilters
from reports.meetings_json import meetings_json
from reports.metrics import (
    BUCKETS,
    NEVER,
    NEVER_ATTEMPTED,
    contact_rate_rows,
    human_duration,
    human_rate,
    in_bucket,
    metrics_json,
    rep_entries,
    sla_metrics,
)


def _annotated(leads: QuerySet) -> QuerySet:
    active = Meeting.objects.filter(lead=OuterRef("pk")).exclude(status=MeetingStatus.CANCELLED)
    first = Meeting.objects.filter(lead=OuterRef("pk")).order_by().values("lead").annotate(first=Min("booked_at"))
    return leads.order_by().annotate(has_meeting=Exists(active), first_booked_at=Subquery(first.values("first")[:1]))


def meeting_metrics(leads: QuerySet) -> dict:
    annotated = _annotated(leads)
    booked_lead = Q(has_meeting=True)
    ever_booked = Q(first_booked_at__isnull=False)
    aggregates = {
        "leads": Count("pk"),
        "leads_booked": Count("pk", filter=booked_lead),
        "ever_booked": Count("pk", filter=ever_booked),
        "time_mean": Avg(Seconds("first_booked_at", "submitted_at"), filter=ever_booked),
        "never": Count("pk", filter=NEVER),
        "never_booked": Count("pk", filter=NEVER & booked_lead),
    }
    for index, (_label, low, high) in enumerate(BUCKETS):
        aggregates[f"bucket{index}"] = Count("pk", filter=in_bucket(low, high))
        aggregates[f"bucket{index}_booked"] = Count("pk", filter=in_bucket(low, high) & booked_lead)
    figures = annotated.aggregate(**aggregates)
    median = percentile(
        annotated.filter(ever_booked), Seconds("first_booked_at", "submitted_at"), 0.5, count=figures["ever_booked"]
    )
    meetings = Meeting.objects.filter(lead__in=leads.order_by().values("pk")).aggregate(
        booked=Count("pk", filter=~Q(status=MeetingStatus.CANCELLED)),
        cancelled=Count("pk", filter=Q(status=MeetingStatus.CANCELLED)),
        held=Count("pk", filter=Q(attendance=Attendance.HELD, status=MeetingStatus.BOOKED)),
        no_show=Count("pk", filter=Q(attendance=Attendance.NO_SHOW, status=MeetingStatus.BOOKED)),
    )
    by_source = {
        row["source"]: (row["leads"], row["booked"])
        for row in annotated.values("source").annotate(leads=Count("pk"), booked=Count("pk", filter=booked_lead))
    }
    return meetings_json(
        leads=figures["leads"],
        leads_booked=figures["leads_booked"],
        by_bucket=[(figures[f"bucket{index}"], figures[f"bucket{index}_booked"]) for index in range(len(BUCKETS))],
        never=(figures["never"], figures["never_booked"]),
        by_source=by_source,
        booked=meetings["booked"],
        cancelled=meetings["cancelled"],
        held=meetings["held"],
        no_show=meetings["no_show"],
        time_mean=figures["time_mean"],
        time_median=median,
    )


def metrics_body(filters: MetricFilters, now: datetime | None = None, *, rollup: bool = True) -> dict:
    """GET /api/v1/metrics/sla's body, and `sla_report --format json`'s: the SPEC §6 metrics
    with the meetings as a key of their own (the SPEC keys are unchanged); from the SLA
    rollup where it can answer (reports/rollup_read.py), else (or rollup=False) from scratch."""
    now = now or timezone.now()
    with analytic_queries(filters.leads().db):
        rolled = rollup_read.read(filters, now) if rollup else None
        if rolled is not None:
            reps = rep_entries(rolled.rep_rows, detail=False, touches={})
            body = metrics_json(rolled.figures, contact_rate_rows(filters.leads(), rolled.attempts), reps)
            return body | {"meetings": rolled.meetings}
    body = sla_metrics(filters, now)
    body["meetings"] = meeting_metrics(filters.leads())
    return body


def dashboard_card(data: dict) -> dict:
    """The dashboard's "Meetings" card: headline figures and the two rate tables, as text."""

    def rows(table: dict, labels: dict) -> list[dict]:
        return [
            {"label": labels.get(key, key), **row, "rate_text": human_rate(row["rate"])} for key, row in table.items()
        ]

    return {
        "booked": data["booked"],
        "cancelled": data["cancelled"],
        "booking_rate": human_rate(data["booking_rate"]),
        "leads_booked": data["leads_booked"],
        "time_to_booking": human_duration(data["time_to_booking"]["median"]),
        "time_to_booking_mean": human_duration(data["time_to_booking"]["mean"]),
        "no_show_rate": human_rate(data["no_show_rate"]),
        "held": data["held"],
        "no_show": data["no_show"],
        "by_source": rows(data["by_source"], dict(Source.choices)),
        "by_bucket": rows(data["by_response_bucket"], {NEVER_ATTEMPTED: "never attempted"}),
    }
