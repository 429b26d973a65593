"""Fault drills (SPEC §7 reliability, issue 7 item 5): the production layout on PRIVATE
services, faults injected under load, and one PASS/FAIL line per drill.

    make drills                    # = .venv/bin/python bench/drills.py
    .venv/bin/python bench/drills.py --only redis,worker-kill --keep

Nothing shared is touched: the drills start their own redis-server on a free port
(`--save '' --appendonly no`) and their own PostgreSQL 15 cluster in a temporary
directory (initdb + pg_ctl as the `postgres` user, trust auth on 127.0.0.1 only, fsync off:
a throw-away cluster), then `manage.py migrate`, `seed_demo`, gunicorn as Procfile.prod
starts it, one daphne for /ws/ (Procfile.prod's `ws`) and two `manage.py leadops_worker`
processes, with EMAIL_URL set to Django's file backend in the temporary directory (so
acknowledgment emails can be counted) and SMS on the console transport into the workers'
log. Bench-only set-up, as bench/pipeline.py does it: reps work 24/7 and take 30,000 open
leads, so every drill lead can be assigned whatever the time of day.

Drills (each with its own leads; each waits until the pipeline is idle again):
  redis        Redis stopped for 30 s while leads arrive at 20/s (5 s before, 30 s during,
               5 s after; Redis restarted empty, as without persistence). Intake must
               answer 201 throughout; afterwards every lead is routed (owner and
               assigned_at set, one lead.assigned event), acknowledged exactly once (one
               email row, one acknowledgment.sent per channel, one email in the mail
               backend, no SMS printed twice) and enrolled in at most one cadence.
  worker-kill  Leads at 30/s for 5 s; a worker caught running a job (RQ says busy) is
               killed with SIGKILL (its process group: worker and rq scheduler); a
               replacement starts. Same audit: nothing lost, nothing sent twice (a message
               the killed worker was sending is left `uncertain`, never resent, and named).
  postgres     PostgreSQL stopped (fast shutdown) for 10 s while leads arrive at 20/s.
               Intake must answer 201 or 503 - never 500, never a dropped connection - and
               201 again within 15 s of the restart without any process restarted; every
               lead that got a 201 passes the same audit.
  websocket    rep.ava (the demo's named-account owner) signed in with a websocket open;
               daphne is killed (SIGKILL) and leads for her named account arrive while the
               socket is down; daphne restarts. The client behaves as static/workspace/live.js
               and queue.js: reconnect with the same backoff, and on the new `hello` reload
               the queue rows (GET /queue/). PASS when every lead assigned while it was
               down is in the reloaded rows and a lead assigned afterwards arrives live.

Exit status: 0 when every drill passed, 1 when one failed, 2 when the drills could not run.
Run as root (the PostgreSQL cluster runs as `postgres`); about 4-6 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import http.client
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter
from pathlib import Path

from common import PYTHON, ROOT, BenchError, Gunicorn, Postgres, free_port, redis_client, run, say, stop_process_group
from live import Daphne, log_in

from pipeline import LeadMaker, Sender, count_backend_emails, create_keys, prepare_reps

PG_BIN = Path("/usr/lib/postgresql/15/bin")
DRILLS = ("redis", "worker-kill", "postgres", "websocket")
DRAIN_TIMEOUT = 240  # seconds: a worker reconnecting to Redis backs off up to 60 s, the sweep runs every 15 s
DEMO_PASSWORD = "leadops-demo"  # demo/seed.py DEFAULT_DEMO_PASSWORD
WS_REP = "rep.ava"  # owner of the demo named account acme-corp.com (demo/seed.py)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Fault drills on private PostgreSQL and Redis.")
    parser.add_argument("--only", default=",".join(DRILLS), help=f"comma-separated drills among {', '.join(DRILLS)}")
    parser.add_argument("--rate", type=float, default=20, help="leads per second during the outages")
    parser.add_argument("--redis-outage", type=float, default=30, help="seconds Redis is stopped")
    parser.add_argument("--postgres-outage", type=float, default=10, help="seconds PostgreSQL is stopped")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, mail, cluster)")
    args = parser.parse_args(argv)
    args.drills = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(args.drills) - set(DRILLS)
    if unknown:
        parser.error(f"unknown drill(s): {', '.join(sorted(unknown))}")
    return args


def result_line(ok: bool, name: str, figures: str) -> bool:
    say(f"{'PASS' if ok else 'FAIL'} {name}: {figures}")
    return ok


# --- private services ------------------------------------------------------------------------------


class PrivateRedis:
    """redis-server on a free port, no persistence, in its own process group."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = directory / "redis.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 20) -> None:
        cmd = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
               "--daemonize", "no"]  # fmt: skip
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                if redis_client(self.url).ping():
                    return
            time.sleep(0.1)
        raise BenchError(f"the private redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        stop_process_group(self.process, timeout=10)


class PrivatePostgres:
    """A throw-away PostgreSQL 15 cluster in `directory`, run as the postgres user."""

    def __init__(self, directory: Path):
        self.data = directory / "pgdata"
        self.sockets = directory / "pgsock"
        self.log = directory / "postgres.log"
        self.port = free_port()
        self.server_url = f"postgres://postgres@127.0.0.1:{self.port}"

    def _as_postgres(self, *cmd: str, timeout: float = 120) -> str:
        done = subprocess.run(["runuser", "-u", "postgres", "--", *cmd], capture_output=True, text=True,
                              timeout=timeout, check=False)  # fmt: skip
        if done.returncode != 0:
            raise BenchError(f"{' '.join(cmd[:2])} failed ({done.returncode}): {done.stdout}{done.stderr}")
        return done.stdout

    def init(self) -> None:
        user = pwd.getpwnam("postgres")
        for path in (self.data, self.sockets):
            path.mkdir(parents=True)
            os.chown(path, user.pw_uid, user.pw_gid)
        self.log.touch()
        os.chown(self.log, user.pw_uid, user.pw_gid)
        self._as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                          "-E", "UTF8", "--no-sync")  # fmt: skip

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
                   " -c synchronous_commit=off -c full_page_writes=off -c max_connections=100")  # fmt: skip
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                          "-o", options, "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


