"""Pipeline benchmark (SPEC §7, issue 2 item 7, issue 3 item 3): leads posted at a steady
rate, with the worker running; how soon each one has an owner and its acknowledgment.

    make bench-pipeline                          # = .venv/bin/python bench/pipeline.py
    make bench-pipeline BENCH_ARGS="--rate 50 --duration 60 --workers 2"
    make bench-pipeline BENCH_ARGS="--burst 40 --senders 8"   # 40 leads at once from 8 clients

Goals: submission -> owner set p95 <= 200 ms (issue 3), submission -> acknowledgment email
handed to the mail backend p95 <= 1 s (issue 2, SPEC §7), at 50 leads/s.

What it does, on loopback:
  1. (Re)creates the PostgreSQL database `leadops_bench_pipeline` (role leadops, see
     scripts/ensure-postgres), migrates it and runs `manage.py seed_demo` (two teams,
     eight reps, six routing rules, two weeks of history). Two bench-only changes follow,
     both printed: reps outside their working hours at some point of the run get 24/7
     working hours (`--rep-hours auto`, the default; the demo reps work Mon-Fri in New
     York and London, so at night or at a weekend nobody would be eligible), and every
     rep's capacity is raised to 30,000 open leads (the seeded 8-25 would fill within a
     few seconds at 50 leads/s, after which leads wait in the team's morning queue;
     `--keep-capacity` keeps it).
  2. Flushes a dedicated Redis db (default 12; it refuses a db holding keys it did not
     write), creates intake keys (no rate limit in reach) for the demo sources Website
     and Google Ads, then starts gunicorn exactly as Procfile.prod does (sync workers,
     DEBUG=false, access log on) and N worker processes (`manage.py leadops_worker`, the
     RQ worker with its scheduler and sweeper, as the Procfile's `worker`), with
     EMAIL_URL set to Django's file backend in a temporary directory (nothing printed;
     the emails handed to the backend are counted per recipient and subject afterwards).
  3. Posts leads from threads paced by the clock (an open-loop client: a slow reply does
     not delay the next send): a warm-up, then `--rate` leads/s for `--duration` s, each
     with a unique email and phone, half US (New York, Boston, ... numbers and states)
     and half GB (London, Manchester, ...), a mix of inquiry types, company domains (new,
     returning, free mail, named accounts) and SMS consent, so every demo rule is hit.
     `submitted_at` is the client's clock at the send.
  4. Waits (at most --drain-timeout s after the last send) until every lead is routed and
     acknowledged, stops the processes, and reads per lead from the database and from
     RQ's job records:
       client send (submitted_at) -> received_at -> job enqueued -> job started
       -> assigned_at (set when assignment starts) -> owner saved (updated_at of the
       assignment's save) -> acknowledgment email handed to the mail backend
       (Message.sent_at, purpose "acknowledgment") -> job ended.
  5. Explains the figures: the jobs the workers ran (per function: count, run time), the
     PostgreSQL work per lead (commits, index and sequential scans per table), a census
     of one lead at a time in-process with its SQL statements counted
     (bench/pipeline_census.py), and with --profile a py-spy profile of the workers
     (wall clock: job time waiting on PostgreSQL vs running Python, and per application
     function; the collapsed stacks go to bench/results/pipeline-<ts>-worker<N>.txt).

Printed: p50/p95/p99/max of each step and end to end, per 10-s window, leads not assigned
(with their routing outcome), not acknowledged, duplicate acknowledgments (Message rows and
'acknowledgment.sent' events per lead and channel, acknowledgment emails the mail backend got
more than once: must be 0), lost leads (201 replies vs rows: must be 0), RSS of each web and
worker process (SPEC §7: <= 200 MB), ERROR records in the logs, CPU per lead of web, workers,
PostgreSQL, Redis and the client and the CPU other processes used meanwhile (the machine is
shared), and PASS/FAIL. The goals are judged end to end from the client's send (the
"submission"): owner saved for assignment, email handed to the backend for the
acknowledgment; the received_at-based figures are printed beside them. Results also go to
bench/results/pipeline-<timestamp>.json. The database is kept for inspection (the next run
recreates it). Exit status: 0 when the bench ran (with --check: 1 if a goal or check
failed), 2 when it could not run.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

from common import (
    PYTHON,
    RESULTS_DIR,
    ROOT,
    VENV_BIN,
    BenchError,
    CpuMeter,
    Gunicorn,
    Postgres,
    bench_main,
    claim_redis_db,
    descendant_pids,
    free_port,
    machine_facts,
    memory_mb,
    print_rows,
    redis_client,
    request,
    run,
    say,
    server_env,
    stop_process_group,
    verdict,
)

GOAL_ASSIGN_P95_MS = 200.0
GOAL_BURST_ASSIGN_P95_MS = 500.0  # issue 11: a burst of 40 at once, all owned with p95 <= 500 ms
BURST_RATE = 100_000.0  # --burst: send times 10 us apart, i.e. all at once for the senders
BURST_WARMUP = 10
GOAL_ACK_P95_MS = 1000.0
GOAL_RSS_MB = 200.0
BENCH_CAPACITY = 30_000  # RepProfile.capacity is a PositiveSmallIntegerField
REDIS_MARKER = "leadops-bench:pipeline"  # written after each flush: the db is ours to flush again
INTAKE_PATH = "/api/v1/leads"
WINDOW_S = 10

# Where the leads live. Phone numbers avoid the fiction ranges the demo history uses
# (US 555-01xx, Ofcom's drama ranges), so no bench lead is a duplicate of a demo lead.
US_PLACES = (  # city, state, area codes
    ("New York", "NY", ("212", "646", "718")),
    ("Boston", "MA", ("617",)),
    ("Miami", "FL", ("305",)),
    ("Atlanta", "GA", ("404",)),
    ("Chicago", "IL", ("312",)),
    ("Austin", "TX", ("512",)),
    ("San Francisco", "CA", ("415",)),
    ("Seattle", "WA", ("206",)),
)
GB_PLACES = (  # city, region, national prefixes (the rest of the number is generated)
    ("London", "England", ("20 3", "20 8")),
    ("Manchester", "England", ("161 2", "161 3")),
    ("Birmingham", "England", ("121 2", "121 3")),
    ("Leeds", "England", ("113 2",)),
    ("Edinburgh", "Scotland", ("131 2", "131 3")),
)
FIRST_NAMES = "Ada Ben Cleo Dev Esme Femi Gus Hana Ivo Jade Kit Lena Milo Nia Omar Pia Raj Sia Tom Una".split()
LAST_NAMES = "Abbott Brooks Chen Diaz Evans Fox Gupta Hale Iqbal Jones Khan Lowe Moss Novak Ortiz Price".split()
JOB_TITLES = ("Head of Operations", "Office Manager", "Facilities Coordinator", "CFO", "Workplace Lead", "")
INQUIRY_WEIGHTS = {  # as the demo's Website source
    "demo_request": 25,
    "pricing": 15,
    "contact_sales": 10,
    "content_download": 20,
    "webinar": 10,
    "newsletter": 10,
    "general": 10,
}
PRODUCTS = ("", "", "", "Office fit-out", "Furniture subscription", "Meeting room kit", "Standing desk")
FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com")
NAMED_ACCOUNT_DOMAINS = ("acme-corp.com", "globex.co.uk", "initech.com")  # seeded by seed_demo
SOURCES = (("Website", "organic"), ("Google Ads", "paid_ads"))  # demo lead sources: name, default source


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Pipeline benchmark: submission -> owner set and -> acknowledgment, with the worker running.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--rate", type=float, default=50, help="leads per second, paced by the clock")
    parser.add_argument("--duration", "-d", type=float, default=60, help="seconds of the measured run")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of warm-up at the same rate (not measured)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (manage.py leadops_worker)")
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn sync workers (Procfile.prod WEB_WORKERS)")
    parser.add_argument("--senders", type=int, default=64, help="client threads (requests in flight at most)")
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=180,
        help="most seconds to wait after the last send for every lead to be done",
    )
    parser.add_argument("--us-share", type=float, default=0.5, help="share of US leads (the rest are GB)")
    parser.add_argument("--sms-share", type=float, default=0.3, help="share of leads with SMS consent (console SMS)")
    parser.add_argument(
        "--rep-hours",
        choices=("auto", "24x7", "seeded"),
        default="auto",
        help="auto: 24/7 working hours for the reps if any is off duty during the run; seeded: leave them",
    )
    parser.add_argument("--keep-capacity", action="store_true", help="keep the seeded rep capacities (8-25)")
    parser.add_argument("--seed", type=int, default=20261123, help="random seed of the lead mix")
    parser.add_argument(
        "--email-url",
        default="",
        help="EMAIL_URL for the web and worker processes (default: filemail into a temporary directory)",
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgres://leadops:leadops@127.0.0.1:5432"),
        help="PostgreSQL server URL (role with CREATEDB; no database part) [env BENCH_PG_URL]",
    )
    parser.add_argument(
        "--database", default="leadops_bench_pipeline", help="bench database (DROPPED and recreated at start)"
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_PIPELINE_REDIS_URL", "redis://127.0.0.1:6379/12"),
        help="dedicated Redis db, FLUSHED before and after the bench [env BENCH_PIPELINE_REDIS_URL]",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy the worker processes during the measured run (bench/results/pipeline-<ts>-worker<N>.txt)",
    )
    parser.add_argument(
        "--census", type=int, default=6, help="leads for the one-lead-at-a-time census after the load (0: none)"
    )
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/pipeline-<ts>.json")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal or check fails")
    parser.add_argument(
        "--burst",
        type=int,
        default=0,
        metavar="N",
        help="instead of a steady rate: N leads at once from --senders clients (after a warm-up burst of 10); "
        f"owner goal p95 <= {GOAL_BURST_ASSIGN_P95_MS:g} ms (issue 11)",
    )
    args = parser.parse_args(argv)
    if args.burst < 0:
        parser.error("--burst >= 0")
    if args.burst:  # every lead due at once: the senders post as fast as they can
        args.rate, args.duration, args.warmup = BURST_RATE, args.burst / BURST_RATE, BURST_WARMUP / BURST_RATE
    if args.rate <= 0 or args.duration <= 0 or args.warmup < 0 or args.drain_timeout <= 0:
        parser.error("--rate > 0, --duration > 0, --warmup >= 0, --drain-timeout > 0")
    if args.workers < 1 or args.web_workers < 1 or args.senders < 1:
        parser.error("--workers, --web-workers and --senders must be at least 1")
    if not (0 <= args.us_share <= 1 and 0 <= args.sms_share <= 1):
        parser.error("--us-share and --sms-share are shares between 0 and 1")
    return args


# --- the leads -------------------------------------------------------------------------------


class LeadMaker:
    """Unique, valid, varied leads: the same sequence for the same seed."""

    def __init__(self, seed: int, tag: str, us_share: float, sms_share: float):
        import phonenumbers  # from the venv (a requirement of the app)

        self.phonenumbers = phonenumbers
        self.rng = random.Random(seed)
        self.tag, self.us_share, self.sms_share = tag, us_share, sms_share
        self.serial = 0
        self.phones: set[str] = set()
        self.domains: list[str] = []
        self.inquiries = list(INQUIRY_WEIGHTS)
        self.weights = list(INQUIRY_WEIGHTS.values())

    def _phone(self, country: str, prefixes: tuple[str, ...]) -> str:
        while True:
            prefix = self.rng.choice(prefixes)
            if country == "US":
                exchange = self.rng.randint(200, 999)
                if exchange == 555:
                    continue
                number = f"+1 {prefix} {exchange} {self.rng.randint(0, 9999):04d}"
            else:
                digits = 10 - len(prefix.replace(" ", ""))
                number = f"+44 {prefix}{self.rng.randint(0, 10**digits - 1):0{digits}d}"
            if number not in self.phones and self.phonenumbers.is_valid_number(self.phonenumbers.parse(number)):
                self.phones.add(number)
                return number

    def _domain(self, n: int) -> tuple[str, str]:
        """(email domain, company name): mostly new companies, some returning, free mail, named accounts."""
        roll = self.rng.random()
        if roll < 0.02:
            domain = self.rng.choice(NAMED_ACCOUNT_DOMAINS)
            return domain, domain.split(".")[0].replace("-", " ").title()
        if roll < 0.10:
            return self.rng.choice(FREE_MAIL), ""
        if roll < 0.25 and self.domains:
            domain = self.rng.choice(self.domains)
            return domain, domain.split(".")[0].title()
        domain = f"co{n}-{self.tag.lower()}.example.com"
        self.domains.append(domain)
        return domain, f"Co{n} {self.tag}"

    def make(self, phase: str) -> dict:
        self.serial += 1
        n = self.serial
        us = self.rng.random() < self.us_share
        if us:
            city, region, prefixes = self.rng.choice(US_PLACES)
        else:
            city, region, prefixes = self.rng.choice(GB_PLACES)
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        domain, company = self._domain(n)
        return {
            "email": f"{first.lower()}.{last.lower()}.{self.tag.lower()}.{n}@{domain}",
            "phone": self._phone("US" if us else "GB", prefixes),
            "first_name": first,
            "last_name": last,
            "company": company,
            "job_title": self.rng.choice(JOB_TITLES),
            "country": "US" if us else "GB",
            "region": region,
            "city": city,
            "inquiry_type": self.rng.choices(self.inquiries, self.weights)[0],
            "product_interest": self.rng.choice(PRODUCTS),
            "message": "We are planning a new office and would like to talk next week.",
            "utm_source": "google",
            "utm_medium": "cpc",
            "utm_campaign": "bench-pipeline",
            "consent_email": True,
            "consent_sms": self.rng.random() < self.sms_share,
            "extra": {"bench": self.tag, "bench_phase": phase, "bench_serial": n},
        }


class Sender:
    """An open-loop client: request i leaves at start + i / rate from a pool of threads (a
    slow reply does not hold back the next send); each request on a new connection, as
    gunicorn's sync workers close it after the reply."""

    def __init__(self, port: int, keys: list[str], threads: int):
        self.port, self.keys, self.threads = port, keys, threads

    def _send(self, i: int, payload: dict, due: float, phase: str) -> dict:
        started = time.monotonic()
        sent_at = dt.datetime.now(dt.UTC)
        payload = {**payload, "submitted_at": sent_at.isoformat()}
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.keys[i % len(self.keys)]}"}
        result = {"phase": phase, "sent_at": sent_at.isoformat(), "late_ms": (started - due) * 1000}
        try:
            status, body = request(self.port, "POST", INTAKE_PATH, json.dumps(payload).encode(), headers)
            result["status"] = status
            if status in (200, 201):
                reply = json.loads(body)
                result.update(lead_id=reply["id"], duplicate_of=reply.get("duplicate_of"), result=reply["status"])
            else:
                result["error"] = body[:300].decode(errors="replace")
        except (OSError, ValueError, KeyError) as error:
            result.update(status=0, error=str(error)[:300])
        result["latency_ms"] = (time.monotonic() - started) * 1000
        return result

    def run(self, payloads: list[dict], rate: float, phase: str) -> tuple[list[dict], float]:
        """Send every payload at its time; returns the results and the seconds it took."""
        with ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="sender") as pool:
            start = time.monotonic()
            futures = []
            for i, payload in enumerate(payloads):
                due = start + i / rate
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                futures.append(pool.submit(self._send, i, payload, due, phase))
            results = [future.result() for future in futures]
        return results, time.monotonic() - start


