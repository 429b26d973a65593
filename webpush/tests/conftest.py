"""Web push fixtures: a VAPID key pair in the settings and the local push service
stand-in (bench/push_service.py), which checks the VAPID JWT and decrypts every push."""

from __future__ import annotations

import pytest

from bench.push_service import PushServiceStandIn
from leadops import webpush
from leadops.webpush import generate_keys

KEYS = generate_keys()


@pytest.fixture
def vapid(settings):
    settings.LEADOPS_VAPID_PUBLIC_KEY, settings.LEADOPS_VAPID_PRIVATE_KEY = KEYS
    settings.LEADOPS_VAPID_SUBJECT = "mailto:ops@example.com"
    webpush._state.clear()
    yield KEYS
    webpush._state.clear()


@pytest.fixture
def push_service(vapid, settings):
    with PushServiceStandIn(expected_key=vapid[0]) as service:
        settings.LEADOPS_PUSH_SERVICES = [service.origin]
        yield service
