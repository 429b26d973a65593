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

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, F, Max, Min, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from leadops.parsing import row_id
from leadops.timezones import zone
from leads.choices import AttemptOutcome, Source, Stage, Temperature
from leads.models import Lead
from reports import business_time
from reports.aggregates import PercentileCont, Seconds, analytic_queries, is_postgresql, percentile
from reports.metrics_attempts import QUARTER_HOUR, AttemptFigures, attempt_figures, lead_quarter_hours
from reports.periods import check_day, check_moment
from routing.models import Team

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


# --- filters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricFilters:
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    team_id: int | None = None
    source: str = ""
    temperature: str = ""
    rep_id: int | None = None
    query: dict = field(default_factory=dict, compare=False)  # as given, for links and exports

    def leads(self) -> QuerySet:
        """The leads the metrics count: not junk, within the filters."""
        leads = Lead.objects.countable()
        if self.since:
            leads = leads.filter(submitted_at__gte=self.since)
        if self.until:
            leads = leads.filter(submitted_at__lt=self.until)
        return self.without_dates(leads)

    def without_dates(self, leads: QuerySet) -> QuerySet:
        if self.team_id:
            leads = leads.filter(team_id=self.team_id)
        if self.source:
            leads = leads.filter(source=self.source)
        if self.temperature:
            leads = leads.filter(temperature=self.temperature)
        if self.rep_id:
            leads = leads.filter(owner_id=self.rep_id)
        return leads

    def reporting_zone(self) -> ZoneInfo:
        """Days and hours are read here: the team's time zone, else the organisation's."""
        if self.team_id:
            team = Team.objects.select_related("schedule").filter(pk=self.team_id).first()
            if team:
                return zone(team.schedule.time_zone)
        return zone(settings.LEADOPS_DEFAULT_TIMEZONE)


def organisation_zone() -> ZoneInfo:
    return zone(settings.LEADOPS_DEFAULT_TIMEZONE)


def _moment(text: str, *, end_of_day: bool) -> datetime:
    """A date (whole day in the organisation's time zone) or an ISO 8601 datetime with offset."""
    text = text.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        check_day(day)
        if end_of_day:
            day += timedelta(days=1)
        return datetime.combine(day, time(0), tzinfo=organisation_zone())
    try:
        moment = datetime.fromisoformat(text.replace(" ", "+") if text.count(" ") == 1 and "T" in text else text)
    except ValueError:
        raise forms.ValidationError("Use a date (2026-11-01) or an ISO 8601 datetime with offset.") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise forms.ValidationError("Include a UTC offset (e.g. +01:00 or Z).")
    return check_moment(moment)


class MetricFilterForm(forms.Form):
    """The filters of the metrics, as query parameters: the API, the dashboard and
    sla_report all parse them here. `until` as a date includes that whole day."""

    since = forms.CharField(required=False, max_length=40)
    until = forms.CharField(required=False, max_length=40)
    team = forms.CharField(required=False, max_length=100, help_text="Team id or name.")
    source = forms.CharField(required=False, max_length=20)
    temperature = forms.CharField(required=False, max_length=10)
    rep = forms.CharField(required=False, max_length=150, help_text="Rep user id or username.")

    def clean_since(self):
        value = self.cleaned_data["since"]
        return _moment(value, end_of_day=False) if value else None

    def clean_until(self):
        value = self.cleaned_data["until"]
        return _moment(value, end_of_day=True) if value else None

    def clean_team(self):
        value = self.cleaned_data["team"].strip()
        if not value:
            return None
        team = Team.objects.filter(pk=team_id).first() if (team_id := row_id(value)) else None
        team = team or Team.objects.filter(name__iexact=value).first()
        if team is None:
            raise forms.ValidationError(f"No team with id or name {value!r}.")
        return team

    def clean_source(self):
        value = self.cleaned_data["source"].strip()
        if value and value not in Source.values:
            raise forms.ValidationError(f"Use one of: {', '.join(Source.values)}.")
        return value

    def clean_temperature(self):
        value = self.cleaned_data["temperature"].strip()
        if value and value not in Temperature.values:
            raise forms.ValidationError(f"Use one of: {', '.join(Temperature.values)}.")
        return value

    def clean_rep(self):
        value = self.cleaned_data["rep"].strip()
        if not value:
            return None
        users = get_user_model().objects
        user = users.filter(pk=user_id).first() if (user_id := row_id(value)) else None
        user = user or users.filter(username=value).first()
        if user is None:
            raise forms.ValidationError(f"No user with id or username {value!r}.")
        return user

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since >= until:
            self.add_error("until", "Must be after since.")
        return data

    def filters(self) -> MetricFilters:
        data = self.cleaned_data
        query = {name: str(self.data[name]).strip() for name in self.fields if self.data.get(name)}
        return MetricFilters(
            since=data["since"],
            until=data["until"],
            team_id=data["team"].pk if data["team"] else None,
            source=data["source"],
            temperature=data["temperature"],
            rep_id=data["rep"].pk if data["rep"] else None,
            query=query,
        )

    def error_messages(self) -> dict[str, list[str]]:
        return {name: [error["message"] for error in errors] for name, errors in self.errors.get_json_data().items()}


def parse_filters(data) -> tuple[MetricFilters | None, dict[str, list[str]]]:
    form = MetricFilterForm(data)
    if not form.is_valid():
        return None, form.error_messages()
    return form.filters(), {}


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


