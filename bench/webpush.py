"""Web push benchmark (SPEC §3.11, issue 13): leads posted at a steady rate; how soon the
push for each reaches the push service of its rep's device.

    make bench-push                                   # = .venv/bin/python bench/webpush.py
    make bench-push BENCH_ARGS="--rate 10 --duration 30 --reps 6"

Goal: submission -> push request accepted by the push service, p95 <= 1 s at 10 leads/s.

What it does, on loopback, with the real processes:
  1. (Re)creates the PostgreSQL database `leadops_bench_push` (role leadops), migrates it,
     and sets up one team of --reps reps (available, on duty around the clock, room for
     every lead), a round-robin rule, an intake key and one push subscription per rep.
  2. Starts the local push-service stand-in (bench/push_service.py, in this process): it
     checks each request's VAPID JWT (ES256 signature against the public key, aud, exp)
     and decrypts its aes128gcm body with the subscription's private key; only then does
     it answer 201 and note the arrival time. The subscriptions are its endpoints.
  3. Flushes a dedicated Redis db (default 9; it refuses a db holding keys it did not
     write), starts gunicorn as Procfile.prod does (sync workers, DEBUG=false) and
     --workers `manage.py leadops_worker` processes, with a fresh VAPID key pair.
  4. Baseline, the floor, measured in the same run at the same rate: this process sends
     one web push straight to the stand-in (leadops.webpush.send: VAPID signing,
     encryption, the POST) per tick - what a push costs without intake, PostgreSQL, the
     queue and the worker.
  5. Posts leads (open loop, paced by the clock): a warm-up, then --rate leads/s for
     --duration s; each lead's latency is its POST's start -> the stand-in accepting the
     push about it (the clock is the same machine's). Waits up to --drain-timeout s.

Printed: p50/p95/p99/max of the baseline and of submission -> push accepted, their ratio,
pushes missing or rejected (must be 0), and PASS/FAIL against the goal. Results also go to
bench/results/webpush-<timestamp>.json. Exit status: 0 when the bench ran (with --check:
1 if the goal or a check failed), 2 when it could not run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from common import (
    PYTHON,
    RESULTS_DIR,
    ROOT,
    BenchError,
    Gunicorn,
    Postgres,
    ServerProcess,
    bench_main,
    claim_redis_db,
    free_port,
    machine_facts,
    print_rows,
    request,
    run,
    say,
    server_env,
    stop_process_group,
    verdict,
)

sys.path.insert(0, str(ROOT))
from bench.push_service import PushServiceStandIn  # noqa: E402  (after the repository is on the path)

GOAL_P95 = 1.0
REDIS_MARKER = "leadops-bench:webpush"
INTAKE_PATH = "/api/v1/leads"
SETUP = """
import json, os
from datetime import time
from django.contrib.auth.models import Group, User
from leads.models import IntakeKey, LeadSource
from routing.models import BusinessSchedule, RepProfile, RoutingRule, Team, WorkingHours
from webpush.models import PushSubscription

subscriptions = json.load(open(os.environ["BENCH_PUSH_SUBSCRIPTIONS"]))
team = Team.objects.create(name="Bench", schedule=BusinessSchedule.objects.get(is_default=True))
RoutingRule.objects.create(position=0, name="Everything to Bench", team=team, strategy="round_robin")
reps = Group.objects.get(name="Reps")
for number, subscription in enumerate(subscriptions, start=1):
    user = User.objects.create_user(f"bench.rep{number}", f"rep{number}@bench.example", first_name=f"Rep {number}")
    user.groups.add(reps)
    team.members.add(user)
    profile = RepProfile.objects.create(user=user, status="available", capacity=30000)
    WorkingHours.objects.bulk_create(
        WorkingHours(rep=profile, weekday=day, starts=time(0), ends=time(23, 59, 59)) for day in range(7)
    )
    PushSubscription.objects.create(
        user=user, endpoint=subscription["endpoint"], p256dh=subscription["keys"]["p256dh"],
        auth=subscription["keys"]["auth"], device="bench",
    )
