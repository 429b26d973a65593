"""End-to-end benchmark (SPEC §7, issue 7 item 1): the full stack as in production, driven
at a series of steady rates; how fast each lead is accepted, acknowledged, assigned and shown
on its rep's open websocket, and the highest rate the stack holds.

    make bench-e2e                                   # = .venv/bin/python bench/e2e.py (5-40 leads/s, 60 s each)
    make bench-e2e BENCH_ARGS="--quick"              # smoke run: 5 and 10 leads/s, 20 s each
    make bench-e2e BENCH_ARGS="--duration 180"       # "a few minutes" per rate, as the issue asks
    make bench-e2e BENCH_ARGS="--rates 10,20,30,40 --workers 3 --clients 16"

Goal: the highest rate (leads/s) at which submission -> lead shown on the rep's websocket
stays under 1 s at p95 (`--limit-ms`), with no lost lead and no duplicate acknowledgment.

What it does, on loopback, in the production layout of SPEC §7 (the pieces of
bench/pipeline.py and bench/live.py, imported from them):
  1. (Re)creates the PostgreSQL database `leadops_bench_e2e` (role leadops, see
     scripts/ensure-postgres), migrates it and runs `manage.py seed_demo` (eight reps in two
     teams, six routing rules, two weeks of history), then bench/pipeline.py's two bench-only
     changes, both printed: 24/7 working hours when a rep would be off duty during the run
     (`--rep-hours auto`) and capacities raised to 30,000 open leads.
  2. Flushes a dedicated Redis db (default 8; it refuses a db holding keys it did not write;
     flushed again at the end), creates intake keys for the demo sources Website and Google
     Ads, starts gunicorn as Procfile.prod does (sync workers, DEBUG=false), one daphne for
     /ws/ (Procfile.prod's `ws`) and N `manage.py leadops_worker` processes (RQ workers with
     their scheduler and sweeper), with EMAIL_URL set to Django's file backend in a temporary
     directory (the acknowledgment emails the backend got are counted per recipient).
  3. Logs --clients websocket clients in as reps through the login form on gunicorn and opens
     `/ws/notifications/` on daphne with each session from a separate client process (as
     bench/live.py; one socket per rep by default, so every rep is watching and available).
  4. A warm-up (not measured), then for each rate of --rates: leads posted open loop, paced
     by the clock (bench/pipeline.py's sender and lead mix: unique US/GB leads hitting every
     demo rule) for --duration s; then a drain: waits (at most --drain-timeout s) until every
     lead is routed and acknowledged, and 2 s more for the last websocket events. Stepping
     stops after a rate whose p95 submission -> rep event is over the limit (a lead whose
     event never came counts as infinitely late) or that left leads unrouted after the drain.
  5. At the end the workers are stopped (a job in flight finishes) and every step is judged
     from the database, RQ, the mail backend's files and every event the sockets received. A
     lead reassigned or escalated before then (its SLA's reassign_after elapsed: runs of
     several minutes) counts its first `lead.assigned` on any socket, its first owner's.

Per rate, one row: rate asked and achieved (sends per second of the client's clock); p50/p95/
p99 in ms from the client's send ("submission", its `submitted_at`) to the 201 reply, to the
acknowledgment email handed to the mail backend (Message.sent_at), to the owner saved
(assignment), and to the first `lead.assigned` event on one of the owner's sockets; lost leads
(201 replies without a row: must be 0), duplicate acknowledgments (leads with several
acknowledgment rows or 'acknowledgment.sent' events per channel, or whose acknowledgment the
mail backend got more than once: must be 0), events that never arrived (owner watched, no
event: must be 0), leads not routed after the drain, and the largest RSS of one process in
each group - web (gunicorn master and workers), daphne, workers (RQ worker and its scheduler);
SPEC §7: <= 200 MB each. A second table gives the CPU each group used per step (cores) and
the CPU other processes used meanwhile (the machine is shared); then
"highest rate holding p95 submission->rep < 1 s: X leads/s".

Results also go to bench/results/e2e-<timestamp>.json. The database is kept for inspection
(the next run recreates it). Exit status: 0 when the bench ran (with --check: 1 if a check
failed - lost leads, duplicate acknowledgments, events that never arrived, non-201 replies,
RSS over 200 MB, errors logged, or no rate held), 2 when it could not run.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from common import (
    PYTHON,
    RESULTS_DIR,
    ROOT,
    BenchError,
    CpuMeter,
    Gunicorn,
    Postgres,
    bench_main,
    browser_login_env,
    claim_redis_db,
    free_port,
    machine_facts,
    memory_mb,
    print_rows,
    run,
    say,
    server_env,
    verdict,
)
from live import DEMO_PASSWORD, WS_PATH, Clients, Daphne, log_in

from pipeline import (
    GOAL_RSS_MB,
    INTAKE_PATH,
    LeadMaker,
    Sender,
    Workers,
    client_summary,
    count_backend_emails,
    create_keys,
    email_sent_at,
    ms,
    percentile,
    prepare_reps,
    read_leads,
    stats,
    wait_for_drain,
)

LIMIT_MS = 1000.0
REDIS_MARKER = "leadops-bench:e2e"  # written after each flush: the db is ours to flush again
GROUPS = ("web", "daphne", "workers")  # the process groups whose RSS is judged
QUICK = {"rates": "5,10", "duration": 20.0, "warmup": 3.0}


def parse_rates(text: str) -> list[float]:
    try:
        rates = [float(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {text!r}") from error
    if not rates or any(rate <= 0 for rate in rates):
        raise argparse.ArgumentTypeError("rates must be positive numbers")
    return rates


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="End-to-end benchmark: the production layout at stepped rates; the highest rate holding "
        "p95 submission -> lead.assigned on the rep's websocket under 1 s.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--rates", default="5,10,20,30,40", help="leads per second of each step, in order")
    parser.add_argument(
        "--duration",
        "-d",
        type=float,
        default=60,
        help="seconds of each step (the issue asks for 'a few minutes': --duration 180)",
    )
    parser.add_argument("--warmup", type=float, default=5, help="seconds of warm-up at the first rate (not measured)")
    parser.add_argument(
        "--quick", action="store_true", help=f"smoke run: rates {QUICK['rates']}, {QUICK['duration']:g} s each"
    )
    parser.add_argument("--limit-ms", type=float, default=LIMIT_MS, help="p95 submission -> rep event that holds")
    parser.add_argument("--all-rates", action="store_true", help="run every rate even after one fails to hold")
    parser.add_argument("--clients", type=int, default=8, help="websocket clients, spread over the reps")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (manage.py leadops_worker)")
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn sync workers (Procfile.prod WEB_WORKERS)")
    parser.add_argument("--senders", type=int, default=64, help="client threads posting leads (in flight at most)")
    parser.add_argument("--drain-timeout", type=float, default=60, help="most seconds to wait after a step's last send")
    parser.add_argument("--us-share", type=float, default=0.5, help="share of US leads (the rest are GB)")
    parser.add_argument("--sms-share", type=float, default=0.3, help="share of leads with SMS consent (console SMS)")
    parser.add_argument("--rep-hours", choices=("auto", "24x7", "seeded"), default="auto", help="as bench/pipeline.py")
    parser.add_argument("--keep-capacity", action="store_true", help="keep the seeded rep capacities (8-25)")
    parser.add_argument("--seed", type=int, default=20261123, help="random seed of the lead mix")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgres://leadops:leadops@127.0.0.1:5432"),
        help="PostgreSQL server URL (role with CREATEDB; no database part) [env BENCH_PG_URL]",
    )
    parser.add_argument("--database", default="leadops_bench_e2e", help="bench database (DROPPED and recreated)")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_E2E_REDIS_URL", "redis://127.0.0.1:6379/8"),
        help="dedicated Redis db, FLUSHED before and after the bench [env BENCH_E2E_REDIS_URL]",
    )
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/e2e-<ts>.json")
    parser.add_argument("--check", action="store_true", help="exit 1 when a check fails")
    args = parser.parse_args(argv)
    if args.quick:
        args.rates, args.duration, args.warmup = QUICK["rates"], QUICK["duration"], QUICK["warmup"]
    try:
        args.rate_list = parse_rates(args.rates)
    except argparse.ArgumentTypeError as error:
        parser.error(f"--rates: {error}")
    if args.duration <= 0 or args.warmup < 0 or args.drain_timeout <= 0 or args.limit_ms <= 0:
        parser.error("--duration, --drain-timeout, --limit-ms > 0 and --warmup >= 0")
    if min(args.clients, args.workers, args.web_workers, args.senders) < 1:
        parser.error("--clients, --workers, --web-workers and --senders must be at least 1")
    return args


# --- memory ------------------------------------------------------------------------------------


class RssSampler(threading.Thread):
    """Every half second the RSS of each process of each group; keeps, per step, the largest
    RSS one process of the group reached (and which role), plus VmHWM at the step's end."""

    def __init__(self, pid_groups):
        super().__init__(daemon=True, name="rss-sampler")
        self.pid_groups = pid_groups
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.peak: dict[str, float] = {}

    def sample(self) -> None:
        with contextlib.suppress(Exception):
            for group, pids in self.pid_groups().items():
                for pid in pids:
                    sizes = memory_mb(pid)
                    if sizes and "rss" in sizes:
                        with self.lock:
                            self.peak[group] = max(self.peak.get(group, 0.0), sizes["rss"])

    def take(self) -> dict[str, float]:
        """The peaks since the last take (then starts over)."""
        self.sample()
        with self.lock:
            peak, self.peak = dict(self.peak), {}
        return peak

    def life_peaks(self) -> dict[str, float]:
        """Per group, the largest VmHWM (peak RSS over the process's life) of its processes now."""
        peaks: dict[str, float] = {}
        for group, pids in self.pid_groups().items():
            for pid in pids:
                sizes = memory_mb(pid) or {}
                if "hwm" in sizes:
                    peaks[group] = max(peaks.get(group, 0.0), sizes["hwm"])
        return peaks

    def run(self) -> None:
        while not self.stop_event.wait(0.5):
            self.sample()


