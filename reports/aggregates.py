"""SQL building blocks of the metrics (reports/metrics.py): durations in seconds and
percentiles, on PostgreSQL and SQLite alike.

Percentiles are `percentile_cont` (linear interpolation between the two nearest ranks,
position = fraction x (n - 1)). PostgreSQL computes them in the query, as an ordered-set
aggregate. SQLite has no such aggregate: `percentile()` there counts the rows, then reads
the one or two values around the position with ORDER BY ... LIMIT 2 OFFSET k and
interpolates the same way, in double precision, so both give the same figure.
"""

from __future__ import annotations

import math
from contextlib import contextmanager

from django.db import connections, transaction
from django.db.models import Aggregate, F, FloatField, Func, QuerySet

ANALYTIC_WORK_MEM = "64MB"


def is_postgresql(queryset: QuerySet) -> bool:
    return connections[queryset.db].vendor == "postgresql"


@contextmanager
def analytic_queries(using: str = "default"):
    """Run a batch of metric queries in one transaction with more sort and hash memory on
    PostgreSQL (`SET LOCAL work_mem`, undone at commit): their sorts (percentiles) and
    hash joins then stay in memory instead of spilling to disk. Elsewhere: nothing."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{ANALYTIC_WORK_MEM}'")
        yield


class Seconds(Func):
    """`end - start` in seconds, as a float; NULL when either is NULL."""

    output_field = FloatField()
    arity = 2

    def __init__(self, end, start, **extra):
        super().__init__(
            F(end) if isinstance(end, str) else end, F(start) if isinstance(start, str) else start, **extra
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="date_part('epoch', %(expressions)s)", arg_joiner=" - ")

    def as_sqlite(self, compiler, connection, **extra_context):
        # Django's own UDF (registered on every SQLite connection): whole microseconds.
        return self.as_sql(compiler, connection, template="(django_timestamp_diff(%(expressions)s) / 1000000.0)")


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)."""

    function = "percentile_cont"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("a percentile fraction is between 0 and 1")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        raise NotImplementedError("SQLite has no percentile_cont: use reports.aggregates.percentile()")


def interpolate(values: list[float], position: float, low: int) -> float:
    if len(values) == 1 or position == low:
        return values[0]
    return values[0] + (position - low) * (values[1] - values[0])


def percentile(queryset: QuerySet, expression, fraction: float, *, count: int | None = None) -> float | None:
    """percentile_cont of `expression` over the rows of `queryset` (NULLs left out), with
    two small queries: a count (skipped when given) and one ordered read of <= 2 rows."""
    rows = queryset.annotate(_value=expression).filter(_value__isnull=False)
    if count is None:
        count = rows.count()
    if not count:
        return None
    position = fraction * (count - 1)
    low = math.floor(position)
    values = list(rows.order_by("_value").values_list("_value", flat=True)[low : low + 2])
    return interpolate(values, position, low)
