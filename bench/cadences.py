"""Cadence benchmark (SPEC §7): how late do planned steps run, with 100,000 of them due
over a few minutes and ONE worker process?

    .venv/bin/python bench/cadences.py                   # 100,000 steps over 180 s + a 20,000-step burst
    .venv/bin/python bench/cadences.py --steps 20000 --window 60 --burst 0
    .venv/bin/python bench/cadences.py --design per-step --steps 20000   # the alternative, for comparison

What it does:
1. A dedicated PostgreSQL database (`leadops_bench_cadence`, created as the `leadops` role
   that scripts/ensure-postgres makes, migrated, its leads and plans emptied) and a
   dedicated Redis db (default 7; flushed before and after, and refused when it holds keys
   that are not the bench's: other benches and test runs share the Redis server).
2. Plans: 10,000 leads in a 10-step bench cadence (8 emails, 1 SMS, 1 call, the seeded hot
   templates), i.e. 100,000 planned steps, due evenly over `--window` seconds starting
   `--lead-in` seconds from now; then `--burst` more steps all due at the same instant
   after the window (the worst case: a backlog, as after downtime). Rows are bulk-inserted;
   due times are then set in one UPDATE so they are relative to the real start.
3. Wake-ups as production makes them: `--design batch` (the default, what enroll() does)
   writes one tick job per due second of the next few minutes (cadences/wakeups.py; the
   worker's sweep arms the later seconds as they come near); `--design per-step` writes
   one delayed job per step (run_planned_step), the alternative it was measured against.
4. ONE worker: `manage.py leadops_worker` (the Procfile's worker: SimpleWorker + rq
   scheduler + sweeper thread), DEBUG=false, mail to django's dummy backend
   (EMAIL_URL=dummymail://), SMS to the console transport (its output to a log file).
5. Measured from the database when every step ran: lateness = done_at - planned due time
   for email and SMS steps (in the outbox, committed), notified_at - planned due time for
   call steps, and sent_at - planned due time for the messages (handed to the mail
   backend); p50/p90/p99/max, steps executed per second, the busiest second; CPU per step
   of the worker and of its PostgreSQL backends (steps per CPU-second: what the design
   costs, whatever else runs on the machine), the worker's memory, and how contended the
   machine was (the worker's run-queue wait, CPU pressure). Checks: every step ran once,
   one message per email/SMS step, every message sent.

Results also go to bench/results/cadences-<timestamp>.json. Exit status: 0 when the bench
ran (with --check: 1 when the p99 goal failed), 2 when it could not run.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
RESULTS_DIR = ROOT / "bench" / "results"
GOAL_P99_S = 2.0
STEPS_PER_LEAD = 10
CHANNELS = ["email", "email", "sms", "email", "call", "email", "email", "email", "email", "email"]
TICK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    """The bench could not run; the message says why."""


def say(message: str = "") -> None:
    print(message, flush=True)


def run(cmd: list[str], env: dict | None = None, what: str = "") -> str:
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"{what or ' '.join(cmd)} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Cadence benchmark: lateness of 100,000 planned steps with one worker (SPEC §7).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--steps", type=int, default=100_000, help="steps due during the window")
    parser.add_argument("--window", type=float, default=180, help="seconds over which they fall due")
    parser.add_argument("--burst", type=int, default=20_000, help="extra steps all due at one instant after it")
    parser.add_argument("--lead-in", type=float, default=60, help="seconds from setup to the first due step")
    parser.add_argument("--design", choices=["batch", "per-step"], default="batch", help="how the worker is woken")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgres://leadops:leadops@127.0.0.1:5432"),
        help="PostgreSQL server URL, role with CREATEDB, no database part [env BENCH_PG_URL]",
    )
    parser.add_argument("--database", default="leadops_bench_cadence")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_CADENCE_REDIS_URL", "redis://127.0.0.1:6379/7"),
        help="dedicated Redis db, FLUSHED before and after (refused if others' keys) [env BENCH_CADENCE_REDIS_URL]",
    )
    parser.add_argument("--timeout", type=float, default=600, help="give up this long after the last due time")
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/cadences-<ts>.json")
    parser.add_argument("--keep-log", action="store_true", help="keep the worker's log (RQ at INFO) and print its path")
    parser.add_argument("--check", action="store_true", help="exit 1 when the p99 goal is not met")
    args = parser.parse_args(argv)
    if args.steps < STEPS_PER_LEAD or args.window <= 0 or args.burst < 0:
        parser.error("--steps >= 10, --window > 0, --burst >= 0")
    return args


# --- database, Redis, Django ------------------------------------------------------------------


def ensure_database(server_url: str, database: str) -> str:
    import psycopg
    from psycopg import sql

    try:
        with psycopg.connect(f"{server_url}/postgres", autocommit=True, connect_timeout=5) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
                say(f"  created database {database}")
    except psycopg.Error as error:
        raise BenchError(f"cannot reach or create {database} at {server_url}: {error}") from error
    return version


def setup_django(env: dict) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadops.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def make_plans(args, t0: float) -> dict:
    """Bulk-insert the bench cadence, leads, enrollments and planned steps; set due times."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.utils import timezone

    from cadences.models import Cadence, CadenceStep, Enrollment, PlannedStep
    from leads.models import Lead, LeadSource

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE leads_lead RESTART IDENTITY CASCADE")
    hot = Cadence.objects.get(name__startswith="Hot")
    templates = {step.channel: step for step in hot.steps.order_by("order")}  # the last of each channel
    Cadence.objects.filter(name="Bench").delete()
    cadence = Cadence.objects.create(name="Bench", position=0, sources=["other"], active=False)
    gap = args.window / STEPS_PER_LEAD
    steps = CadenceStep.objects.bulk_create(
        CadenceStep(
            cadence=cadence, order=order, channel=channel, name=f"Bench {channel}", business_hours_only=False,
            subject=templates[channel].subject, body=templates[channel].body, delay=dt.timedelta(seconds=gap),
            needs_phone=channel != "email", needs_sms_consent=channel == "sms",
        )
        for order, channel in enumerate(CHANNELS, start=1)
    )  # fmt: skip
    source, _ = LeadSource.objects.get_or_create(name="Bench cadences", defaults={"slug": "bench-cadences"})
    owner, _ = User.objects.get_or_create(username="bench.rep", defaults={"first_name": "Bea", "last_name": "Bench"})
    now = timezone.now()
    stream_leads = math.ceil(args.steps / STEPS_PER_LEAD)
    burst_leads = math.ceil(args.burst / STEPS_PER_LEAD)
    total = stream_leads + burst_leads
    say(f"  inserting {total:,} leads, {total:,} enrollments, {total * STEPS_PER_LEAD:,} planned steps ...")
    Lead.objects.bulk_create(
        (
            Lead(
                lead_source=source, email=f"lead{n}@bench-corp.example", phone=f"+1 415 555 {n % 10000:04d}",
                phone_e164=f"+1415555{n % 10000:04d}", first_name="Ada", last_name=f"Bench{n}", company="Bench Corp",
                source="other", inquiry_type="demo_request", temperature="hot", message="A demo for 40 reps, please.",
                resolved_time_zone="America/New_York", country="US", consent_sms=True, consent_email=True,
                submitted_at=now, received_at=now, owner=owner, stage="assigned",
            )
            for n in range(total)
        ),
        batch_size=2000,
    )  # fmt: skip
    lead_ids = list(Lead.objects.order_by("pk").values_list("pk", flat=True))
    Enrollment.objects.bulk_create(
        (Enrollment(lead_id=lead_id, cadence=cadence, started_at=now) for lead_id in lead_ids), batch_size=5000
    )
    enrollment_ids = list(Enrollment.objects.order_by("pk").values_list("pk", flat=True))
    PlannedStep.objects.bulk_create(
        (
            PlannedStep(enrollment_id=enrollment_id, step=step, number=step.order, channel=step.channel, due_at=now)
            for enrollment_id in enrollment_ids
            for step in steps
        ),
        batch_size=10_000,
    )
    # Stream: step k of lead i at t0 + (k-1) * window/10 + i * window/10/leads: evenly spread.
    # Burst: every step of the burst leads at t0 + window + 10 s. (A step run over a minute
    # late replans its lead's later steps; lateness is measured from these planned times.)
    burst_at = t0 + args.window + 10
    first = enrollment_ids[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cadences_plannedstep SET due_at = CASE WHEN enrollment_id - %s < %s"
            " THEN to_timestamp(%s + (number - 1) * %s + (enrollment_id - %s) * %s)"
            " ELSE to_timestamp(%s) END",
            [first, stream_leads, t0, gap, first, gap / stream_leads, burst_at],
        )
        cursor.execute("ANALYZE")
    # The stream may hold up to 9 more steps than asked (whole leads); the burst likewise.
    return {
        "stream_steps": stream_leads * STEPS_PER_LEAD,
        "burst_steps": burst_leads * STEPS_PER_LEAD,
        "stream_leads": stream_leads,
        "first_enrollment": first,
        "gap": gap,
        "burst_at": burst_at,
        "first_due": t0,
        "last_due": burst_at if burst_leads else t0 + args.window,
    }


