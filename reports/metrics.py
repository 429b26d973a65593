"""The metrics of SPEC §4, defined once: `/dashboard/`, `GET /api/v1/metrics/sla` and
`manage.py sla_report` all read them from here.

Every figure is a database aggregate over the filtered leads (a handful of queries, none
per lead): counts, means and percentiles (`reports/aggregates.py`: percentile_cont on
PostgreSQL, an exact ORDER BY/OFFSET fallback on SQLite). The business-time mean is one
SQL pass on PostgreSQL too (`reports/business_time.py`). Times are seconds (floats rounded
to the millisecond), rates are shares from 0 to 1 (rounded to 4 places), and a figure
with no data is null.

Edge rules (also in the README, "Metrics"):
- Junk leads are left out of everything. Duplicates never create leads here: a repeat
  inquiry within 30 days is an `Inquiry` with `is_duplicate` on the existing lead, so
  leads are already one per person and inquiry — counting leads counts no duplicate.
- Filters: `since` <= submitted_at < `until`; team, source (the lead's channel, e.g.
  paid_ads), temperature, rep (the lead's owner).
- Time to first response: first attempt (a rep's call, email or SMS — an `Attempt`;
  automatic acknowledgments and cadence messages are not attempts) minus submission,
  over the leads that have one. Never-attempted leads have no response time.
- Within SLA: met = first attempt at or before `first_contact_due_at`; due = leads whose
  due time has passed (strictly before now) or that were attempted. A lead not attempted
  and not yet due counts in neither.
- Contact rate by attempt n: leads whose first connected attempt (outcome connected, or
  replied) is number n, over leads that had an attempt n.
- Conversion by response bucket: [0, 5 min), [5, 15 min), [15, 60 min), [60 min, ∞) of
  time to first response; "converted" = current stage qualified or converted. Leads never
  attempted are reported apart, under "never_attempted".
- Time to qualification: decided_at (qualified or disqualified; converted when it came
  without an earlier decision) minus first attempt.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Avg, Count, F, Max, Min, Q, QuerySet
from django.utils import timezone

from leads.choices import AttemptOutcome, Stage, Temperature
from reports import business_time
from reports.aggregates import PercentileCont, Seconds, analytic_queries, is_postgresql, percentile
from reports.filters import MetricFilters
from reports.metrics_attempts import AttemptFigures, attempt_figures

MINUTE = timedelta(minutes=1)
# SPEC §4 response buckets: label, lower bound (inclusive), upper bound (exclusive).
BUCKETS = (
    ("0-5m", timedelta(0), 5 * MINUTE),
    ("5-15m", 5 * MINUTE, 15 * MINUTE),
    ("15-60m", 15 * MINUTE, 60 * MINUTE),
    ("60m+", 60 * MINUTE, None),
)
NEVER_ATTEMPTED = "never_attempted"
# SPEC §1 reference curve, relative qualification likelihood (10-30 min = 1x). Each of our
# buckets shows the research band nearest to it.
RESEARCH_CURVE = (
    ("< 5 min", 21.0),
    ("5-10 min", 2.1),
    ("10-30 min", 1.0),
    ("1-2 h", 0.7),
    ("24 h +", 0.35),
)
RESEARCH_BY_BUCKET = {"0-5m": 21.0, "5-15m": 2.1, "15-60m": 1.0, "60m+": 0.7}
RESEARCH_SOURCE = "MIT / InsideSales lead response study; Harvard Business Review, The Short Life of Online Sales Leads"
# An attempt that reached the lead (as leads.lifecycle.REACHED sets first_connected_at).
REACHED = (AttemptOutcome.CONNECTED, AttemptOutcome.REPLIED)
WON_STAGES = (Stage.QUALIFIED, Stage.CONVERTED)
OPEN_STAGES = (Stage.NEW, Stage.ASSIGNED)
TARGET_WITHIN_SLA = 0.95
TARGET_HOT_RESPONSE = 5 * MINUTE
ATTEMPT_WINDOW = timedelta(hours=48)  # rep variance: attempts per lead in the first 48 h
BREACH_LOOKBACK = timedelta(days=7)  # the live counter: leads due in the last 7 days
DUE_SOON = timedelta(minutes=15)

# --- the definitions -------------------------------------------------------------------------

ATTEMPTED = Q(first_attempt_at__isnull=False)
NEVER = Q(first_attempt_at__isnull=True)
RESPONSE = Seconds("first_attempt_at", "submitted_at")
ASSIGNMENT = Seconds("assigned_at", "submitted_at")
ACKNOWLEDGMENT = Seconds("acknowledged_at", "submitted_at")
QUALIFICATION = Seconds("decided_at", "first_attempt_at")
ASSIGNED = Q(assigned_at__isnull=False)
ACKNOWLEDGED = Q(acknowledged_at__isnull=False)
DECIDED = Q(decided_at__isnull=False, first_attempt_at__isnull=False)
MET = Q(first_contact_due_at__isnull=False, first_attempt_at__lte=F("first_contact_due_at"))
WON = Q(stage__in=WON_STAGES)
HOT = Q(temperature=Temperature.HOT)


def counted_for_sla(now: datetime) -> Q:
    """The within-SLA denominator: attempted, or due strictly before `now`."""
    return Q(first_contact_due_at__isnull=False) & (ATTEMPTED | Q(first_contact_due_at__lt=now))


def in_bucket(low: timedelta, high: timedelta | None) -> Q:
    condition = ATTEMPTED
    if low:
        condition &= Q(first_attempt_at__gte=F("submitted_at") + low)
    if high is not None:
        condition &= Q(first_attempt_at__lt=F("submitted_at") + high)
    return condition


def seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# --- computing --------------------------------------------------------------------------------


def _percentiles(leads: QuerySet, counts: dict, wanted: dict) -> dict:
    """SQLite fallback for the percentiles PostgreSQL computed in the aggregate query."""
    return {
        name: percentile(leads.filter(condition), expression, fraction, count=counts[count_name])
        for name, (expression, fraction, condition, count_name) in wanted.items()
    }


def summary(leads: QuerySet, now: datetime, *, hot: bool = False) -> dict:
    """Every scalar figure over `leads`, in one aggregate query on PostgreSQL (plus two
    small queries per percentile on SQLite). `hot` adds the hot leads' response figures."""
    due = counted_for_sla(now)
    aggregates = {
        "leads": Count("pk"),
        "attempted": Count("pk", filter=ATTEMPTED),
        "response_mean": Avg(RESPONSE, filter=ATTEMPTED),
        "due": Count("pk", filter=due),
        "met": Count("pk", filter=MET),
        "assigned": Count("pk", filter=ASSIGNED),
        "assignment_mean": Avg(ASSIGNMENT, filter=ASSIGNED),
        "acknowledged": Count("pk", filter=ACKNOWLEDGED),
        "acknowledgment_mean": Avg(ACKNOWLEDGMENT, filter=ACKNOWLEDGED),
        "decided": Count("pk", filter=DECIDED),
        "qualification_mean": Avg(QUALIFICATION, filter=DECIDED),
        "never": Count("pk", filter=NEVER),
        "never_won": Count("pk", filter=NEVER & WON),
        "won": Count("pk", filter=WON),
        "first_id": Min("pk"),  # the id range of the leads: where their attempts lie
        "last_id": Max("pk"),
    }
    for index, (_label, low, high) in enumerate(BUCKETS):
        aggregates[f"bucket{index}"] = Count("pk", filter=in_bucket(low, high))
        aggregates[f"bucket{index}_won"] = Count("pk", filter=in_bucket(low, high) & WON)
    wanted = {
        "response_median": (RESPONSE, 0.5, ATTEMPTED, "attempted"),
        "response_p90": (RESPONSE, 0.9, ATTEMPTED, "attempted"),
        "assignment_p95": (ASSIGNMENT, 0.95, ASSIGNED, "assigned"),
        "acknowledgment_p95": (ACKNOWLEDGMENT, 0.95, ACKNOWLEDGED, "acknowledged"),
        "qualification_median": (QUALIFICATION, 0.5, DECIDED, "decided"),
    }
    if hot:
        aggregates |= {
            "hot_leads": Count("pk", filter=HOT),
            "hot_attempted": Count("pk", filter=HOT & ATTEMPTED),
            "hot_due": Count("pk", filter=HOT & due),
            "hot_met": Count("pk", filter=HOT & MET),
            "hot_mean": Avg(RESPONSE, filter=HOT & ATTEMPTED),
        }
        wanted["hot_median"] = (RESPONSE, 0.5, HOT & ATTEMPTED, "hot_attempted")
    postgresql = is_postgresql(leads)
    if postgresql:
        for name, (expression, fraction, condition, _count) in wanted.items():
            aggregates[name] = PercentileCont(expression, fraction, filter=condition)
    figures = leads.order_by().aggregate(**aggregates)
    if not postgresql:
        figures |= _percentiles(leads, figures, wanted)
    figures["business_mean"] = business_time.business_mean(leads.filter(ATTEMPTED)) if figures["attempted"] else None
    return figures


