"""UPDATE of some fields of one row, with the SQL built once per process: what
`instance.save(update_fields=...)` writes, without building and compiling an UPDATE query
each time (about 1 ms of the routing job's CPU per lead for the routed lead's row,
bench/worker_cost.py). Values are taken as `save()` takes them (`pre_save`: auto_now) and
adapted as leadops/inserts.py adapts them. Like a queryset's `update()`, it sends no
signals: use it only for models nothing listens to (leads.Lead)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections
from django.db.models import Model

from leadops.inserts import adapter_for
from leadops.prepared import execute

_plans: dict[tuple, tuple[str, list, list]] = {}


def update_fields(instance: Model, names: Sequence[str], using: str = "default") -> int:
    """Write these fields of a saved instance; returns the rows updated (0 or 1)."""
    model = type(instance)
    connection = connections[using]
    key = (model, tuple(names), using, connection.vendor)
    plan = _plans.get(key)
    if plan is None:
        meta, quote = model._meta, connection.ops.quote_name
        fields = [meta.get_field(name) for name in dict.fromkeys(names)]
        if any(not field.concrete or field.primary_key for field in fields):
            raise ValueError(f"update_fields() writes concrete, non-key fields: {names}")
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
        sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
        plan = _plans[key] = (sql, fields, [adapter_for(field, connection) for field in fields])
    sql, fields, adapters = plan
    params = [adapt(field.pre_save(instance, False)) for field, adapt in zip(fields, adapters, strict=True)]
    with connection.cursor() as cursor:
        execute(cursor, sql, [*params, instance.pk])
        return cursor.rowcount
