"""Leadership pages and the metrics API (SPEC §4-6), all read-only and all computed by
reports/metrics.py: /dashboard/ (with CSV exports of its tables and a live breach counter),
/dashboard/roi/, GET /api/v1/metrics/sla, plus the managers' CSV history import form.

Who: Leadership, Managers and superusers (`leadops.roles.sees_all_leads`); reps get 403,
anonymous visitors the site's login page (settings.LOGIN_URL). Pages answer GET (and HEAD) only."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from leadops.roles import REPS, sees_all_leads
from leads.choices import Source, Temperature
from reports import filters as report_filters
from reports import meetings, metrics, panels, series
from routing.models import Team

PERIODS = (
    ("7", gettext_lazy("Last 7 days"), 7), ("30", gettext_lazy("Last 30 days"), 30),
    ("90", gettext_lazy("Last 90 days"), 90), ("all", gettext_lazy("All time"), None),
)  # fmt: skip
DEFAULT_PERIOD = "30"
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
    query = {name: request.GET[name] for name in report_filters.MetricFilterForm.base_fields if request.GET.get(name)}
    period = request.GET.get("period", DEFAULT_PERIOD)
    if "since" in query or "until" in query:
        return query, "custom"
    days = next((days for key, _label, days in PERIODS if key == period), None)
    if period not in {key for key, _label, _days in PERIODS}:
        period, days = DEFAULT_PERIOD, 30
    if days:
        today = timezone.now().astimezone(report_filters.organisation_zone()).date()
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
            _("Within SLA"), share(sla["rate"]),
            _("%(met)s of %(due)s due leads first contacted in time")
            % {"met": f"{sla['met']:,}", "due": f"{sla['due']:,}"},
            status="" if sla["rate"] is None else ("ok" if sla_ok else "bad"), target=_("target ≥ 95%"),
            key="within_sla",
        ),
        _tile(
            _("Hot leads: first response (median)"), duration(hot_median),
            _("%(count)s hot leads attempted · mean %(mean)s")
            % {"count": f"{figures.get('hot_attempted', 0):,}", "mean": duration(figures.get("hot_mean"))},
            status="" if hot_median is None else ("ok" if hot_ok else "bad"), target=_("target < 5 min"), key="hot",
            exact=hot_median,
        ),
        _tile(
            _("First response (median)"), duration(response["median"]),
            _("mean %(mean)s · p90 %(p90)s") % {"mean": duration(response["mean"]), "p90": duration(response["p90"])},
            key="response",
            exact=response["median"],
        ),
        _tile(
            _("First response in business time (mean)"), duration(response["business_mean"]),
            _("wall-clock mean %(mean)s") % {"mean": duration(response["mean"])}, key="business",
            exact=response["business_mean"],
        ),
        _tile(
            _("Leads"), f"{data['leads']:,}",
            _("%(attempted)s attempted · %(never)s never attempted")
            % {"attempted": f"{figures['attempted']:,}", "never": f"{figures['never']:,}"}, key="leads",
        ),
        _tile(
            _("Assignment latency"), duration(data["assignment_latency"]["mean"]),
            _("mean · p95 %(p95)s") % {"p95": duration(data["assignment_latency"]["p95"])}, key="assignment",
            exact=data["assignment_latency"]["mean"],
        ),
        _tile(
            _("Acknowledgment latency"), duration(data["acknowledgment_latency"]["mean"]),
            _("mean · p95 %(p95)s") % {"p95": duration(data["acknowledgment_latency"]["p95"])}, key="acknowledgment",
            exact=data["acknowledgment_latency"]["mean"],
        ),
        _tile(
            _("Time to qualification decision"), duration(data["time_to_qualification"]["median"]),
            _("median · mean %(mean)s") % {"mean": duration(data["time_to_qualification"]["mean"])},
            key="qualification",
            exact=data["time_to_qualification"]["median"],
        ),
    ]  # fmt: skip


def bucket_rows(data: dict) -> list[dict]:
    rows = []
    for label, _low, _high in metrics.BUCKETS:
        bucket = data["conversion_by_bucket"][label]
        rows.append({"bucket": label, **bucket, "research": metrics.RESEARCH_BY_BUCKET[label]})
    never = data["conversion_by_bucket"][metrics.NEVER_ATTEMPTED]
    rows.append({"bucket": _("never attempted"), **never, "research": None})
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


def _period_label(filters: report_filters.MetricFilters, period: str, tz) -> str:
    if period != "custom":
        return str(next(label for key, label, _days in PERIODS if key == period))
    since = filters.since.astimezone(tz).strftime("%Y-%m-%d %H:%M") if filters.since else _("the start")
    until = filters.until.astimezone(tz).strftime("%Y-%m-%d %H:%M") if filters.until else _("now")
    return _("From %(since)s to %(until)s") % {"since": since, "until": until}


@leadership_page
def dashboard_page(request):
    query, period = page_query(request)
    filters, errors = report_filters.parse_filters(query)
    context = {"query": query, "period": period, "errors": errors, **_filter_choices()}
    if errors:
        return render(request, "dashboard/dashboard.html", context, status=400)
    board = series.dashboard(filters)
    data, figures = board.metrics, board.figures
    data["meetings"] = board.meetings or meetings.meeting_metrics(filters.leads())  # as the API gives it
    reps = board.reps
    context |= {
        "board": board,
        "data": data,
        "period_label": _period_label(filters, period, board.tz),
        "tz_name": str(board.tz),
        "tiles": _tiles(figures, data),
        "buckets": bucket_rows(data),
        "contact_rates": [row | {"rate_text": metrics.human_rate(row["rate"])} for row in board.contact_rates],
        "rep_table": _rep_table(reps),
        "rep_chart_height": 70 + 30 * sum(rep["median"] is not None for rep in reps),
        "spread": board.spread,
        "spread_text": _spread_text(board.spread),
        "heatmaps": [
            (_("Leads submitted"), _heat_rows(board.heatmap["leads"])),
            (_("Rep touches"), _heat_rows(board.heatmap["touches"])),
        ],
        "hours": range(24),
        "research": metrics.RESEARCH_CURVE,
        "research_source": metrics.RESEARCH_SOURCE,
        "export_query": request.GET.urlencode(),
        "chart_data": {
            "trend": board.trend,
            "buckets": bucket_rows(data)[:-1],
            "contact": board.contact_rates[:10],
            "reps": [{"name": rep["name"], "median": rep["median"], "rate": rep["within_sla_rate"]} for rep in reps],
            "targets": {"within_sla": metrics.TARGET_WITHIN_SLA, "hot_seconds": 300},
        },
        "meetings": meetings.dashboard_card(data["meetings"]),
        "breaches_url": reverse("dashboard-breaches") + ("?" + _non_date_query(query) if query else ""),
        "ws_url": settings.LEADOPS_WS_URL.rstrip("/"),
        "panels": panels.render(panels.DASHBOARD, request, filters=filters, now=timezone.now()),
    }
    return render(request, "dashboard/dashboard.html", context)


def _non_date_query(query: dict) -> str:
    return urlencode({name: value for name, value in query.items() if name not in ("since", "until")})


@leadership_page
def breaches(request):
    """The live breach counter: the dashboard reads it on load, whenever the websocket says
    a count may have moved (notifications.live.LEADERSHIP_GROUP), and every minute (every
    15 s while the websocket is down)."""
    filters, errors = report_filters.parse_filters(
        {k: v for k, v in request.GET.items() if k not in ("since", "until")}
    )
    if errors:
        return JsonResponse({"errors": errors}, status=400)
    return JsonResponse(series.breach_counts(filters))
