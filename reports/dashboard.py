"""Leadership pages and the metrics API (SPEC §4-6), all read-only and all computed by
reports/metrics.py: /dashboard/ (with CSV exports of its tables and a live breach counter),
/dashboard/roi/, GET /api/v1/metrics/sla, plus the managers' CSV history import form.

Who: Leadership, Managers and superusers (`leadops.roles.sees_all_leads`); reps get 403,
anonymous visitors the site's login page (settings.LOGIN_URL). Pages answer GET (and HEAD) only."""

from __future__ import annotations

import csv
from datetime import timedelta
from decimal import Decimal
from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Min
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from leadops.parsing import row_id
from leadops.roles import REPS, is_manager, sees_all_leads
from leads.choices import Source, Temperature
from leads.importer import ImportFileError, import_file
from leads.models import Lead
from reports import metrics, roi
from routing.models import Team

PERIODS = (("7", "Last 7 days", 7), ("30", "Last 30 days", 30), ("90", "Last 90 days", 90), ("all", "All time", None))
DEFAULT_PERIOD = "30"
ROI_WINDOW_DAYS = 90
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def leadership_page(view):
    """Leadership, managers and superusers; anonymous -> login; anyone else -> 403. GET only."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not sees_all_leads(request.user):
            raise PermissionDenied("The dashboards are for leadership and managers.")
        return view(request, *args, **kwargs)

    return require_safe(guarded)


# --- filters as the pages read them ----------------------------------------------------------------


def page_query(request) -> tuple[dict, str]:
    """The metric filters of a page: the query string, with the period preset (default:
    the last 30 days, in the organisation's time zone) when neither since nor until is given."""
    query = {name: request.GET[name] for name in metrics.MetricFilterForm.base_fields if request.GET.get(name)}
    period = request.GET.get("period", DEFAULT_PERIOD)
    if "since" in query or "until" in query:
        return query, "custom"
    days = next((days for key, _label, days in PERIODS if key == period), None)
    if period not in {key for key, _label, _days in PERIODS}:
        period, days = DEFAULT_PERIOD, 30
    if days:
        today = timezone.now().astimezone(metrics.organisation_zone()).date()
        query["since"] = (today - timedelta(days=days - 1)).isoformat()
    return query, period


def _filter_choices() -> dict:
    users = get_user_model().objects.filter(groups__name=REPS).order_by("first_name", "username")
    return {
        "teams": Team.objects.order_by("name"),
        "rep_options": users,
        "sources": Source.choices,
        "temperatures": Temperature.choices,
        "periods": [(key, label) for key, label, _days in PERIODS],
    }


# --- /dashboard/ ----------------------------------------------------------------------------------


def _tile(
    label: str, value: str, detail: str, *, status: str = "", target: str = "", key: str = "", exact=None
) -> dict:
    """A headline figure; `exact` (seconds) shows on hover, as the API and sla_report give it."""
    exact_text = "" if exact is None else f"{exact:,.3f} s"
    return {"label": label, "value": value, "detail": detail, "status": status, "target": target, "key": key,
            "exact": exact_text}  # fmt: skip


def _tiles(figures: dict, data: dict) -> list[dict]:
    duration, share = metrics.human_duration, metrics.human_rate
    response, sla = data["time_to_first_response"], data["within_sla"]
    hot_median = figures.get("hot_median")
    hot_ok = hot_median is not None and hot_median < metrics.TARGET_HOT_RESPONSE.total_seconds()
    sla_ok = sla["rate"] is not None and sla["rate"] >= metrics.TARGET_WITHIN_SLA
    return [
        _tile(
            "Within SLA", share(sla["rate"]), f"{sla['met']:,} of {sla['due']:,} due leads first contacted in time",
            status="" if sla["rate"] is None else ("ok" if sla_ok else "bad"), target="target ≥ 95%", key="within_sla",
        ),
        _tile(
            "Hot leads: first response (median)", duration(hot_median),
            f"{figures.get('hot_attempted', 0):,} hot leads attempted · mean {duration(figures.get('hot_mean'))}",
            status="" if hot_median is None else ("ok" if hot_ok else "bad"), target="target < 5 min", key="hot",
            exact=hot_median,
        ),
        _tile(
            "First response (median)", duration(response["median"]),
            f"mean {duration(response['mean'])} · p90 {duration(response['p90'])}", key="response",
            exact=response["median"],
        ),
        _tile(
            "First response in business time (mean)", duration(response["business_mean"]),
            f"wall-clock mean {duration(response['mean'])}", key="business", exact=response["business_mean"],
        ),
        _tile(
            "Leads", f"{data['leads']:,}",
            f"{figures['attempted']:,} attempted · {figures['never']:,} never attempted", key="leads",
        ),
        _tile(
            "Assignment latency", duration(data["assignment_latency"]["mean"]),
            f"mean · p95 {duration(data['assignment_latency']['p95'])}", key="assignment",
            exact=data["assignment_latency"]["mean"],
        ),
        _tile(
            "Acknowledgment latency", duration(data["acknowledgment_latency"]["mean"]),
            f"mean · p95 {duration(data['acknowledgment_latency']['p95'])}", key="acknowledgment",
            exact=data["acknowledgment_latency"]["mean"],
        ),
        _tile(
            "Time to qualification decision", duration(data["time_to_qualification"]["median"]),
            f"median · mean {duration(data['time_to_qualification']['mean'])}", key="qualification",
            exact=data["time_to_qualification"]["median"],
        ),
    ]  # fmt: skip


def _bucket_rows(data: dict) -> list[dict]:
    rows = []
    for label, _low, _high in metrics.BUCKETS:
        bucket = data["conversion_by_bucket"][label]
        rows.append({"bucket": label, **bucket, "research": metrics.RESEARCH_BY_BUCKET[label]})
    never = data["conversion_by_bucket"][metrics.NEVER_ATTEMPTED]
    rows.append({"bucket": "never attempted", **never, "research": None})
    for row in rows:
        row["rate_text"] = metrics.human_rate(row["rate"])
    return rows


def _rep_table(reps: list[dict]) -> list[dict]:
    duration, share = metrics.human_duration, metrics.human_rate
    return [
        rep | {
            "median_text": duration(rep["median"]),
            "mean_text": duration(rep["mean"]),
            "rate_text": share(rep["within_sla_rate"]),
            "rate_percent": round((rep["within_sla_rate"] or 0) * 100, 1),
            "won_text": share(rep["won_rate"]),
        }
        for rep in reps
    ]  # fmt: skip


def _spread_text(spread: dict) -> dict:
    duration, share = metrics.human_duration, metrics.human_rate
    medians, rates = spread["median"], spread["within_sla_rate"]
    stdev = rates["stdev"]
    return {
        "median_min": duration(medians["min"]),
        "median_max": duration(medians["max"]),
        "median_stdev": duration(medians["stdev"]),
        "rate_min": share(rates["min"]),
        "rate_max": share(rates["max"]),
        "rate_stdev": "–" if stdev is None else f"{stdev * 100:.1f}",
    }


def _heat_rows(grid: list[list[int]]) -> list[dict]:
    peak = max((value for row in grid for value in row), default=0) or 1
    return [
        {"day": WEEKDAYS[index], "cells": [{"n": value, "level": round(value / peak, 2)} for value in row]}
        for index, row in enumerate(grid)
    ]


def _period_label(filters: metrics.MetricFilters, period: str, tz) -> str:
    if period != "custom":
        return next(label for key, label, _days in PERIODS if key == period)
    since = filters.since.astimezone(tz).strftime("%Y-%m-%d %H:%M") if filters.since else "the start"
    until = filters.until.astimezone(tz).strftime("%Y-%m-%d %H:%M") if filters.until else "now"
    return f"From {since} to {until}"


@leadership_page
def dashboard_page(request):
    query, period = page_query(request)
    filters, errors = metrics.parse_filters(query)
    context = {"query": query, "period": period, "errors": errors, **_filter_choices()}
    if errors:
        return render(request, "dashboard/dashboard.html", context, status=400)
    board = metrics.dashboard(filters)
    data, figures = board.metrics, board.figures
    reps = board.reps
    context |= {
        "board": board,
        "data": data,
        "period_label": _period_label(filters, period, board.tz),
        "tz_name": str(board.tz),
        "tiles": _tiles(figures, data),
        "buckets": _bucket_rows(data),
        "contact_rates": [row | {"rate_text": metrics.human_rate(row["rate"])} for row in board.contact_rates],
        "rep_table": _rep_table(reps),
        "rep_chart_height": 70 + 30 * sum(rep["median"] is not None for rep in reps),
        "spread": board.spread,
        "spread_text": _spread_text(board.spread),
        "heatmaps": [
            ("Leads submitted", _heat_rows(board.heatmap["leads"])),
            ("Rep touches", _heat_rows(board.heatmap["touches"])),
        ],
        "hours": range(24),
        "research": metrics.RESEARCH_CURVE,
        "research_source": metrics.RESEARCH_SOURCE,
        "export_query": request.GET.urlencode(),
        "chart_data": {
            "trend": board.trend,
            "buckets": _bucket_rows(data)[:-1],
            "contact": board.contact_rates[:10],
            "reps": [{"name": rep["name"], "median": rep["median"], "rate": rep["within_sla_rate"]} for rep in reps],
            "targets": {"within_sla": metrics.TARGET_WITHIN_SLA, "hot_seconds": 300},
        },
        "breaches_url": reverse("dashboard-breaches") + ("?" + _non_date_query(query) if query else ""),
        "ws_url": settings.LEADOPS_WS_URL.rstrip("/"),
    }
    return render(request, "dashboard/dashboard.html", context)


def _non_date_query(query: dict) -> str:
    return urlencode({name: value for name, value in query.items() if name not in ("since", "until")})


@leadership_page
def breaches(request):
    """The live breach counter: the dashboard reads it on load, whenever the websocket says
    a count may have moved (notifications.live.LEADERSHIP_GROUP), and every minute (every
    15 s while the websocket is down)."""
    filters, errors = metrics.parse_filters({k: v for k, v in request.GET.items() if k not in ("since", "until")})
    if errors:
        return JsonResponse({"errors": errors}, status=400)
    return JsonResponse(metrics.breach_counts(filters))


# --- CSV exports ----------------------------------------------------------------------------------


def _cell(value) -> object:
    """Neutralise spreadsheet formulas in text (CSV injection); numbers stay numbers."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def _export_rows(table: str, filters: metrics.MetricFilters) -> tuple[list[str], list[list]]:
    now = timezone.now()
    leads = filters.leads()
    if table == "summary":
        data = metrics.sla_metrics(filters, now)
        rows = [["leads", "count", data["leads"]]]
        for group in ("time_to_first_response", "within_sla", "assignment_latency", "acknowledgment_latency"):
            rows += [[f"{group}.{name}", "seconds" if group != "within_sla" else "", value]
                     for name, value in data[group].items()]  # fmt: skip
        rows += [
            [f"time_to_qualification.{name}", "seconds", value] for name, value in data["time_to_qualification"].items()
        ]
        return ["metric", "unit", "value"], rows
    if table == "trend":
        tz = filters.reporting_zone()
        trend = metrics.daily_trend(leads, now, tz, None, None)
        return ["day", "leads", "due", "met", "within_sla_rate", "median_seconds"], [
            [row["day"], row["leads"], row["due"], row["met"], row["within_sla_rate"], row["median"]] for row in trend
        ]
    if table == "buckets":
        data = metrics.sla_metrics(filters, now)
        return ["bucket", "leads", "converted", "rate", "research_relative_likelihood"], [
            [row["bucket"], row["leads"], row["converted"], row["rate"], row["research"]] for row in _bucket_rows(data)
        ]
    if table == "research":
        return ["first_response", "relative_likelihood", "source"], [
            [band, factor, metrics.RESEARCH_SOURCE] for band, factor in metrics.RESEARCH_CURVE
        ]
    if table == "contact-rate":
        return ["attempt", "leads_with_attempt", "first_connected_on_it", "rate"], [
            [row["attempt"], row["leads"], row["connected"], row["rate"]] for row in metrics.contact_rate_rows(leads)
        ]
    if table == "reps":
        columns = ["rep", "name", "leads", "attempted", "median", "mean", "due", "met", "within_sla_rate", "won",
                   "won_rate", "attempts_per_lead_48h"]  # fmt: skip
        return columns, [[rep[name] for name in columns] for rep in metrics.rep_rows(leads, now, detail=True)]
    if table == "heatmap":
        grids = metrics.busiest_times(leads, filters.reporting_zone())
        rows = [
            [WEEKDAYS[day], hour, grids["leads"][day][hour], grids["touches"][day][hour]]
            for day in range(7)
            for hour in range(24)
        ]
        return ["weekday", "hour", "leads", "touches"], rows
    raise Http404("No such table.")


EXPORT_TABLES = ("summary", "trend", "buckets", "research", "contact-rate", "reps", "heatmap")


@leadership_page
def export_csv(request, table: str):
    if table not in EXPORT_TABLES:
        raise Http404("No such table.")
    query, _period = page_query(request)
    filters, errors = metrics.parse_filters(query)
    if errors:
        return JsonResponse({"errors": errors}, status=400)
    header, rows = _export_rows(table, filters)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="leadops-{table}-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return response


# --- GET /api/v1/metrics/sla -------------------------------------------------------------------------


class ReadsMetrics(BasePermission):
    message = "Only leadership and managers can read the metrics."

    def has_permission(self, request, view) -> bool:
        return sees_all_leads(request.user)


FILTER_PARAMETERS = [
    OpenApiParameter("since", str, description="Date (whole day, organisation time zone) or ISO 8601 with offset."),
    OpenApiParameter("until", str, description="Date (that whole day included) or ISO 8601 datetime (excluded)."),
    OpenApiParameter("team", str, description="Team id or name."),
    OpenApiParameter("source", str, enum=Source.values, description="The lead's channel."),
    OpenApiParameter("temperature", str, enum=Temperature.values),
    OpenApiParameter("rep", str, description="Owner: user id or username."),
]


class SlaMetrics(APIView):
    permission_classes = [IsAuthenticated, ReadsMetrics]

    @extend_schema(
        operation_id="metrics_sla",
        summary="SLA metrics (SPEC §4), times in seconds",
        parameters=FILTER_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        filters, errors = metrics.parse_filters(request.query_params)
        if errors:
            raise ValidationError(errors)
        return Response(metrics.sla_metrics(filters))


# --- /dashboard/roi/ ---------------------------------------------------------------------------------


class RoiForm(forms.Form):
    monthly_leads = forms.IntegerField(min_value=0, max_value=100_000_000, label="Monthly inbound leads")
    current_response_minutes = forms.DecimalField(
        required=False, min_value=0, max_digits=12, decimal_places=1, label="Current average response (minutes)"
    )
    current_rate = forms.DecimalField(min_value=0, max_value=100, max_digits=7, decimal_places=3,
                                      label="Current conversion rate (%)")  # fmt: skip
    expected_rate = forms.DecimalField(min_value=0, max_value=100, max_digits=7, decimal_places=3,
                                       label="Expected conversion rate (%)")  # fmt: skip
    customer_value = forms.DecimalField(
        min_value=0, max_digits=14, decimal_places=2, label="Average customer value ($)"
    )
    monthly_cost = forms.DecimalField(
        required=False, min_value=0, max_digits=14, decimal_places=2, label="Monthly cost of the improvement ($)"
    )

    def inputs(self) -> roi.RoiInputs:
        data = self.cleaned_data
        minutes = data.get("current_response_minutes")
        return roi.RoiInputs(
            monthly_leads=Decimal(data["monthly_leads"]),
            current_rate=data["current_rate"] / roi.HUNDRED,
            expected_rate=data["expected_rate"] / roi.HUNDRED,
            customer_value=data["customer_value"],
            monthly_cost=data.get("monthly_cost") or Decimal(0),
            current_response_seconds=float(minutes) * 60 if minutes is not None else None,
        )


def money(value: Decimal) -> str:
    sign = "-" if value < 0 else ""
    value = abs(value)
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    return f"{sign}${text}"


def short_money(value: Decimal) -> str:
    """+$1.2M, +$150k, -$900."""
    sign, value = ("-" if value < 0 else "+"), abs(value)
    for size, suffix in ((Decimal(1_000_000_000), "B"), (Decimal(1_000_000), "M"), (Decimal(1_000), "k")):
        if value >= size:
            scaled = f"{value / size:.1f}".rstrip("0").rstrip(".")
            return f"{sign}${scaled}{suffix}"
    return sign + money(value)


def multiple(value: Decimal | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}x" if value == value.to_integral_value() else f"{value:.1f}x"


def team_numbers(team_id: int | None, now=None) -> dict:
    """The team's own figures over the last ROI_WINDOW_DAYS: leads a month (scaled from the
    days the window actually holds, for a team with less history), mean first response,
    qualified-or-converted share overall and per response bucket."""
    now = now or timezone.now()
    filters = metrics.MetricFilters(since=now - timedelta(days=ROI_WINDOW_DAYS), team_id=team_id)
    figures = metrics.summary(filters.leads(), now)
    leads = figures["leads"]
    first = filters.leads().aggregate(first=Min("submitted_at"))["first"]
    days = min(ROI_WINDOW_DAYS, max(1.0, (now - first).total_seconds() / 86400)) if first else ROI_WINDOW_DAYS
    buckets = []
    for index, (label, _low, _high) in enumerate(metrics.BUCKETS):
        won, total = figures[f"bucket{index}_won"], figures[f"bucket{index}"]
        buckets.append({"label": label, "leads": total, "rate": metrics.rate(won, total)})
    return {
        "monthly_leads": round(leads * 30 / days),
        "days": round(days),
        "response_mean": figures["response_mean"],
        "current_rate": metrics.rate(figures["won"], leads),
        "buckets": buckets,
    }


def _percent_text(share: float | None) -> str:
    return "" if share is None else f"{Decimal(str(share)) * 100:.2f}".rstrip("0").rstrip(".")


@leadership_page
def roi_page(request):
    team_value = request.GET.get("team", "").strip()
    team = Team.objects.filter(pk=team_id).first() if (team_id := row_id(team_value)) else None
    numbers = team_numbers(team.pk if team else None)
    fastest = numbers["buckets"][0]["rate"]
    initial = {
        "monthly_leads": numbers["monthly_leads"],
        "current_response_minutes": round(Decimal(numbers["response_mean"]) / 60, 1)
        if numbers["response_mean"]
        else None,
        "current_rate": _percent_text(numbers["current_rate"]),
        "expected_rate": _percent_text(fastest if fastest is not None else numbers["current_rate"]),
    }
    submitted = any(name in request.GET for name in RoiForm.base_fields)
    form = RoiForm(request.GET if submitted else None, initial=initial)
    result = None
    if submitted and form.is_valid():
        result = roi.roi(form.inputs())
    context = {
        "form": form,
        "result": result,
        "numbers": numbers,
        "team": team,
        "teams": Team.objects.order_by("name"),
        "window_days": ROI_WINDOW_DAYS,
        "bucket_choices": [
            {**bucket, "percent": _percent_text(bucket["rate"])}
            for bucket in numbers["buckets"]
            if bucket["rate"] is not None
        ],
        "formatted": _formatted(result) if result else None,
        "example": "monthly_leads=500&current_rate=2&expected_rate=6&customer_value=5000&monthly_cost=10000",
    }
    return render(request, "dashboard/roi.html", context, status=400 if submitted and not form.is_valid() else 200)


def _formatted(result: roi.RoiResult) -> dict:
    return {
        "monthly_now": money(result.monthly_revenue_now),
        "monthly_improved": money(result.monthly_revenue_improved),
        "monthly_gain": ("+" if result.monthly_gain >= 0 else "") + money(result.monthly_gain),
        "yearly_now": money(result.yearly_revenue_now),
        "yearly_improved": money(result.yearly_revenue_improved),
        "yearly_gain": ("+" if result.yearly_gain >= 0 else "") + money(result.yearly_gain),
        "yearly_gain_short": short_money(result.yearly_gain),
        "monthly_cost": money(result.monthly_cost),
        "yearly_cost": money(result.yearly_cost),
        "monthly_net": money(result.monthly_net_gain),
        "multiple": multiple(result.return_multiple),
        "customers_now": f"{result.customers_now.normalize():f}",
        "customers_improved": f"{result.customers_improved.normalize():f}",
    }


# --- the managers' history import (admin) --------------------------------------------------------------


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8, with a header row; up to 10 MB.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is over 10 MB: import it with manage.py import_leads instead.")
        return upload


def import_page(request):
    """Admin view (linked from the Lead changelist): upload a CSV of past leads."""
    if not is_manager(request.user):
        raise PermissionDenied("Only managers can import leads.")
    report, problem = None, ""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = import_file(upload.file, label=upload.name)
        except ImportFileError as error:
            problem = f"Cannot import {upload.name}: {error}"
    context = {
        **admin.site.each_context(request),
        "title": "Import leads from a CSV file",
        "form": form,
        "report": report,
        "problem": problem,
        "opts": _lead_opts(),
    }
    return render(request, "dashboard/import.html", context, status=400 if problem else 200)


def _lead_opts():
    return Lead._meta


admin_import_page = admin.site.admin_view(import_page)
