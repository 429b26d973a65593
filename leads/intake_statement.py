"""A new lead in one round trip on PostgreSQL (SPEC §7: intake >= 600 leads/s on 2 cores).

`store_new_lead` sends one query of two statements: take the contact points' advisory
locks, then one statement that looks for a lead with the same email or phone within the
duplicate window and, when there is none, inserts the lead, its first inquiry and its
`lead.submitted` event, returning the ids. The statements run in the caller's transaction
(leads.actions.lead_intake), so what follows the events still commits with the lead.

The lock comes first and in its own statement: under READ COMMITTED each statement sees
the rows committed before it started, so the look-up, made after the lock is held, sees a
lead that a concurrent intake of the same person committed meanwhile.

The SQL is built once per shape from the models' fields (a new column is picked up
without touching this file); Django's ORM path stays in leads.actions for SQLite and for
the duplicate (join) case. Django's signals do not fire for these rows (no receiver
listens to them; leads.tests.test_intake_statement checks the rows match the ORM's)."""

from __future__ import annotations

import functools
import hashlib
import re

from django.db import connection
from django.db.models import Model

from leads.models import Inquiry, Lead, LeadEvent

# Columns PostgreSQL can take as an untyped literal; the others are cast explicitly, since
# INSERT ... SELECT reads an untyped literal (or NULL) as text.
_TEXT_TYPES = {"CharField", "TextField", "EmailField", "SlugField", "URLField"}
# Values used as they are, without Field.get_db_prep_save (a measurable cost per column).
_PLAIN_TYPES = _TEXT_TYPES | {
    "BooleanField", "IntegerField", "SmallIntegerField", "BigIntegerField", "PositiveIntegerField",
    "PositiveSmallIntegerField", "PositiveBigIntegerField", "ForeignKey",
}  # fmt: skip


def contact_lock_keys(email: str, phone: str) -> list[int]:
    """The advisory lock keys of a person's contact points, in lock order (no deadlock)."""
    return sorted(
        int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "big", signed=True)
        for value in (email, phone)
        if value
    )


class _Columns:
    """The insert plan of a model's concrete columns, minus the primary key and `skip`."""

    def __init__(self, model: type[Model], skip: tuple[str, ...] = ()):
        self.fields = [
            field for field in model._meta.concrete_fields if not field.primary_key and field.attname not in skip
        ]
        quote = connection.ops.quote_name
        self.names = ", ".join(quote(field.column) for field in self.fields)
        self.values = ", ".join(self._placeholder(field) for field in self.fields)
        self.stamped = [
            field for field in self.fields if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        ]
        self.prepared = {field.attname for field in self.fields if field.get_internal_type() not in _PLAIN_TYPES}

    @staticmethod
    def _placeholder(field) -> str:
        if field.get_internal_type() in _TEXT_TYPES:
            return "%s"
        base_type = re.sub(r"\(\s*\d+(\s*,\s*\d+)?\s*\)", "", field.db_type(connection))
        return "%s::" + base_type.replace("timestamp with time zone", "timestamptz")

    def params(self, instance: Model) -> list:
        for field in self.stamped:
            field.pre_save(instance, add=True)  # sets auto_now(_add) on the instance, as save() does
        values = []
        for field in self.fields:
            value = getattr(instance, field.attname)
            if field.attname in self.prepared:
                value = field.get_db_prep_save(value, connection)
            values.append(value)
        return values


@functools.cache
def _lead_columns() -> _Columns:
    return _Columns(Lead)


@functools.cache
def _inquiry_columns() -> _Columns:
    return _Columns(Inquiry, skip=("lead_id",))


@functools.cache
def _event_columns() -> _Columns:
    return _Columns(LeadEvent, skip=("lead_id", "data"))


@functools.cache
def _statement(has_email: bool, has_phone: bool) -> str:
    """The query for a lead with these contact points (none: a junk lead, never matched).
    Built from the models' column names only; every value is a parameter."""
    lead, inquiry, event = _lead_columns(), _inquiry_columns(), _event_columns()
    contact = [
        name + " = %s" for name, present in (("email_normalized", has_email), ("phone_e164", has_phone)) if present
    ]
    locks, existing = "", "SELECT NULL::bigint AS id WHERE false"
    if contact:
        locks = "SELECT " + ", ".join(["pg_advisory_xact_lock(%s)"] * len(contact)) + ";\n"
        existing = "SELECT id FROM leads_lead WHERE (" + " OR ".join(contact) + ")"  # noqa: S608 - names, not input
        existing += " AND NOT junk AND submitted_at >= %s ORDER BY submitted_at LIMIT 1"
    parts = [
        f"{locks}WITH existing AS ({existing}),",
        f"new_lead AS (INSERT INTO leads_lead ({lead.names}) SELECT {lead.values}",
        "WHERE NOT EXISTS (SELECT FROM existing) RETURNING id),",
        f"new_inquiry AS (INSERT INTO leads_inquiry (lead_id, {inquiry.names})",
        f"SELECT new_lead.id, {inquiry.values} FROM new_lead RETURNING id, lead_id),",  # noqa: S608 - names, not input
        f"new_event AS (INSERT INTO leads_leadevent (lead_id, {event.names}, data) SELECT new_inquiry.lead_id,",
        f"{event.values}, %s::jsonb || jsonb_build_object('inquiry', new_inquiry.id) FROM new_inquiry RETURNING id)",
        "SELECT (SELECT id FROM existing), (SELECT id FROM new_lead), (SELECT id FROM new_inquiry),",
        "(SELECT id FROM new_event)",
    ]
    return " ".join(parts)


def store_new_lead(lead: Lead, inquiry: Inquiry, event: LeadEvent, *, since) -> int | None:
    """Insert `lead` with its first `inquiry` and `event` (their lead unset, `event.data`
    without "inquiry"; the ids are set on all three), unless a lead with the same email or
    phone arrived since `since`: then nothing is inserted and its id is returned. A junk
    lead is never matched (nor locked). Call inside a transaction."""
    email, phone = ("", "") if lead.junk else (lead.email_normalized, lead.phone_e164)
    keys = contact_lock_keys(email, phone)
    contact = [value for value in (email, phone) if value]
    params = [*keys, *contact, since] if contact else []
    params += _lead_columns().params(lead)
    params += _inquiry_columns().params(inquiry)
    params += _event_columns().params(event)
    params.append(LeadEvent._meta.get_field("data").get_db_prep_save(event.data, connection))
    with connection.cursor() as cursor:
        cursor.execute(_statement(bool(email), bool(phone)), params)
        if keys:
            cursor.nextset()
        existing, lead_id, inquiry_id, event_id = cursor.fetchone()
    if existing is not None:
        return existing
    lead.pk = lead_id
    inquiry.lead, inquiry.pk = lead, inquiry_id
    event.lead, event.pk = lead, event_id
    event.data = {"inquiry": inquiry_id, **event.data}
    for instance in (lead, inquiry, event):  # as after save(): stored, in this database
        instance._state.adding, instance._state.db = False, connection.alias
    return None
