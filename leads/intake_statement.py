"""A new lead in one round trip on PostgreSQL (SPEC §7: intake >= 600 leads/s on 2 cores).

`store_new_lead` sends one query of three statements: take the contact points' advisory
locks; look for a lead with the same email or phone within the duplicate window; EXECUTE a
prepared statement that, when there is none, inserts the lead, its first inquiry and its
`lead.submitted` event, returning the ids. The statements run in the
caller's transaction (leads.actions.lead_intake), so what follows the events still commits
with the lead.

The lock comes first and in its own statement: under READ COMMITTED each statement sees
the rows committed before it started, so the look-up, made after the lock is held, sees a
lead that a concurrent intake of the same person committed meanwhile. The look-up passes
its answer to the inserts in a transaction-local setting (MATCH_SETTING).

Measured (bench/intake.py, README "Benchmarks"): planning the three-insert statement cost
PostgreSQL about as much as running it, so the inserts are prepared once per connection
(PREPARE, one extra round trip on a connection's first intake), while the look-up is
planned each time (cheap, and never stuck with a plan made when the table was empty); each row travels as one JSON
parameter that jsonb_populate_record reads into the table's row type, so the query stays
short and PostgreSQL types every column itself. The SQL is built from the models' fields
(a new column is picked up without touching this file). Django's ORM path stays in
leads.actions for SQLite and for the duplicate (join) case; Django's signals do not fire
for these rows (no receiver listens to them)."""

from __future__ import annotations

import functools
import hashlib
import json
import weakref
from dataclasses import dataclass

from django.db import OperationalError, ProgrammingError, connection
from django.db.models import Model

from leads.models import Inquiry, Lead, LeadEvent

# Fields whose values go into the JSON row as they are; dates and times go as ISO 8601.
_JSON_AS_IS = {
    "CharField", "TextField", "EmailField", "SlugField", "URLField", "BooleanField", "IntegerField",
    "SmallIntegerField", "BigIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
    "PositiveBigIntegerField", "ForeignKey", "JSONField",
}  # fmt: skip
_JSON_ISO = {"DateTimeField", "DateField", "TimeField"}


def contact_lock_keys(email: str, phone: str) -> list[int]:
    """The advisory lock keys of a person's contact points, in lock order (no deadlock)."""
    return sorted(
        int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "big", signed=True)
        for value in (email, phone)
        if value
    )


class _Row:
    """A model's row as one JSON parameter, read back into the table's row type by
    jsonb_populate_record: one parameter per row keeps the query short and its parsing
    cached by psycopg (at most 50 parameters), and PostgreSQL types every column itself."""

    def __init__(self, model: type[Model], skip: tuple[str, ...] = ()):
        self.fields = [
            field for field in model._meta.concrete_fields if not field.primary_key and field.attname not in skip
        ]
        unsupported = [field.name for field in self.fields if field.get_internal_type() not in _JSON_AS_IS | _JSON_ISO]
        if unsupported:  # a new kind of column: teach _JSON_AS_IS/_JSON_ISO how it travels in JSON
            raise NotImplementedError(f"{model.__name__}: no JSON form for {unsupported}")
        self.names = ", ".join(connection.ops.quote_name(field.column) for field in self.fields)
        self.iso = [field.column for field in self.fields if field.get_internal_type() in _JSON_ISO]
        self.stamped = [
            field for field in self.fields if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        ]

    def json(self, instance: Model) -> str:
        for field in self.stamped:
            field.pre_save(instance, add=True)  # sets auto_now(_add) on the instance, as save() does
        row = {field.column: getattr(instance, field.attname) for field in self.fields}
        for name in self.iso:
            if row[name] is not None:
                row[name] = row[name].isoformat()
        return json.dumps(row, ensure_ascii=False)


@functools.cache
def _lead_row() -> _Row:
    return _Row(Lead)


@functools.cache
def _inquiry_row() -> _Row:
    return _Row(Inquiry, skip=("lead_id",))


@functools.cache
def _event_row() -> _Row:
    return _Row(LeadEvent, skip=("lead_id",))


# The duplicate look-up's answer, from the statement that looks to the prepared one that
# inserts: a setting local to the transaction, set (to "" when nothing matched) right before.
MATCH_SETTING = "leadops.intake_duplicate_of"


