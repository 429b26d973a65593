"""INSERTs for the rows written for every new lead, with their SQL built once per process.

`Model.objects.create()` and `bulk_create()` build an INSERT query and compile it each
time: about a fifth of the routing job's CPU went there (bench/worker_cost.py
--profile), for the 5-6 rows a lead gets (its events, enrollment, planned steps,
acknowledgment messages). `insert(objects)` writes the same rows with the same values:
each field's value as `save()` takes it (`pre_save`: auto_now_add and the like) and
adapted for the database as Django adapts it, with the SQL of the model and row count
kept from the first time, and the new primary keys set on the objects (RETURNING, on
PostgreSQL and SQLite alike). On PostgreSQL the rows travel as one array per column.
Like `bulk_create`, it sends no signals.

Simple columns (text, numbers, booleans, foreign keys) go to the driver as they are, the
others through their field's `get_db_prep_save`. A model with a database default
(`db_default`) or a primary key the caller sets is refused: use the ORM for it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import connections
from django.db.models import Field, Model

_TEXT = {"CharField", "TextField", "EmailField", "SlugField", "URLField"}
_AS_IS = {
    "IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
    "PositiveBigIntegerField", "BooleanField", "ForeignKey", "OneToOneField",
}  # fmt: skip


@dataclass
class _Table:
    prefix: str  # INSERT INTO table (columns)
    row: str  # (%s, ...)
    returning: str
    fields: list[Field]
    adapters: list[Callable]
    rows: dict[int, str]  # row count -> the whole statement
    by_column: str = ""  # PostgreSQL: the statement taking one array per column


def _text(value):
    return value if value is None or type(value) is str else str(value)


def _as_is(value):
    return value


def _adapter(field: Field, connection) -> Callable:
    kind = field.get_internal_type()
    if kind in _TEXT:
        return _text
    if kind in _AS_IS:
        return _as_is
    return lambda value: field.get_db_prep_save(value, connection=connection)


_tables: dict[tuple, _Table] = {}


def _table(model: type[Model], using: str) -> _Table:
    connection = connections[using]
    key = (model, using, connection.vendor)
    table = _tables.get(key)
    if table is None:
        fields = [field for field in model._meta.concrete_fields if not field.primary_key]
        if any(field.has_db_default() for field in fields):
            raise NotImplementedError(f"{model.__name__} has a database default: use the ORM")
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in fields)
        table = _tables[key] = _Table(
            prefix=f"INSERT INTO {quote(model._meta.db_table)} ({columns}) ",  # noqa: S608 - names from the model
            row=f"({', '.join(['%s'] * len(fields))})",
            returning=f" RETURNING {quote(model._meta.pk.column)}",
            fields=fields,
            adapters=[_adapter(field, connection) for field in fields],
            rows={},
        )
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{field.cast_db_type(connection)}[]" for field in fields)
            table.by_column = f"{table.prefix}SELECT * FROM unnest({arrays}){table.returning}"  # noqa: S608 - names
    return table


def _statement(table: _Table, objects: Sequence[Model]) -> tuple[str, list]:
    """The SQL and its parameters. On PostgreSQL one array per column (unnest), so that the
    text is the same for any number of rows and psycopg parses it once (it re-parses a query
    with more than 50 parameters every time); elsewhere VALUES rows."""
    pairs = list(zip(table.fields, table.adapters, strict=True))
    rows = [[adapt(field.pre_save(instance, True)) for field, adapt in pairs] for instance in objects]
    if table.by_column:
        return table.by_column, [list(column) for column in zip(*rows, strict=True)]
    sql = table.rows.get(len(objects))
    if sql is None:
        sql = table.rows[len(objects)] = (
            f"{table.prefix}VALUES {', '.join([table.row] * len(objects))}{table.returning}"
        )
    return sql, [value for row in rows for value in row]


def insert(objects: Sequence[Model], using: str = "default") -> Sequence[Model]:
    """Insert these new instances of one model in one statement; returns them with their
    primary keys set."""
    if not objects:
        return objects
    model = type(objects[0])
    if any(type(instance) is not model or instance.pk is not None for instance in objects):
        raise ValueError("insert() takes new instances of one model, without primary keys")
    sql, params = _statement(_table(model, using), objects)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        keys = [row[0] for row in cursor.fetchall()]
    for instance, key in zip(objects, keys, strict=True):
        instance.pk = key
        instance._state.adding = False
        instance._state.db = using
    return objects
