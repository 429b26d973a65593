"""The `meetings` key of the metrics API and `sla_report` (definitions: reports/meetings.py),
shaped once from its counts, whether they were counted from scratch (reports/meetings.py)
or read from the SLA rollup (reports/rollup_read.py)."""

from __future__ import annotations

from leads.choices import Source
from reports.metrics import BUCKETS, NEVER_ATTEMPTED, rate, seconds


def rate_row(leads: int, booked: int) -> dict:
    return {"leads": leads, "booked": booked, "rate": rate(booked, leads)}


def meetings_json(
    *,
    leads: int,
    leads_booked: int,
    by_bucket: list[tuple[int, int]],
    never: tuple[int, int],
    by_source: dict[str, tuple[int, int]],
    booked: int,
    cancelled: int,
    held: int,
    no_show: int,
    time_mean: float | None,
    time_median: float | None,
) -> dict:
    """`by_bucket`: (leads, leads booked) per SPEC §4 response bucket, in BUCKETS' order;
    `never`: the same for the leads never attempted; `by_source`: per lead channel (channels
    without leads are left out)."""
    buckets = {label: rate_row(*counts) for (label, _low, _high), counts in zip(BUCKETS, by_bucket, strict=True)}
    buckets[NEVER_ATTEMPTED] = rate_row(*never)
    return {
        "booked": booked,
        "cancelled": cancelled,
        "leads_booked": leads_booked,
        "booking_rate": rate(leads_booked, leads),
        "by_source": {
            source: rate_row(*by_source[source]) for source in Source.values if by_source.get(source, (0, 0))[0]
        },
        "by_response_bucket": buckets,
        "time_to_booking": {"mean": seconds(time_mean), "median": seconds(time_median)},
        "held": held,
        "no_show": no_show,
        "no_show_rate": rate(no_show, held + no_show),
    }
