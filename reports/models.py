"""The SLA rollup (README "The SLA rollup"): the SPEC §4 figures of each local day (in the
organisation's time zone) kept as additive sums, so that /dashboard/ and the metrics API
read a few hundred rows instead of a million leads. reports/rollup.py keeps them current
and reads them; reports/rollup_facts.py computes them from the leads and attempts.

- DayRollup: one row per (day, owner): owner 0 is the day's total over every lead, other
  rows the leads of one owner. `data` holds counts, sums of seconds and small maps.
- RollupHistogram: percentile material: per (day, owner, kind, bin) the number of values
  in a logarithmic bin and the values themselves in milliseconds ({ms: count}); a
  percentile reads the bin counts, then the values of the one or two bins it falls in.
- RollupMonthHistogram: the same per calendar month, for the months a period covers whole.
- RollupDirty: a lead whose figures changed (a database trigger on leads, attempts and
  meetings writes it in the same transaction, whatever the code path); the worker's sweep
  recomputes the days of these leads, and until then the pages compute those days live.
"""

from __future__ import annotations

from django.db import models


class DayRollup(models.Model):
    day = models.DateField()
    owner = models.IntegerField(help_text="0: every lead of the day; else the owner's user id.")
    zone = models.CharField(max_length=64, help_text="The time zone the day was read in.")
    open_until = models.DateTimeField(
        null=True, help_text="The latest due time of a lead not yet attempted: until then the day is computed live."
    )
    computed_at = models.DateTimeField()
    leads = models.IntegerField(default=0)
    attempted = models.IntegerField(default=0)
    response_sum = models.FloatField(default=0)
    due = models.IntegerField(default=0, help_text="Leads with a due time (all due once open_until passed).")
    met = models.IntegerField(default=0)
    won = models.IntegerField(default=0)
    early = models.IntegerField(default=0, help_text="Attempts in the first 48 hours.")
    data = models.JSONField(help_text="Every other figure (reports/rollup_facts.py).")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "owner"], name="day_rollup_day_owner")]


class HistogramBin(models.Model):
    """One bin of a percentile histogram: of an owner (0: every lead) and a kind of figure."""

    owner = models.IntegerField()
    kind = models.CharField(max_length=16)
    bin = models.SmallIntegerField()
    n = models.IntegerField()
    values = models.JSONField(help_text="{milliseconds: count}")

    class Meta:
        abstract = True


class RollupHistogram(HistogramBin):
    day = models.DateField()

    class Meta:
        indexes = [
            models.Index(fields=["kind", "owner", "day", "bin"], name="rollup_histogram_lookup"),
            models.Index(fields=["day"], name="rollup_histogram_day"),
        ]


class RollupMonthHistogram(HistogramBin):
    """RollupHistogram's rows of a calendar month added up (`month`: its first day), read
    for the months a report covers whole: 30 times fewer rows for a year."""

    month = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["kind", "owner", "month", "bin"], name="rollup_month_lookup")]


class RollupDirty(models.Model):
    """Written by database triggers (migration 0002), read and cleared by reports/rollup.py."""

    submitted_at = models.DateTimeField(db_index=True)