def wake(design: str) -> int:
    """Write the wake-up jobs the way production does (batch) or one per step (per-step)."""
    from cadences.models import PlannedStep
    from cadences.tasks import run_planned_step
    from cadences.wakeups import wake_at
    from leadops.queues import get_queue

    if design == "batch":
        return wake_at(PlannedStep.objects.values_list("due_at", flat=True).distinct())
    queue = get_queue()
    written = 0
    rows = PlannedStep.objects.order_by("due_at").values_list("pk", "due_at")
    for start in range(0, rows.count(), 5000):
        with queue.connection.pipeline() as pipe:
            for pk, due_at in rows[start : start + 5000]:
                queue.enqueue_at(due_at, run_planned_step, pk, pipeline=pipe, result_ttl=60, failure_ttl=86400)
                written += 1
            pipe.execute()
    return written


# --- the worker ------------------------------------------------------------------------------------


class Worker:
    """`manage.py leadops_worker` in its own process group; CPU and memory sampled."""

    def __init__(self, env: dict, keep_log: bool = False):
        self.env = {**env, "RQ_LOG_LEVEL": "INFO"} if keep_log else env
        self.keep_log = keep_log
        self.log = tempfile.NamedTemporaryFile(prefix="bench-cadence-worker-", suffix=".log", delete=False)
        self.process: subprocess.Popen | None = None
        self.peak_rss_mb = 0.0

    def start(self) -> None:
        self.process = subprocess.Popen(
            [PYTHON, "manage.py", "leadops_worker"], cwd=ROOT, env=self.env, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def pids(self) -> list[int]:
        if not self.process:
            return []
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            with contextlib.suppress(OSError):
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo += [int(child) for child in (task / "children").read_text().split()]
        return found

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in self.pids():
            with contextlib.suppress(OSError, IndexError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / TICK
        return total

    def runqueue_wait_seconds(self) -> float:
        """Time the worker's threads were runnable but waited for a CPU (schedstat)."""
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                for task in Path(f"/proc/{pid}/task").iterdir():
                    with contextlib.suppress(OSError, IndexError, ValueError):
                        total += int((task / "schedstat").read_text().split()[1])
        return total / 1e9

    def sample_memory(self) -> None:
        if not self.process:
            return
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    self.peak_rss_mb = max(self.peak_rss_mb, int(line.split()[1]) / 1024)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        self.log.flush()
        text = Path(self.log.name).read_text(errors="replace").splitlines()
        return "\n".join(line for line in text[-lines:] if not line.startswith("[sms to"))

    def error_lines(self) -> list[str]:
        self.log.flush()
        text = Path(self.log.name).read_text(errors="replace").splitlines()
        return [line for line in text if "Traceback" in line or " ERROR " in line]

    def stop(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.log.close()
        if self.keep_log:
            say(f"worker log: {self.log.name}")
            return
        with contextlib.suppress(OSError):
            os.unlink(self.log.name)


def process_cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


class PostgresCpu:
    """CPU seconds of the PostgreSQL backends serving the bench database (the worker's
    connections), sampled as they come and go."""

    def __init__(self):
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}

    def sample(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            pids = [pid for (pid,) in cursor.fetchall()]
        for pid in pids:
            cpu = process_cpu_seconds(pid)
            if cpu is None:
                continue
            self.first.setdefault(pid, cpu if not self.last else 0.0)
            self.last[pid] = cpu

    def seconds(self) -> float:
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


def dump_jobs(path: str, t0: float) -> None:
    """Append when each finished or failed RQ job was enqueued, started and ended (relative
    to t0) to the worker log: where the time went."""
    from rq.job import Job

    from leadops.queues import get_queue

    queue = get_queue()
    ids = queue.finished_job_registry.get_job_ids() + queue.failed_job_registry.get_job_ids()
    rows = []
    for job in Job.fetch_many(ids, connection=queue.connection):
        if job is None:
            continue

        def rel(moment):
            return f"{moment.timestamp() - t0:+9.3f}" if moment else "        -"

        rows.append((job.started_at or job.enqueued_at, job))
    with open(path, "a") as log:
        for _, job in sorted(rows, key=lambda row: row[0].timestamp() if row[0] else 0):
            log.write(
                f"JOB {job.id[:40]:40} args={job.args} enqueued {rel(job.enqueued_at)} started {rel(job.started_at)}"
                f" ended {rel(job.ended_at)} result={job.return_value()!r:.120}\n"
            )


def waiting_steps() -> int:
    """Steps not yet run (autocommit: each count sees the latest commits)."""
    from cadences.reads import due_steps

    return due_steps(dt.datetime.max.replace(tzinfo=dt.UTC)).count()


# --- measurement -----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, math.ceil(q / 100 * len(values)) - 1))
    return values[index]


def summary(values: list[float]) -> dict:
    values = sorted(values)
    return {
        "count": len(values),
        "p50": round(percentile(values, 50), 3),
        "p90": round(percentile(values, 90), 3),
        "p99": round(percentile(values, 99), 3),
        "p999": round(percentile(values, 99.9), 3),
        "max": round(values[-1], 3) if values else None,
        "early": sum(1 for value in values if value < 0),
    }


def planned_due(plans: dict, enrollment_id: int, number: int) -> float:
    """When make_plans made the step due (epoch seconds)."""
    index = enrollment_id - plans["first_enrollment"]
    if index >= plans["stream_leads"]:
        return plans["burst_at"]
    return plans["first_due"] + (number - 1) * plans["gap"] + index * plans["gap"] / plans["stream_leads"]


def measure(plans: dict) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.channel, p.enrollment_id, p.number, EXTRACT(EPOCH FROM COALESCE(p.done_at, p.notified_at)),"
            " EXTRACT(EPOCH FROM m.sent_at), p.status, p.notified_at IS NOT NULL, m.state"
            " FROM cadences_plannedstep p LEFT JOIN leads_message m ON m.id = p.message_id"
        )
        rows = [
            (channel, planned_due(plans, enrollment, number), *rest) for channel, enrollment, number, *rest in cursor
        ]
        cursor.execute("SELECT count(*), count(DISTINCT dedupe_key) FROM leads_message WHERE purpose = 'cadence'")
        messages, distinct_keys = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM leads_leadevent WHERE kind = 'cadence.step_done'")
        (done_events,) = cursor.fetchone()
    phases: dict = {}
    for channel, due, ran, sent, *_ in rows:
        phase = phases.setdefault("burst" if due >= plans["burst_at"] - 0.001 else "stream", {"rows": []})
        phase["rows"].append((channel, float(due), float(ran) if ran else None, float(sent) if sent else None))
    result = {}
    for name, phase in phases.items():
        rows_ = phase["rows"]
        ran = [row for row in rows_ if row[2] is not None]
        late = [row[2] - row[1] for row in ran]
        sent_late = [row[3] - row[1] for row in rows_ if row[3] is not None]
        by_channel = {
            channel: summary([row[2] - row[1] for row in ran if row[0] == channel])
            for channel in sorted({row[0] for row in rows_})
        }
        first_due = min(row[1] for row in rows_)
        last_ran = max((row[2] for row in ran), default=first_due)
        per_second: dict[int, int] = {}
        for row in ran:
            per_second[int(row[2])] = per_second.get(int(row[2]), 0) + 1
        result[name] = {
            "steps": len(rows_),
            "ran": len(ran),
            "seconds": round(last_ran - first_due, 3),
            "steps_per_s": round(len(ran) / max(last_ran - first_due, 1e-9), 1),
            "busiest_second": max(per_second.values(), default=0),
            "lateness_s": summary(late),
            "sent_lateness_s": summary(sent_late),
            "by_channel": by_channel,
        }
    automatic_done = sum(1 for row in rows if row[0] in ("email", "sms") and row[4] == "done")
    result["checks"] = {
        "steps": len(rows),
        "done_or_announced": sum(1 for row in rows if row[4] == "done" or row[5]),
        "automatic_done": automatic_done,
        "messages": messages,
        "messages_distinct_keys": distinct_keys,
        "messages_sent": sum(1 for row in rows if row[6] == "sent"),
        "step_done_events": done_events,
        "one_message_per_step": messages == automatic_done == distinct_keys == done_events,
    }
    return result


def print_table(result: dict) -> None:
    head = ("phase", "steps", "ran", "steps/s", "busiest s", "p50 s", "p90 s", "p99 s", "max s", "early", "sent p99 s")
    rows = []
    for name in ("stream", "burst"):
        if name not in result:
            continue
        phase = result[name]
        late, sent = phase["lateness_s"], phase["sent_lateness_s"]
        rows.append(
            (
                name, f"{phase['steps']:,}", f"{phase['ran']:,}", f"{phase['steps_per_s']:.0f}",
                str(phase["busiest_second"]), f"{late['p50']:.3f}", f"{late['p90']:.3f}", f"{late['p99']:.3f}",
                f"{late['max']:.3f}", str(late["early"]), f"{sent['p99']:.3f}",
            )
        )  # fmt: skip
        for channel, stats in phase["by_channel"].items():
            rows.append(
                (
                    f"  {channel}", f"{stats['count']:,}", "", "", "", f"{stats['p50']:.3f}", f"{stats['p90']:.3f}",
                    f"{stats['p99']:.3f}", f"{stats['max']:.3f}", str(stats["early"]), "",
                )
            )  # fmt: skip
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    for row in [head, *rows]:
        say(
            "  "
            + "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def cpu_pressure_seconds() -> float | None:
    """Seconds during which some runnable task waited for a CPU (Linux PSI), if available."""
    try:
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    return int(line.rsplit("total=", 1)[1]) / 1e6


REDIS_MARKER = "leadops:bench:cadences"


def claim_redis_db(redis, url: str) -> None:
    """Flush the bench's Redis db, but only if it is empty or ours (other benches and test
    runs on this machine use other db numbers; flushing theirs would break them)."""
    keys = redis.dbsize()
    if keys and not redis.exists(REDIS_MARKER):
        raise BenchError(f"{url} holds {keys} keys that are not this bench's: pick a free db with --redis-url")
    redis.flushdb()
    redis.set(REDIS_MARKER, os.getpid())


def machine_facts(pg_version: str) -> dict:
    cpu_model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    git = {}
    with contextlib.suppress(OSError, BenchError):
        git["commit"] = run(["git", "rev-parse", "--short", "HEAD"]).strip()
        git["dirty_files"] = len(run(["git", "status", "--porcelain", "--untracked-files=no"]).splitlines())
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model,
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "postgresql": pg_version,
        "git": git,
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    started = dt.datetime.now(dt.UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    say("Preparing: PostgreSQL, Redis, bench database ...")
    say("  " + run(["bash", "scripts/ensure-postgres"], what="scripts/ensure-postgres").strip())
    pg_version = ensure_database(args.pg_url, args.database)
    env = {
        **os.environ,
        "DATABASE_URL": f"{args.pg_url.rstrip('/')}/{args.database}",
        "REDIS_URL": args.redis_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_URL": "dummymail://",
        "SMS_TRANSPORT": "console",
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    say("  " + run(["bash", "scripts/ensure-redis"], env=env, what="scripts/ensure-redis").strip())
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env=env, what="manage.py migrate (bench database)")
    setup_django(env)
    from leadops.queues import redis_connection

    redis = redis_connection()
    claim_redis_db(redis, args.redis_url)
    facts = machine_facts(pg_version)
    say(f"  machine: {facts['nproc']} CPUs ({facts['cpu_model']}), load {facts['load_average_before']}")

    setup_started = time.time()
    t0 = setup_started + args.lead_in
    plans = make_plans(args, t0)
    jobs = wake(args.design)
    setup_seconds = time.time() - setup_started
    say(f"  plans ready in {setup_seconds:.1f} s; {jobs:,} wake-up job(s) written ({args.design})")
    if time.time() > t0 - 3:
        raise BenchError(f"setup took {setup_seconds:.0f} s, past the lead-in: raise --lead-in")

    worker = Worker(env, keep_log=args.keep_log)
    result: dict = {}
    try:
        worker.start()
        postgres_cpu = PostgresCpu()
        time.sleep(3)  # the worker connects
        postgres_cpu.sample()
        cpu_before = worker.cpu_seconds()
        wait_before, pressure_before = worker.runqueue_wait_seconds(), cpu_pressure_seconds()
        say(
            f"Running: {plans['stream_steps']:,} steps due over {args.window:g} s from "
            f"{dt.datetime.fromtimestamp(t0, dt.UTC):%H:%M:%S} UTC"
            + (f", then {plans['burst_steps']:,} due at once" if plans["burst_steps"] else "")
            + ", one worker ..."
        )
        deadline = plans["last_due"] + args.timeout
        last_report = 0.0
        while True:
            time.sleep(1)
            worker.sample_memory()
            postgres_cpu.sample()
            if not worker.alive():
                raise BenchError("the worker exited:\n" + worker.log_tail())
            left = waiting_steps()
            now = time.time()
            if now - last_report >= 15:
                say(f"  t{now - t0:+6.0f} s: {left:,} steps waiting")
                last_report = now
            if left == 0 and now > plans["last_due"]:
                break
            if now > deadline:
                raise BenchError(f"{left:,} steps still waiting {args.timeout:g} s after the last due time")
        time.sleep(2)  # the last deliveries
        cpu_seconds = worker.cpu_seconds() - cpu_before
        postgres_cpu.sample()
        pg_seconds = postgres_cpu.seconds()
        runqueue_wait = worker.runqueue_wait_seconds() - wait_before
        pressure = cpu_pressure_seconds()
        pressure = pressure - pressure_before if pressure is not None and pressure_before is not None else None
        result = measure(plans)
        errors = worker.error_lines()
    finally:
        worker.stop()
        if args.keep_log:
            dump_jobs(worker.log.name, t0)
        with contextlib.suppress(Exception):
            if redis.get(REDIS_MARKER) == str(os.getpid()).encode():
                redis.flushdb()
            else:
                say(f"warning: someone else flushed or took over {args.redis_url} during the run")

    wall = time.time() - t0
    measured_wall = wall + args.lead_in  # the worker ran from the lead-in on
    p99 = result["stream"]["lateness_s"]["p99"]
    goal = {"value": p99, "goal": f"<= {GOAL_P99_S:g}", "pass": p99 <= GOAL_P99_S}
    say(f"\nLateness of each step (s: done_at - due_at; calls: announced - due_at), {args.design} design, one worker")
    print_table(result)
    say(
        f"\nworker: {cpu_seconds:.1f} CPU s over {wall:.0f} s ({cpu_seconds / wall:.2f} cores), "
        f"peak RSS {worker.peak_rss_mb:.0f} MB; {len(errors)} error line(s) in its log"
    )
    steps_run = result["checks"]["done_or_announced"]
    cpu_ms = {
        "worker_ms_per_step": round(1000 * cpu_seconds / steps_run, 3),
        "postgres_ms_per_step": round(1000 * pg_seconds / steps_run, 3),
    }
    cpu_ms["steps_per_cpu_second"] = round(1000 / (cpu_ms["worker_ms_per_step"] + cpu_ms["postgres_ms_per_step"]))
    say(
        f"CPU per step: worker {cpu_ms['worker_ms_per_step']:.2f} ms + its PostgreSQL backends "
        f"{cpu_ms['postgres_ms_per_step']:.2f} ms = {cpu_ms['steps_per_cpu_second']:,} steps per CPU-second"
    )
    contention = {
        "worker_runqueue_wait_s": round(runqueue_wait, 1),
        "cpu_pressure_some_pct": round(100 * pressure / measured_wall, 1) if pressure is not None else None,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    say(
        f"machine: the worker waited {runqueue_wait:.1f} s for a CPU (ready to run, none free); "
        f"some task waited for a CPU {contention['cpu_pressure_some_pct']}% of the time (PSI); "
        f"load average after {contention['load_average_after']}"
    )
    checks = result["checks"]
    say(
        f"checks: {checks['done_or_announced']:,}/{checks['steps']:,} steps ran once; "
        f"{checks['messages']:,} messages for {checks['automatic_done']:,} email/SMS steps "
        f"({checks['messages_sent']:,} sent); one message per step: {checks['one_message_per_step']}"
    )
    say(f"goal: p99 lateness {p99:.3f} s {goal['goal']} s: {'PASS' if goal['pass'] else 'FAIL'}")
    if not args.no_json:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"cadences-{stamp}.json"
        payload = {
            "started_at": started.isoformat(),
            "args": {
                **{key: value for key, value in vars(args).items() if key not in ("pg_url", "redis_url")},
                "redis_db": args.redis_url.rsplit("/", 1)[-1],
            },
            "machine": {**facts, **contention},
            "setup_seconds": round(setup_seconds, 1),
            "wake_up_jobs": jobs,
            "worker": {
                "cpu_seconds": round(cpu_seconds, 1),
                "postgres_cpu_seconds": round(pg_seconds, 1),
                "peak_rss_mb": round(worker.peak_rss_mb, 1),
                **cpu_ms,
            },
            "error_lines": errors[:20],
            "results": result,
            "goal_p99_lateness_s": goal,
        }
        path.write_text(json.dumps(payload, indent=2) + "\n")
        say(f"results: {path.relative_to(ROOT)}")
    return 1 if args.check and not goal["pass"] else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        say(f"bench/cadences.py: {error}")
        sys.exit(2)