source = LeadSource.objects.create(name="Website", slug="website", default_source="paid_ads")
print(IntakeKey.issue(source, label="bench", requests_per_minute=1_000_000)[1])
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=10, help="leads per second, paced by the clock")
    parser.add_argument("--duration", "-d", type=float, default=30, help="seconds of the measured run")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up at the same rate (not measured)")
    parser.add_argument("--baseline", type=float, default=10, help="seconds of direct pushes at the same rate")
    parser.add_argument("--reps", type=int, default=6, help="reps, one device each")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (manage.py leadops_worker)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--drain-timeout", type=float, default=20, help="seconds to wait for the last pushes")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgres://leadops:leadops@127.0.0.1:5432"),
        help="PostgreSQL server URL (role with CREATEDB; no database part) [env BENCH_PG_URL]",
    )
    parser.add_argument("--database", default="leadops_bench_push", help="bench database (DROPPED and recreated)")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_PUSH_REDIS_URL", "redis://127.0.0.1:6379/9"),
        help="dedicated Redis db, FLUSHED before and after the bench [env BENCH_PUSH_REDIS_URL]",
    )
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/webpush-<ts>.json")
    parser.add_argument("--check", action="store_true", help="exit 1 when the goal or a check fails")
    return parser.parse_args()


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"count": 0}
    ordered = sorted(values)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]

    return {
        "count": len(ordered),
        "p50_ms": round(1000 * at(0.50), 1),
        "p95_ms": round(1000 * at(0.95), 1),
        "p99_ms": round(1000 * at(0.99), 1),
        "max_ms": round(1000 * ordered[-1], 1),
    }


def paced(rate: float, seconds: float, action, pool: ThreadPoolExecutor) -> list:
    """Call action(n) at n / rate seconds from now (open loop); returns the futures."""
    start, futures = time.monotonic(), []
    for number in range(int(rate * seconds)):
        delay = start + number / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        futures.append(pool.submit(action, number))
    return futures


class Worker(ServerProcess):
    name = "worker"
    port = 0

    def ready(self) -> bool:
        return True


def direct_baseline(service: PushServiceStandIn, rate: float, seconds: float, env: dict) -> list[float]:
    """This process pushes straight to the stand-in: the floor of one push."""
    os.environ.update(env)  # the same settings as the servers
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadops.settings")
    import django

    django.setup()
    from leadops import webpush

    devices = [service.subscribe() for _ in range(4)]
    sent: dict[str, float] = {}
    before = len(service.received)

    def push(number: int) -> None:
        device = devices[number % len(devices)]
        tag = f"baseline-{number}"
        sent[tag] = time.time()
        outcome = webpush.send(
            webpush.Device(device["endpoint"], device["keys"]["p256dh"], device["keys"]["auth"]),
            json.dumps({"lead": tag}).encode(),
        )
        if outcome.result != "sent":
            raise BenchError(f"a direct push was not accepted: {outcome}")

    with ThreadPoolExecutor(8) as pool:
        for future in paced(rate, seconds, push, pool):
            future.result()
    arrived = {push.payload["lead"]: push.arrived for push in service.received[before:]}
    return [arrived[tag] - at for tag, at in sent.items() if tag in arrived]


def post_lead(port: int, key: str, number: int) -> tuple[int, float]:
    body = {
        "email": f"lead{number}.{time.monotonic_ns()}@firm{number}.example",
        "first_name": "Ada",
        "last_name": f"Bench {number}",
        "company": "Analytical Engines",
        "phone": f"+1 415 55{number // 10000 % 10}{number % 10000:04d}"[:17],
        "inquiry_type": "demo_request",
        "source": "paid_ads",
    }
    started = time.time()
    status, reply = request(
        port, "POST", INTAKE_PATH, json.dumps(body).encode(),
        {"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
    )  # fmt: skip
    if status != 201:
        raise BenchError(f"intake answered {status}: {reply[:200]!r}")
    return json.loads(reply)["id"], started


def wait_for_pushes(service: PushServiceStandIn, lead_ids: set[int], timeout: float) -> dict[int, float]:
    """Lead id -> when the stand-in accepted the first push about it."""
    deadline = time.monotonic() + timeout
    while True:
        arrived: dict[int, float] = {}
        for push in list(service.received):
            lead = push.payload.get("lead")
            if lead in lead_ids and lead not in arrived:
                arrived[lead] = push.arrived
        if len(arrived) == len(lead_ids) or time.monotonic() > deadline:
            return arrived
        time.sleep(0.1)


def set_up(args, env: dict, service: PushServiceStandIn) -> str:
    """Migrate, then the team, reps, rule, key and one subscription per rep; the intake key."""
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env=env, what="manage.py migrate (bench database)")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump([service.subscribe() for _ in range(args.reps)], handle)
    try:
        output = run(
            [PYTHON, "manage.py", "shell", "-c", SETUP], env={**env, "BENCH_PUSH_SUBSCRIPTIONS": handle.name},
            what="bench set-up",
        )  # fmt: skip
    finally:
        os.unlink(handle.name)
    return output.strip().splitlines()[-1]


