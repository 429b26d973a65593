"""Availability that routing obeys across processes (issue 11): the web process takes a
rep's status change or a manager's edit, a real `leadops_worker` process routes the next
lead, and that very next decision must already see the change."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from leads.models import Lead
from routing.models import LeavePeriod, WorkingHours
from routing.tests.conftest import make_rep
from tests.browser.support import database_url

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def worker(real_redis, tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "DEBUG": "true",
        "LEADOPS_SWEEP_INTERVAL": "300",  # the job routes; the sweeper is not what is under test
        "DJANGO_SETTINGS_MODULE": "leadops.settings",
    }
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "manage.py", "leadops_worker"], cwd=settings.BASE_DIR, env=env, stdout=log, stderr=log
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def routed_owner(lead_id: int, timeout: float = 20.0) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lead = Lead.objects.select_related("owner").get(pk=lead_id)
        if lead.owner_id or (lead.routing_trace or {}).get("outcome"):
            return lead.owner.username if lead.owner_id else None
        time.sleep(0.05)
    raise AssertionError(f"lead {lead_id} was not routed within {timeout} s")


def post_leads(intake_key: str, count: int) -> list[str | None]:
    client = Client()
    owners = []
    for _ in range(count):
        number = time.monotonic_ns()
        reply = client.post(
            "/api/v1/leads",
            json.dumps({"email": f"lead.{number}@firm{number}.io", "inquiry_type": "demo_request", "country": "GB"}),
            content_type="application/json",
            headers={"authorization": f"Bearer {intake_key}"},
        )
        assert reply.status_code == 201, reply.content
        owners.append(routed_owner(reply.json()["id"]))
    return owners


def set_status(user, status: str) -> None:
    client = Client()
    client.force_login(user)
    reply = client.post("/api/v1/me/status", {"status": status}, content_type="application/json")
    assert reply.status_code == 200 and reply.json()["status"] == status


def test_the_worker_obeys_status_and_admin_edits_at_the_very_next_decision(team, rule, intake_key, worker):
    ava, ben = make_rep("ava", team), make_rep("ben", team)
    assert sorted(post_leads(intake_key, 2)) == ["ava", "ben"]  # the worker has loaded its caches

    set_status(ava, "away")
    assert post_leads(intake_key, 3) == ["ben"] * 3

    set_status(ava, "available")
    today = timezone.localdate()
    LeavePeriod.objects.create(
        rep=ben.rep_profile, starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=1)
    )
    assert post_leads(intake_key, 2) == ["ava"] * 2  # ben's leave counts at once, not after a cache's TTL

    # Ava's working hours edited to none today: nobody is eligible, the lead waits in the queue.
    WorkingHours.objects.filter(rep=ava.rep_profile).delete()
    WorkingHours.objects.create(rep=ava.rep_profile, weekday=(today.weekday() + 3) % 7, starts="09:00", ends="10:00")
    assert post_leads(intake_key, 1) == [None]
