"""Operations (issue 7): /healthz in each state, the worker heartbeat, and log records
that carry the lead's id."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connections
from django.utils import timezone

from leadops.logs import JsonFormatter, LeadContext
from leads.choices import MessageState
from leads.messaging import deliver_message
from leads.models import Message
from pipeline import health
from tests.workspace_kit import make_lead


def get_health(client) -> tuple[int, dict]:
    response = client.get("/healthz")
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


@pytest.mark.django_db
def test_it_answers_200_ok_when_database_redis_and_a_worker_are_alive(client, real_redis):
    health.beat("host:1", real_redis)

    status, body = get_health(client)

    assert status == 200, body
    assert body["status"] == "ok", body
    assert body["failing"] == []
    assert (body["database"], body["redis"], body["workers"], body["queue_depth"]) == ("ok", "ok", 1, 0)
    assert body["oldest_unassigned_seconds"] is None


@pytest.mark.django_db
def test_it_reports_a_missing_worker_heartbeat_as_degraded_but_still_200(client, real_redis):
    status, body = get_health(client)

    assert status == 200
    assert body["status"] == "degraded"
    assert body["failing"] == ["workers"]
    assert body["workers"] == 0


@pytest.mark.django_db
def test_it_answers_503_naming_redis_when_redis_is_down(client, redis_down):
    status, body = get_health(client)

    assert status == 503
    assert body["status"] == "unavailable"
    assert body["failing"] == ["redis"]
    assert body["redis"] == "error: ConnectionError"
    assert body["database"] == "ok"
    assert body["workers"] is None and body["queue_depth"] is None


@pytest.mark.django_db
def test_it_answers_503_naming_the_database_when_it_cannot_connect(client, real_redis, monkeypatch):
    health.beat("host:1", real_redis)

    def refuse():
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    monkeypatch.setattr(connections["default"], "ensure_connection", refuse)  # the connection edge
    status, body = get_health(client)

    assert status == 503
    assert body["failing"] == ["database"]
    assert body["database"] == "error: OperationalError"
    assert body["redis"] == "ok"
    assert body["oldest_unassigned_seconds"] is None


@pytest.mark.django_db
def test_it_counts_both_parts_when_database_and_redis_are_down(client, redis_down, monkeypatch):
    def refuse():
        raise OperationalError("Connection refused")

    monkeypatch.setattr(connections["default"], "ensure_connection", refuse)
    status, body = get_health(client)

    assert status == 503
    assert body["failing"] == ["database", "redis"]


@pytest.mark.django_db
def test_it_reports_the_oldest_lead_waiting_for_an_owner(client, real_redis, rep):
    now = timezone.now()
    make_lead(at=now - timedelta(seconds=40), route_after=now - timedelta(seconds=40))
    make_lead(at=now - timedelta(minutes=10), route_after=None, junk=True)
    make_lead(
        at=now - timedelta(minutes=9),
        route_after=now + timedelta(seconds=60),
        routing_trace={"outcome": "morning_queue"},
    )
    make_lead(rep, at=now - timedelta(minutes=8))  # owned
    make_lead(at=now - timedelta(minutes=7), route_after=None)  # imported history: not routed

    _, body = get_health(client)

    assert 40 <= body["oldest_unassigned_seconds"] < 100


@pytest.mark.django_db
def test_it_counts_a_lead_that_routing_found_no_rule_for(client, real_redis):
    now = timezone.now()
    make_lead(at=now - timedelta(minutes=5), route_after=now, routing_trace={"outcome": "unrouted"})

    _, body = get_health(client)

    assert body["oldest_unassigned_seconds"] >= 300


def test_it_forgets_a_worker_that_stopped_beating(real_redis):
    now = time.time()
    health.beat("alive:1", real_redis, now=now)
    health.beat("killed:2", real_redis, now=now - health.HEARTBEAT_TTL - 1)

    assert health.live_workers(real_redis, now=now) == ["alive:1"]
    assert 0 < real_redis.ttl(health.HEARTBEAT_KEY) <= health.HEARTBEAT_TTL


def test_it_takes_a_stopping_worker_out_at_once(real_redis):
    health.beat("stopping:3", real_redis)
    health.forget("stopping:3", real_redis)

    assert health.live_workers(real_redis) == []


def test_it_writes_the_heartbeat_from_the_worker_command_thread(real_redis):
    import threading

    from pipeline.management.commands.leadops_worker import beat_forever

    stop = threading.Event()
    thread = threading.Thread(target=beat_forever, args=(stop, "thread:4"))
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while "thread:4" not in health.live_workers(real_redis) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert health.live_workers(real_redis) == ["thread:4"]
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()


# --- logs ------------------------------------------------------------------------------------------


def record(message: str = "lead %s assigned", args: tuple = (7,), **extra) -> logging.LogRecord:
    entry = logging.LogRecord("routing.assignment", logging.INFO, __file__, 1, message, args, None)
    entry.__dict__.update(extra)
    LeadContext().filter(entry)
    return entry


def test_it_prints_the_lead_id_in_the_plain_format():
    formatter = logging.Formatter("%(levelname)s %(name)s %(lead)s%(message)s")

    assert formatter.format(record(lead_id=7)) == "INFO routing.assignment lead_id=7 lead 7 assigned"
    assert formatter.format(record("sweep done", ())) == "INFO routing.assignment sweep done"


def test_it_writes_one_json_object_per_record_with_the_lead_id_and_extra_fields():
    line = JsonFormatter().format(record(lead_id=7, message_id=3))

    entry = json.loads(line)
    assert entry["lead_id"] == 7 and entry["message_id"] == 3
    assert entry["level"] == "INFO" and entry["logger"] == "routing.assignment"
    assert entry["message"] == "lead 7 assigned"
    assert json.loads(JsonFormatter().format(record("sweep done", ())))["lead_id"] is None


@pytest.mark.django_db
def test_it_logs_a_sent_message_with_its_lead_id(caplog):
    lead = make_lead()
    message = Message.objects.create(
        lead=lead, dedupe_key="ack:test", purpose="acknowledgment", channel="email",
        recipient=lead.email, subject="Thanks", body="We got it.", not_before=timezone.now(),
    )  # fmt: skip

    with caplog.at_level(logging.INFO, logger="leads.messaging"):
        assert deliver_message(message.pk)

    message.refresh_from_db()
    assert message.state == MessageState.SENT
    (sent,) = [r for r in caplog.records if r.name == "leads.messaging"]
    assert sent.lead_id == lead.pk and sent.message_id == message.pk
