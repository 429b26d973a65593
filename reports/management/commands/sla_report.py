"""SPEC §4 metrics on the command line: `--format json` prints exactly the body of
GET /api/v1/metrics/sla with the same filters; `--format table` the same figures for people."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from rest_framework.renderers import JSONRenderer

from reports.filters import parse_filters
from reports.meetings import metrics_body
from reports.metrics import BUCKETS, NEVER_ATTEMPTED, human_duration, human_rate


class Command(BaseCommand):
    help = "Print the SLA metrics (SPEC §4) as JSON (the API's body) or as a table."

    def add_arguments(self, parser):
        parser.add_argument("--since", default="", help="Date (whole day) or ISO 8601 datetime with offset.")
        parser.add_argument("--until", default="", help="Date (that whole day included) or datetime (excluded).")
        parser.add_argument("--team", default="", help="Team id or name.")
        parser.add_argument("--source", default="", help="Lead channel, e.g. paid_ads, organic.")
        parser.add_argument("--temperature", default="", help="hot, warm or cold.")
        parser.add_argument("--rep", default="", help="Rep user id or username.")
        parser.add_argument("--format", choices=("json", "table"), default="table")

    def handle(self, *args, **options):
        query = {name: options[name] for name in ("since", "until", "team", "source", "temperature", "rep")}
        filters, errors = parse_filters({name: value for name, value in query.items() if value})
        if errors:
            problems = "; ".join(f"--{name}: {' '.join(messages)}" for name, messages in errors.items())
            raise CommandError(problems)
        metrics = metrics_body(filters)  # the API's body: the SPEC metrics and the meetings
        if options["format"] == "json":
            self.stdout.write(JSONRenderer().render(metrics).decode())
            return
        self.stdout.write("\n".join(table(metrics, filters.query)))


def table(metrics: dict, query: dict) -> list[str]:
    response, sla = metrics["time_to_first_response"], metrics["within_sla"]
    described = ", ".join(f"{name}={value}" for name, value in query.items()) or "all leads"
    rows = [
        ("Leads (junk left out)", str(metrics["leads"])),
        ("First response, mean", human_duration(response["mean"])),
        ("First response, median", human_duration(response["median"])),
        ("First response, p90", human_duration(response["p90"])),
        ("First response, business mean", human_duration(response["business_mean"])),
        ("Within SLA", f"{human_rate(sla['rate'])} ({sla['met']} of {sla['due']}; target 95%)"),
        ("Assignment latency, mean / p95", _pair(metrics["assignment_latency"], "mean", "p95")),
        ("Acknowledgment latency, mean / p95", _pair(metrics["acknowledgment_latency"], "mean", "p95")),
        ("Time to qualification, mean / median", _pair(metrics["time_to_qualification"], "mean", "median")),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"SLA report: {described}", ""]
    lines += [f"{label:<{width}}  {value}" for label, value in rows]
    lines += ["", "Conversion (qualified or converted) by time to first response:"]
    for label in [*(bucket[0] for bucket in BUCKETS), NEVER_ATTEMPTED]:
        bucket = metrics["conversion_by_bucket"][label]
        lines.append(f"  {label:<16} {bucket['converted']:>6} of {bucket['leads']:<6} {human_rate(bucket['rate'])}")
    lines += ["", "Contact rate by attempt (first connected on attempt n / leads with an attempt n):"]
    for number, value in metrics["contact_rate_by_attempt"].items():
        lines.append(f"  attempt {number:<3} {human_rate(value)}")
    lines += ["", "Reps (best first: within SLA, then median first response):"]
    lines += [f"  {'rep':<20} {'leads':>6} {'median':>10} {'within SLA':>11}"]
    for rep in metrics["reps"]:
        lines.append(
            f"  {rep['rep']:<20} {rep['leads']:>6} {human_duration(rep['median']):>10} "
            f"{human_rate(rep['within_sla_rate']):>11}"
        )
    return lines


def _pair(figures: dict, first: str, second: str) -> str:
    return f"{human_duration(figures[first])} / {human_duration(figures[second])}"