def run_leads(args, port: int, key: str, service: PushServiceStandIn) -> tuple[list[float], int]:
    """Warm-up, then the measured leads; returns their latencies and how many never got a push."""
    with ThreadPoolExecutor(16) as pool:
        warm = [future.result() for future in paced(args.rate, args.warmup, lambda n: post_lead(port, key, n), pool)]
        wait_for_pushes(service, {lead for lead, _ in warm}, args.drain_timeout)
        futures = paced(args.rate, args.duration, lambda n: post_lead(port, key, 100_000 + n), pool)
        measured = [future.result() for future in futures]
    arrived = wait_for_pushes(service, {lead for lead, _ in measured}, args.drain_timeout)
    latencies = [arrived[lead] - sent for lead, sent in measured if lead in arrived]
    return latencies, len(measured) - len(latencies)


def main() -> int:
    args = parse_args()
    from leadops.webpush import generate_keys

    public, private = generate_keys()
    pg = Postgres(args.pg_url, args.database)
    pg_version = pg.ensure_database(fresh=True)
    push_settings = {
        "LEADOPS_VAPID_PUBLIC_KEY": public,
        "LEADOPS_VAPID_PRIVATE_KEY": private,
        "LEADOPS_VAPID_SUBJECT": "mailto:bench@leadops.example",
        "LEADOPS_PUSH_SERVICES": "http://127.0.0.1:*",
    }
    env = server_env(pg.url, args.redis_url, "dummymail://", **push_settings)
    redis = claim_redis_db(args.redis_url, REDIS_MARKER, "BENCH_PUSH_REDIS_URL")
    say(f"Web push bench: {args.rate:g} leads/s for {args.duration:g} s, {args.reps} reps with one device each")
    with PushServiceStandIn(expected_key=public) as service:
        key = set_up(args, env, service)
        port = free_port()
        server = Gunicorn(args.web_workers, port, env, ready_path=INTAKE_PATH)
        workers = [Worker([PYTHON, "manage.py", "leadops_worker"], env) for _ in range(args.workers)]
        try:
            server.start()
            for worker in workers:
                worker.start()
            say(f"  gunicorn ({args.web_workers} sync workers) on 127.0.0.1:{port}, {args.workers} leadops_worker; "
                f"push-service stand-in on {service.origin}")  # fmt: skip
            baseline = direct_baseline(service, args.rate, args.baseline, env)
            latencies, missing = run_leads(args, port, key, service)
        finally:
            for worker in workers:
                stop_process_group(worker.process)
            server.stop()
            redis.flushdb()
            redis.set(REDIS_MARKER, "1")
        rejected = list(service.rejected)
    return report(args, baseline, latencies, missing, rejected, pg_version)


def report(args, baseline: list[float], latencies: list[float], missing: int, rejected: list, pg_version: str) -> int:
    floor, figure = percentiles(baseline), percentiles(latencies)
    say()
    print_rows(
        ("leg", "count", "p50 ms", "p95 ms", "p99 ms", "max ms"),
        [
            (name, str(row.get("count")), *(str(row.get(k, "-")) for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")))
            for name, row in (("baseline: direct push -> accepted", floor), ("submission -> push accepted", figure))
        ],
    )
    ratio = round(figure["p95_ms"] / floor["p95_ms"], 1) if figure.get("p95_ms") and floor.get("p95_ms") else None
    passed = bool(latencies) and figure["p95_ms"] <= GOAL_P95 * 1000 and not missing and not rejected
    say()
    say(f"goal:   submission -> push request accepted by the push service, p95 <= {GOAL_P95 * 1000:.0f} ms "
        f"at {args.rate:g} leads/s")  # fmt: skip
    say(f"figure: p95 {figure.get('p95_ms')} ms ({ratio}x the direct push's p95 {floor.get('p95_ms')} ms); "
        f"missing pushes {missing}, rejected by the push service {len(rejected)}")  # fmt: skip
    say(f"result: {verdict(passed)}")
    if not args.no_json:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"webpush-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
        path.write_text(json.dumps({
            "goal_p95_ms": GOAL_P95 * 1000, "rate": args.rate, "duration_s": args.duration, "reps": args.reps,
            "baseline": floor, "submission_to_push": figure, "missing": missing, "rejected": rejected[:20],
            "passed": passed, "machine": machine_facts(pg_version, args.web_workers),
        }, indent=2))  # fmt: skip
        say(f"results: {path.relative_to(ROOT)}")
    return 1 if args.check and not passed else 0


if __name__ == "__main__":
    bench_main(main, "bench/webpush.py")
