"""What the browser tests share: a live server (daphne, HTTP and websockets) in a child
process, a real RQ worker subprocess on the test database, real Redis, and Debian's
Chromium driven by Playwright.

Setup notes (../shared/STACK-NOTES pitfalls 7-10):
- the server and the worker are other processes, so the test database must be one they
  can open: PostgreSQL's `test_<name>`, or the SQLite test *file* that settings.py names
  for tests (an in-memory database would be invisible to them);
- Playwright's sync API runs an event loop in the test thread, which trips Django's
  async-safety check for the test's own ORM calls: DJANGO_ALLOW_ASYNC_UNSAFE is set for
  these tests only;
- the server and worker use Redis database 10 (jobs and the channel layer), flushed
  around each test."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import redis
from asgiref.sync import SyncToAsync
from channels.testing import ChannelsLiveServerTestCase
from daphne.testing import DaphneProcess
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection, connections
from django.test import override_settings

from leadops import queues
from leadops.roles import REPS

CHROMIUM = os.environ.get("LEADOPS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
PASSWORD = "browser-pass-123"
BROWSER_REDIS_DB = 10  # its own: tests use 15, the benches 12-14
_numbers = itertools.count(1)


def browser_redis_url() -> str:
    configured = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    return configured._replace(path=f"/{BROWSER_REDIS_DB}").geturl()


REDIS_URL = browser_redis_url()


def skip_reason() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -r requirements-test.txt)"
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium; CI installs it)"
    return ""


def database_url() -> str:
    """The test database, as a DATABASE_URL for the worker subprocess."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user, password = quote(db.get("USER") or ""), quote(db.get("PASSWORD") or "")
    credentials = f"{user}:{password}@" if user else ""
    return f"postgres://{credentials}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class ForkSafeDaphneProcess(DaphneProcess):
    """The live server is forked from the test process, which it must share nothing with:

    - asgiref's executor for thread-sensitive sync code may have a worker thread (the
      consumer tests ran async code) that the fork did not copy: the server's consumers
      would wait on it forever;
    - the test's database connection lives in the context of Playwright's event loop,
      which the server's coroutines would inherit: every request would share that one
      connection (opened by the parent) and could read an old snapshot.

    So the server starts with a fresh executor and fresh connection storage (the inherited
    connections are dropped, not closed: closing would end the parent's sessions). And the
    parent closes its own connections before forking: SQLite forbids using a connection
    across fork(), and its lock and WAL-index state is per process, so a child that inherits
    an open database file can read an old snapshot even through new connections."""

    def start(self):
        connections.close_all()
        super().start()

    def run(self):
        from asgiref.local import Local

        SyncToAsync.single_thread_executor = ThreadPoolExecutor(max_workers=1)
        connections._connections = Local(connections.thread_critical)
        super().run()