# --- judging a step ------------------------------------------------------------------------------


def first_arrivals(records: list[tuple]) -> dict[int, dict[int, float]]:
    """lead id -> socket index -> first arrival (wall clock) of its `lead.assigned` event."""
    arrivals: dict[int, dict[int, float]] = defaultdict(dict)
    for index, arrival, kind, lead_id, _ in records:
        if kind == "lead.assigned" and lead_id is not None:
            arrivals[lead_id][index] = min(arrival, arrivals[lead_id].get(index, arrival))
    return arrivals


def p95_late_as_infinite(values: list[float | None]) -> float:
    """p95 with a value that never came counted as infinitely late."""
    if not values:
        return math.inf
    return percentile(sorted(math.inf if v is None else v for v in values), 95)


def judge_step(
    step: dict,
    leads: dict[int, dict],
    arrivals: dict[int, dict[int, float]],
    sockets_of: dict[int, list[int]],
    backend_emails: Counter,
) -> dict:
    """The figures of one step from what the database, RQ, the sockets and the mail backend say."""
    phase, results = step["phase"], step["results"]
    mine_by_id = {lead_id: lead for lead_id, lead in leads.items() if lead["phase"] == phase}
    mine = list(mine_by_id.values())
    created = {r["lead_id"] for r in results if r["status"] == 201 and r.get("lead_id")}
    lost = sorted(created - leads.keys())
    sent = sorted(dt.datetime.fromisoformat(r["sent_at"]).timestamp() for r in results)
    achieved = (len(sent) - 1) / (sent[-1] - sent[0]) if len(sent) > 1 and sent[-1] > sent[0] else None
    client = client_summary(results, step["send_seconds"])

    ack, assigned, rep = [], [], []
    never, unwatched, wrong_socket, moved = [], 0, 0, 0
    for lead_id, lead in mine_by_id.items():
        if lead["junk"]:
            continue
        ack.append(ms(email_sent_at(lead), lead["submitted"]))
        assigned.append(ms(lead["owner_saved"], lead["submitted"]))
        if lead["owner"] is None:
            continue
        got = arrivals.get(lead_id, {})
        if lead["moved"]:
            # Reassigned or escalated since (reassign_after elapsed before the bench read it): the
            # owner now is not the one the first event went to; the first event on any socket is it.
            moved += 1
            if got:
                rep.append((min(got.values()) - lead["submitted"].timestamp()) * 1000)
            continue
        owner_sockets = sockets_of.get(lead["owner"], [])
        if not owner_sockets:
            unwatched += 1
            continue
        wrong_socket += any(index not in owner_sockets for index in got)
        seen = [got[index] for index in owner_sockets if index in got]
        if not seen:
            never.append(lead_id)
            rep.append(None)
        else:
            rep.append((min(seen) - lead["submitted"].timestamp()) * 1000)

    ack_rows = sum(1 for lead in mine for rows in lead["messages"].values() if len(rows) > 1)
    ack_events = sum(1 for lead in mine for n in lead["sent_events"].values() if n > 1)
    pairs = {(m["recipient"], m["subject"]) for lead in mine for m in lead["messages"].get("email", [])}
    backend_acks = sum(n for pair, n in backend_emails.items() if pair in pairs)
    backend_dupes = sum(1 for pair, n in backend_emails.items() if pair in pairs and n > 1)
    acks_sent = sum(1 for lead in mine for m in lead["messages"].get("email", []) if m["state"] == "sent")
    hold_p95 = p95_late_as_infinite(rep)
    return {
        "rate": step["rate"],
        "achieved_per_s": round(achieved, 2) if achieved else None,
        "sent": len(results),
        "leads": len(mine),
        "non_201": sum(1 for r in results if r["status"] != 201),
        "errors": client["errors"],
        "latency_ms": {
            "submission_to_201": client["reply_ms"],
            "submission_to_ack": stats(ack),
            "submission_to_assigned": stats(assigned),
            "submission_to_rep_event": stats(rep),
        },
        "send_late_ms": client["send_late_ms"],
        "rep_event_p95_never_as_infinite_ms": round(hold_p95, 1) if math.isfinite(hold_p95) else None,
        "lost_leads": len(lost),
        "lost_ids": lost[:20],
        "duplicate_acks": ack_rows + ack_events + backend_dupes,
        "duplicate_ack_detail": {
            "several_rows_per_channel": ack_rows,
            "several_sent_events_per_channel": ack_events,
            "backend_got_more_than_once": backend_dupes,
            "backend_acks": backend_acks,
            "sent_rows": acks_sent,
        },
        "not_assigned": sum(1 for lead in mine if lead["owner"] is None and not lead["junk"]),
        "not_acknowledged": sum(1 for lead in mine if not lead["junk"] and email_sent_at(lead) is None),
        "never_arrived": len(never),
        "never_arrived_ids": never[:20],
        "owner_not_watched": unwatched,
        "reassigned_before_read": moved,
        "reached_another_rep": wrong_socket,
        "drain_s": round(step["drain_s"], 1),
        "left_after_drain": step["left"],
        "rss_peak_mb": step["rss"],
        "cpu": step["cpu"],
    }