@dataclass(frozen=True)
class _Shape:
    """The statements for a lead with these contact points (none: a junk lead, never matched)."""

    has_email: bool
    has_phone: bool

    @property
    def contact(self) -> list[str]:
        present = (("email_normalized", self.has_email), ("phone_e164", self.has_phone))
        return [name for name, there in present if there]

    @property
    def name(self) -> str:
        return "leadops_new_lead" if self.contact else "leadops_new_junk_lead"

    @functools.cached_property
    def prepare(self) -> str:
        """PREPARE of the three inserts, $1-$3 the rows, skipped when the look-up matched.
        Built from the models' column names only."""
        lead, inquiry, event = _lead_row(), _inquiry_row(), _event_row()
        existing = "SELECT NULL::bigint AS id WHERE false"
        if self.contact:
            setting = f"current_setting('{MATCH_SETTING}')"
            existing = f"SELECT nullif({setting}, '')::bigint AS id WHERE {setting} <> ''"
        event_values = event.names.replace('"data"', "event_row.data || jsonb_build_object('inquiry', new_inquiry.id)")
        parts = [
            f"PREPARE {self.name} (jsonb, jsonb, jsonb) AS WITH existing AS ({existing}),",
            f"new_lead AS (INSERT INTO leads_lead ({lead.names}) SELECT {lead.names}",
            "FROM jsonb_populate_record(NULL::leads_lead, $1) WHERE NOT EXISTS (SELECT FROM existing)",
            "RETURNING id),",
            f"new_inquiry AS (INSERT INTO leads_inquiry (lead_id, {inquiry.names}) SELECT new_lead.id, {inquiry.names}",
            "FROM new_lead, jsonb_populate_record(NULL::leads_inquiry, $2) RETURNING id, lead_id),",
            f"new_event AS (INSERT INTO leads_leadevent (lead_id, {event.names}) SELECT new_inquiry.lead_id,",
            f"{event_values} FROM new_inquiry, jsonb_populate_record(NULL::leads_leadevent, $3) AS event_row",
            "RETURNING id)",
            "SELECT (SELECT id FROM existing), (SELECT id FROM new_lead), (SELECT id FROM new_inquiry),",
            "(SELECT id FROM new_event)",
        ]
        return " ".join(parts)

    @functools.cached_property
    def execute(self) -> str:
        """The per-lead query. For a lead with contact points: their locks; then, in a
        statement of its own (so that it sees what was committed while the locks were
        awaited), the look-up for a recent lead, planned afresh each time (a plan cached
        while the table was small would scan it whole once it is not); then the inserts."""
        contact = self.contact
        if not contact:
            return f"EXECUTE {self.name}(%s, %s, %s)"
        locks = "SELECT " + ", ".join(["pg_advisory_xact_lock(%s)"] * len(contact)) + ";\n"
        matches = " OR ".join(name + " = %s" for name in contact)
        look_up = f"SELECT id FROM leads_lead WHERE ({matches}) AND NOT junk AND submitted_at >= %s"  # noqa: S608 - names, not input
        look_up += " ORDER BY submitted_at LIMIT 1"
        remember = f"SELECT set_config('{MATCH_SETTING}', coalesce(({look_up})::text, ''), true);\n"
        return f"{locks}{remember}EXECUTE {self.name}(%s, %s, %s)"


class PreparedStatementsLost(OperationalError):
    """The connection no longer holds the intake's prepared statements; the transaction is
    aborted. Trying the intake again prepares them anew. (An OperationalError, so that if
    the retry fails too the API answers 503, retry shortly, never a 500.)"""


# Which statements each PostgreSQL connection has prepared (they last as long as the
# session, whatever becomes of the transaction that prepared them).
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
INVALID_STATEMENT_NAME = "26000"  # SQLSTATE: no prepared statement of that name


def _prepared_on_this_connection(shape: _Shape) -> None:
    connection.ensure_connection()
    names = _prepared.setdefault(connection.connection, set())
    if shape.name not in names:
        with connection.cursor() as cursor:
            cursor.execute(shape.prepare)
        names.add(shape.name)


def store_new_lead(lead: Lead, inquiry: Inquiry, event: LeadEvent, *, since) -> int | None:
    """Insert `lead` with its first `inquiry` and `event` (their lead unset, `event.data`
    without "inquiry"; the ids are set on all three), unless a lead with the same email or
    phone arrived since `since`: then nothing is inserted and its id is returned. A junk
    lead is never matched (nor locked). Call inside a transaction."""
    email, phone = ("", "") if lead.junk else (lead.email_normalized, lead.phone_e164)
    keys = contact_lock_keys(email, phone)
    contact = [value for value in (email, phone) if value]
    shape = _Shape(bool(email), bool(phone))
    params = [*keys, *contact, since] if contact else []
    params += [_lead_row().json(lead), _inquiry_row().json(inquiry), _event_row().json(event)]
    _prepared_on_this_connection(shape)
    try:
        with connection.cursor() as cursor:
            cursor.execute(shape.execute, params)
            if keys:
                cursor.nextset()  # past the locks
                cursor.nextset()  # and the look-up
            existing, lead_id, inquiry_id, event_id = cursor.fetchone()
    except ProgrammingError as error:
        if getattr(error.__cause__, "sqlstate", None) == INVALID_STATEMENT_NAME:
            # The session lost its prepared statements (DISCARD ALL, a pooler's reset): they
            # are prepared again on the next try, which leads.actions.lead_intake makes at once.
            _prepared.pop(connection.connection, None)
            raise PreparedStatementsLost(str(error)) from error
        raise
    if existing is not None:
        return existing
    lead.pk = lead_id
    inquiry.lead, inquiry.pk = lead, inquiry_id
    event.lead, event.pk = lead, event_id
    event.data = {"inquiry": inquiry_id, **event.data}
    for instance in (lead, inquiry, event):  # as after save(): stored, in this database
        instance._state.adding, instance._state.db = False, connection.alias
    return None
