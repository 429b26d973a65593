"""Statements PostgreSQL parses and plans once per connection, for the queries on every
new lead's path (SPEC §7: 50 leads/s on 2 cores).

Queries here are bound on the client (psycopg's ClientCursor, Django's default), so
PostgreSQL parses and plans each one anew: for the worker's reads and writes of a lead,
about a third of the server's CPU. `execute(cursor, name, sql, params)` PREPAREs the SQL
the first time a connection runs it and from then on sends `EXECUTE name(values)`, the
values still bound on the client. The same statement text, the same results; only the
server's work changes. A statement PostgreSQL will not prepare (a parameter whose type it
cannot infer) is remembered and run as it is.

The PREPARE goes straight to psycopg, in a savepoint when a transaction is open, so it
neither shows among Django's queries nor spoils the caller's transaction when it fails. A
prepared statement lasts as long as the session, whatever becomes of the transaction
that prepared it. If the session loses them (DISCARD ALL, a pooler's reset), the next
EXECUTE fails with SQLSTATE 26000: outside a transaction the statement is prepared and
run again at once; inside one, the transaction is aborted and the error is raised (the
job is retried; the connection prepares afresh). SQLite runs every query as it is, and so
does PostgreSQL with LEADOPS_PREPARED_STATEMENTS=false (a pooler sharing sessions)."""

from __future__ import annotations

import hashlib
import logging
import re
import weakref

import psycopg
from django.conf import settings
from django.db import ProgrammingError
from psycopg.sql import Literal as sql_literal

log = logging.getLogger(__name__)
INVALID_STATEMENT_NAME = "26000"  # SQLSTATE: no prepared statement of that name
_PLACEHOLDER = re.compile(r"%%|%s")
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # psycopg connection -> names
_refused: set[str] = set()


def statement_name(sql: str) -> str:
    return "lo_" + hashlib.blake2b(sql.encode(), digest_size=10).hexdigest()


def _numbered(sql: str, constants: dict[int, str]) -> str:
    """Django's %s placeholders as $1, $2, ... (and %% as %); the placeholders at the
    positions of `constants` as those SQL literals instead."""
    position, number = iter(range(10_000)), iter(range(1, 10_000))

    def replace(match) -> str:
        if match.group() == "%%":
            return "%"
        at = next(position)
        return constants[at] if at in constants else f"${next(number)}"

    return _PLACEHOLDER.sub(replace, sql)


def _prepare(raw: psycopg.Connection, name: str, sql: str, constants: dict) -> bool:
    in_transaction = not raw.autocommit
    try:
        literals = {at: sql_literal(value).as_string(raw) for at, value in constants.items()}
        if in_transaction:
            raw.execute("SAVEPOINT lo_prepare")
        raw.execute(f"PREPARE {name} AS {_numbered(sql, literals)}")
    except psycopg.Error as error:
        if in_transaction:
            raw.execute("ROLLBACK TO SAVEPOINT lo_prepare")
            raw.execute("RELEASE SAVEPOINT lo_prepare")
        _refused.add(name)
        log.info("statement %s runs unprepared: %s", name, error)
        return False
    if in_transaction:
        raw.execute("RELEASE SAVEPOINT lo_prepare")
    return True


def execute(cursor, sql: str, params: list | tuple = (), name: str | None = None, constants: frozenset = frozenset()):
    """cursor.execute(sql, params) (a Django cursor, positional %s parameters), through a
    prepared statement on PostgreSQL. `name`: statement_name(sql), if the caller keeps it.

    `constants`: the positions of parameters that are the same on every run (a queryset's
    `status="scheduled"`): they go into the prepared statement as literals, so that its
    plan can use a partial index whose condition names them (with a parameter there, a
    generic plan cannot: it scanned the whole plan table, 1.4 ms a call at 30,000 steps)."""
    connection = cursor.db
    if connection.vendor != "postgresql" or not getattr(settings, "LEADOPS_PREPARED_STATEMENTS", False):
        cursor.execute(sql, params)
        return
    name = name or statement_name(sql)
    if name in _refused:
        cursor.execute(sql, params)
        return
    raw = connection.connection
    names = _prepared.setdefault(raw, set())
    if name not in names:
        if not _prepare(raw, name, sql, {at: params[at] for at in constants}):
            cursor.execute(sql, params)
            return
        names.add(name)
    values = [value for at, value in enumerate(params) if at not in constants] if constants else params
    run = f"EXECUTE {name}({', '.join(['%s'] * len(values))})" if values else f"EXECUTE {name}"
    try:
        cursor.execute(run, values)
    except ProgrammingError as error:
        if getattr(error.__cause__, "sqlstate", None) != INVALID_STATEMENT_NAME:
            raise
        _prepared.pop(raw, None)  # the session lost its prepared statements
        if not raw.autocommit:
            raise
        execute(cursor, sql, params, name, constants)
