"""A database migrated by main before the apps' layout (issue 10) keeps its rows after
`migrate`: models that change app keep their tables (SeparateDatabaseAndState or
db_table), so migrating changes nothing that holds data."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from leads.models import Lead, LeadSource
from routing.models import BusinessSchedule, Team

# The leaf migrations of main just before the layout (commit 247de14).
BEFORE_LAYOUT = [
    ("leads", "0005_company_domain_index"),
    ("routing", "0003_reps_territories_rota_rules"),
    ("cadences", "0002_seed_default_cadences"),
]

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_it_keeps_every_row_of_a_database_migrated_before_the_layout():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_LAYOUT)
    old = executor.loader.project_state(BEFORE_LAYOUT).apps
    schedule = old.get_model("routing", "BusinessSchedule").objects.create(name="Old hours", time_zone="UTC")
    team = old.get_model("routing", "Team").objects.create(name="Old team", schedule=schedule)
    source = old.get_model("leads", "LeadSource").objects.create(name="Old form", slug="old-form", schedule=schedule)
    old.get_model("leads", "Lead").objects.create(
        lead_source=source, email="ada@example.com", email_normalized="ada@example.com", team=team,
        submitted_at="2026-11-20T10:00:00Z",
    )  # fmt: skip

    call_command("migrate", verbosity=0)

    lead = Lead.objects.select_related("lead_source__schedule", "team").get(email="ada@example.com")
    assert lead.lead_source == LeadSource.objects.get(slug="old-form")
    assert lead.team == Team.objects.get(name="Old team")
    assert lead.lead_source.schedule == BusinessSchedule.objects.get(name="Old hours")


def test_it_has_no_model_change_without_its_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
