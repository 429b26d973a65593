"""percentile_cont over the rollup's histograms plus live values (reports/models.py,
RollupHistogram): read the bin counts, find the bins of the one or two ranks around the
position, read only those bins' values (milliseconds), interpolate as PostgreSQL does.

A series is (kind, group): group None for one figure, an owner id for the rep table. The
rows come from the months a report covers whole (RollupMonthHistogram) and its other
covered days (RollupHistogram)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from functools import reduce
from operator import or_

from django.db.models import Q, Sum

from reports.aggregates import interpolate
from reports.models import RollupHistogram, RollupMonthHistogram
from reports.rollup import bin_of


def sources(days: list, months: list, owner: Q) -> list[tuple]:
    """The histogram rows of whole `months` and of the other covered `days`."""
    found = []
    if months:
        found.append((RollupMonthHistogram, owner & Q(month__in=months)))
    if days:
        found.append((RollupHistogram, owner & Q(day__in=days)))
    return found


def percentiles(wanted: dict, stored: list[tuple], group: str | None, live: dict, fine: bool) -> dict:
    """`wanted`: name -> ((kind, group value), fraction); `stored`: (histogram model, Q)
    pairs, the rows to read (sources()); `group`: "owner" or None; `live`: (kind, group
    value) -> Counter of milliseconds; `fine`: the rows are total rows (their bins are
    finer, rollup.bin_of()). Returns name -> seconds (None without values)."""
    kinds = {series[0] for series, _fraction in wanted.values()}
    counts: dict = defaultdict(Counter)
    fields = ["kind", "bin", *([group] if group else [])]
    for model, condition in stored:
        for row in model.objects.filter(condition, kind__in=kinds).values(*fields).annotate(total=Sum("n")):
            counts[(row["kind"], row[group] if group else None)][row["bin"]] += row["total"]
    for series, values in live.items():
        for value, count in values.items():
            counts[series][bin_of(value, fine)] += count
    ranks = {}  # name -> (position, low, [(bin, rank in bin)])
    needed = set()
    for name, (series, fraction) in wanted.items():
        total = sum(counts[series].values())
        if not total:
            continue
        position = fraction * (total - 1)
        low = math.floor(position)
        located = [_locate(counts[series], rank) for rank in range(low, min(low + 2, total))]
        ranks[name] = (position, low, located)
        needed |= {(*series, number) for number, _rank in located}
    values: dict = defaultdict(Counter)
    pairs = [Q(kind=kind, bin=number, **({group: value} if group else {})) for kind, value, number in needed]
    for model, condition in stored if needed else ():
        rows = model.objects.filter(condition).filter(reduce(or_, pairs))
        for row in rows.values_list("kind", *([group] if group else []), "bin", "values"):
            kind, value, number, found = (row[0], row[1], row[2], row[3]) if group else (row[0], None, row[1], row[2])
            values[(kind, value, number)].update(found)  # keys: milliseconds as text
    for series, counted in live.items():
        for ms, count in counted.items():
            if (*series, bin_of(ms, fine)) in needed:
                values[(*series, bin_of(ms, fine))][str(ms)] += count
    result = dict.fromkeys(wanted)
    for name, (position, low, located) in ranks.items():
        series = wanted[name][0]
        found = [_nth(values[(*series, number)], rank) / 1000 for number, rank in located]
        result[name] = interpolate(found, position, low)
    return result


def _locate(bins: Counter, rank: int) -> tuple[int, int]:
    """The bin holding the value of 0-based `rank`, and its rank within the bin."""
    for number in sorted(bins):
        if rank < bins[number]:
            return number, rank
        rank -= bins[number]
    raise ValueError("rank beyond the values")


def _nth(values: Counter, rank: int) -> int:
    for value in sorted(values, key=int):
        if rank < values[value]:
            return int(value)
        rank -= values[value]
    raise ValueError("rank beyond the values")