# --- the stack ------------------------------------------------------------------------------------


class Workers:
    """`manage.py leadops_worker` processes (Procfile.prod's `worker`), each in its own
    process group (the worker and its rq scheduler child), output to one log."""

    def __init__(self, env: dict, log: Path):
        self.env, self.log = env, log
        self.processes: list[subprocess.Popen] = []

    def start_one(self) -> subprocess.Popen:
        with open(self.log, "a") as log:
            process = subprocess.Popen([PYTHON, "manage.py", "leadops_worker"], cwd=ROOT, env=self.env,
                                       stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        self.processes.append(process)
        return process

    def wait_registered(self, redis_url: str, count: int, timeout: float = 90) -> None:
        from rq import Worker

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            alive = {p.pid for p in self.processes if p.poll() is None}
            with contextlib.suppress(Exception):
                if len({w.pid for w in Worker.all(connection=redis_client(redis_url))} & alive) >= count:
                    return
            time.sleep(0.3)
        raise BenchError(f"{count} workers did not register in Redis within {timeout:.0f} s")

    def stop(self) -> None:
        for process in self.processes:
            stop_process_group(process, timeout=20)


class Stack:
    def __init__(self, args: argparse.Namespace, directory: Path):
        self.args, self.directory = args, directory
        self.redis = PrivateRedis(directory)
        self.pg = PrivatePostgres(directory)
        self.mail_dir = directory / "mail"
        self.mail_dir.mkdir()
        self.database = Postgres(self.pg.server_url, "leadops_drills")
        self.web_port, self.ws_port = free_port(), free_port()
        self.env: dict = {}
        self.server: Gunicorn | None = None
        self.daphne: Daphne | None = None
        self.workers: Workers | None = None
        self.keys: list[str] = []

    def start(self) -> None:
        say(f"private services in {self.directory}")
        self.pg.init()
        self.pg.start()
        self.database.ensure_database()
        self.redis.start()
        say(f"  PostgreSQL 15 on 127.0.0.1:{self.pg.port}, redis-server on 127.0.0.1:{self.redis.port}")
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database.url,
            "REDIS_URL": self.redis.url,
            "EMAIL_URL": f"filemail:///{self.mail_dir}",
            "SMS_TRANSPORT": "console",
            "DEBUG": "false",
            "SECRET_KEY": "drills-only-" + secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",  # loopback HTTP: the drill's client signs in like a browser
            "CSRF_COOKIE_SECURE": "false",
            "LEADOPS_WS_URL": f"ws://127.0.0.1:{self.ws_port}",
            "LEADOPS_PUBLIC_URL": f"http://127.0.0.1:{self.web_port}",  # the websocket accepts its pages
            "LEADOPS_PRESENCE_GRACE": "300",  # the websocket drill's rep stays available while her page is gone
            # The login and queue pages link CSS through {% static %}: plain storage, no collectstatic.
            "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
            "LOG_LEVEL": "WARNING",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
        }
        run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env=self.env, what="manage.py migrate")
        seeded = run([PYTHON, "manage.py", "seed_demo"], env=self.env, what="manage.py seed_demo")
        say(f"  migrated; seed_demo: {seeded.strip().splitlines()[0]}")
        self.keys = create_keys(self.env)
        lines, _ = prepare_reps(self.database, argparse.Namespace(rep_hours="24x7", keep_capacity=False), 3600)
        for line in lines:
            say(f"  set-up: {line}")
        self.server = Gunicorn(self.args.web_workers, self.web_port, self.env, ready_path="/healthz")
        self.server.start(timeout=90)
        self.daphne = Daphne(self.ws_port, self.env)
        self.daphne.start(timeout=90)
        self.workers = Workers(self.env, self.directory / "workers.log")
        for _ in range(2):
            self.workers.start_one()
        self.workers.wait_registered(self.redis.url, 2)
        say(
            f"  gunicorn :{self.web_port} ({self.args.web_workers} sync workers), daphne :{self.ws_port},"
            " 2 x manage.py leadops_worker; mail to the file backend, SMS to the console"
        )

    def stop(self) -> None:
        for part in (self.workers, self.daphne, self.server):
            if part is not None:
                with contextlib.suppress(Exception):
                    part.stop()
        with contextlib.suppress(Exception):
            self.redis.stop()
        if self.pg.running():
            with contextlib.suppress(Exception):
                self.pg.stop("immediate")

    def health(self) -> tuple[int, dict]:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.web_port, timeout=10)
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        except (OSError, ValueError):
            return 0, {}


