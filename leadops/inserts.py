"""INSERTs for the rows written for every new lead, with their SQL built once per process.

`Model.objects.create()` and `bulk_create()` build an INSERT query and compile it each
time: about a fifth of the routing job's CPU went there (bench/worker_cost.py
--profile), for the 5-6 rows a lead gets (its events, enrollment, planned steps,
acknowledgment messages). `insert(objects)` writes the same rows with the same values:
each field's value as `save()` takes it (`pre_save`: auto_now_add and the like) and
adapted for the database as Django adapts it, with the SQL of the model and row count
kept from the first time, and the new primary keys set on the objects (RETURNING, on
PostgreSQL and SQLite alike). Like `bulk_create`, it sends no signals.

On PostgreSQL the rows travel as one JSON document (`json_populate_recordset`): one text
parameter, written by the json module's C encoder, and the same SQL for any number of
rows. psycopg quotes a list parameter element by element in Python, so the earlier form
(one array per column, unnest) cost about 0.3 ms more per insert of ten planned steps
(measured with process_time, 300 inserts each way).

Simple columns (text, numbers, booleans, foreign keys) go to the driver as they are, the
others through their field's `get_db_prep_save`. A model with a database default
(`db_default`) or a primary key the caller sets is refused: use the ORM for it."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from django.db import connections
from django.db.models import Field, Model

from leadops.prepared import execute

_TEXT = {"CharField", "TextField", "EmailField", "SlugField", "URLField"}
# What the JSON document carries as json.dumps writes it, or through _json_value.
_JSON_KINDS = _TEXT | {
    "IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
    "PositiveBigIntegerField", "BooleanField", "ForeignKey", "OneToOneField", "JSONField", "DateTimeField",
    "DateField", "TimeField", "DecimalField", "FloatField", "UUIDField", "GenericIPAddressField",
}  # fmt: skip
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
    by_json: str = ""  # PostgreSQL: the statement taking the rows as one JSON document
    columns: list[str] | None = None  # the document's keys


def _text(value):
    return value if value is None or type(value) is str else str(value)


def _as_is(value):
    return value


def adapter_for(field: Field, connection) -> Callable:
    """How a field's value goes to the driver (leadops/updates.py too)."""
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
            adapters=[adapter_for(field, connection) for field in fields],
            rows={},
        )
        if connection.vendor == "postgresql" and all(field.get_internal_type() in _JSON_KINDS for field in fields):
            rows = f"json_populate_recordset(NULL::{quote(model._meta.db_table)}, %s)"
            table.by_json = f"{table.prefix}SELECT {columns} FROM {rows}{table.returning}"  # noqa: S608 - names
            table.columns = [field.column for field in fields]
    return table


def _json_value(value):
    """What json.dumps cannot write: times and dates in ISO 8601 (full precision, as
    PostgreSQL reads them), decimals and UUIDs as text."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot go into an INSERT's JSON document")


def _statement(table: _Table, objects: Sequence[Model]) -> tuple[str, list]:
    """The SQL and its parameters. On PostgreSQL one JSON document, so that the text is the
    same for any number of rows and psycopg parses it once (it re-parses a query with more
    than 50 parameters every time); elsewhere VALUES rows."""
    if table.by_json:
        fields, columns = table.fields, table.columns
        rows = [dict(zip(columns, [field.pre_save(i, True) for field in fields], strict=True)) for i in objects]
        return table.by_json, [json.dumps(rows, default=_json_value, ensure_ascii=False)]
    pairs = list(zip(table.fields, table.adapters, strict=True))
    rows = [[adapt(field.pre_save(instance, True)) for field, adapt in pairs] for instance in objects]
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
        execute(cursor, sql, params)
        keys = [row[0] for row in cursor.fetchall()]
    for instance, key in zip(objects, keys, strict=True):
        instance.pk = key
        instance._state.adding = False
        instance._state.db = using
    return objects


_families: dict[tuple, str] = {}


def insert_family(parent: Model, children: Sequence[Model], link: str, using: str = "default") -> Sequence[Model]:
    """Insert a new parent row and its new children, whose foreign key `link` is set to the
    parent: one statement on PostgreSQL (the parent's INSERT feeds the children's), two
    elsewhere. Returns the children, every row's primary key set."""
    child_model = type(children[0]) if children else None
    parent_table = _table(type(parent), using)
    child_table = _table(child_model, using) if children else None
    if child_table is None or not (parent_table.by_json and child_table.by_json):
        insert([parent], using)
        for child in children:
            setattr(child, link, parent)
        return insert(children, using)
    connection = connections[using]
    link_field = child_model._meta.get_field(link)
    key = (type(parent), child_model, link, using)
    sql = _families.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        parent_key, child_key = quote(type(parent)._meta.pk.column), quote(child_model._meta.pk.column)
        values = ", ".join(
            f"family_parent.{parent_key}" if column == link_field.column else f"family_rows.{quote(column)}"
            for column in child_table.columns
        )
        record = f"NULL::{quote(child_model._meta.db_table)}"
        sql = _families[key] = (
            f"WITH family_parent AS ({parent_table.by_json}), "  # noqa: S608 - names from the models
            f"family_children AS ({child_table.prefix}SELECT {values} FROM family_parent, "
            f"json_populate_recordset({record}, %s) AS family_rows{child_table.returning}) "
            f"SELECT (SELECT {parent_key} FROM family_parent),"
            f" ARRAY(SELECT {child_key} FROM family_children ORDER BY {child_key})"
        )
    with connection.cursor() as cursor:
        execute(cursor, sql, _statement(parent_table, [parent])[1] + _statement(child_table, children)[1])
        parent_key, child_keys = cursor.fetchone()
    for instance, key in [(parent, parent_key), *zip(children, child_keys, strict=True)]:
        instance.pk = key
        instance._state.adding = False
        instance._state.db = using
    for child in children:
        setattr(child, link, parent)  # the unsaved parent's object, now saved
    return children
