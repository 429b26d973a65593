"""Worker cost per lead, by stage (issue 11): CPU milliseconds and SQL statements each
stage of the worker's work on a new lead costs, measured in-process on PostgreSQL with
the demo data, beside an RQ no-op job measured in the same run (the floor of any job).

    make bench-worker-cost                       # = .venv/bin/python bench/worker_cost.py
    make bench-worker-cost BENCH_ARGS="--leads 200"

It (re)creates the database `leadops_bench_cost`, migrates it and runs `seed_demo`,
raises every rep's capacity (so no lead waits in a morning queue), stores `--leads`
leads through the intake (not measured), then runs each lead's job exactly as the worker
does (pipeline.jobs.handle_new_inquiry: route, then acknowledge), followed by the jobs it
queued (message delivery), in one process with `time.process_time()` and a statement
counter around every stage. Stages are exclusive (a stage's figure leaves out the stages
it calls), so they add up to the total. Goal: <= 10 ms CPU per lead (routing +
acknowledgment + cadence enrolment + pushes). Exit status 0 (with --check: 1 when the
goal is missed), 2 when the bench could not run.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import os
import pstats
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from common import BenchError, Postgres, bench_main, claim_redis_db, run, say, verdict  # noqa: E402

GOAL_MS = 10.0
DATABASE = "leadops_bench_cost"
MARKER = "leadops:bench:worker-cost"


class Stages:
    """Exclusive CPU time and statements per stage, with a stack for nesting."""

    def __init__(self):
        self.totals = defaultdict(lambda: [0, 0.0, 0])
        self.stack: list[list] = []
        self.statements = 0

    def count(self, execute, sql, params, many, context):
        self.statements += 1
        return execute(sql, params, many, context)

    def wrap(self, label: str, function):
        @functools.wraps(function)
        def measured(*args, **kwargs):
            frame = [time.process_time(), self.statements, 0.0, 0]  # start, statements, child cpu, child statements
            self.stack.append(frame)
            try:
                return function(*args, **kwargs)
            finally:
                self.stack.pop()
                cpu = time.process_time() - frame[0]
                statements = self.statements - frame[1]
                entry = self.totals[label]
                entry[0] += 1
                entry[1] += cpu - frame[2]
                entry[2] += statements - frame[3]
                if self.stack:
                    self.stack[-1][2] += cpu
                    self.stack[-1][3] += statements

        return measured


def instrument(stages: Stages) -> None:
    from cadences import progress
    from leadops import events, push
    from leads import acknowledgments, messaging
    from pipeline import jobs
    from routing import assignment

    assignment.assign_lead = stages.wrap("routing: write the owner, trace, rotation", assignment.assign_lead)
    jobs.assign_lead = assignment.assign_lead
    assignment.decide = stages.wrap("routing: decide (rules, eligible reps, strategy)", assignment.decide)
    progress.enroll = stages.wrap("cadence enrolment (the plan's steps)", progress.enroll)
    # the job acknowledges the leads it routed together (acknowledge_inquiries); older code one by one
    batch = hasattr(acknowledgments, "acknowledge_inquiries")
    name = "acknowledge_inquiries" if batch else "acknowledge_inquiry"
    setattr(acknowledgments, name, stages.wrap("acknowledgment: compose, outbox rows", getattr(acknowledgments, name)))
    messaging.deliver_message = stages.wrap("message delivery (claim, transport, state)", messaging.deliver_message)
    acknowledgments.deliver_message = messaging.deliver_message
    push._send_built = stages.wrap("live pushes: build and send (channel layer)", push._send_built)
    import leads.actions

    leads.actions.record_event = stages.wrap("timeline events (rows, announce)", leads.actions.record_event)
    assignment.record_event = leads.actions.record_event
    flow = {
        event: tuple(stages.wrap(f"flow: {event} -> {h.__name__}", h) for h in handlers)
        for event, handlers in events._flow.items()
    }
    events._flow = flow


def count_redis_commands() -> list[int]:
    """Count what the process sends to Redis from now on (a pipeline counts once)."""
    from redis.connection import AbstractConnection

    sent = [0]
    send = AbstractConnection.send_packed_command

    def counted(self, command, check_health=True):
        sent[0] += 1
        return send(self, command, check_health)

    AbstractConnection.send_packed_command = counted
    return sent


def _backend_cpu_reader(connection):
    """CPU seconds (user + system) the PostgreSQL backend serving `connection` has used,
    from /proc (the server runs on this machine)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    return read


