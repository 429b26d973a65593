"""The figures that come from attempts (SPEC §4): contact rate by attempt number, each
rep's attempts in the first 48 hours, and touches by time of day.

PostgreSQL (where the attempts table is large) reads them in two statements:
1. per lead, in `lead_id` order straight off the index `attempt_lead_facts` (lead_id,
   number, outcome, at — an index-only scan, grouped as it streams, no sort or hash of
   the attempts): the attempt count, the last number, the first number that reached the
   lead and (with detail) the attempts in the first 48 hours; then those few numbers are
   grouped per (owner, attempts, first reached). Attempt numbers run 1, 2, 3... per lead
   (`leads.lifecycle` numbers them last + 1 and a constraint makes them unique), so a lead
   with k attempts had attempts 1..k; the statement checks that (count = last number) and,
   should any lead break it, the figure is recounted attempt by attempt instead.
2. with detail, touches per UTC quarter-hour.
The attempts are read only between the smallest and largest id of the filtered leads (a
tautology, given as literal bounds, that lets the planner read that slice of the index
and estimate its size, instead of hashing or scanning the whole table).

Elsewhere (SQLite) the same figures come from ORM queries, one per figure. Both count the
same things; the test suite runs on both.

Touches are counted per UTC quarter-hour (epoch seconds // 900) and turned into local
weekday and hour afterwards, per quarter-hour rather than per attempt: every time zone's
offset is a whole number of quarter-hours, so each quarter-hour lies in one local hour.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import Count, Exists, F, Func, IntegerField, Max, Min, OuterRef, QuerySet

from leads.models import Attempt
from reports.aggregates import is_postgresql

QUARTER_HOUR = 900


class QuarterHour(Func):
    """The UTC quarter-hour of a datetime: epoch seconds // 900."""

    output_field = IntegerField()
    arity = 1

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="floor(date_part('epoch', %(expressions)s) / 900)::bigint")

    def as_sqlite(self, compiler, connection, **extra_context):
        # '%%%%s' becomes '%%s' here, then '%s' once Django's SQLite cursor turns %s into ?.
        template = "(CAST(strftime('%%%%s', %(expressions)s) AS INTEGER) / 900)"
        return self.as_sql(compiler, connection, template=template)


@dataclass
class AttemptFigures:
    had: dict[int, int] = field(default_factory=dict)  # attempt number -> leads that had one
    first_reached: dict[int, int] = field(default_factory=dict)  # number -> leads first reached on it
    early_by_owner: dict[int, int] = field(default_factory=dict)  # owner id -> attempts in the first 48 h
    touches: Counter = field(default_factory=Counter)  # UTC quarter-hour -> attempts


_PER_LEAD_SQL = """
SELECT p.owner_id, p.attempts, p.first_reached, count(*), sum(p.early), bool_and(p.attempts = p.last)
FROM (
  SELECT min(l.owner_id) AS owner_id, count(*) AS attempts, max(t.number) AS last,
    min(t.number) FILTER (WHERE t.outcome IN ({reached})) AS first_reached, {early} AS early
  FROM {attempts} t JOIN ({leads}) AS l ON t.lead_id = l.id
  WHERE t.lead_id BETWEEN %s AND %s
  GROUP BY t.lead_id
) AS p
GROUP BY p.owner_id, p.attempts, p.first_reached
"""
_BY_NUMBER_SQL = """
SELECT t.number, count(*) FROM {attempts} t JOIN ({leads}) AS l ON t.lead_id = l.id
WHERE t.lead_id BETWEEN %s AND %s
GROUP BY t.number
"""
_TOUCHES_SQL = """
SELECT floor(date_part('epoch', t.at) / 900)::bigint, count(*) FROM {attempts} t JOIN ({leads}) AS l ON t.lead_id = l.id
WHERE t.lead_id BETWEEN %s AND %s
GROUP BY 1
"""