# --- the dashboard's series -------------------------------------------------------------------


def daily_trend(leads: QuerySet, now: datetime, tz: ZoneInfo, first: date | None, last: date | None) -> list[dict]:
    """Per local day of submission: leads, within-SLA rate and median response, from the
    first day with a lead (not before `first`) to `last`; days without leads show zeros."""
    by_day = leads.annotate(day=TruncDate("submitted_at", tzinfo=tz)).order_by()
    aggregates = {
        "leads": Count("pk"),
        "attempted": Count("pk", filter=ATTEMPTED),
        "due": Count("pk", filter=counted_for_sla(now)),
        "met": Count("pk", filter=MET),
    }
    postgresql = is_postgresql(leads)
    if postgresql:
        aggregates["median"] = PercentileCont(RESPONSE, 0.5, filter=ATTEMPTED)
    rows = {row["day"]: row for row in by_day.values("day").annotate(**aggregates)}
    if not postgresql:
        for day, row in rows.items():
            row["median"] = percentile(by_day.filter(ATTEMPTED, day=day), RESPONSE, 0.5, count=row["attempted"])
    if not rows and (first is None or last is None):
        return []
    first = max(first, min(rows)) if first and rows else (first or min(rows))
    last = last or max(rows)
    series, day = [], first
    while day <= last:
        row = rows.get(day, {"leads": 0, "attempted": 0, "due": 0, "met": 0, "median": None})
        series.append(
            {
                "day": day.isoformat(),
                "leads": row["leads"],
                "due": row["due"],
                "met": row["met"],
                "within_sla_rate": rate(row["met"], row["due"]),
                "median": seconds(row["median"]),
            }
        )
        day += timedelta(days=1)
    return series


def busiest_times(leads: QuerySet, tz: ZoneInfo, figures: AttemptFigures | None = None) -> dict:
    """Leads submitted and rep touches (attempts) per ISO weekday (row 0 = Monday) and hour
    in `tz`, from counts per UTC quarter-hour (reports/metrics_attempts.py)."""
    touches = (figures or attempts_of(leads, detail=True)).touches

    def grid(counts) -> list[list[int]]:
        cells = [[0] * 24 for _ in range(7)]
        for quarter, count in counts.items():
            local = datetime.fromtimestamp(quarter * QUARTER_HOUR, tz)
            cells[local.weekday()][local.hour] += count
        return cells

    return {"leads": grid(lead_quarter_hours(leads)), "touches": grid(touches)}


def spread(reps: list[dict]) -> dict:
    """How far apart the reps are: range and standard deviation of medians and rates."""
    medians = [rep["median"] for rep in reps if rep["median"] is not None]
    rates = [rep["within_sla_rate"] for rep in reps if rep["within_sla_rate"] is not None]

    def describe(values: list[float], digits: int) -> dict:
        if not values:
            return {"min": None, "max": None, "stdev": None}
        stdev = statistics.pstdev(values) if len(values) > 1 else 0.0
        return {"min": min(values), "max": max(values), "stdev": round(stdev, digits)}

    return {"median": describe(medians, 3), "within_sla_rate": describe(rates, 4), "reps": len(reps)}


def breach_counts(filters: MetricFilters, now: datetime | None = None) -> dict:
    """The live counter: open leads never attempted whose first-contact time passed (in
    the last BREACH_LOOKBACK) and those due within DUE_SOON. Date filters do not apply."""
    now = now or timezone.now()
    waiting = filters.without_dates(
        Lead.objects.filter(
            junk=False,
            first_attempt_at__isnull=True,
            stage__in=OPEN_STAGES,
            first_contact_due_at__gte=now - BREACH_LOOKBACK,
            first_contact_due_at__lt=now + DUE_SOON,
        )
    )
    counts = waiting.order_by().aggregate(
        breached=Count("pk", filter=Q(first_contact_due_at__lt=now)),
        due_soon=Count("pk", filter=Q(first_contact_due_at__gte=now)),
    )
    return {"breached": counts["breached"], "due_soon": counts["due_soon"], "at": now.isoformat()}


@dataclass
class Dashboard:
    """Everything /dashboard/ shows, from the definitions above."""

    filters: MetricFilters
    now: datetime
    tz: ZoneInfo
    figures: dict
    metrics: dict
    contact_rates: list[dict]
    reps: list[dict]
    trend: list[dict]
    heatmap: dict

    @property
    def spread(self) -> dict:
        return spread(self.reps)


def dashboard(filters: MetricFilters, now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    leads = filters.leads()
    tz = filters.reporting_zone()
    first = filters.since.astimezone(tz).date() if filters.since else None
    last = (filters.until - timedelta(microseconds=1)).astimezone(tz).date() if filters.until else None
    if last and last > now.astimezone(tz).date():
        last = now.astimezone(tz).date()
    with analytic_queries(leads.db):
        figures = summary(leads, now, hot=True)
        attempts = attempts_of(leads, detail=True, figures=figures)
        contact_rates = contact_rate_rows(leads, attempts)
        reps = rep_rows(leads, now, detail=True, figures=attempts)
        return Dashboard(
            filters=filters,
            now=now,
            tz=tz,
            figures=figures,
            metrics=metrics_json(figures, contact_rates, reps),
            contact_rates=contact_rates,
            reps=reps,
            trend=daily_trend(leads, now, tz, first, last),
            heatmap=busiest_times(leads, tz, attempts),
        )


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