def attempts_of(leads: QuerySet, *, detail: bool = False, figures: dict | None = None) -> AttemptFigures:
    """The attempt figures; `figures` (from summary()) saves looking up the leads' id range."""
    id_range = (figures["first_id"], figures["last_id"]) if figures else None
    return attempt_figures(leads, reached=REACHED, window=ATTEMPT_WINDOW, detail=detail, id_range=id_range)


def contact_rate_rows(leads: QuerySet, figures: AttemptFigures | None = None) -> list[dict]:
    """Per attempt number n: leads that had an attempt n, those first connected on it."""
    figures = figures or attempts_of(leads)
    return [
        {"attempt": number, "leads": had, "connected": figures.first_reached.get(number, 0)}
        | {"rate": rate(figures.first_reached.get(number, 0), had)}
        for number, had in sorted(figures.had.items())
    ]


def rep_rows(
    leads: QuerySet, now: datetime, *, detail: bool = False, figures: AttemptFigures | None = None
) -> list[dict]:
    """Per owner: leads, median response, within-SLA rate (and with `detail`: mean, the
    counts, qualified-or-converted share and attempts per lead in the first 48 h);
    best first (within-SLA rate, then median)."""
    owned = leads.filter(owner__isnull=False).order_by()
    aggregates = {
        "leads": Count("pk"),
        "attempted": Count("pk", filter=ATTEMPTED),
        "due": Count("pk", filter=counted_for_sla(now)),
        "met": Count("pk", filter=MET),
        "mean": Avg(RESPONSE, filter=ATTEMPTED),
        "won": Count("pk", filter=WON),
        "first_id": Min("pk"),  # the id range of the leads: where their attempts lie
        "last_id": Max("pk"),
    }
    postgresql = is_postgresql(leads)
    if postgresql:
        aggregates["median"] = PercentileCont(RESPONSE, 0.5, filter=ATTEMPTED)
    user_fields = ("owner_id", "owner__username", "owner__first_name", "owner__last_name")
    rows = list(owned.values(*user_fields).annotate(**aggregates))
    if not postgresql:
        for row in rows:
            attempted = owned.filter(ATTEMPTED, owner_id=row["owner_id"])
            row["median"] = percentile(attempted, RESPONSE, 0.5, count=row["attempted"])
    touches = {}
    if detail:
        touches = (figures or attempts_of(leads, detail=True)).early_by_owner
    return rep_entries(rows, detail=detail, touches=touches)


