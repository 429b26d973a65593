"""Shared fixtures: personas (rep, other rep, manager, leader), an intake key, and the
real Redis (a dedicated database, flushed around each test that uses it)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest
import redis
from django.contrib.auth.models import Group, User
from rq import SimpleWorker

from leadops import queues
from leadops.roles import LEADERSHIP, MANAGERS, REPS
from leads import policies
from leads.models import IntakeKey, LeadSource

TEST_REDIS_DB = 15


def on_postgresql() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


# Row locks and concurrent transactions: SQLite's in-memory test database cannot show them.
postgresql_only = pytest.mark.skipif("not config._on_postgresql", reason="needs PostgreSQL (DATABASE_URL)")


def pytest_configure(config):
    from django.conf import settings

    config._on_postgresql = on_postgresql()
    # Test users' passwords: a fast hash (PBKDF2 costs ~0.5 s a user on these machines).
    # Set for the whole run, before the browser tests fork their live server, so the
    # server checks passwords the way the tests stored them.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(config, items):
    """Transaction tests must restore the migrations' data (serialized_rollback=True).

    Without it, their closing flush re-runs post_migrate, which recreates the role groups
    under new ids on PostgreSQL (sequences are not reset), and the next test that restores
    the serialized data fails on a duplicate group name: an error far from its cause, and
    only in some test orders. So the rule is checked here, up front."""
    offenders = [
        item.nodeid
        for item in items
        if (marker := item.get_closest_marker("django_db"))
        and marker.kwargs.get("transaction")
        and not marker.kwargs.get("serialized_rollback")
    ]
    if offenders:
        raise pytest.UsageError(
            "these tests use django_db(transaction=True) without serialized_rollback=True, "
            "which breaks later tests on PostgreSQL: " + ", ".join(offenders)
        )


@pytest.fixture(autouse=True)
def _fresh_config_cache():
    policies.forget()
    yield
    policies.forget()


@pytest.fixture
def real_redis(settings):
    """Jobs and rate limits on the real Redis server, in a database of their own."""
    configured = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    settings.REDIS_URL = configured._replace(path=f"/{TEST_REDIS_DB}").geturl()
    queues._state.clear()
    connection = redis.Redis.from_url(settings.REDIS_URL)
    try:
        connection.ping()
    except redis.ConnectionError:
        pytest.fail(f"These tests need Redis at {settings.REDIS_URL} (make test starts one).")
    connection.flushdb()
    yield connection
    connection.flushdb()
    queues._state.clear()


@pytest.fixture
def redis_down(settings):
    """Point the app at a port where no Redis listens: as if Redis were stopped."""
    settings.REDIS_URL = "redis://127.0.0.1:6/0"
    queues._state.clear()
    yield
    queues._state.clear()


@pytest.fixture
def run_jobs(real_redis):
    """Run every queued job (including scheduled ones now due) in this process."""

    def run() -> int:
        worked = [queues.get_queue(name) for name in queues.PIPELINE_QUEUES]
        finished_before = sum(queue.finished_job_registry.count for queue in worked)
        SimpleWorker(worked, connection=worked[0].connection).work(burst=True, with_scheduler=False)
        failed = [job_id for queue in worked for job_id in queue.failed_job_registry.get_job_ids()]
        assert not failed, f"jobs failed: {failed}"
        return sum(queue.finished_job_registry.count for queue in worked) - finished_before

    return run


def _user(username: str, group: str | None, **fields) -> User:
    user = User.objects.create_user(
        username=username, password="test-pass-123", email=f"{username}@example.com", **fields
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def rep(db):
    return _user("rep.one", REPS, first_name="Rita", last_name="Rep")


@pytest.fixture
def other_rep(db):
    return _user("rep.two", REPS, first_name="Oscar", last_name="Other")


@pytest.fixture
def manager(db):
    return _user("manager", MANAGERS, is_staff=True)


@pytest.fixture
def leader(db):
    return _user("leader", LEADERSHIP)


@pytest.fixture
def lead_source(db):
    return LeadSource.objects.create(name="Website", slug="website", default_source="organic")


@pytest.fixture
def intake_key(lead_source):
    _, raw_key = IntakeKey.issue(lead_source, label="tests")
    return raw_key


@pytest.fixture
def inbound_connections(lead_source, settings):
    """A Twilio and a generic inbound connection for the lead source's leads, with the
    secrets cadences/tests/signing.py signs with."""
    from cadences.models import InboundConnection
    from cadences.tests.signing import GENERIC_SECRET, PUBLIC_URL, TWILIO_TOKEN

    settings.LEADOPS_PUBLIC_URL = PUBLIC_URL
    twilio = InboundConnection.objects.create(name="Twilio", slug="twilio", provider="twilio", secret=TWILIO_TOKEN)
    generic = InboundConnection.objects.create(name="Mail", slug="mail", provider="generic", secret=GENERIC_SECRET)
    twilio.lead_sources.add(lead_source)
    generic.lead_sources.add(lead_source)
    return {"twilio": twilio, "generic": generic}
