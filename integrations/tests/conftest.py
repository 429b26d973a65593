"""Integrations fixtures: a stand-in HTTP server, a team that routing can assign to,
connections with known secrets, signed requests, and a job runner for both queues."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from rq import SimpleWorker

from integrations.models import Connection
from integrations.tests.standin import StandIn
from leadops import queues
from leads.models import LeadSource
from routing.models import RoutingRule
from routing.tests.conftest import make_rep
from tests.workspace_kit import make_team

APP_SECRET = "meta-app-secret-0123456789"
PAGE_TOKEN = "EAAB-page-access-token"
VERIFY_TOKEN = "meta-verify-token-xyz"
TYPEFORM_SECRET = "typeform-webhook-secret"
HUBSPOT_SECRET = "hubspot-client-secret-1234"
HUBSPOT_TOKEN = "pat-na1-private-app-token"
GOOGLE_KEY = "google-form-key-5678"
GENERIC_SECRET = "whsec_" + base64.b64encode(b"generic-secret-bytes-0123456789").decode()
GENERIC_KEY = "generic-bearer-key"
LINKEDIN_SECRET = "linkedin-client-secret-abc"
LINKEDIN_TOKEN = "AQV-linkedin-oauth-token"
CALENDLY_KEY = "calendly-webhook-signing-key"
CALCOM_SECRET = "calcom-webhook-secret"


@pytest.fixture
def stand_in(settings):
    server = StandIn()
    settings.META_GRAPH_URL = server.url + "/v21.0"
    settings.HUBSPOT_API_URL = server.url
    settings.LINKEDIN_API_URL = server.url
    settings.LEADOPS_WEBHOOK_ALLOW_HTTP = True
    settings.LEADOPS_OUTBOUND_TIMEOUT = 2.0
    yield server
    server.close()


@pytest.fixture
def routable(db, manager):
    """A team of two available reps working around the clock, and a rule sending
    everything to it: a lead that comes in is assigned by its job."""
    team = make_team("Inbound", manager=manager)
    reps = [make_rep(name, team) for name in ("ava", "ben")]
    RoutingRule.objects.create(position=1, name="Everything to Inbound", team=team, strategy="round_robin")
    return team, reps


@pytest.fixture
def ads_source(db):
    return LeadSource.objects.create(name="Ads", slug="ads", default_source="paid_ads")


@pytest.fixture
def make_connection(ads_source):
    def make(provider: str, slug: str | None = None, *, signing="", token="", verify="", **fields) -> Connection:
        connection = Connection(
            name=f"{provider} {slug or provider}", slug=slug or provider.replace("-", ""), provider=provider,
            lead_source=ads_source, **fields,
        )  # fmt: skip
        if signing:
            connection.set_secret("signing_secret", signing)
        if token:
            connection.set_secret("access_token", token)
        connection.set_verify_key(verify)
        connection.save()
        return connection

    return make


@pytest.fixture
def run_all_jobs(real_redis, django_capture_on_commit_callbacks):
    """Run the queued jobs of both queues, and the jobs those jobs enqueue, until none is
    left; returns how many ran."""

    def run() -> int:
        ran = 0
        for _ in range(10):
            names = (*queues.PIPELINE_QUEUES, queues.INTEGRATIONS)
            worker_queues = [queues.get_queue(name) for name in names]
            before = sum(queue.finished_job_registry.count for queue in worker_queues)
            with django_capture_on_commit_callbacks(execute=True):
                SimpleWorker(worker_queues, connection=worker_queues[0].connection).work(burst=True)
            for queue in worker_queues:
                assert not queue.failed_job_registry.get_job_ids(), "a job failed"
            done = sum(queue.finished_job_registry.count for queue in worker_queues) - before
            if not done:
                return ran
            ran += done
        return ran

    return run


# --- signing, as each provider documents it (computed here, not by our verifier) -----------------


def meta_signed(body: bytes, secret: str = APP_SECRET) -> dict:
    return {"HTTP_X_HUB_SIGNATURE_256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def typeform_signed(body: bytes, secret: str = TYPEFORM_SECRET) -> dict:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return {"HTTP_TYPEFORM_SIGNATURE": "sha256=" + base64.b64encode(digest).decode()}


def hubspot_signed(url: str, body: bytes, secret: str = HUBSPOT_SECRET, *, at: float | None = None) -> dict:
    timestamp = str(int((time.time() if at is None else at) * 1000))
    source = b"POST" + url.encode() + body + timestamp.encode()
    signature = base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest()).decode()
    return {"HTTP_X_HUBSPOT_SIGNATURE_V3": signature, "HTTP_X_HUBSPOT_REQUEST_TIMESTAMP": timestamp}


def standard_signed(body: bytes, secret: str = GENERIC_SECRET, *, msg_id="msg_1", at: float | None = None) -> dict:
    timestamp = str(int(time.time() if at is None else at))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{msg_id}.{timestamp}.".encode() + body
    signature = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    return {"HTTP_WEBHOOK_ID": msg_id, "HTTP_WEBHOOK_TIMESTAMP": timestamp, "HTTP_WEBHOOK_SIGNATURE": f"v1,{signature}"}


def linkedin_signed(body: bytes, secret: str = LINKEDIN_SECRET, *, reading: str = "prefixed body") -> dict:
    """X-LI-Signature, as each documented reading computes it."""
    message = b"hmacsha256=" + body if reading.startswith("prefixed") else body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return {"HTTP_X_LI_SIGNATURE": "hmacsha256=" + digest if reading.endswith("header prefix") else digest}


def calendly_signed(body: bytes, key: str = CALENDLY_KEY, *, at: float | None = None) -> dict:
    timestamp = str(int(time.time() if at is None else at))
    digest = hmac.new(key.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"HTTP_CALENDLY_WEBHOOK_SIGNATURE": f"t={timestamp},v1={digest}"}


def calcom_signed(body: bytes, secret: str = CALCOM_SECRET) -> dict:
    return {"HTTP_X_CAL_SIGNATURE_256": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def post(client, path: str, body: bytes, headers: dict):
    return client.generic("POST", path, body, content_type="application/json", **headers)


@pytest.fixture
def deliver(client, real_redis, django_capture_on_commit_callbacks):
    """POST a body to a hook as the provider would; the jobs it enqueues reach Redis."""

    def send(path: str, body: bytes, headers: dict):
        with django_capture_on_commit_callbacks(execute=True):
            return post(client, path, body, headers)

    return send


def dumps(payload) -> bytes:
    return json.dumps(payload).encode()