def rep_entries(rows: list[dict], *, detail: bool, touches: dict) -> list[dict]:
    """The rep table from per-owner rows (owner_id, owner__username, owner__first_name,
    owner__last_name, leads, attempted, due, met, mean, won, median), sorted."""
    result = []
    for row in rows:
        full_name = f"{row['owner__first_name']} {row['owner__last_name']}".strip()
        entry = {
            "rep": row["owner__username"],
            "leads": row["leads"],
            "median": seconds(row["median"]),
            "within_sla_rate": rate(row["met"], row["due"]),
        }
        if detail:
            entry |= {
                "id": row["owner_id"],
                "name": full_name or row["owner__username"],
                "mean": seconds(row["mean"]),
                "attempted": row["attempted"],
                "due": row["due"],
                "met": row["met"],
                "won": row["won"],
                "won_rate": rate(row["won"], row["leads"]),
                "attempts_per_lead_48h": round(touches.get(row["owner_id"], 0) / row["leads"], 2),
            }
        result.append(entry)
    result.sort(
        key=lambda entry: (
            entry["within_sla_rate"] is None,
            -(entry["within_sla_rate"] or 0),
            entry["median"] is None,
            entry["median"] or 0,
            entry["rep"],
        )
    )
    return result


def sla_metrics(filters: MetricFilters, now: datetime | None = None) -> dict:
    """The SPEC §6 metrics JSON (API body and `sla_report --format json`)."""
    now = now or timezone.now()
    leads = filters.leads()
    with analytic_queries(leads.db):
        figures = summary(leads, now)
        attempts = attempts_of(leads, figures=figures)
        return metrics_json(figures, contact_rate_rows(leads, attempts), rep_rows(leads, now))