# --- load and audit ---------------------------------------------------------------------------------


class Load(threading.Thread):
    """Leads posted from a thread at `rate`/s (open loop, bench/pipeline.py's Sender);
    `results` holds each reply (status, lead id, and the client clock of the send)."""

    def __init__(self, stack: Stack, tag: str, count: int, rate: float, maker_args: dict | None = None):
        super().__init__(daemon=True, name=f"load-{tag}")
        maker = LeadMaker(seed=zlib.crc32(tag.encode()), tag=tag, us_share=0.5, sms_share=0.3)
        self.payloads = []
        for _ in range(count):
            payload = maker.make("drill")
            payload["extra"]["drill"] = tag
            self.payloads.append(payload)
        self.sender = Sender(stack.web_port, stack.keys, threads=32)
        self.rate = rate
        self.started = time.monotonic()
        self.results: list[dict] = []

    def run(self) -> None:
        self.started = time.monotonic()
        self.results, _ = self.sender.run(self.payloads, self.rate, "drill")


def wait_idle(stack: Stack, tag: str, timeout: float = DRAIN_TIMEOUT) -> tuple[float, dict]:
    """Until the drill's leads are routed and acknowledged (or `timeout`)."""
    started = time.monotonic()
    while True:
        with contextlib.suppress(Exception):
            (row,) = stack.database.execute(
                (
                    "SELECT"
                    " (SELECT count(*) FROM leads_lead"
                    "   WHERE extra->>'drill' = %(t)s AND NOT junk AND owner_id IS NULL),"
                    " (SELECT count(*) FROM leads_inquiry i JOIN leads_lead l ON l.id = i.lead_id"
                    "   WHERE l.extra->>'drill' = %(t)s AND i.ack_state = 'pending'),"
                    " (SELECT count(*) FROM leads_message m JOIN leads_lead l ON l.id = m.lead_id"
                    "   WHERE l.extra->>'drill' = %(t)s AND m.purpose = 'acknowledgment' AND m.state = 'pending')",
                    {"t": tag},
                )
            )
            left = dict(zip(("unassigned", "unacknowledged", "unsent"), row[0], strict=True))
            if not any(left.values()):
                return time.monotonic() - started, left
        if time.monotonic() - started > timeout:
            return time.monotonic() - started, left if "left" in locals() else {"database": "unreachable"}
        time.sleep(1)


