"""Querysets compiled to SQL once per process, for the reads on every new lead's path.

Django builds and compiles a queryset's SQL each time it is evaluated: about 0.5 ms of
CPU for a one-table filter and 1.5 ms for a query with joins, `only()` and a subquery -
more than PostgreSQL needs to run either (bench/worker_cost.py --profile). A
CompiledQuery compiles its queryset the first time it runs, with stand-in values for its
parameters; later runs send the same SQL with their own values and turn the rows into
model instances exactly as the queryset would (`select_related()` objects, deferred
fields and annotations included), or into plain rows for a `values_list()` queryset.

    LEAD_WITH_OWNER = CompiledQuery(lambda lead_id: Lead.objects.select_related("owner").filter(pk=lead_id))
    lead = LEAD_WITH_OWNER.first(lead_id)

A parameter is an integer, a text or an aware datetime, or a list of them; a list is
compiled once per length (`pk__in` becomes one placeholder per item). Each must reach the
SQL once and as it is given (a text column's or SQLite's datetime as Django adapts it). A
`select_for_update()` queryset first runs inside a transaction, as Django requires anyway.
On PostgreSQL each is also prepared once per connection (leadops/prepared.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

from leadops import prepared

STAND_IN_BASE = -7_301_000_000  # stand-in values count down from here: no real id or count
STAND_IN_MOMENT = datetime(1900, 1, 1, tzinfo=UTC)  # and datetimes count up from here


@dataclass
class _Compiled:
    sql: str
    params: list
    slots: list[tuple[int, Callable]]  # where each parameter value goes in `params`, and how it is adapted
    compiler: object
    name: str = ""  # of its prepared statement (leadops/prepared.py)
    constants: frozenset = frozenset()  # positions of the parameters no run changes
    converters: dict | None = None  # the compiler's, worked out once (Django asks every field each time)
    plan: tuple | None = None  # for instances: model, its columns' names and slice, related populators

    def converted(self, rows: list):
        """The rows with their values converted as Django converts them."""
        compiler = self.compiler
        if self.converters is None:
            self.converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
        return compiler.apply_converters(rows, self.converters) if self.converters else rows


def _as_given(value):
    return value


def _flat(values: tuple) -> list:
    return [item for value in values for item in (value if isinstance(value, list | tuple) else (value,))]


class CompiledQuery:
    def __init__(self, build: Callable[..., QuerySet]):
        """`build` takes the parameters and returns the queryset (called once per database
        and shape of the parameters, with stand-in values)."""
        self.build = build
        self._compiled: dict[tuple, _Compiled] = {}

    def _compile(self, using: str, values: tuple) -> _Compiled:
        count = iter(range(10_000))

        def stand_in(value):
            n = next(count)
            return STAND_IN_MOMENT + timedelta(seconds=n) if isinstance(value, datetime) else STAND_IN_BASE - n

        stand_ins = tuple(
            [stand_in(item) for item in value] if isinstance(value, list | tuple) else stand_in(value)
            for value in values
        )
        compiler = self.build(*stand_ins).query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        params = list(params)
        adapt_moment = connections[using].ops.adapt_datetimefield_value
        slots = []
        for given in _flat(stand_ins):
            # The forms a value can take on its way: as it is, a text column's digits, or
            # a datetime as the database's adapter writes it (SQLite: text).
            forms = [(given, _as_given), (str(given), str)]
            if isinstance(given, datetime):
                forms.append((adapt_moment(given), adapt_moment))
            found = [
                (index, next(adapt for form, adapt in forms if value == form))
                for index, value in enumerate(params)
                if any(value == form for form, _ in forms)
            ]
            if len(found) != 1:
                raise ValueError(f"{self.build!r}: each parameter must reach the SQL once, as it is")
            slots.append(found[0])
        constants = frozenset(range(len(params))) - {slot for slot, _ in slots}
        return _Compiled(sql, params, slots, compiler, prepared.statement_name(sql), constants)

    def _run(self, values: tuple, using: str) -> tuple[_Compiled, list]:
        connection = connections[using]
        shape = tuple(len(value) if isinstance(value, list | tuple) else None for value in values)
        key = (using, connection.vendor, shape)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(using, values)
        params = list(compiled.params)
        for (slot, adapt), value in zip(compiled.slots, _flat(values), strict=True):
            params[slot] = adapt(value)
        with connection.cursor() as cursor:
            prepared.execute(cursor, compiled.sql, params, compiled.name, compiled.constants)
            return compiled, cursor.fetchall()

    def all(self, *values, using: str = "default") -> list[Model]:
        """The model instances, as list(queryset)."""
        if any(isinstance(value, list | tuple) and not value for value in values):
            return []  # an empty `__in`: Django matches nothing without asking the database
        compiled, rows = self._run(values, using)
        return _instances(compiled, rows, using)

    def first(self, *values, using: str = "default") -> Model | None:
        """The first instance, or None (the queryset orders and limits itself)."""
        found = self.all(*values, using=using)
        return found[0] if found else None

    def rows(self, *values, using: str = "default") -> list[tuple]:
        """The rows of a `values_list()` queryset, columns in its order, values converted
        as Django converts them."""
        if any(isinstance(value, list | tuple) and not value for value in values):
            return []
        compiled, rows = self._run(values, using)
        return [tuple(row) for row in compiled.converted(rows)]


def _instances(compiled: _Compiled, rows: list, using: str) -> list[Model]:
    """Model instances from the rows, as django.db.models.query.ModelIterable builds them."""
    if compiled.plan is None:
        compiler = compiled.compiler
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        names = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, using)
        compiled.plan = (klass_info["model"], names, start, end, populators, compiler.annotation_col_map or {})
    model, names, start, end, populators, annotations = compiled.plan
    instances = []
    for row in compiled.converted(rows):
        instance = model.from_db(using, names, row[start:end])
        for populator in populators:
            populator.populate(row, instance)
        for name, position in annotations.items():
            setattr(instance, name, row[position])
        instances.append(instance)
    return instances