def metrics_json(figures: dict, contact_rows: list[dict], reps: list[dict]) -> dict:
    buckets = {
        label: {
            "leads": figures[f"bucket{index}"],
            "converted": figures[f"bucket{index}_won"],
            "rate": rate(figures[f"bucket{index}_won"], figures[f"bucket{index}"]),
        }
        for index, (label, _low, _high) in enumerate(BUCKETS)
    }
    buckets[NEVER_ATTEMPTED] = {
        "leads": figures["never"],
        "converted": figures["never_won"],
        "rate": rate(figures["never_won"], figures["never"]),
    }
    return {
        "leads": figures["leads"],
        "time_to_first_response": {
            "mean": seconds(figures["response_mean"]),
            "median": seconds(figures["response_median"]),
            "p90": seconds(figures["response_p90"]),
            "business_mean": seconds(figures["business_mean"]),
        },
        "within_sla": {"rate": rate(figures["met"], figures["due"]), "met": figures["met"], "due": figures["due"]},
        "assignment_latency": {"mean": seconds(figures["assignment_mean"]), "p95": seconds(figures["assignment_p95"])},
        "acknowledgment_latency": {
            "mean": seconds(figures["acknowledgment_mean"]),
            "p95": seconds(figures["acknowledgment_p95"]),
        },
        "contact_rate_by_attempt": {str(row["attempt"]): row["rate"] for row in contact_rows},
        "conversion_by_bucket": buckets,
        "time_to_qualification": {
            "mean": seconds(figures["qualification_mean"]),
            "median": seconds(figures["qualification_median"]),
        },
        "reps": [{key: rep[key] for key in ("rep", "leads", "median", "within_sla_rate")} for rep in reps],
    }


def human_duration(value: float | None) -> str:
    """12s, 4m 05s, 3h 20m, 2d 4h; "–" for no value."""
    if value is None:
        return "–"
    sign, value = ("-" if value < 0 else ""), abs(value)
    if value < 60:
        return f"{sign}{value:.0f}s"
    if value < 3600:
        minutes, secs = divmod(round(value), 60)
        return f"{sign}{minutes}m {secs:02d}s"
    if value < 86400:
        hours, rest = divmod(round(value), 3600)
        return f"{sign}{hours}h {rest // 60:02d}m"
    days, rest = divmod(round(value), 86400)
    return f"{sign}{days}d {rest // 3600}h"


def human_rate(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"