def audit(stack: Stack, tag: str, results: list[dict]) -> dict:
    """Exactly once, per lead of the drill: routed, acknowledged, enrolled; nothing lost."""
    leads, events, messages, enrollments = stack.database.execute(
        (
            "SELECT id, owner_id, assigned_at IS NOT NULL, junk, consent_sms, email, phone_e164"
            " FROM leads_lead WHERE extra->>'drill' = %s",
            [tag],
        ),
        (
            "SELECT e.lead_id, e.kind, coalesce(e.data->>'channel', ''), count(*) FROM leads_leadevent e"
            " JOIN leads_lead l ON l.id = e.lead_id WHERE l.extra->>'drill' = %s"
            " AND e.kind IN ('lead.assigned', 'acknowledgment.sent') GROUP BY 1, 2, 3",
            [tag],
        ),
        (
            "SELECT m.lead_id, m.channel, m.state, m.recipient, m.subject FROM leads_message m"
            " JOIN leads_lead l ON l.id = m.lead_id WHERE l.extra->>'drill' = %s AND m.purpose = 'acknowledgment'",
            [tag],
        ),
        (
            "SELECT c.lead_id, count(*) FROM cadences_enrollment c JOIN leads_lead l ON l.id = c.lead_id"
            " WHERE l.extra->>'drill' = %s GROUP BY 1",
            [tag],
        ),
    )
    created = {r["lead_id"] for r in results if r["status"] in (200, 201) and r.get("lead_id")}
    rows = {row[0]: row for row in leads}
    real = [row for row in leads if not row[3]]
    assigned_events = Counter()
    sent_events = Counter()
    for lead_id, kind, channel, n in events:
        if kind == "lead.assigned":
            assigned_events[lead_id] += n
        else:
            sent_events[(lead_id, channel)] += n
    per_channel = Counter((lead_id, channel) for lead_id, channel, *_ in messages)
    states = Counter(state for _, _, state, *_ in messages)
    email_sent = {lead_id for lead_id, channel, state, *_ in messages if channel == "email" and state == "sent"}
    uncertain = sorted({lead_id for lead_id, _, state, *_ in messages if state == "uncertain"})
    enrolled = dict(enrollments)
    backend = count_backend_emails(stack.mail_dir)
    ack_pairs = {(recipient, subject) for _, channel, _, recipient, subject in messages if channel == "email"}
    sms_lines = Counter(
        match.group(1)
        for match in re.finditer(r"^\[sms to ([^\]]+)\]", stack.workers.log.read_text(errors="replace"), re.M)
    )
    sms_rows = Counter(
        recipient for _, channel, state, recipient, _ in messages if channel == "sms" and state == "sent"
    )
    return {
        "created": len(created),
        "rows": len(rows),
        "lost": len(created - rows.keys()),
        "unassigned": sum(1 for row in real if row[1] is None or not row[2]),
        "assigned_twice": sum(1 for n in assigned_events.values() if n > 1),
        "unacknowledged": sum(1 for row in real if row[0] not in email_sent and row[0] not in uncertain),
        "ack_rows_twice": sum(1 for n in per_channel.values() if n > 1),
        "ack_events_twice": sum(1 for n in sent_events.values() if n > 1),
        "emails_twice": sum(1 for pair, n in backend.items() if pair in ack_pairs and n > 1),
        "emails_in_backend": sum(n for pair, n in backend.items() if pair in ack_pairs),
        "sms_printed_twice": sum(1 for recipient, n in sms_lines.items() if n > sms_rows.get(recipient, 0) > 0),
        "enrolled": len(enrolled),
        "enrolled_twice": sum(1 for n in enrolled.values() if n > 1),
        "uncertain": uncertain,
        "message_states": dict(states),
    }


