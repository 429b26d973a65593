"""create_intake_key and the role groups."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from leadops.roles import LEADERSHIP, MANAGERS, REPS
from leads.models import IntakeKey, LeadSource

pytestmark = pytest.mark.django_db


def run(*args) -> list[str]:
    out = io.StringIO()
    call_command("create_intake_key", *args, stdout=out)
    return out.getvalue().splitlines()


def test_it_prints_a_working_raw_key_alone_on_the_last_line():
    lines = run("--name", "Google Ads", "--source", "paid_ads")
    raw_key = lines[-1]
    assert raw_key.startswith("lo_") and " " not in raw_key
    key = IntakeKey.objects.for_raw_key(raw_key)
    assert key.lead_source.name == "Google Ads" and key.lead_source.slug == "google-ads"
    assert key.lead_source.default_source == "paid_ads"
    assert raw_key not in key.key_hash


def test_it_adds_keys_to_an_existing_source():
    run("--name", "Website", "--source", "organic")
    run("--name", "Website", "--source", "organic")
    assert LeadSource.objects.count() == 1 and IntakeKey.objects.count() == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["--name", "X", "--source", "pigeon"], "Unknown source 'pigeon'"),
        (["--name", "  ", "--source", "organic"], "Give the lead source a name"),
        (["--name", "X", "--source", "organic", "--requests-per-minute", "0"], "at least 1"),
    ],
)
def test_it_refuses_bad_arguments_with_a_sentence(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_migrate_creates_the_three_role_groups_with_sensible_permissions():
    managers = set(Group.objects.get(name=MANAGERS).permissions.values_list("codename", flat=True))
    leadership = set(Group.objects.get(name=LEADERSHIP).permissions.values_list("codename", flat=True))
    reps = set(Group.objects.get(name=REPS).permissions.values_list("codename", flat=True))
    assert {"change_slapolicy", "add_intakekey", "change_businessschedule", "view_lead"} <= managers
    assert "view_lead" in leadership and not any(code.startswith(("add_", "change_", "delete_")) for code in leadership)
    assert reps == set()


def test_managers_can_edit_sla_policies_in_the_admin_and_reps_cannot_enter_it(client, manager, rep):
    client.force_login(manager)
    assert client.get("/admin/leads/slapolicy/").status_code == 200
    assert client.get("/admin/leads/slapolicy/1/change/").status_code == 200
    client.force_login(rep)
    assert client.get("/admin/leads/slapolicy/").status_code == 302  # not staff: to the login page
