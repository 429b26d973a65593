"""Database triggers that mark a lead's figures as changed (reports/models.py RollupDirty),
in the writing transaction, whatever writes: the ORM, QuerySet.update(), raw SQL, imports.
A lead: inserted, deleted, or one of the columns the metrics read changed (old and new
submission time both marked); an attempt or a meeting: inserted, updated or deleted."""

from django.db import migrations

LEAD_COLUMNS = (
    "submitted_at", "junk", "owner_id", "team_id", "source", "temperature", "stage", "first_contact_due_at",
    "assigned_at", "acknowledged_at", "first_attempt_at", "decided_at", "lead_source_id", "country", "region",
    "resolved_time_zone",
)  # fmt: skip
CHILDREN = ("leads_attempt", "booking_meeting")

PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION reports_rollup_mark_lead() RETURNS trigger AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    INSERT INTO reports_rollupdirty (submitted_at) VALUES (OLD.submitted_at);
  END IF;
  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR OLD.submitted_at IS DISTINCT FROM NEW.submitted_at) THEN
    INSERT INTO reports_rollupdirty (submitted_at) VALUES (NEW.submitted_at);
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION reports_rollup_mark_child() RETURNS trigger AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    INSERT INTO reports_rollupdirty (submitted_at) SELECT submitted_at FROM leads_lead WHERE id = OLD.lead_id;
  END IF;
  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR OLD.lead_id IS DISTINCT FROM NEW.lead_id) THEN
    INSERT INTO reports_rollupdirty (submitted_at) SELECT submitted_at FROM leads_lead WHERE id = NEW.lead_id;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
"""


def _changed(old: str, new: str, operator: str) -> str:
    return " OR ".join(f"{old}.{column} {operator} {new}.{column}" for column in LEAD_COLUMNS)


def forwards(apps, schema_editor):
    run = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        run(PG_FUNCTIONS)
        run("CREATE TRIGGER reports_rollup_lead_write AFTER INSERT OR DELETE ON leads_lead"
            " FOR EACH ROW EXECUTE FUNCTION reports_rollup_mark_lead()")  # fmt: skip
        run(f"CREATE TRIGGER reports_rollup_lead_change AFTER UPDATE ON leads_lead FOR EACH ROW"
            f" WHEN ({_changed('OLD', 'NEW', 'IS DISTINCT FROM')}) EXECUTE FUNCTION reports_rollup_mark_lead()")  # fmt: skip
        for table in CHILDREN:
            run(f"CREATE TRIGGER reports_rollup_{table} AFTER INSERT OR UPDATE OR DELETE ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION reports_rollup_mark_child()")  # fmt: skip
        return
    if schema_editor.connection.vendor == "sqlite":
        create_sqlite_triggers(run)


def create_sqlite_triggers(run) -> None:
    """SQLite drops a table's triggers when it rebuilds the table (as its ALTER TABLE does for
    most field changes): reports/apps.py runs this again after every migrate (IF NOT EXISTS)."""
    mark = "INSERT INTO reports_rollupdirty (submitted_at) VALUES"
    create = "CREATE TRIGGER IF NOT EXISTS reports_rollup"
    run(f"{create}_lead_insert AFTER INSERT ON leads_lead BEGIN {mark} (NEW.submitted_at); END")
    run(f"{create}_lead_delete AFTER DELETE ON leads_lead BEGIN {mark} (OLD.submitted_at); END")
    run(f"{create}_lead_update AFTER UPDATE ON leads_lead WHEN {_changed('OLD', 'NEW', 'IS NOT')}"
        f" BEGIN {mark} (OLD.submitted_at); {mark} (NEW.submitted_at); END")  # fmt: skip
    lead_of = "INSERT INTO reports_rollupdirty (submitted_at) SELECT submitted_at FROM leads_lead WHERE id ="
    for table in CHILDREN:
        run(f"{create}_{table}_insert AFTER INSERT ON {table} BEGIN {lead_of} NEW.lead_id; END")
        run(f"{create}_{table}_delete AFTER DELETE ON {table} BEGIN {lead_of} OLD.lead_id; END")
        run(f"{create}_{table}_update AFTER UPDATE ON {table} BEGIN {lead_of} OLD.lead_id; {lead_of} NEW.lead_id; END")


def backwards(apps, schema_editor):
    run = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        for name, table in (("lead_write", "leads_lead"), ("lead_change", "leads_lead"),
                            *((table, table) for table in CHILDREN)):  # fmt: skip
            run(f"DROP TRIGGER IF EXISTS reports_rollup_{name} ON {table}")
        run("DROP FUNCTION IF EXISTS reports_rollup_mark_lead(); DROP FUNCTION IF EXISTS reports_rollup_mark_child()")
    elif schema_editor.connection.vendor == "sqlite":
        names = ["lead_insert", "lead_delete", "lead_update"]
        names += [f"{table}_{event}" for table in CHILDREN for event in ("insert", "delete", "update")]
        for name in names:
            run(f"DROP TRIGGER IF EXISTS reports_rollup_{name}")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_sla_rollup"),
        ("leads", "0009_whatsapp_consent_and_attempts"),
        ("booking", "0003_meetings_booked_elsewhere"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