def audit_ok(a: dict) -> bool:
    return (
        a["lost"] == 0
        and a["unassigned"] == 0
        and a["unacknowledged"] == 0
        and a["assigned_twice"] == a["ack_rows_twice"] == a["ack_events_twice"] == 0
        and a["emails_twice"] == a["sms_printed_twice"] == a["enrolled_twice"] == 0
    )


def audit_text(a: dict) -> str:
    text = (
        f"{a['rows']} leads ({a['lost']} lost); unassigned {a['unassigned']}, unacknowledged {a['unacknowledged']};"
        f" twice: assigned {a['assigned_twice']}, ack rows {a['ack_rows_twice']}, ack events {a['ack_events_twice']},"
        f" emails {a['emails_twice']} ({a['emails_in_backend']} ack emails in the backend),"
        f" SMS {a['sms_printed_twice']}, enrolled {a['enrolled_twice']} ({a['enrolled']} enrolled)"
    )
    if a["uncertain"]:
        text += f"; left uncertain (not resent): leads {a['uncertain']}"
    return text


def statuses(results: list[dict]) -> Counter:
    return Counter(r["status"] for r in results)


def status_text(counts: Counter) -> str:
    return " ".join(f"{code or 'no-reply'}:{n}" for code, n in sorted(counts.items()))


# --- the drills ---------------------------------------------------------------------------------------


def drill_redis(stack: Stack, args: argparse.Namespace) -> bool:
    tag = "redis"
    before, outage, after = 5.0, args.redis_outage, 5.0
    load = Load(stack, tag, round(args.rate * (before + outage + after)), args.rate)
    load.start()
    time.sleep(before)
    stack.redis.stop()
    stopped = time.monotonic()
    health_down, _ = stack.health()
    time.sleep(max(0.0, outage - (time.monotonic() - stopped)))
    stack.redis.start()
    restarted = time.monotonic()
    load.join()
    drained, left = wait_idle(stack, tag)
    health_after, body_after = stack.health()
    during = [i for i in range(len(load.results)) if stopped <= load.started + i / args.rate < restarted]
    counts = statuses(load.results)
    a = audit(stack, tag, load.results)
    accepted_ok = counts.get(201, 0) == len(load.results)
    ok = accepted_ok and audit_ok(a) and not any(left.values()) and health_down == 503 and health_after == 200
    return result_line(
        ok,
        "redis-down-30s",
        f"{len(load.results)} posted at {args.rate:g}/s, {len(during)} while Redis was down {outage:g} s;"
        f" replies {status_text(counts)}; /healthz {health_down} during, {health_after} after"
        f" (workers {body_after.get('workers')}); all done {drained:.0f} s after the load; {audit_text(a)}",
    )


