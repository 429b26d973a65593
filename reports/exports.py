"""CSV exports of every dashboard table (/dashboard/export/<table>.csv), computed by the
same definitions as the page."""

from __future__ import annotations

import csv

from django.http import Http404, HttpResponse, JsonResponse
from django.utils import timezone

from reports import filters as report_filters
from reports import metrics, series
from reports.dashboard import WEEKDAYS, bucket_rows, leadership_page, page_query


def _cell(value) -> object:
    """Neutralise spreadsheet formulas in text (CSV injection); numbers stay numbers."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def _export_rows(table: str, filters: report_filters.MetricFilters) -> tuple[list[str], list[list]]:
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
        trend = series.daily_trend(leads, now, tz, None, None)
        return ["day", "leads", "due", "met", "within_sla_rate", "median_seconds"], [
            [row["day"], row["leads"], row["due"], row["met"], row["within_sla_rate"], row["median"]] for row in trend
        ]
    if table == "buckets":
        data = metrics.sla_metrics(filters, now)
        return ["bucket", "leads", "converted", "rate", "research_relative_likelihood"], [
            [row["bucket"], row["leads"], row["converted"], row["rate"], row["research"]] for row in bucket_rows(data)
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
        grids = series.busiest_times(leads, filters.reporting_zone())
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
    filters, errors = report_filters.parse_filters(query)
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