def child(args) -> int:
    import django

    django.setup()
    from django.db import connection
    from pipeline_census import payload
    from rq import SimpleWorker

    from leadops.queues import ROUTING, enqueue_now, get_queue
    from leadops.worker import LeadOpsWorker
    from leads.actions import lead_intake
    from leads.intake import clean_submission
    from leads.models import LeadSource
    from pipeline import jobs

    source = LeadSource.objects.get(name="Website")
    queue = get_queue()
    rng = random.Random(args.seed)
    tag = str(time.time_ns())
    inquiries = []
    for n in range(args.leads + args.warmup):
        submission, errors = clean_submission(
            payload(n, tag, rng), default_source=source.default_source, allows_source=source.allows
        )
        if errors:
            raise BenchError(f"payload rejected: {errors}")
        stored = lead_intake(submission, source, actor_label="bench").inquiry
        inquiries.append((stored.pk, stored.lead_id))  # the job's arguments, as the intake enqueues them
    routing_queue = get_queue(ROUTING)
    routing_queue.empty()  # the intake's own jobs: this bench runs them itself, below
    queue.empty()
    worker = SimpleWorker([routing_queue, queue], connection=queue.connection)
    for inquiry in inquiries[: args.warmup]:
        jobs.handle_new_inquiry(*inquiry)
    worker.work(burst=True, with_scheduler=False)

    for _ in range(args.leads):
        queue.enqueue("bench.baseline.noop_job")
    started = time.process_time()
    worker.work(burst=True, with_scheduler=False)
    baseline_ms = (time.process_time() - started) * 1000 / args.leads

    stages = Stages()
    instrument(stages)
    redis_commands = count_redis_commands()
    backend_cpu = _backend_cpu_reader(connection)
    backend_before = backend_cpu()
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    with connection.execute_wrapper(stages.count):
        if profiler:
            profiler.enable()
        handle = stages.wrap("job: handle_new_inquiry (own code)", jobs.handle_new_inquiry)
        if args.backlog:
            # The intake's jobs wait on the routing queue, as under a backlog, and the worker
            # class the Procfile runs takes them: a job routes the leads waiting behind it.
            jobs.handle_new_inquiry = handle
            for inquiry_id, lead_id in inquiries[args.warmup :]:
                job_id = f"inquiry-{inquiry_id}"
                enqueue_now("pipeline.jobs.handle_new_inquiry", inquiry_id, lead_id, job_id=job_id, queue=ROUTING)
            worker = LeadOpsWorker([routing_queue, queue], connection=queue.connection)
        started = time.process_time()
        if not args.backlog:
            for inquiry in inquiries[args.warmup :]:
                handle(*inquiry)
        worker.work(burst=True, with_scheduler=False)
        total_ms = (time.process_time() - started) * 1000 / args.leads
        statements = stages.statements / args.leads
        if profiler:
            profiler.disable()
    backend_ms = (backend_cpu() - backend_before) * 1000 / args.leads
    jobs_per_lead = queue.finished_job_registry.count / args.leads - 1  # minus the no-op round
    if args.backlog:
        routing_jobs = routing_queue.finished_job_registry.count
        say(
            f"{args.leads} leads waiting on the routing queue, taken by the worker (PostgreSQL, demo data):"
            f" {routing_jobs} routing jobs, {args.leads / max(routing_jobs, 1):.1f} leads each"
        )
    else:
        say(f"{args.leads} leads, one at a time in one process (PostgreSQL, demo data):")
    say(f"  {'stage':62s} {'CPU ms/lead':>11s} {'statements/lead':>15s}")
    for label, (_calls, cpu, count) in sorted(stages.totals.items(), key=lambda item: -item[1][1]):
        say(f"  {label:62s} {cpu * 1000 / args.leads:11.2f} {count / args.leads:15.1f}")
    rest = total_ms - sum(cpu for _, cpu, _ in stages.totals.values()) * 1000 / args.leads
    say(f"  {'RQ and everything else (jobs after the first)':62s} {rest:11.2f}")
    say(f"  {'total':62s} {total_ms:11.2f} {statements:15.1f}")
    say(f"PostgreSQL backend CPU per lead (the server's side of those statements): {backend_ms:.2f} ms")
    say(f"Redis commands (or pipelines) per lead, RQ's included: {redis_commands[0] / args.leads:.1f}")
    say(f"Baseline, same run: an RQ no-op job costs {baseline_ms:.2f} ms CPU.")
    say(
        f"Jobs queued per lead after its own job: {jobs_per_lead:.2f} (they run after all leads, as a backlog"
        " would: the leads of one second share one cadence dispatcher job; with an idle worker each lead's"
        " first call step has a job of its own, see bench/pipeline.py for the worker's CPU under load)"
    )
    if profiler:
        say(f"cProfile, top {args.profile} by cumulative time (its own overhead inflates every figure):")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(args.profile)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(args.profile)
    ok = total_ms <= GOAL_MS
    ratio = total_ms / baseline_ms if baseline_ms else float("inf")
    say(f"Goal: worker CPU per lead <= {GOAL_MS:.0f} ms: {total_ms:.1f} ms ({ratio:.1f}x the no-op job) {verdict(ok)}")
    return 1 if (args.check and not ok) else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--check", action="store_true", help="exit 1 when the goal is missed")
    parser.add_argument(
        "--backlog", action="store_true", help="queue all leads' jobs first and let the worker take them (batches)"
    )
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="also print cProfile's top N functions")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://leadops:leadops@127.0.0.1:5432"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_COST_REDIS", "redis://127.0.0.1:6379/11"))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    database = Postgres(args.pg, DATABASE)
    database.ensure_database(fresh=True)
    claim_redis_db(args.redis_url, MARKER, "BENCH_COST_REDIS")
    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "REDIS_URL": args.redis_url,
        "EMAIL_URL": "dummymail://",
        "SMS_TRANSPORT": "console",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-not-secret",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "leadops.settings",
    }
    python = sys.executable
    say("Preparing the database (migrate, seed_demo) ...")
    run([python, "manage.py", "migrate", "--noinput", "-v0"], env=env, what="migrate")
    run([python, "manage.py", "seed_demo"], env=env, what="seed_demo")
    # As bench/pipeline.py does: every rep works round the clock (so the demo's office hours
    # do not send leads on call or to the morning queue) with room for every lead.
    database.execute(
        "UPDATE routing_repprofile SET capacity = 30000",
        "DELETE FROM routing_workinghours",
        "INSERT INTO routing_workinghours (rep_id, weekday, starts, ends)"
        " SELECT p.id, d, '00:00', '23:59:59' FROM routing_repprofile p CROSS JOIN generate_series(0, 6) d",
    )
    child_args = [python, __file__, "--child", "--leads", str(args.leads), "--warmup", str(args.warmup)]
    child_args += ["--seed", str(args.seed), "--profile", str(args.profile)] + (["--check"] if args.check else [])
    child_args += ["--backlog"] if args.backlog else []
    done = __import__("subprocess").run(child_args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if not line.startswith("[sms to")]
    print("\n".join(lines))
    if done.returncode not in (0, 1) or not lines:
        raise BenchError(f"the measuring process failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return done.returncode


if __name__ == "__main__":
    bench_main(main, "bench/worker_cost.py")