def drill_worker_kill(stack: Stack, args: argparse.Namespace) -> bool:
    from rq import Worker

    tag = "worker-kill"
    load = Load(stack, tag, 150, 30)
    load.start()
    ours = {p.pid: p for p in stack.workers.processes if p.poll() is None}
    victim = job_id = None
    deadline = time.monotonic() + 30
    connection = redis_client(stack.redis.url)
    while victim is None and time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            for worker in Worker.all(connection=connection):
                if worker.pid in ours and worker.get_state() == "busy":
                    job_id = worker.get_current_job_id()
                    os.killpg(worker.pid, signal.SIGKILL)
                    victim = ours[worker.pid]
                    break
        time.sleep(0.005)
    if victim is not None:
        victim.wait(10)
        stack.workers.start_one()  # as a supervisor would
    load.join()
    drained, left = wait_idle(stack, tag)
    if victim is not None:
        with contextlib.suppress(BenchError):
            stack.workers.wait_registered(stack.redis.url, 2, timeout=30)
    a = audit(stack, tag, load.results)
    counts = statuses(load.results)
    ok = victim is not None and audit_ok(a) and not any(left.values()) and counts.get(201, 0) == len(load.results)
    caught = f"worker pid {victim.pid} SIGKILLed while running job {job_id}" if victim else "no worker caught mid-job"
    return result_line(
        ok,
        "worker-sigkill",
        f"{caught}; {len(load.results)} posted at 30/s, replies {status_text(counts)};"
        f" all done {drained:.0f} s after the load; {audit_text(a)}",
    )


def drill_postgres(stack: Stack, args: argparse.Namespace) -> bool:
    tag = "postgres"
    before, outage, after = 5.0, args.postgres_outage, 20.0
    load = Load(stack, tag, round(args.rate * (before + outage + after)), args.rate)
    load.start()
    time.sleep(before)
    stopped_at = time.monotonic()
    stack.pg.stop("fast")
    stopped = time.monotonic()
    health_down, body_down = stack.health()
    time.sleep(max(0.0, outage - (time.monotonic() - stopped)))
    stack.pg.start()
    restarted = time.monotonic()
    load.join()
    drained, left = wait_idle(stack, tag)
    health_after, _ = stack.health()
    sent_at = [load.started + i / args.rate for i in range(len(load.results))]
    counts = statuses(load.results)
    bad = [r for r in load.results if r["status"] not in (201, 503)]
    after_restart = [(t, r["status"]) for t, r in zip(sent_at, load.results, strict=True) if t >= restarted]
    first_ok = next((t - restarted for t, status in after_restart if status == 201), None)
    settled = [status for t, status in after_restart if t >= restarted + 15]
    recovered = first_ok is not None and settled and all(status == 201 for status in settled)
    during = Counter(r["status"] for t, r in zip(sent_at, load.results, strict=True) if stopped <= t < restarted)
    a = audit(stack, tag, load.results)
    ok = (
        not bad
        and recovered
        and during.get(503, 0) > 0
        and audit_ok(a)
        and not any(left.values())
        and health_down == 503
        and "database" in body_down.get("failing", [])
        and health_after == 200
    )
    first = f"{first_ok:.1f} s" if first_ok is not None else "never"
    return result_line(
        ok,
        "postgres-down-10s",
        f"{len(load.results)} posted at {args.rate:g}/s; replies {status_text(counts)} (while down:"
        f" {status_text(during)}; stop took {stopped - stopped_at:.1f} s); first 201 {first} after the restart,"
        f" all 201 from +15 s: {bool(recovered)}; /healthz {health_down} {body_down.get('failing')} during,"
        f" {health_after} after; all done {drained:.0f} s after the load; {audit_text(a)}",
    )