def holds(row: dict, limit_ms: float) -> bool:
    p95 = row["rep_event_p95_never_as_infinite_ms"]
    return p95 is not None and p95 < limit_ms and not row["left_after_drain"].get("unrouted")


def triple(s: dict) -> str:
    if not s.get("count"):
        return "-"
    return f"{s['p50']:.0f}/{s['p95']:.0f}/{s['p99']:.0f}"


def print_table(rows: list[dict], limit_ms: float) -> None:
    say("\nPer rate (ms from the client's send, p50/p95/p99; RSS = largest process of the group, MB)")
    print_rows(
        ("leads/s", "achieved", "201", "ack sent", "assigned", "rep event", "lost", "dup acks", "never",
         "unrouted", "RSS web/daphne/workers", "holds"),
        [
            (
                f"{row['rate']:g}",
                f"{row['achieved_per_s'] or 0:.1f}",
                triple(row["latency_ms"]["submission_to_201"]),
                triple(row["latency_ms"]["submission_to_ack"]),
                triple(row["latency_ms"]["submission_to_assigned"]),
                triple(row["latency_ms"]["submission_to_rep_event"]),
                str(row["lost_leads"]),
                str(row["duplicate_acks"]),
                str(row["never_arrived"]),
                str(row["left_after_drain"].get("unrouted", 0)),
                "/".join(f"{row['rss_peak_mb'].get(g, 0):.0f}" for g in GROUPS),
                "yes" if holds(row, limit_ms) else "NO",
            )
            for row in rows
        ],
    )  # fmt: skip
    groups = ("web", "daphne", "workers", "postgres", "redis", "ws clients", "sender", "other")
    say("\nCPU per step, sends and drain (cores = CPU seconds per second; 'other' = the rest of this shared machine)")
    print_rows(
        ("leads/s", *groups, "busy", "web ms/lead", "workers ms/lead", "drain s"),
        [
            (
                f"{row['rate']:g}",
                *(f"{row['cpu']['cores'].get(g, 0):.2f}" for g in groups),
                f"{row['cpu']['machine_busy_cores']:.2f}",
                f"{row['cpu']['ms_per_request'].get('web') or 0:.1f}",
                f"{row['cpu']['ms_per_request'].get('workers') or 0:.1f}",
                f"{row['drain_s']:.1f}",
            )
            for row in rows
        ],
    )