# --- the processes -----------------------------------------------------------------------------


class Workers:
    """N `manage.py leadops_worker` processes (the Procfile's `worker`), each in its own
    process group (its rq scheduler is a forked child); output to one temporary log."""

    def __init__(self, count: int, env: dict):
        self.count, self.env = count, env
        self.log = tempfile.NamedTemporaryFile(prefix="bench-pipeline-workers-", suffix=".log", delete=False)
        self.processes: list[subprocess.Popen] = []

    def start(self, redis_url: str, timeout: float = 60) -> None:
        from rq import Worker

        for _ in range(self.count):
            self.processes.append(
                subprocess.Popen(
                    [PYTHON, "manage.py", "leadops_worker"],
                    cwd=ROOT,
                    env=self.env,
                    stdout=self.log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        connection = redis_client(redis_url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = [p for p in self.processes if p.poll() is not None]
            if dead:
                raise BenchError(f"a worker exited with status {dead[0].returncode}:\n{self.log_tail()}")
            if Worker.count(connection=connection) >= self.count:
                return
            time.sleep(0.2)
        raise BenchError(f"the workers did not register in Redis within {timeout:.0f} s:\n{self.log_tail()}")

    def pids(self) -> dict[int, list[int]]:
        """Each worker's pid and its children's (the rq scheduler)."""
        return {p.pid: descendant_pids(p.pid) for p in self.processes if p.poll() is None}

    def stop(self) -> None:
        for process in self.processes:
            stop_process_group(process, timeout=20)

    def log_tail(self, lines: int = 40) -> str:
        self.log.flush()
        return "\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-lines:])

    def problem_lines(self) -> list[str]:
        """Log records at ERROR or above (one line each; tracebacks follow them)."""
        self.log.flush()
        text = Path(self.log.name).read_text(errors="replace").splitlines()
        return [line for line in text if " ERROR " in line or " CRITICAL " in line]

    def remove_log(self) -> None:
        self.log.close()
        with contextlib.suppress(OSError):
            os.unlink(self.log.name)


class Sampler(threading.Thread):
    """Every half second: RSS of each web and worker process (peak kept) and the queue depth;
    during the measured run also the bench database's active statements (pg_stat_activity:
    how many run, how many wait for a lock, on what) and the CPU meter's poll."""

    def __init__(self, server: Gunicorn, workers: Workers, redis_url: str, pg: Postgres):
        super().__init__(daemon=True, name="sampler")
        self.server, self.workers, self.pg = server, workers, pg
        self.pg_conn = None
        self.db_samples = 0
        self.db_active: Counter = Counter()  # statement (start) -> samples it was running in
        self.db_waiting: Counter = Counter()  # (wait event, statement) -> samples it waited in
        self.redis = redis_client(redis_url)
        self.stop_event = threading.Event()
        self.peak_rss: dict[int, float] = {}
        self.roles: dict[int, str] = {}
        self.depth: list[tuple[float, int]] = []
        self.t0 = time.monotonic()
        self.meter: CpuMeter | None = None  # polled every second once the measured run starts

    def processes(self) -> dict[int, str]:
        roles = {}
        if self.server.process:
            roles[self.server.process.pid] = "web master"
            roles.update({pid: "web worker" for pid in self.server.worker_pids()})
        for pid, children in self.workers.pids().items():
            roles[pid] = "worker"
            roles.update({child: "worker's rq scheduler" for child in children})
        return roles

    def sample(self) -> None:
        for pid, role in self.processes().items():
            self.roles[pid] = role
            sizes = memory_mb(pid)
            if sizes and "rss" in sizes:
                self.peak_rss[pid] = max(self.peak_rss.get(pid, 0.0), sizes["rss"])
        with contextlib.suppress(Exception):
            depth = sum(int(self.redis.llen(f"rq:queue:{name}")) for name in ("routing", "default"))
            self.depth.append((round(time.monotonic() - self.t0, 1), depth))

    def sample_database(self) -> None:
        if self.pg_conn is None:
            self.pg_conn = self.pg._connect(self.pg.url)
        rows = self.pg_conn.execute(
            "SELECT wait_event_type, wait_event, query FROM pg_stat_activity"
            " WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()"
        ).fetchall()
        self.db_samples += 1
        for wait_type, wait_event, query in rows:
            statement = statement_shape(query)
            self.db_active[statement] += 1
            if wait_type == "Lock":
                self.db_waiting[(f"{wait_type}:{wait_event}", statement)] += 1

    def database_summary(self) -> dict:
        samples = self.db_samples or 1
        return {
            "samples": self.db_samples,
            "active_statements_avg": round(sum(self.db_active.values()) / samples, 2),
            "lock_waits_avg": round(sum(self.db_waiting.values()) / samples, 2),
            "waiting": [
                {"wait": wait, "statement": statement, "share_of_samples": round(n / samples, 3)}
                for (wait, statement), n in self.db_waiting.most_common(5)
            ],
            "running": [
                {"statement": statement, "share_of_samples": round(n / samples, 3)}
                for statement, n in self.db_active.most_common(8)
            ],
        }

    def run(self) -> None:
        tick = 0
        while not self.stop_event.wait(0.5):
            self.sample()
            tick += 1
            if self.meter is not None:
                with contextlib.suppress(Exception):
                    self.sample_database()
                if tick % 2 == 0:
                    with contextlib.suppress(Exception):
                        self.meter.poll()
        if self.pg_conn is not None:
            with contextlib.suppress(Exception):
                self.pg_conn.close()

    def memory_table(self) -> list[dict]:
        """Per process: RSS now, peak sampled, peak over its life (VmHWM)."""
        rows = []
        for pid, role in self.processes().items():
            sizes = memory_mb(pid) or {}
            rows.append(
                {
                    "role": role,
                    "pid": pid,
                    "rss_mb": sizes.get("rss"),
                    "peak_sampled_mb": self.peak_rss.get(pid),
                    "peak_life_mb": sizes.get("hwm"),
                }
            )
        order = ["web master", "web worker", "worker", "worker's rq scheduler"]
        return sorted(rows, key=lambda row: (order.index(row["role"]), row["pid"]))


# --- setting up the bench database -------------------------------------------------------------


def statement_shape(sql: str) -> str:
    """A statement without its values and column lists: verb, main table, lock clause."""
    words = sql.split()
    verb = words[0].upper() if words else "?"
    table = next((m.group(1) for m in [re.search(r'(?:FROM|INTO|UPDATE)\s+"?([a-z_0-9]+)"?', sql, re.I)] if m), "")
    where = re.search(r'WHERE\s+\(*"?[a-z_0-9]+"?\."?([a-z_0-9]+)"?', sql, re.I)
    tail = (
        " FOR UPDATE" if "FOR UPDATE" in sql.upper() else (" FOR NO KEY UPDATE" if "FOR NO KEY" in sql.upper() else "")
    )
    return f"{verb} {table}" + (f" WHERE {where.group(1)}" if where else "") + tail


def working_now(hours: dict[int, list[tuple[dt.time, dt.time]]], tz: str, at: dt.datetime) -> bool:
    """As routing/eligibility.py decides it: no hours at all means Mon-Fri 09:00-17:00."""
    standard = {day: [(dt.time(9), dt.time(17))] for day in range(5)}
    local = at.astimezone(ZoneInfo(tz))
    return any(start <= local.time() < end for start, end in (hours or standard).get(local.weekday(), ()))


def prepare_reps(pg: Postgres, args: argparse.Namespace, window_s: float) -> tuple[list[str], dict]:
    """The bench-only changes to the seeded reps (see the module docstring); returns the
    lines to print and the facts for the results."""
    (profiles, hour_rows) = pg.execute(
        "SELECT p.id, u.username, p.time_zone, p.status, p.capacity FROM routing_repprofile p"
        " JOIN auth_user u ON u.id = p.user_id ORDER BY u.username",
        "SELECT rep_id, weekday, starts, ends FROM routing_workinghours",
    )
    hours: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for rep_id, weekday, starts, ends in hour_rows:
        hours[rep_id][weekday].append((starts, ends))
    now = dt.datetime.now(dt.UTC)
    moments = [now + dt.timedelta(seconds=s) for s in range(0, int(window_s) + 60, 30)]
    off_duty = [
        f"{username} ({dt.datetime.now(ZoneInfo(tz)):%a %H:%M} {tz})"
        for rep_id, username, tz, _, _ in profiles
        if not all(working_now(hours[rep_id], tz, moment) for moment in moments)
    ]
    lines, facts = [], {"reps": len(profiles), "off_duty_during_run": off_duty, "hours": "seeded"}
    if args.rep_hours == "24x7" or (args.rep_hours == "auto" and off_duty):
        pg.execute(
            "DELETE FROM routing_workinghours",
            "INSERT INTO routing_workinghours (rep_id, weekday, starts, ends)"
            " SELECT p.id, d, '00:00', '23:59:59.999999' FROM routing_repprofile p CROSS JOIN generate_series(0, 6) d",
        )
        facts["hours"] = "24x7"
        why = f"off duty during the run: {', '.join(off_duty)}" if off_duty else "--rep-hours 24x7"
        lines.append(f"reps' working hours set to 24/7 in the bench db ({why})")
    elif off_duty:
        lines.append(f"reps off duty during the run (kept, --rep-hours seeded): {', '.join(off_duty)}")
    else:
        lines.append("every rep is inside their seeded working hours for the whole run: hours kept")
    if not args.keep_capacity:
        seeded = sorted({capacity for *_, capacity in profiles})
        pg.execute(f"UPDATE routing_repprofile SET capacity = {BENCH_CAPACITY}")  # noqa: S608 (a constant)
        facts["capacity"] = {"seeded": seeded, "bench": BENCH_CAPACITY}
        lines.append(
            f"reps' capacity raised from {'/'.join(map(str, seeded))} to {BENCH_CAPACITY:,} open leads in the bench db"
            " (the seeded values would fill within seconds; then leads wait in the morning queue)"
        )
    else:
        facts["capacity"] = "seeded"
    statuses = Counter(status for *_, status, _ in profiles)
    facts["statuses"] = dict(statuses)
    (leave,) = pg.execute(
        "SELECT u.username FROM routing_leaveperiod l JOIN routing_repprofile p ON p.id = l.rep_id"
        " JOIN auth_user u ON u.id = p.user_id WHERE current_date BETWEEN l.starts_on AND l.ends_on"
    )
    facts["on_leave"] = [name for (name,) in leave]
    lines.append(
        "rep status: "
        + ", ".join(f"{n} {status}" for status, n in statuses.items())
        + (f"; on leave (as seeded): {', '.join(facts['on_leave'])}" if leave else "")
    )
    return lines, facts


# --- waiting and reading the results -----------------------------------------------------------


def pending_work(pg: Postgres, first_id: int) -> dict[str, int]:
    """The bench leads' own work still undone: routing, acknowledgment, its messages. The
    bench leads are those after `first_id`; each count runs over an index (the poll must
    not load the database it measures)."""
    (row,) = pg.execute(
        (
            "SELECT"
            " (SELECT count(*) FROM leads_lead WHERE id > %(first)s AND NOT junk"
            "   AND owner_id IS NULL AND coalesce(routing_trace->>'outcome', '') = ''),"
            " (SELECT count(*) FROM leads_inquiry WHERE ack_state = 'pending' AND lead_id > %(first)s),"
            " (SELECT count(*) FROM leads_message WHERE state IN ('pending', 'sending')"
            "   AND purpose = 'acknowledgment' AND lead_id > %(first)s)",
            {"first": first_id},
        )
    )[0]
    return {"unrouted": row[0], "unacknowledged": row[1], "unsent_acknowledgments": row[2]}


def wait_for_drain(pg: Postgres, first_id: int, timeout: float) -> tuple[float, dict]:
    """Until every bench lead is routed and acknowledged (other jobs, e.g. the sweeper's
    re-enqueued duplicates or cadence steps, may still be queued), at most `timeout` s;
    polled every second."""
    started = time.monotonic()
    while True:
        work = pending_work(pg, first_id)
        if not any(work.values()) or time.monotonic() - started > timeout:
            return time.monotonic() - started, work
        time.sleep(1)


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def read_leads(pg: Postgres, tag: str, redis) -> dict[int, dict]:
    """Per bench lead: the timestamps of each step, owner and outcome, acknowledgment rows."""
    leads_rows, message_rows, event_rows = pg.execute(
        (
            "SELECT l.id, l.extra->>'bench_phase', l.submitted_at, l.received_at, l.assigned_at, l.updated_at,"
            " l.owner_id, coalesce(l.routing_trace->>'outcome', ''), coalesce(l.routing_trace->'rule'->>'name', ''),"
            " coalesce(l.routing_trace->>'summary', ''), l.junk, l.temperature, l.country, l.consent_sms,"
            " (SELECT array_agg(i.id ORDER BY i.id) FROM leads_inquiry i WHERE i.lead_id = l.id),"
            " (SELECT array_agg(i.ack_state ORDER BY i.id) FROM leads_inquiry i WHERE i.lead_id = l.id),"
            " l.reassignment_count > 0 OR l.escalated_at IS NOT NULL"
            " FROM leads_lead l WHERE l.extra->>'bench' = %s",
            [tag],
        ),
        (
            "SELECT m.lead_id, m.channel, m.state, m.sent_at, m.dedupe_key, m.recipient, m.subject"
            " FROM leads_message m"
            " JOIN leads_lead l ON l.id = m.lead_id WHERE l.extra->>'bench' = %s AND m.purpose = 'acknowledgment'",
            [tag],
        ),
        (
            "SELECT e.lead_id, e.data->>'channel', count(*) FROM leads_leadevent e"
            " JOIN leads_lead l ON l.id = e.lead_id"
            " WHERE l.extra->>'bench' = %s AND e.kind = 'acknowledgment.sent' GROUP BY 1, 2",
            [tag],
        ),
    )
    leads = {}
    for row in leads_rows:
        (lead_id, phase, submitted, received, assigned, updated, owner, outcome, rule, summary, junk, temperature,
         country, consent_sms, inquiry_ids, ack_states, moved) = row  # fmt: skip
        leads[lead_id] = {
            "phase": phase,
            "submitted": submitted,
            "received": received,
            "assigned": assigned,
            # updated_at is the assignment's save unless the lead was reassigned since (the
            # escalation job, 2+ minutes later): then assigned_at, a lower bound, stands in.
            "owner_saved": (assigned if moved else updated) if owner else None,
            "moved": moved,
            "owner": owner,
            "outcome": outcome,
            "rule": rule,
            "summary": summary,
            "junk": junk,
            "temperature": temperature,
            "country": country,
            "consent_sms": consent_sms,
            "inquiries": inquiry_ids or [],
            "ack_states": ack_states or [],
            "messages": defaultdict(list),
            "sent_events": Counter(),
        }
    for lead_id, channel, state, sent_at, dedupe_key, recipient, subject in message_rows:
        leads[lead_id]["messages"][channel].append(
            {"state": state, "sent_at": sent_at, "key": dedupe_key, "recipient": recipient, "subject": subject}
        )
    for lead_id, channel, count in event_rows:
        leads[lead_id]["sent_events"][channel or ""] = count
    # RQ's record of each lead's job (kept result_ttl = 600 s after it finished).
    from rq.job import Job

    job_ids = {f"inquiry-{lead['inquiries'][0]}": lead_id for lead_id, lead in leads.items() if lead["inquiries"]}
    for job in Job.fetch_many(list(job_ids), connection=redis):
        if job is None:
            continue
        lead = leads[job_ids[job.id]]
        lead["job"] = {
            "enqueued": as_utc(job.enqueued_at),
            "started": as_utc(job.started_at),
            "ended": as_utc(job.ended_at),
            "status": str(job.get_status(refresh=False)),
        }
    return leads


def count_backend_emails(directory: Path) -> Counter:
    """Emails Django's file backend wrote (one file per connection, each message's headers
    then body, messages separated by a line of dashes), counted per (recipient, subject)."""
    sent: Counter = Counter()
    for path in directory.glob("*.log"):
        for message in path.read_text(errors="replace").split("\n" + "-" * 79 + "\n"):
            headers = {}
            for line in message.strip().split("\n\n", 1)[0].splitlines():
                name, _, value = line.partition(": ")
                headers.setdefault(name, value.strip())
            if "To" in headers:
                sent[(headers["To"], headers.get("Subject", ""))] += 1
    return sent


def ms(later: dt.datetime | None, earlier: dt.datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds() * 1000


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest rank."""
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


def stats(values: list[float | None]) -> dict:
    present = sorted(v for v in values if v is not None)
    if not present:
        return {"count": 0, "missing": len(values)}
    return {
        "count": len(present),
        "missing": len(values) - len(present),
        "min": round(present[0], 1),
        "p50": round(percentile(present, 50), 1),
        "p95": round(percentile(present, 95), 1),
        "p99": round(percentile(present, 99), 1),
        "max": round(present[-1], 1),
        "mean": round(sum(present) / len(present), 1),
    }


def email_sent_at(lead: dict) -> dt.datetime | None:
    sent = [m["sent_at"] for m in lead["messages"].get("email", []) if m["sent_at"] is not None]
    return min(sent) if sent else None


STEPS = (  # name, later, earlier (keys of `points`)
    ("client send -> received_at (server)", "received", "submitted"),
    ("received_at -> job enqueued", "enqueued", "received"),
    ("job enqueued -> job started (queue wait)", "started", "enqueued"),
    ("job started -> assigned_at", "assigned", "started"),
    ("assigned_at -> owner saved", "owner_saved", "assigned"),
    ("owner saved -> ack email to backend", "ack", "owner_saved"),
    ("job run (started -> ended)", "ended", "started"),
)
TOTALS = (
    ("received_at -> assigned_at", "assigned", "received"),
    ("received_at -> ack email to backend", "ack", "received"),
    ("submission -> assigned_at", "assigned", "submitted"),
    ("submission -> owner saved  [goal <= 200; burst 500]", "owner_saved", "submitted"),
    ("submission -> ack email    [goal <= 1000]", "ack", "submitted"),
)


def points(lead: dict) -> dict:
    job = lead.get("job") or {}
    return {
        "submitted": lead["submitted"],
        "received": lead["received"],
        "enqueued": job.get("enqueued"),
        "started": job.get("started"),
        "assigned": lead["assigned"],
        "owner_saved": lead["owner_saved"],
        "ack": email_sent_at(lead),
        "ended": job.get("ended"),
    }


def latency_table(leads: list[dict]) -> dict[str, dict]:
    table = {}
    for name, later, earlier in (*STEPS, *TOTALS):
        table[name] = stats([ms(p[later], p[earlier]) for p in map(points, leads)])
    return table


def print_latency_table(table: dict[str, dict]) -> None:
    head = ("ms", "count", "missing", "p50", "p95", "p99", "max")
    rows = []
    for name, s in table.items():
        if name == TOTALS[0][0]:
            rows.append(("end to end", "", "", "", "", "", ""))
        cells = [f"{s[k]:.1f}" if k in s else "-" for k in ("p50", "p95", "p99", "max")]
        rows.append((name, str(s["count"]), str(s["missing"]), *cells))
    print_rows(head, rows)


def windows(leads: list[dict], start: dt.datetime, duration: float) -> list[dict]:
    """Per 10-s window of submission: leads, and the p95 of the two goal measures."""
    buckets: dict[int, list[dict]] = defaultdict(list)
    for lead in leads:
        buckets[int((lead["submitted"] - start).total_seconds() // WINDOW_S)].append(lead)
    rows = []
    for index in range(max(1, math.ceil(duration / WINDOW_S))):
        group = buckets.get(index, [])
        assign = stats([ms(p["owner_saved"], p["submitted"]) for p in map(points, group)])
        ack = stats([ms(p["ack"], p["submitted"]) for p in map(points, group)])
        wait = stats([ms(p["started"], p["enqueued"]) for p in map(points, group)])
        rows.append(
            {
                "from_s": index * WINDOW_S,
                "leads": len(group),
                "assign_p95_ms": assign.get("p95"),
                "ack_p95_ms": ack.get("p95"),
                "queue_wait_p95_ms": wait.get("p95"),
            }
        )
    return rows


def goal(leads: list[dict], later: str, limit_ms: float) -> dict:
    """The p95 from submission to `later` over every lead, a lead that never got there
    counting as infinitely late."""
    values = [ms(p[later], p["submitted"]) for p in map(points, leads)]
    missing = sum(v is None for v in values)
    p95 = percentile(sorted(math.inf if v is None else v for v in values), 95) if values else math.inf
    return {
        "value": round(p95, 1) if math.isfinite(p95) else None,
        "goal": f"<= {limit_ms:g}",
        "missing": missing,
        "pass": p95 <= limit_ms,
    }


def goal_text(result: dict) -> str:
    if result["value"] is None:
        return f"not reached (over 5% of the leads, {result['missing']}, not done when the bench stopped waiting)"
    missing = f", {result['missing']} lead(s) not done" if result["missing"] else ""
    return f"{result['value']:.1f} ms{missing}"


# --- diagnostics: jobs, PostgreSQL activity, a profile, a census of one lead --------------------


def job_census(redis, since: dt.datetime) -> dict:
    """The jobs the workers finished since `since` (RQ keeps them result_ttl = 600 s; a job id
    enqueued twice counts once), per function, and what is left in the queue."""
    from rq import Queue
    from rq.job import Job

    queues = [Queue(name, connection=redis) for name in ("routing", "default")]  # leadops/queues.py
    runs: dict[str, list[float]] = defaultdict(list)
    finished_ids = [job_id for queue in queues for job_id in queue.finished_job_registry.get_job_ids()]
    for job in Job.fetch_many(finished_ids, connection=redis):
        if job is None or job.started_at is None or job.ended_at is None or as_utc(job.started_at) < since:
            continue
        runs[job.func_name].append(ms(as_utc(job.ended_at), as_utc(job.started_at)))
    waiting = [job_id for queue in queues for job_id in queue.get_job_ids()]
    left = Counter(job.func_name for job in Job.fetch_many(waiting, connection=redis) if job)
    finished = {
        name: {"jobs": len(values), "total_s": round(sum(values) / 1000, 2), **stats(values)}
        for name, values in sorted(runs.items(), key=lambda item: -sum(item[1]))
    }
    failed = sum(queue.failed_job_registry.count for queue in queues)
    return {"finished": finished, "left_in_queue": dict(left.most_common()), "failed": failed}


TABLE_FIELDS = ("seq_scan", "seq_tup_read", "idx_scan", "inserted", "updated", "deleted")
DB_FIELDS = ("commits", "rollbacks", "rows_returned", "rows_fetched", "blocks_hit", "blocks_read")


def pg_activity(pg: Postgres) -> dict:
    """Cumulative counters of the bench database (pg_stat_*: flushed by each backend at
    least every ~10 s and when it exits)."""
    tables, database = pg.execute(
        "SELECT relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0), n_tup_ins, n_tup_upd, n_tup_del"
        " FROM pg_stat_user_tables",
        "SELECT xact_commit, xact_rollback, tup_returned, tup_fetched, blks_hit, blks_read"
        " FROM pg_stat_database WHERE datname = current_database()",
    )
    return {"tables": {name: values for name, *values in tables}, "database": list(database[0])}


def pg_activity_per_lead(before: dict, after: dict, leads: int) -> dict:
    tables = {}
    for name, values in after["tables"].items():
        delta = [a - b for a, b in zip(values, before["tables"].get(name, [0] * len(values)), strict=True)]
        if any(delta):
            tables[name] = {field: round(d / leads, 2) for field, d in zip(TABLE_FIELDS, delta, strict=True)}
    database = {
        field: round((a - b) / leads, 2)
        for field, a, b in zip(DB_FIELDS, after["database"], before["database"], strict=True)
    }
    ranked = sorted(tables.items(), key=lambda item: -(item[1]["seq_scan"] + item[1]["idx_scan"]))
    return {"database": database, "tables": dict(ranked)}


MAIN_THREAD = ("running jobs", "main thread, rq bookkeeping between jobs", "waiting for a job")
APP_PACKAGES = ("leads/", "routing/", "cadences/", "leadops/")
PG_WAIT = ("Connection.wait (psycopg/", "wait_c (psycopg", "wait (psycopg/waiting.py")
REDIS_IO = ("redis/_parsers/socket.py", "redis/connection.py")


class Profiler:
    """py-spy (from the venv) on each worker's main process, wall clock (--idle) and without
    pausing it (--nonblocking), 100 samples/s, as collapsed stacks (flamegraph.pl or
    speedscope.app read them)."""

    def __init__(self, prefix: Path):
        self.prefix = prefix
        self.runs: list[tuple[subprocess.Popen, Path]] = []

    def start(self, pids: list[int]) -> None:
        py_spy = VENV_BIN / "py-spy"
        if not py_spy.exists():
            raise BenchError(f"--profile needs py-spy in the venv ({py_spy}): .venv/bin/pip install py-spy")
        for number, pid in enumerate(pids, start=1):
            path = self.prefix.with_name(f"{self.prefix.name}-worker{number}.txt")
            cmd = [str(py_spy), "record", "--pid", str(pid), "--rate", "100", "--format", "raw", "--idle",
                   "--nonblocking", "--nolineno", "--output", str(path)]  # fmt: skip
            self.runs.append((subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), path))

    def stop(self) -> None:
        for process, _ in self.runs:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process, _ in self.runs:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    def summary(self) -> dict:
        """Where the workers' job time went: per job function, waiting on PostgreSQL or Redis
        vs running Python, and the application functions that took most of it."""
        files = [path for _, path in self.runs if path.exists()]
        if not files:
            errors = [p.stderr.read().decode(errors="replace")[-500:] for p, _ in self.runs if p.stderr]
            return {"error": "py-spy wrote nothing", "stderr": errors}
        kinds: Counter = Counter()
        jobs: Counter = Counter()
        split: Counter = Counter()
        inclusive: Counter = Counter()
        total = job_total = 0
        for path in files:
            for line in path.read_text(errors="replace").splitlines():
                stack, _, count = line.rpartition(" ")
                if not count.isdigit():
                    continue
                frames, n = stack.split(";"), int(count)
                total += n
                if "Job._execute (rq/job.py)" not in frames:
                    if any("sweep (" in f for f in frames):
                        kinds["sweeper sweeping"] += n
                    elif any("sweep_forever" in f for f in frames):
                        kinds["sweeper thread idle"] += n
                    elif any("dequeue_job_and_maintain_ttl" in f for f in frames):
                        kinds["waiting for a job"] += n
                    elif any(f.startswith("PubSub.") for f in frames):
                        kinds["rq command listener thread idle"] += n
                    elif any(f.startswith("BaseEventLoop.run_forever") for f in frames):
                        idle = "select" in frames[-1].lower()
                        kinds[f"asyncio loop thread {'idle' if idle else 'busy'}"] += n
                    else:
                        kinds["main thread, rq bookkeeping between jobs"] += n
                    continue
                job_total += n
                kinds["running jobs"] += n
                below = frames[frames.index("Job._execute (rq/job.py)") + 1 :]
                jobs[below[0] if below else "rq Job._execute itself"] += n
                leaf = frames[-1]
                if leaf.startswith(PG_WAIT):
                    split["waiting for PostgreSQL replies (psycopg wait)"] += n
                elif "(psycopg/" in leaf:
                    split["in psycopg: sending statements, BEGIN/COMMIT (libpq calls)"] += n
                elif any(part in leaf for part in REDIS_IO):
                    split["Redis I/O"] += n
                elif leaf.startswith("Condition.wait (threading.py"):
                    split["waiting for another thread (e.g. a push send)"] += n
                else:
                    split["running Python (Django ORM, application code)"] += n
                for frame in set(frames):
                    where = frame[frame.rfind("(") + 1 : -1]
                    if where.startswith(APP_PACKAGES) and not where.startswith(("leadops/worker.py",)):
                        inclusive[frame] += n
        share = lambda n, of: round(100 * n / of, 1) if of else 0.0  # noqa: E731
        return {
            "files": [str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path) for path in files],
            "samples": total,
            "threads_time_pct": {k: share(n, total) for k, n in kinds.most_common()},
            "main_thread_pct": {k: share(kinds[k], sum(kinds[m] for m in MAIN_THREAD)) for k in MAIN_THREAD},
            "job_time_pct_by_function": {k: share(n, job_total) for k, n in jobs.most_common(8)},
            "job_time_pct_by_activity": {k: share(n, job_total) for k, n in split.most_common()},
            "job_time_pct_by_app_function": {k: share(n, job_total) for k, n in inclusive.most_common(25)},
        }


def run_census(env: dict, leads: int) -> dict:
    """bench/pipeline_census.py: each step of one lead, in-process, its SQL statements counted."""
    done = subprocess.run(
        [PYTHON, "bench/pipeline_census.py", "--leads", str(leads)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    line = next((x for x in done.stdout.splitlines() if x.startswith("CENSUS_RESULT ")), None)
    if line is None:
        return {"error": (done.stdout + done.stderr)[-2000:]}
    rows = json.loads(line.removeprefix("CENSUS_RESULT "))["leads"]
    warm = rows[1:] or rows
    steps = {}
    for name in rows[0]["steps"]:
        values = [row["steps"][name] for row in warm]
        median = sorted(values, key=lambda v: v["ms"])[len(values) // 2]
        steps[name] = {
            "ms_median": median["ms"],
            "statements_median": sorted(v["count"] for v in values)[len(values) // 2],
            "tables": median["tables"],
            "slowest": median["slowest"][:3],
            "statements": median["all"],
        }
    errors = [x for x in done.stderr.splitlines() if "ERROR" in x]
    return {
        "leads": len(rows),
        "warm": len(warm),
        "steps": steps,
        "outcomes": [row["steps"]["assign_lead"].get("outcome") for row in rows],
        "error_lines": len(errors),
        "first_error": errors[0][:300] if errors else "",
    }


# --- main ----------------------------------------------------------------------------------------


def create_keys(env: dict) -> list[str]:
    keys = []
    for name, source in SOURCES:
        out = run(
            [PYTHON, "manage.py", "create_intake_key", "--name", name, "--source", source,
             "--label", "bench/pipeline.py", "--requests-per-minute", "10000000"],
            env=env, what="manage.py create_intake_key",
        )  # fmt: skip
        keys.append(out.strip().splitlines()[-1].strip())
    return keys


def client_summary(results: list[dict], seconds: float) -> dict:
    statuses = Counter(r["status"] for r in results)
    latencies = [r["latency_ms"] for r in results if r["status"] in (200, 201)]
    return {
        "sent": len(results),
        "seconds": round(seconds, 2),
        "rate_per_s": round(len(results) / seconds, 2) if seconds else None,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "created_201": statuses.get(201, 0),
        "duplicates_reported": sum(1 for r in results if r.get("duplicate_of")),
        "junk_reported": sum(1 for r in results if r.get("result") == "junk"),
        "errors": [r["error"] for r in results if r.get("error")][:5],
        "reply_ms": stats(latencies),
        "send_late_ms": stats([r["late_ms"] for r in results]),
    }


def main(argv: list[str] | None = None) -> int:  # noqa: C901 (one linear script)
    args = parse_args(argv)
    started_at = dt.datetime.now(dt.UTC)
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    tag = "P" + stamp

    say("Preparing: PostgreSQL, Redis, bench database ...")
    say("  " + run(["bash", "scripts/ensure-postgres"], what="scripts/ensure-postgres").strip())
    pg = Postgres(args.pg_url, args.database)
    pg_version = pg.ensure_database(fresh=True)
    mail_dir = Path(tempfile.mkdtemp(prefix="bench-pipeline-mail-"))
    env = server_env(pg.url, args.redis_url, args.email_url or f"filemail:///{mail_dir}")
    try:
        say("  " + run(["bash", "scripts/ensure-redis"], env=env, what="scripts/ensure-redis").strip())
        redis = claim_redis_db(args.redis_url, REDIS_MARKER, "BENCH_PIPELINE_REDIS_URL")
        run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env=env, what="manage.py migrate (bench database)")
        seeded = run([PYTHON, "manage.py", "seed_demo"], env=env, what="manage.py seed_demo")
        say(f"  {args.database}: recreated, migrated; seed_demo: {seeded.strip().splitlines()[0]}")
        keys = create_keys(env)
        run_window = args.warmup + args.duration + args.drain_timeout
        setup_lines, setup = prepare_reps(pg, args, run_window)
    except BaseException:
        shutil.rmtree(mail_dir, ignore_errors=True)
        raise
    for line in setup_lines:
        say(f"  bench setup: {line}")

    facts = machine_facts(pg_version, args.web_workers, {"rq_workers": args.workers})
    say()
    say("Machine")
    say(f"  nproc {facts['nproc']} (usable {facts['cpus_usable']}), {facts['cpu_model']}")
    say(f"  load average before: {' '.join(map(str, facts['load_average_before']))}")
    say(f"  Python {facts['python']}, Django {facts['django']}, {facts['gunicorn']}")
    say(f"  PostgreSQL {facts['postgresql']} (database {args.database}), Redis {args.redis_url}")
    say(
        f"  web: gunicorn, {args.web_workers} sync workers, DEBUG=false, access log on (as Procfile.prod); "
        f"{args.workers} x manage.py leadops_worker; EMAIL_URL {env['EMAIL_URL'].split(':')[0]}://"
    )
    if facts["git"]["commit"]:
        say(f"  code: git {facts['git']['commit']}, {facts['git']['dirty_files']} tracked file(s) modified")
    say(
        f"  load: {args.rate:g} leads/s paced by the clock from {args.senders} client threads; "
        f"{args.warmup:g} s warm-up + {args.duration:g} s measured; {args.us_share:.0%} US / "
        f"{1 - args.us_share:.0%} GB, {args.sms_share:.0%} with SMS consent"
    )

    maker = LeadMaker(args.seed, tag, args.us_share, args.sms_share)
    warm_payloads = [maker.make("warmup") for _ in range(round(args.rate * args.warmup))]
    payloads = [maker.make("measured") for _ in range(round(args.rate * args.duration))]

    port = free_port()
    server = Gunicorn(args.web_workers, port, env, ready_path=INTAKE_PATH)
    workers = Workers(args.workers, env)
    sampler = Sampler(server, workers, args.redis_url, pg)
    info = redis.info("server")
    redis_pid = info.get("process_id")

    def pid_groups() -> dict[str, set[int]]:
        groups = {"web": set(), "workers": set(), "postgres": set(), "redis": {redis_pid} if redis_pid else set()}
        if server.process:
            groups["web"] = {server.process.pid, *server.worker_pids()}
        groups["workers"] = {pid for main, children in workers.pids().items() for pid in (main, *children)}
        with contextlib.suppress(Exception):
            groups["postgres"] = set(pg.server_pids())
        return groups

    meter = CpuMeter(pid_groups, self_group="client")
    profile_dir = Path(tempfile.gettempdir()) if args.no_json else RESULTS_DIR
    profiler = Profiler(profile_dir / f"pipeline-{stamp}") if args.profile else None
    results: list[dict] = []
    checks: dict = {}
    activity_before = pg_activity(pg)
    ((first_id,),) = pg.execute("SELECT coalesce(max(id), 0) FROM leads_lead")[0]
    try:
        try:
            server.start()
            workers.start(args.redis_url)
            sampler.start()
            sender = Sender(port, keys, args.senders)
            say()
            if warm_payloads:
                say(f"warm-up: {len(warm_payloads)} leads in {args.warmup:g} s ...")
                warm_results, _ = sender.run(warm_payloads, args.rate, "warmup")
                results += warm_results
                wait_for_drain(pg, first_id, args.drain_timeout)
            say(f"measured: {len(payloads)} leads at {args.rate:g}/s over {args.duration:g} s ...")
            if profiler:
                profile_dir.mkdir(parents=True, exist_ok=True)
                profiler.start(list(workers.pids()))
            meter.start()
            sampler.meter = meter
            measured_start = dt.datetime.now(dt.UTC)
            measured, send_seconds = sender.run(payloads, args.rate, "measured")
            results += measured
            drain_seconds, left = wait_for_drain(pg, first_id, args.drain_timeout)
            sampler.meter = None
            cpu = meter.stop(len(measured))
            if profiler:
                profiler.stop()
            say(
                f"drained {drain_seconds:.1f} s after the last send"
                + (f"; NOT drained: {left}" if any(left.values()) else "")
            )
            sampler.sample()
            memory = sampler.memory_table()
            depth_max = max((d for _, d in sampler.depth), default=0)
        except BenchError:
            say("\ngunicorn output (last lines):\n" + server.log_tail())
            say("\nworker output (last lines):\n" + workers.log_tail())
            raise
        finally:
            sampler.stop_event.set()
            if profiler:
                profiler.stop()
            workers.stop()
            server.stop()
            problems = [line for line in server.non_access_log_lines() if "Traceback" in line or "ERROR" in line]
            worker_problems = workers.problem_lines()
            checks["server_error_lines"] = len(problems)
            checks["worker_error_lines"] = len(worker_problems)
            if problems:
                say("\ngunicorn logged errors (first lines):\n" + "\n".join(problems[:20]))
            if worker_problems:
                distinct = Counter(line.split(" ", 2)[-1] for line in worker_problems)
                say(
                    f"\nworkers logged {len(worker_problems)} errors: "
                    + "; ".join(f"{n} x {message}" for message, n in distinct.most_common(5))
                )
            server.remove_log()
            workers.remove_log()
        time.sleep(1)  # the stopped processes' backends have flushed their statistics
        activity = pg_activity_per_lead(activity_before, pg_activity(pg), len(results))
        leads = read_leads(pg, tag, redis)
        backend_emails = count_backend_emails(mail_dir) if not args.email_url else None
        jobs = job_census(redis, measured_start)
        census = None
        if args.census > 0:
            say(f"census: {args.census} leads one at a time, in-process (bench/pipeline_census.py) ...")
            census = run_census(env, args.census)
    finally:
        with contextlib.suppress(Exception):
            redis.flushdb()
            redis.set(REDIS_MARKER, "1")
        shutil.rmtree(mail_dir, ignore_errors=True)

    # --- figures ---
    by_phase = [lead for lead in leads.values() if lead["phase"] == "measured"]
    table = latency_table(by_phase)
    client = client_summary(measured, send_seconds)
    per_window = windows(by_phase, measured_start, args.duration)

    say(f"\nClient ({client['sent']} leads in {client['seconds']:.1f} s = {client['rate_per_s']:.1f}/s)")
    say(
        f"  replies: {', '.join(f'{code}: {n}' for code, n in client['statuses'].items())};"
        f" reply p50 {client['reply_ms'].get('p50', 0):.1f} ms, p99 {client['reply_ms'].get('p99', 0):.1f} ms;"
        f" sends late by p99 {client['send_late_ms']['p99']:.1f} ms, max {client['send_late_ms']['max']:.1f} ms"
    )
    say(f"\nLatency per lead, ms ({len(by_phase)} measured leads; steps in order, then end to end)")
    print_latency_table(table)
    say(f"\nPer {WINDOW_S}-s window of submission: p95 ms of owner saved / ack email / queue wait")
    say(
        "  "
        + "  ".join(
            f"{w['from_s']}s: {w['leads']} leads {w['assign_p95_ms'] or 0:.0f}/{w['ack_p95_ms'] or 0:.0f}"
            f"/{w['queue_wait_p95_ms'] or 0:.0f}"
            for w in per_window
        )
    )
    say(f"  RQ queue depth: max {depth_max} (sampled every 0.5 s)")
    done_at = [p["ack"] for p in map(points, by_phase) if p["ack"] and p["owner_saved"]]
    throughput = None
    if done_at:
        span = (max(done_at) - measured_start).total_seconds()
        throughput = round(len(done_at) / span, 1) if span > 0 else None
        say(
            f"  pipeline throughput: {throughput} leads/s routed and acknowledged ({len(done_at)} leads done"
            f" {span:.0f} s after the first send; offered {args.rate:g}/s)"
        )

    say("\nJobs the workers finished during the measured run and drain (RQ; a job id enqueued twice counts once)")
    print_rows(
        ("function", "jobs", "p50 ms", "p95 ms", "max ms", "total s"),
        [
            (name, str(j["jobs"]), f"{j['p50']:.1f}", f"{j['p95']:.1f}", f"{j['max']:.1f}", f"{j['total_s']:.1f}")
            for name, j in jobs["finished"].items()
        ],
    )
    left_text = ", ".join(f"{name}: {n}" for name, n in jobs["left_in_queue"].items()) or "none"
    say(f"  left in the queue when every lead was done: {left_text}; failed jobs: {jobs['failed']}")

    outcomes = Counter((lead["outcome"] or "not routed", lead["owner"] is not None) for lead in by_phase)
    rules = Counter(lead["rule"] or "-" for lead in by_phase if lead["owner"])
    say("\nRouting")
    say("  outcomes: " + ", ".join(f"{o}{'' if owned else ' (no owner)'}: {n}" for (o, owned), n in outcomes.items()))
    say("  rules: " + ", ".join(f"{rule}: {n}" for rule, n in rules.most_common()))
    unassigned = [lead for lead in by_phase if lead["owner"] is None and not lead["junk"]]
    why = Counter(lead["outcome"] or "never routed (job not run)" for lead in unassigned)
    if unassigned:
        say("  not assigned, by outcome: " + ", ".join(f"{o}: {n}" for o, n in why.items()))
        say(f"  e.g. {unassigned[0]['summary'][:300]}")

    # --- checks ---
    all_leads = list(leads.values())
    sent_all = results
    created_ids = {r["lead_id"] for r in sent_all if r["status"] == 201}
    lost = sorted(created_ids - leads.keys())
    extra_rows = sorted(leads.keys() - created_ids)  # stored but no 201 seen (timeouts)
    not_acked = [lead for lead in all_leads if not lead["junk"] and email_sent_at(lead) is None]
    ack_dupe_rows = sum(1 for lead in all_leads for ms_ in lead["messages"].values() if len(ms_) > 1)
    ack_dupe_events = sum(1 for lead in all_leads for n in lead["sent_events"].values() if n > 1)
    sms_expected = sum(1 for lead in all_leads if lead["consent_sms"] and not lead["junk"])
    sms_sent = sum(1 for lead in all_leads for m in lead["messages"].get("sms", []) if m["state"] == "sent")
    # The acknowledgments the mail backend got: emails whose recipient and subject are those of an
    # acknowledgment row (cadence emails to the same lead have other subjects).
    backend_acks = backend_dupes = None
    if backend_emails is not None:
        ack_pairs = {(m["recipient"], m["subject"]) for lead in all_leads for m in lead["messages"].get("email", [])}
        backend_acks = sum(n for pair, n in backend_emails.items() if pair in ack_pairs)
        backend_dupes = sum(1 for pair, n in backend_emails.items() if pair in ack_pairs and n > 1)
    checks.update(
        {
            "sent": len(sent_all),
            "created_201": len(created_ids),
            "rows": len(leads),
            "lost_leads": len(lost),
            "rows_without_201": len(extra_rows),
            "reassigned_or_escalated_during_run": sum(1 for lead in all_leads if lead["moved"]),
            "non_201": sum(1 for r in sent_all if r["status"] != 201),
            "not_assigned": len(unassigned),
            "not_assigned_by_outcome": dict(why),
            "not_acknowledged": len(not_acked),
            "duplicate_ack_message_rows": ack_dupe_rows,
            "duplicate_ack_sent_events": ack_dupe_events,
            "emails_in_backend": sum(backend_emails.values()) if backend_emails is not None else None,
            "acknowledgments_in_backend": backend_acks,
            "acknowledgments_in_backend_more_than_once": backend_dupes,
            "sms_acks_sent": sms_sent,
            "sms_acks_expected": sms_expected,
            "rq_queue_depth_max": depth_max,
            "drain_s": round(drain_seconds, 2),
            "left_after_drain": left,
        }
    )

    say("\nChecks")
    lost_ok = not lost and len(leads) >= len(created_ids)
    say(
        f"  {verdict(lost_ok)}  no lost leads: {len(created_ids)} 201 replies, {len(leads)} bench leads in the"
        f" database (warm-up + measured; {len(lost)} 201s without a row, {len(extra_rows)} rows without a 201 seen)"
    )
    errors_ok = checks["non_201"] == 0
    say(f"  {verdict(errors_ok)}  every send got 201: {checks['non_201']} did not {client['errors'] or ''}")
    assigned_ok = not unassigned
    say(f"  {verdict(assigned_ok)}  every lead assigned: {len(unassigned)} not (measured leads)")
    acked_ok = not not_acked
    say(f"  {verdict(acked_ok)}  every lead acknowledged by email: {len(not_acked)} not (all bench leads)")
    acks_sent = sum(1 for lead in all_leads for m in lead["messages"].get("email", []) if m["state"] == "sent")
    dupes_ok = ack_dupe_rows == 0 and ack_dupe_events == 0 and not backend_dupes
    dupes_ok = dupes_ok and (backend_acks is None or backend_acks == acks_sent)
    backend_text = (
        f"; the mail backend got {backend_acks} acknowledgment emails for {acks_sent} sent rows,"
        f" {backend_dupes} of them more than once"
        if backend_dupes is not None
        else " (mail backend not inspected: --email-url given)"
    )
    say(
        f"  {verdict(dupes_ok)}  no duplicate acknowledgments: {ack_dupe_rows} leads with several acknowledgment rows"
        f" per channel, {ack_dupe_events} with several 'acknowledgment.sent' events per channel{backend_text}"
    )
    say(f"  info  SMS acknowledgments sent: {sms_sent} of {sms_expected} leads with SMS consent")
    if checks["reassigned_or_escalated_during_run"]:
        say(
            f"  info  {checks['reassigned_or_escalated_during_run']} leads were reassigned or escalated before the"
            " bench read them (reassign_after elapsed): their 'owner saved' is their assigned_at"
        )
    rss_ok = all((row["peak_life_mb"] or 0) <= GOAL_RSS_MB for row in memory)
    say(f"  {verdict(rss_ok)}  RSS <= {GOAL_RSS_MB:g} MB per process (SPEC §7): now / peak sampled / peak of life, MB")
    for row in memory:
        say(
            f"          {row['role']:<22} pid {row['pid']:<7} {row['rss_mb'] or 0:6.1f} / "
            f"{row['peak_sampled_mb'] or 0:6.1f} / {row['peak_life_mb'] or 0:6.1f}"
        )
    logs_ok = checks["server_error_lines"] == 0 and checks["worker_error_lines"] == 0
    say(
        f"  {verdict(logs_ok)}  no errors logged: gunicorn {checks['server_error_lines']} line(s),"
        f" workers {checks['worker_error_lines']} ERROR record(s)"
    )

    say("\nCPU during the measured run and the drain (ms per lead; cores = CPU seconds per second)")
    groups = ("web", "workers", "postgres", "redis", "client", "other")
    print_rows(
        ("", *groups, "busy"),
        [
            ("ms/lead", *(f"{cpu['ms_per_request'][g]:.2f}" for g in groups), ""),
            ("cores", *(f"{cpu['cores'][g]:.2f}" for g in groups), f"{cpu['machine_busy_cores']:.2f}"),
        ],
    )
    say(f"  ({cpu['wall_s']:.1f} s wall; 'other' is CPU used by other processes on this shared machine)")

    db = activity["database"]
    say(
        f"\nPostgreSQL work per lead (bench database, whole run incl. warm-up and background jobs): "
        f"{db['commits']:.1f} commits, {db['rows_returned']:.0f} rows read, {db['rows_fetched']:.0f} fetched"
    )
    print_rows(
        ("table", "idx scans", "seq scans", "rows seq-read", "inserts", "updates"),
        [
            (name, f"{t['idx_scan']:.2f}", f"{t['seq_scan']:.2f}", f"{t['seq_tup_read']:.0f}",
             f"{t['inserted']:.2f}", f"{t['updated']:.2f}")
            for name, t in list(activity["tables"].items())[:12]
        ],
    )  # fmt: skip

    db_summary = sampler.database_summary()
    say(
        f"\nPostgreSQL statements in flight (pg_stat_activity every 0.5 s, {db_summary['samples']} samples): "
        f"{db_summary['active_statements_avg']} running on average, {db_summary['lock_waits_avg']} of them"
        " waiting for a lock"
    )
    for row in db_summary["waiting"]:
        say(f"  waiting {row['share_of_samples']:.0%} of samples: {row['statement']} ({row['wait']})")
    for row in db_summary["running"][:5]:
        say(f"  running {row['share_of_samples']:.0%} of samples: {row['statement']}")

    if census:
        say(f"\nOne lead at a time, in-process, warm (median of {census.get('warm', 0)}; bench/pipeline_census.py)")
        if "error" in census:
            say(f"  census failed: {census['error'][-500:]}")
        else:
            for name, step in census["steps"].items():
                tables = ", ".join(f"{t} {n}" for t, n in list(step["tables"].items())[:6])
                say(f"  {name:<28} {step['ms_median']:6.1f} ms  {step['statements_median']:3d} statements  ({tables})")
            say(f"  outcomes: {', '.join(map(str, census['outcomes']))}; ERROR lines logged: {census['error_lines']}")
            if census["first_error"]:
                say(f"  first: {census['first_error']}")

    if profiler:
        profile = profiler.summary()
        say("\nWorker profile (py-spy, wall clock, both workers, measured run + drain)")
        if "error" in profile:
            say(f"  {profile['error']}: {profile['stderr']}")
        else:
            say("  workers' main threads: " + ", ".join(f"{k} {v}%" for k, v in profile["main_thread_pct"].items()))
            say("  all threads: " + ", ".join(f"{k} {v}%" for k, v in profile["threads_time_pct"].items()))
            say("  job time by job: " + ", ".join(f"{k} {v}%" for k, v in profile["job_time_pct_by_function"].items()))
            say(
                "  job time by activity: "
                + ", ".join(f"{k} {v}%" for k, v in profile["job_time_pct_by_activity"].items())
            )
            say("  job time inside application functions (inclusive):")
            for name, pct in profile["job_time_pct_by_app_function"].items():
                say(f"    {pct:5.1f}%  {name}")
            say(f"  stacks: {', '.join(profile['files'])} (collapsed; flamegraph.pl or speedscope.app)")
    else:
        profile = None

    received_assign_p95 = table["received_at -> assigned_at"].get("p95")
    received_ack_p95 = table["received_at -> ack email to backend"].get("p95")
    assign_goal_ms = GOAL_BURST_ASSIGN_P95_MS if args.burst else GOAL_ASSIGN_P95_MS
    goals = {
        "assignment_p95_ms": goal(by_phase, "owner_saved", assign_goal_ms),
        "acknowledgment_p95_ms": goal(by_phase, "ack", GOAL_ACK_P95_MS),
    }
    goals["assignment_p95_ms"]["received_at_to_assigned_at_p95_ms"] = received_assign_p95
    goals["acknowledgment_p95_ms"]["received_at_to_sent_at_p95_ms"] = received_ack_p95
    shape = f"a burst of {args.burst} at once from {args.senders} clients" if args.burst else f"{args.rate:g} leads/s"
    say(f"\nGoals ({shape}, {args.workers} worker processes; p95 over all {len(by_phase)} measured leads)")
    say(
        f"  {verdict(goals['assignment_p95_ms']['pass'])}  assignment p95, submission -> owner saved: "
        f"{goal_text(goals['assignment_p95_ms'])} (goal <= {assign_goal_ms:g} ms;"
        f" received_at -> assigned_at p95 {received_assign_p95} ms)"
    )
    say(
        f"  {verdict(goals['acknowledgment_p95_ms']['pass'])}  acknowledgment p95, submission -> email handed to "
        f"the backend: {goal_text(goals['acknowledgment_p95_ms'])} (goal <= {GOAL_ACK_P95_MS:g} ms;"
        f" received_at -> sent_at p95 {received_ack_p95} ms)"
    )
    all_pass = (
        all(g["pass"] for g in goals.values())
        and lost_ok
        and assigned_ok
        and acked_ok
        and errors_ok
        and dupes_ok
        and rss_ok
        and logs_ok
    )
    say(f"  info  load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    say(f"\nOverall: {verdict(all_pass)}")

    if not args.no_json:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"pipeline-{stamp}.json"
        document = {
            "started_at": started_at.isoformat(),
            "command": "bench/pipeline.py " + " ".join(sys.argv[1:] if argv is None else argv),
            "args": {k: v for k, v in vars(args).items() if k not in ("pg_url", "redis_url")},
            "machine": facts,
            "setup": {**setup, "notes": setup_lines},
            "client": client,
            "latency_ms": table,
            "windows": per_window,
            "throughput_per_s": throughput,
            "queue_depth": sampler.depth,
            "routing": {
                "outcomes": {f"{o}{'' if owned else ' (no owner)'}": n for (o, owned), n in outcomes.items()},
                "rules": dict(rules),
            },
            "memory": memory,
            "cpu": cpu,
            "jobs": jobs,
            "postgres_per_lead": activity,
            "postgres_in_flight": db_summary,
            "census": census,
            "profile": profile,
            "checks": checks,
            "goals": goals,
            "pass": all_pass,
        }
        path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
        say(f"Results written to {path.relative_to(ROOT)}")
    return 1 if args.check and not all_pass else 0


if __name__ == "__main__":
    bench_main(main, "bench/pipeline.py")