def attempt_figures(
    leads: QuerySet, *, reached: tuple[str, ...], window, detail: bool, id_range: tuple | None = None
) -> AttemptFigures:
    """The attempt figures of `leads`; with `detail`, also early attempts per owner (within
    `window` of submission) and touches per quarter-hour. `id_range` is (smallest, largest)
    id among `leads` when the caller knows it already."""
    if is_postgresql(leads):
        if id_range is None:
            # pk + 0: a plain aggregate over the filtered leads, not PostgreSQL's min/max
            # rewrite into a walk along the primary key (slow when the filter is a date range).
            bounds = leads.order_by().aggregate(low=Min(F("pk") + 0), high=Max(F("pk") + 0))
            id_range = (bounds["low"], bounds["high"])
        if id_range[0] is None:
            return AttemptFigures()
        return _in_few_statements(leads, reached, window, detail, id_range)
    return _with_orm_queries(leads, reached, window, detail)


def _in_few_statements(leads: QuerySet, reached, window, detail: bool, id_range: tuple) -> AttemptFigures:
    leads_sql, leads_params = leads.order_by().values("id", "owner_id", "submitted_at").query.sql_with_params()
    names = {"leads": leads_sql, "attempts": Attempt._meta.db_table, "reached": ", ".join(["%s"] * len(reached))}
    early = "count(*) FILTER (WHERE t.at < l.submitted_at + %s)" if detail else "0"
    figures = AttemptFigures()
    numbered_in_order = True
    with connections[leads.db].cursor() as cursor:
        per_lead_params = [*reached, *([window] if detail else []), *leads_params, *id_range]
        cursor.execute(_PER_LEAD_SQL.format(**names, early=early), per_lead_params)
        for owner_id, attempts, first_reached, count, early_count, in_order in cursor.fetchall():
            numbered_in_order &= bool(in_order)
            for number in range(1, attempts + 1):
                figures.had[number] = figures.had.get(number, 0) + count
            if first_reached is not None:
                figures.first_reached[first_reached] = figures.first_reached.get(first_reached, 0) + count
            if detail and owner_id is not None:
                figures.early_by_owner[owner_id] = figures.early_by_owner.get(owner_id, 0) + int(early_count)
        if not numbered_in_order:  # a gap in some lead's numbering: count attempt by attempt
            cursor.execute(_BY_NUMBER_SQL.format(**names), [*leads_params, *id_range])
            figures.had = dict(cursor.fetchall())
        if detail:
            cursor.execute(_TOUCHES_SQL.format(**names), [*leads_params, *id_range])
            figures.touches = Counter(dict(cursor.fetchall()))
    return figures


def _with_orm_queries(leads: QuerySet, reached, window, detail: bool) -> AttemptFigures:
    attempts = Attempt.objects.filter(lead__in=leads.order_by().values("pk")).order_by()
    figures = AttemptFigures()
    figures.had = dict(attempts.values("number").annotate(n=Count("pk")).values_list("number", "n"))
    earlier_reach = Attempt.objects.filter(lead=OuterRef("lead"), number__lt=OuterRef("number"), outcome__in=reached)
    first = attempts.filter(outcome__in=reached).filter(~Exists(earlier_reach))
    figures.first_reached = dict(first.values("number").annotate(n=Count("pk")).values_list("number", "n"))
    if detail:
        early = attempts.filter(lead__owner__isnull=False, at__lt=F("lead__submitted_at") + window)
        by_owner = early.values("lead__owner_id").annotate(n=Count("pk")).values_list("lead__owner_id", "n")
        figures.early_by_owner = dict(by_owner)
        figures.touches = quarter_hours(attempts, "at")
    return figures


def quarter_hours(queryset: QuerySet, field_name: str) -> Counter:
    rows = queryset.order_by().annotate(quarter=QuarterHour(field_name)).values("quarter").annotate(n=Count("pk"))
    return Counter(dict(rows.values_list("quarter", "n")))


def lead_quarter_hours(leads: QuerySet) -> Counter:
    """Leads submitted per UTC quarter-hour."""
    return quarter_hours(leads, "submitted_at")
