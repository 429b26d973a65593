"""Two booked meetings of one rep can never overlap (PostgreSQL only).

An exclusion constraint over (rep, the meeting's time range) with btree_gist: any insert
or update that would give a rep two booked meetings whose [start, end) ranges overlap is
refused by the database, whatever the code above it does, and however many processes
book at once. SQLite has no exclusion constraints; there the partial unique index on
(rep, start) of booked meetings (0001) and SQLite's one-writer-at-a-time transactions keep
the same guarantee for the slot grid the app offers."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE booking_meeting ADD CONSTRAINT booked_meetings_never_overlap
    EXCLUDE USING gist (rep_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (status = 'booked');
"""
DROP = "ALTER TABLE booking_meeting DROP CONSTRAINT IF EXISTS booked_meetings_never_overlap;"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("booking", "0001_initial")]

    operations = [migrations.RunPython(add_constraint, drop_constraint, elidable=False)]