class PageClient(threading.Thread):
    """A signed-in workspace page, as static/workspace/live.js and queue.js behave: one
    websocket, reconnected with live.js's backoff (0.5 s x 2^retries, at most 30 s); on
    every `hello` after the first it reloads its rows (GET /queue/, the `data-lead` rows)."""

    def __init__(self, stack: Stack, session: str):
        super().__init__(daemon=True, name="page")
        self.stack, self.session = stack, session
        self.url = f"ws://127.0.0.1:{stack.ws_port}/ws/notifications/"
        self.origin = f"http://127.0.0.1:{stack.web_port}"
        self.hellos = 0
        self.events: list[tuple[float, str, int | None]] = []
        self.rows: set[int] = set()
        self.reloads = 0
        self.stopping = threading.Event()
        self.dropped_at: float | None = None
        self.back_at: float | None = None

    def queue_rows(self) -> set[int]:
        conn = http.client.HTTPConnection("127.0.0.1", self.stack.web_port, timeout=15)
        try:
            conn.request("GET", "/queue/", headers={"Cookie": f"sessionid={self.session}", "X-Requested-With": "fetch"})
            response = conn.getresponse()
            html = response.read().decode(errors="replace")
        finally:
            conn.close()
        if response.status != 200:
            raise BenchError(f"GET /queue/ answered {response.status}")
        return {int(n) for n in re.findall(r'<tr[^>]*\bdata-lead="(\d+)"', html)}

    def run(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        from websockets.asyncio.client import connect

        retries = 0
        while not self.stopping.is_set():
            try:
                async with connect(self.url, origin=self.origin, open_timeout=10,
                                   additional_headers={"Cookie": f"sessionid={self.session}"}) as ws:  # fmt: skip
                    while not self.stopping.is_set():
                        try:
                            message = await asyncio.wait_for(ws.recv(), 0.5)
                        except TimeoutError:
                            continue
                        event = json.loads(message)
                        if event.get("type") == "hello":
                            retries = 0
                            self.hellos += 1
                            if self.hellos > 1:
                                self.back_at = time.monotonic()
                                self.rows = await asyncio.get_running_loop().run_in_executor(None, self.queue_rows)
                                self.reloads += 1
                            continue
                        lead = event.get("lead") if isinstance(event.get("lead"), dict) else {}
                        self.events.append((time.monotonic(), event.get("type"), lead.get("id")))
            except Exception:  # closed, refused, timed out: reconnect as live.js does
                if self.dropped_at is None and self.hellos:
                    self.dropped_at = time.monotonic()
            if self.stopping.is_set():
                return
            retries += 1
            await asyncio.sleep(min(30.0, 0.5 * 2 ** min(retries, 6)))


def post_leads(stack: Stack, tag: str, count: int) -> list[int]:
    """`count` leads for the named account acme-corp.com (routed to its owner), US."""
    load = Load(stack, tag, count, 10)
    for i, payload in enumerate(load.payloads):
        payload.update(email=f"buyer.{tag}.{i}.{secrets.token_hex(3)}@acme-corp.com", company="Acme Corp",
                       country="US", region="NY", city="New York")  # fmt: skip
    load.run()
    return [r["lead_id"] for r in load.results if r["status"] == 201]


def wait_owned(stack: Stack, lead_ids: list[int], timeout: float = 60) -> dict[int, int | None]:
    deadline = time.monotonic() + timeout
    while True:
        (rows,) = stack.database.execute(("SELECT id, owner_id FROM leads_lead WHERE id = ANY(%s)", [lead_ids]))
        owners = dict(rows)
        if all(owners.get(i) for i in lead_ids) or time.monotonic() > deadline:
            return owners
        time.sleep(0.5)


def drill_websocket(stack: Stack, args: argparse.Namespace) -> bool:
    db = stack.database
    ((rep_id,),) = db.execute(("SELECT id FROM auth_user WHERE username = %s", [WS_REP]))[0]
    # Her page's rows are the leads she owns and has open: start from an empty queue so the
    # reloaded page (25 rows a page) shows the drill's leads whatever the seeded history left.
    db.execute(
        ("UPDATE leads_lead SET stage = 'converted' WHERE owner_id = %s AND stage IN"
         " ('new', 'assigned', 'contacted', 'connected')", [rep_id]),
        ("UPDATE routing_repprofile SET status = 'available' WHERE user_id = %s", [rep_id]),
    )  # fmt: skip
    session = log_in(stack.web_port, WS_REP, DEMO_PASSWORD)
    page = PageClient(stack, session)
    page.start()
    try:
        deadline = time.monotonic() + 30
        while page.hellos < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        if page.hellos < 1:
            return result_line(False, "websocket-drop", "the page's websocket never said hello")
        first = post_leads(stack, "ws-before", 1)
        wait_owned(stack, first)
        time.sleep(2)
        live_before = {lead for _, kind, lead in page.events if kind == "lead.assigned"} & set(first)
        stack.daphne.process.send_signal(signal.SIGKILL)  # the socket drops without a close frame
        stack.daphne.process.wait(10)
        dropped = time.monotonic()
        missed = post_leads(stack, "ws-missed", 5)
        owners = wait_owned(stack, missed)
        mine = [lead for lead in missed if owners.get(lead) == rep_id]
        time.sleep(3)
        stack.daphne.start(timeout=60)
        deadline = time.monotonic() + 90  # live.js's backoff reaches 16-32 s after a few failures
        while page.reloads < 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        caught_up = set(mine) <= page.rows
        after = post_leads(stack, "ws-after", 1)
        wait_owned(stack, after)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not (
            {lead for _, kind, lead in page.events if kind == "lead.assigned"} & set(after)
        ):
            time.sleep(0.2)
        live_after = {lead for _, kind, lead in page.events if kind == "lead.assigned"} & set(after)
    finally:
        page.stopping.set()
        page.join(10)
    reconnect = f"{page.back_at - dropped:.1f} s" if page.back_at else "never"
    ok = bool(mine) and len(mine) == len(missed) and caught_up and bool(live_before) and bool(live_after)
    return result_line(
        ok,
        "websocket-drop",
        f"{WS_REP}'s page: live before the drop {len(live_before)}/1; {len(mine)} of {len(missed)} leads assigned"
        f" to her while daphne was down; reconnected {reconnect} after the drop and reloaded its rows"
        f" ({page.reloads} reload): {len(set(mine) & page.rows)}/{len(mine)} missed leads shown;"
        f" live after the reconnect {len(live_after)}/1",
    )


RUNNERS = {
    "redis": drill_redis,
    "worker-kill": drill_worker_kill,
    "postgres": drill_postgres,
    "websocket": drill_websocket,
}


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if os.geteuid() != 0 or not (PG_BIN / "initdb").exists() or not shutil.which("redis-server"):
        say("bench/drills.py runs as root with PostgreSQL 15 (/usr/lib/postgresql/15/bin) and redis-server installed.")
        return 2
    signal.signal(signal.SIGTERM, _interrupt)  # stop the private services on `kill` too
    directory = Path(tempfile.mkdtemp(prefix="leadops-drills-"))
    directory.chmod(0o755)  # the postgres user reaches its data directory inside
    stack = Stack(args, directory)
    started = dt.datetime.now(dt.UTC)
    say(f"LeadOps fault drills, {started:%Y-%m-%d %H:%M:%S} UTC, load average {os.getloadavg()[0]:.2f}")
    results: dict[str, bool] = {}
    try:
        try:
            stack.start()
        except (BenchError, subprocess.TimeoutExpired) as error:
            say(f"could not start the stack: {error}")
            return 2
        for name in args.drills:
            say(f"-- {name}")
            try:
                results[name] = RUNNERS[name](stack, args)
            except Exception as error:  # a drill that crashes is a failed drill
                results[name] = result_line(False, name, f"the drill itself failed: {type(error).__name__}: {error}")
                if not stack.pg.running():
                    with contextlib.suppress(Exception):
                        stack.pg.start()
                if stack.redis.process is None or stack.redis.process.poll() is not None:
                    with contextlib.suppress(Exception):
                        stack.redis.start()
    finally:
        stack.stop()
        if args.keep:
            say(f"kept: {directory} (workers.log, redis.log, postgres.log, mail/)")
        else:
            shutil.rmtree(directory, ignore_errors=True)
    elapsed = (dt.datetime.now(dt.UTC) - started).total_seconds()
    passed = sum(results.values())
    say(f"{passed}/{len(results)} drills passed in {elapsed:.0f} s")
    return 0 if results and all(results.values()) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