# --- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:  # noqa: C901 (one linear script)
    args = parse_args(argv)
    wall_start = time.monotonic()
    started_at = dt.datetime.now(dt.UTC)
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    tag = "E" + stamp

    say("Preparing: PostgreSQL, Redis, bench database ...")
    say("  " + run(["bash", "scripts/ensure-postgres"], what="scripts/ensure-postgres").strip())
    pg = Postgres(args.pg_url, args.database)
    pg_version = pg.ensure_database(fresh=True)
    mail_dir = Path(tempfile.mkdtemp(prefix="bench-e2e-mail-"))
    env = server_env(pg.url, args.redis_url, f"filemail:///{mail_dir}", **browser_login_env(DEMO_PASSWORD))
    rates = args.rate_list
    try:
        say("  " + run(["bash", "scripts/ensure-redis"], env=env, what="scripts/ensure-redis").strip())
        redis = claim_redis_db(args.redis_url, REDIS_MARKER, "BENCH_E2E_REDIS_URL")
        run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env=env, what="manage.py migrate (bench database)")
        seeded = run([PYTHON, "manage.py", "seed_demo"], env=env, what="manage.py seed_demo")
        say(f"  {args.database}: recreated, migrated; seed_demo: {seeded.strip().splitlines()[0]}")
        keys = create_keys(env)
        window = args.warmup + len(rates) * (args.duration + args.drain_timeout) + 120
        setup_lines, setup = prepare_reps(pg, args, window)
        (reps,) = pg.execute(
            "SELECT u.id, u.username FROM auth_user u JOIN routing_repprofile p ON p.user_id = u.id"
            " WHERE u.is_active ORDER BY u.username"
        )
    except BaseException:
        shutil.rmtree(mail_dir, ignore_errors=True)
        raise
    for line in setup_lines:
        say(f"  bench setup: {line}")
    if not reps:
        shutil.rmtree(mail_dir, ignore_errors=True)
        raise BenchError("seed_demo made no reps in the bench database")
    watched = [reps[i % len(reps)] for i in range(args.clients)]
    sockets_of: dict[int, list[int]] = defaultdict(list)
    for index, (user_id, _) in enumerate(watched):
        sockets_of[user_id].append(index)

    import websockets

    facts = machine_facts(
        pg_version,
        args.web_workers,
        {"rq_workers": args.workers, "ws_clients": args.clients, "websockets": websockets.__version__},
    )
    say()
    say("Machine")
    say(f"  nproc {facts['nproc']} (usable {facts['cpus_usable']}), {facts['cpu_model']}")
    say(f"  load average before: {' '.join(map(str, facts['load_average_before']))}")
    say(
        f"  Python {facts['python']}, Django {facts['django']}, {facts['gunicorn']},"
        f" websockets {websockets.__version__}"
    )
    say(f"  PostgreSQL {facts['postgresql']} (database {args.database}), Redis {args.redis_url}")
    say(
        f"  web: gunicorn, {args.web_workers} sync workers; /ws/: 1 daphne; {args.workers} x manage.py"
        f" leadops_worker; DEBUG=false (as Procfile.prod); EMAIL_URL filemail://"
    )
    if facts["git"]["commit"]:
        say(f"  code: git {facts['git']['commit']}, {facts['git']['dirty_files']} tracked file(s) modified")
    say(
        f"  load: rates {', '.join(f'{r:g}' for r in rates)} leads/s, {args.duration:g} s each (warm-up"
        f" {args.warmup:g} s), from {args.senders} client threads; {args.clients} websocket clients on"
        f" {len(sockets_of)} reps; stepping stops once p95 submission -> rep event >= {args.limit_ms:g} ms"
    )

    maker = LeadMaker(args.seed, tag, args.us_share, args.sms_share)
    port, ws_port = free_port(), free_port()
    env["LEADOPS_PUBLIC_URL"] = f"http://127.0.0.1:{port}"  # the pages' origin: the websocket accepts it
    server = Gunicorn(args.web_workers, port, env, ready_path=INTAKE_PATH)
    daphne = Daphne(ws_port, env)
    workers = Workers(args.workers, env)
    clients: Clients | None = None
    redis_pid = redis.info("server").get("process_id")

    def pid_groups() -> dict[str, set[int]]:
        groups = {"web": set(), "daphne": set(), "workers": set(), "postgres": set(), "redis": {redis_pid}}
        if server.process and server.process.poll() is None:
            groups["web"] = {server.process.pid, *server.worker_pids()}
        if daphne.process and daphne.process.poll() is None:
            groups["daphne"] = {daphne.process.pid}
        groups["workers"] = {pid for main, children in workers.pids().items() for pid in (main, *children)}
        groups["ws clients"] = {clients.process.pid} if clients and clients.process.pid else set()
        with contextlib.suppress(Exception):
            groups["postgres"] = set(pg.server_pids())
        return groups

    meter = CpuMeter(pid_groups, self_group="sender")
    sampler = RssSampler(lambda: {g: pids for g, pids in pid_groups().items() if g in GROUPS})
    problems: dict[str, list[str]] = {}
    steps: list[dict] = []
    records: list[tuple] = []
    closed: list[tuple] = []
    ((first_id,),) = pg.execute("SELECT coalesce(max(id), 0) FROM leads_lead")[0]
    try:
        try:
            server.start()
            daphne.start()
            workers.start(args.redis_url)
            sessions = {username: log_in(port, username, DEMO_PASSWORD) for _, username in set(watched)}
            clients = Clients(
                f"ws://127.0.0.1:{ws_port}{WS_PATH}",
                f"http://127.0.0.1:{port}",
                [(username, sessions[username]) for _, username in watched],
            )
            statuses = clients.start()
            sampler.start()
            say()
            say(
                f"{len(statuses)} sockets open, signed in through /accounts/login/; rep status on connect: "
                + ", ".join(f"{n} {s}" for s, n in Counter(s for _, s in statuses).items())
            )
            sender = Sender(port, keys, args.senders)
            warm = [maker.make("warmup") for _ in range(round(rates[0] * args.warmup))]
            if warm:
                say(f"warm-up: {len(warm)} leads in {args.warmup:g} s ...")
                sender.run(warm, rates[0], "warmup")
                wait_for_drain(pg, first_id, args.drain_timeout)
                time.sleep(1)
                clients.dump()
            sampler.take()
            for number, rate in enumerate(rates, 1):
                phase = f"step{number}"
                payloads = [maker.make(phase) for _ in range(round(rate * args.duration))]
                say(f"step {number}: {len(payloads)} leads at {rate:g}/s over {args.duration:g} s ...")
                meter.start()
                results, send_seconds = sender.run(payloads, rate, phase)
                drain_s, left = wait_for_drain(pg, first_id, args.drain_timeout)
                cpu = meter.stop(len(results))
                time.sleep(2)  # the last pushes
                got, gone = clients.dump()
                records += got
                closed += gone
                step = {
                    "phase": phase, "rate": rate, "results": results, "send_seconds": send_seconds,
                    "drain_s": drain_s, "left": left, "cpu": cpu, "rss": sampler.take(),
                }  # fmt: skip
                steps.append(step)
                row = judge_step(
                    step,
                    read_leads(pg, tag, redis),
                    first_arrivals(records),
                    sockets_of,
                    count_backend_emails(mail_dir),
                )
                late = row["latency_ms"]["submission_to_rep_event"]
                say(
                    f"  achieved {row['achieved_per_s'] or 0:.1f}/s; rep event p50/p95/p99 {triple(late)} ms"
                    f" ({row['never_arrived']} not arrived yet); drained in {drain_s:.1f} s"
                    + (f"; NOT drained: {left}" if any(left.values()) else "")
                    + f"; other processes {cpu['cores'].get('other', 0):.2f} cores"
                )
                if not holds(row, args.limit_ms) and not args.all_rates and number < len(rates):
                    say(f"  p95 over {args.limit_ms:g} ms or leads left unrouted: no higher rate tried")
                    break
            # Stop the workers (a warm shutdown: a job in flight finishes and pushes) so that no lead
            # is assigned after the clients' records end, then collect the last events.
            life_rss = sampler.life_peaks()
            workers.stop()
            time.sleep(2)
            got, gone = clients.dump()
            records += got
            closed += gone
        except BenchError:
            say("\ngunicorn output (last lines):\n" + server.log_tail())
            say("\ndaphne output (last lines):\n" + daphne.log_tail())
            say("\nworker output (last lines):\n" + workers.log_tail())
            raise
        finally:
            sampler.stop_event.set()
            if clients:
                clients.stop()
            workers.stop()
            daphne.stop()
            server.stop()
            problems["gunicorn"] = [
                line for line in server.non_access_log_lines() if "Traceback" in line or "ERROR" in line
            ]
            problems["daphne"] = daphne.problem_lines()
            problems["workers"] = workers.problem_lines()
            for name, lines in problems.items():
                if lines:
                    say(f"\n{name} logged {len(lines)} error line(s), first: " + " | ".join(lines[:3]))
            server.remove_log()
            daphne.remove_log()
            workers.remove_log()
        leads = read_leads(pg, tag, redis)
        backend_emails = count_backend_emails(mail_dir)
    finally:
        with contextlib.suppress(Exception):
            redis.flushdb()
            redis.set(REDIS_MARKER, "1")
        shutil.rmtree(mail_dir, ignore_errors=True)

    # --- figures: every step judged again with every event the sockets got ---
    arrivals = first_arrivals(records)
    rows = [judge_step(step, leads, arrivals, sockets_of, backend_emails) for step in steps]
    print_table(rows, args.limit_ms)
    held = [row["rate"] for row in rows if holds(row, args.limit_ms)]
    highest = max(held) if held else None

    say("\nChecks (every step)")
    lost = sum(row["lost_leads"] for row in rows)
    lost_ok = lost == 0
    say(f"  {verdict(lost_ok)}  lost leads (201 without a row): {lost}")
    dupes = sum(row["duplicate_acks"] for row in rows)
    dupes_ok = dupes == 0 and all(
        row["duplicate_ack_detail"]["backend_acks"] == row["duplicate_ack_detail"]["sent_rows"] for row in rows
    )
    say(
        f"  {verdict(dupes_ok)}  duplicate acknowledgments: {dupes} (rows, 'acknowledgment.sent' events per channel,"
        f" emails the backend got twice); backend acknowledgment emails"
        f" {sum(r['duplicate_ack_detail']['backend_acks'] for r in rows)} for"
        f" {sum(r['duplicate_ack_detail']['sent_rows'] for r in rows)} sent rows"
    )
    never = sum(row["never_arrived"] for row in rows)
    wrong = sum(row["reached_another_rep"] for row in rows)
    never_ok = never == 0 and wrong == 0
    say(f"  {verdict(never_ok)}  events that never arrived at the owner's socket: {never}; at another rep's: {wrong}")
    non_201 = sum(row["non_201"] for row in rows)
    errors_ok = non_201 == 0
    first_errors = [e for row in rows for e in row["errors"]][:3]
    say(f"  {verdict(errors_ok)}  every send got 201: {non_201} did not {first_errors or ''}")
    not_assigned = sum(row["not_assigned"] for row in rows)
    not_acked = sum(row["not_acknowledged"] for row in rows)
    moved = sum(row["reassigned_before_read"] for row in rows)
    say(
        f"  info  not assigned: {not_assigned}; not acknowledged: {not_acked} (when the bench stopped);"
        f" owner not watched: {sum(row['owner_not_watched'] for row in rows)}; reassigned or escalated before the"
        f" bench read them (rep event = first event on any socket): {moved}"
    )
    rss = {g: max([row["rss_peak_mb"].get(g, 0.0) for row in rows] + [life_rss.get(g, 0.0)]) for g in GROUPS}
    rss_ok = all(value <= GOAL_RSS_MB for value in rss.values())
    say(
        f"  {verdict(rss_ok)}  RSS <= {GOAL_RSS_MB:g} MB per process (SPEC §7), largest per group incl. VmHWM: "
        + ", ".join(f"{g} {v:.0f} MB" for g, v in rss.items())
    )
    socket_ok = not closed
    say(f"  {verdict(socket_ok)}  no socket closed during the run: {closed or 'none'}")
    logs_ok = not any(problems.values())
    say(f"  {verdict(logs_ok)}  no errors logged: " + ", ".join(f"{k} {len(v)}" for k, v in problems.items()))
    held_ok = highest is not None
    load_after = [round(x, 2) for x in os.getloadavg()]
    say(
        f"  info  load average before {' '.join(map(str, facts['load_average_before']))},"
        f" after {' '.join(map(str, load_after))}"
    )
    say(f"  info  bench wall time: {time.monotonic() - wall_start:.0f} s")

    limit = f"{args.limit_ms / 1000:g} s" if args.limit_ms >= 1000 else f"{args.limit_ms:g} ms"
    if highest is None:
        say(f"\nhighest rate holding p95 submission->rep < {limit}: none of {', '.join(f'{r:g}' for r in rates)}")
    else:
        capped = " (the highest rate tried: try higher --rates)" if highest == max(rates) else ""
        say(f"\nhighest rate holding p95 submission->rep < {limit}: {highest:g} leads/s{capped}")
    all_pass = lost_ok and dupes_ok and never_ok and errors_ok and rss_ok and socket_ok and logs_ok and held_ok
    say(f"Overall: {verdict(all_pass)}")

    if not args.no_json:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"e2e-{stamp}.json"
        document = {
            "started_at": started_at.isoformat(),
            "command": "bench/e2e.py " + " ".join(sys.argv[1:] if argv is None else argv),
            "args": {k: v for k, v in vars(args).items() if k not in ("pg_url", "redis_url")},
            "machine": {**facts, "load_average_after": load_after},
            "setup": {**setup, "notes": setup_lines, "rep_status_on_connect": statuses},
            "steps": rows,
            "rss_max_mb": rss,
            "checks": {
                "lost_leads": lost,
                "duplicate_acks": dupes,
                "never_arrived": never,
                "reached_another_rep": wrong,
                "non_201": non_201,
                "not_assigned": not_assigned,
                "not_acknowledged": not_acked,
                "reassigned_before_read": moved,
                "sockets_closed": closed,
                "error_lines": {k: len(v) for k, v in problems.items()},
            },
            "highest_rate_holding": {"leads_per_s": highest, "limit_p95_ms": args.limit_ms},
            "pass": all_pass,
        }
        path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
        say(f"Results written to {path.relative_to(ROOT)}")
    return 1 if args.check and not all_pass else 0


if __name__ == "__main__":
    bench_main(main, "bench/e2e.py")