@override_settings(
    REDIS_URL=REDIS_URL,
    CHANNEL_LAYERS={
        "default": {
            "BACKEND": "leadops.channel_layer.LeadOpsChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15, "socket_connect_timeout": 2}]},
        }
    },
    LEADOPS_PUBLIC_URL="http://localhost",
    # The websocket's allowed origins: the live server's pages, http://localhost on the port
    # it picks when it starts (a bare host name matches any port), whatever DEBUG says.
    LEADOPS_WS_ALLOWED_ORIGINS=["localhost"],
)
class BrowserTestCase(ChannelsLiveServerTestCase):
    """A live server with a worker, Chromium, and helpers to make reps and post leads."""

    serialized_rollback = True
    workers = 1
    worker_env: dict[str, str] = {}  # more settings for the worker process (e.g. VAPID keys)
    ProtocolServerProcess = ForkSafeDaphneProcess

    @classmethod
    def setUpClass(cls):
        reason = skip_reason()
        if reason:
            pytest.skip(reason)
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        redis.Redis.from_url(REDIS_URL).flushdb()
        queues._state.clear()
        ARTIFACTS.mkdir(exist_ok=True)
        # The migrated data (SLA policies, the default schedule, cadences) that
        # serialized_rollback restores after each test's flush. pytest-django may not have
        # kept it (it looks for tests asking for it); the database is still intact here.
        serialized = getattr(connection, "_test_serialized_contents", None)
        if serialized is None:
            serialized = connection.creation.serialize_db_to_string()
        connections.close_all()  # nothing open may be inherited by the server's fork (see above)
        from playwright.sync_api import sync_playwright

        # Playwright's sync API keeps an event loop running in this thread from now on,
        # and Django then keeps its connections per context, not per thread: the test
        # case's machinery below (and the test) get a fresh connection object, which must
        # carry the serialized data too.
        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        connection._test_serialized_contents = serialized
        # The server process runs each request's sync code in a thread of its own (Django
        # under ASGI): persistent connections would pile up one per request there.
        cls.saved_conn_max_age = connection.settings_dict.get("CONN_MAX_AGE", 0)
        connection.settings_dict["CONN_MAX_AGE"] = 0
        try:
            super().setUpClass()
        except Exception:
            cls._stop_browser()
            raise
        finally:
            connection.settings_dict["CONN_MAX_AGE"] = cls.saved_conn_max_age

    @classmethod
    def _stop_browser(cls):
        connections.close_all()  # this context's connections: the test database is dropped later
        cls.browser.close()
        cls.playwright.stop()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls._stop_browser()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            queues._state.clear()

    def setUp(self):
        super().setUp()
        self.contexts = []
        self.csp_violations = []  # what Chromium refused under the Content-Security-Policy
        self.start_workers()

    def tearDown(self):
        for context in self.contexts:
            context.close()
        self.stop_workers()  # before the database is emptied for the next test
        redis.Redis.from_url(REDIS_URL).flushdb()
        super().tearDown()
        assert not self.csp_violations, self.csp_violations

    def start_workers(self) -> None:
        """The `worker` process of the Procfile, on the test database and Redis."""
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": REDIS_URL,
            "DEBUG": "true",
            "LEADOPS_PUBLIC_URL": self.live_server_url,
            "LEADOPS_SWEEP_INTERVAL": "30",  # the sweeper is the floor, not the fast path under test
            "DJANGO_SETTINGS_MODULE": "leadops.settings",
            **self.worker_env,
        }
        self.worker_log = open(ARTIFACTS / f"browser-worker-{self._testMethodName}.log", "w")  # noqa: SIM115
        self.worker_processes = [
            subprocess.Popen(
                [sys.executable, "manage.py", "leadops_worker"],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=self.worker_log,
                stderr=subprocess.STDOUT,
            )
            for _ in range(self.workers)
        ]

    def stop_workers(self) -> None:
        for process in self.worker_processes:
            process.terminate()
        for process in self.worker_processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.worker_log.close()

    # --- people and leads ------------------------------------------------------------------------

    def make_rep(self, username: str, first_name: str, team=None):
        from datetime import time as clock

        from routing.models import RepProfile, WorkingHours

        user = User.objects.create_user(username, f"{username}@example.com", PASSWORD, first_name=first_name)
        user.groups.add(Group.objects.get(name=REPS))
        profile = RepProfile.objects.create(user=user, status="offline", capacity=1000)
        WorkingHours.objects.bulk_create(
            WorkingHours(rep=profile, weekday=day, starts=clock(0), ends=clock(23, 59, 59)) for day in range(7)
        )
        if team is not None:
            team.members.add(user)
        return user

    def make_team_and_rule(self, name: str = "East"):
        from routing.models import BusinessSchedule, RoutingRule, Team

        team = Team.objects.create(name=name, schedule=BusinessSchedule.objects.get(is_default=True))
        RoutingRule.objects.create(position=0, name=f"Everything to {name}", team=team, strategy="round_robin")
        return team

    def intake_key(self) -> str:
        from leads.models import IntakeKey, LeadSource

        source = LeadSource.objects.create(name="Website", slug="website", default_source="paid_ads")
        return IntakeKey.issue(source, label="browser tests", requests_per_minute=100_000)[1]

    def post_lead(self, key: str, **fields) -> dict:
        """POST /api/v1/leads as an integration would (a new person each time, so no
        duplicate joins an earlier lead)."""
        number = next(_numbers)
        body = {
            "email": f"ada.{number}.{time.monotonic_ns()}@analytical.io",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "company": "Analytical Engines",
            "phone": f"+1 415 2{number // 10000 % 100:02d} {number % 10000:04d}",
            "inquiry_type": "demo_request",
            "source": "paid_ads",
            "message": "Please call me about a demo.",
            **fields,
        }
        request = urllib.request.Request(  # noqa: S310
            f"{self.live_server_url}/api/v1/leads",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.loads(response.read())

    # --- the browser ---------------------------------------------------------------------------------

    def wait_until(self, page, expression: str, timeout: int = 30_000) -> None:
        """Wait until `expression` is true in the page. Playwright's wait_for_function polls
        with eval(), which the pages' Content-Security-Policy refuses; page.evaluate goes
        through the DevTools protocol, which the policy does not govern."""
        deadline = time.monotonic() + timeout / 1000
        while not page.evaluate(f"Boolean({expression})"):
            if time.monotonic() > deadline:
                raise AssertionError(f"still false after {timeout} ms: {expression}")
            time.sleep(0.05)

    def new_page(self, *, width: int = 1280, height: int = 900, mobile: bool = False):
        context = self.browser.new_context(
            viewport={"width": width, "height": height},
            device_scale_factor=2 if mobile else 1,
            is_mobile=mobile,
            has_touch=mobile,
            base_url=self.live_server_url,
        )
        context.grant_permissions(["notifications"], origin=self.live_server_url)
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("console", self._note_csp_violation)
        return page

    def _note_csp_violation(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def sign_in(self, page, username: str) -> None:
        page.goto("/accounts/login/")
        page.fill('input[name="username"]', username)
        page.fill('input[name="password"]', PASSWORD)
        page.click("button:has-text('Sign in')")
        try:
            page.wait_for_url("**/queue/")
            page.wait_for_selector('#live-state[data-state="live"]')
        except Exception:
            self.screenshot(page, f"failed-sign-in-{username}.png")
            print("sign-in failed at", page.url, page.inner_text("body")[:300])
            raise

    def wait_for_row(self, page, lead_id: int, timeout: int = 10_000):
        """The lead's row in the open queue; on a timeout, say where the lead got stuck."""
        try:
            return page.wait_for_selector(f"#lead-{lead_id}", timeout=timeout)
        except Exception:
            from leads.models import Lead

            lead = Lead.objects.filter(pk=lead_id).first()
            queue = queues.get_queue(queues.ROUTING)
            print(
                "row never shown:",
                lead and (lead.owner_id, lead.stage, lead.route_after, lead.routing_trace.get("summary")),
                "events",
                lead and list(lead.events.values_list("kind", flat=True)),
                "queued",
                len(queue),
                "started",
                queue.started_job_registry.get_job_ids(),
                "failed",
                queue.failed_job_registry.get_job_ids(),
                "page events",
                page.evaluate("JSON.stringify(window.LeadOps.stats.events.slice(-5))"),
                "live",
                page.evaluate("document.getElementById('live-state').dataset.state"),
            )
            raise

    def screenshot(self, page, name: str, *, full_page: bool = True) -> Path:
        page.wait_for_timeout(2600)  # let the arrival highlight fade
        path = ARTIFACTS / name
        page.screenshot(path=str(path), full_page=full_page)
        return path
