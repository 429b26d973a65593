"""Live push benchmark (SPEC §7, issue 5 item 9): leads posted at a steady rate while reps
have the workspace open; how soon each lead shows on its new owner's websocket.

    make bench-live                                  # = .venv/bin/python bench/live.py
    make bench-live BENCH_ARGS="--rate 50 --duration 60 --clients 16 --workers 3"

Goal: submission -> lead shown on the rep's open websocket p95 <= 150 ms at 50 leads/s,
measured at the client (the `lead.assigned` event arriving on a rep's socket).

What it does, on loopback, in the production layout (as bench/pipeline.py, which it reuses):
  1. (Re)creates the PostgreSQL database `leadops_bench_live` (role leadops, see
     scripts/ensure-postgres), migrates it and runs `manage.py seed_demo` (eight reps in two
     teams, six routing rules, two weeks of history), then the same two bench-only changes as
     bench/pipeline.py, both printed: 24/7 working hours when a rep would be off duty during
     the run (`--rep-hours auto`) and capacities raised to 30,000 open leads.
  2. Flushes a dedicated Redis db (default 4; it refuses a db holding keys it did not write),
     creates intake keys for the demo sources Website and Google Ads, starts gunicorn as
     Procfile.prod does (sync workers, DEBUG=false), one daphne for /ws/ (Procfile.prod's
     `ws`) and N `manage.py leadops_worker` processes.
  3. Logs each websocket client in as a rep through the login form on gunicorn (the session
     cookie a browser would get), and opens `/ws/notifications/` on daphne with it from a
     separate client process (asyncio, the `websockets` library): --clients sockets, spread
     over the reps (one each by default, so every rep is watching and shows available).
  4. Baseline, the floor: `group_send` straight into the channel layer (channels_redis, the
     app's Redis) to a rep's user group at the same rate, through the same daphne and the same
     clients - what a push costs without intake, PostgreSQL, the queue and the worker.
  5. Posts leads as bench/pipeline.py does (open loop, paced by the clock, unique US/GB leads
     hitting every demo rule): a warm-up, then --rate leads/s for --duration s; waits until
     every lead is routed (at most --drain-timeout s), stops the workers (a job in flight
     finishes) and waits 2 s more for the last events.
  6. Per lead: client send -> first `lead.assigned` for that lead on any socket of its owner
     (the clock is the same machine's), beside the server's steps from the database
     (submission -> owner saved) and the push leg (owner saved -> event at the client).

Printed: p50/p95/p99/max of the baseline and of each leg, their ratio to the baseline, leads
whose event never arrived (assigned to a watched rep, no event: must be 0), leads not
assigned (no event expected), CPU per lead of web, daphne, workers, PostgreSQL, Redis and the
clients and the CPU other processes used meanwhile (the machine is shared), and PASS/FAIL.
Results also go to bench/results/live-<timestamp>.json. Exit status: 0 when the bench ran
(with --check: 1 if the goal or a check failed), 2 when it could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import http.client
import json
import multiprocessing
import os
import re
import secrets
import socket
import sys
import time
import urllib.parse
from collections import Counter, defaultdict

from common import (
    PYTHON,
    RESULTS_DIR,
    ROOT,
    VENV_BIN,
    BenchError,
    CpuMeter,
    Gunicorn,
    Postgres,
    ServerProcess,
    bench_main,
    browser_login_env,
    claim_redis_db,
    free_port,
    machine_facts,
    print_rows,
    run,
    say,
    server_env,
    verdict,
)

from pipeline import INTAKE_PATH, LeadMaker, Sender, Workers, client_summary, prepare_reps, stats

GOAL_P95_MS = 150.0
REDIS_MARKER = "leadops-bench:live"  # written after each flush: the db is ours to flush again
WS_PATH = "/ws/notifications/"
PUSH_HANDLER = "push.event"  # leadops.push.CONSUMER_HANDLER: NotificationConsumer forwards {"event": ...}
DEMO_PASSWORD = "bench-live-" + secrets.token_urlsafe(12)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Live push benchmark: submission -> lead.assigned on the rep's open websocket.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--rate", type=float, default=50, help="leads per second, paced by the clock")
    parser.add_argument("--duration", "-d", type=float, default=30, help="seconds of the measured run")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of warm-up at the same rate (not measured)")
    parser.add_argument("--baseline", type=float, default=10, help="seconds of direct group_send at the same rate")
    parser.add_argument("--clients", type=int, default=8, help="websocket clients, spread over the reps")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (manage.py leadops_worker)")
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn sync workers (Procfile.prod WEB_WORKERS)")
    parser.add_argument("--senders", type=int, default=64, help="client threads posting leads (in flight at most)")
    parser.add_argument(
        "--drain-timeout", type=float, default=30, help="most seconds to wait after the last send for routing"
    )
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
    parser.add_argument("--database", default="leadops_bench_live", help="bench database (DROPPED and recreated)")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_LIVE_REDIS_URL", "redis://127.0.0.1:6379/4"),
        help="dedicated Redis db, FLUSHED before and after the bench [env BENCH_LIVE_REDIS_URL]",
    )
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/live-<ts>.json")
    parser.add_argument("--check", action="store_true", help="exit 1 when the goal or a check fails")
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.duration <= 0 or args.warmup < 0 or args.baseline <= 0 or args.drain_timeout <= 0:
        parser.error("--rate, --duration, --baseline, --drain-timeout > 0 and --warmup >= 0")
    if min(args.clients, args.workers, args.web_workers, args.senders) < 1:
        parser.error("--clients, --workers, --web-workers and --senders must be at least 1")
    return args


# --- processes and sessions --------------------------------------------------------------------


class Daphne(ServerProcess):
    """daphne for /ws/ as Procfile.prod's `ws` starts it, in its own process group."""

    name = "daphne"

    def __init__(self, port: int, env: dict):
        cmd = [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "leadops.asgi:application"]
        super().__init__(cmd, env)
        self.port = port

    def ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def problem_lines(self) -> list[str]:
        return [line for line in self.log_lines() if "ERROR" in line or "Traceback" in line or "CRITICAL" in line]


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    found = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def log_in(port: int, username: str, password: str) -> str:
    """Sign in through /accounts/login/ as a browser does; returns the session cookie value."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/accounts/login/")
    response = conn.getresponse()
    page = response.read().decode(errors="replace")
    cookies = _cookies(response)
    conn.close()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if response.status != 200 or not token or "csrftoken" not in cookies:
        raise BenchError(f"GET /accounts/login/ answered {response.status} without a CSRF token")
    body = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)}
    ).encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(
        "POST",
        "/accounts/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken']}",
            "Origin": f"http://127.0.0.1:{port}",
            "Referer": f"http://127.0.0.1:{port}/accounts/login/",
        },
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    session = _cookies(response).get("sessionid")
    if response.status != 302 or not session:
        raise BenchError(f"logging in as {username} failed: {response.status}, no session cookie")
    return session


# --- the websocket clients (a child process) ------------------------------------------------------


def clients_process(conn, url: str, origin: str, sessions: list[tuple[str, str]]) -> None:
    """The websocket clients, in their own process (so the lead sender's threads do not
    share their interpreter): connects every socket, says "ready", then records each event's
    arrival (wall clock) until told "stop"; "dump" sends the records so far."""
    try:
        asyncio.run(_clients(conn, url, origin, sessions))
    except Exception as error:  # reported to the bench, which says why it stops
        with contextlib.suppress(Exception):
            conn.send(("error", f"{type(error).__name__}: {error}"))


async def _clients(conn, url: str, origin: str, sessions: list[tuple[str, str]]) -> None:
    from websockets.asyncio.client import connect

    records: list[tuple] = []  # (socket, arrival, type, lead id, ping seq)
    closed: list[tuple] = []
    sockets, statuses = [], []
    for username, session in sessions:
        ws = await connect(url, origin=origin, additional_headers={"Cookie": f"sessionid={session}"}, open_timeout=20)
        hello = json.loads(await asyncio.wait_for(ws.recv(), 20))
        if hello.get("type") != "hello":
            raise RuntimeError(f"{username}'s socket said {hello!r} first, not hello")
        sockets.append(ws)
        statuses.append((username, hello.get("status")))

    async def read(index: int, ws) -> None:
        try:
            async for message in ws:
                arrival = time.time()
                event = json.loads(message)
                lead = event.get("lead") if isinstance(event.get("lead"), dict) else {}
                records.append((index, arrival, event.get("type"), lead.get("id"), event.get("seq")))
        except Exception as error:
            closed.append((index, repr(error)))
        else:
            closed.append((index, f"closed: {ws.close_code}"))

    async def heartbeats() -> None:  # as static/workspace/live.js: the reps stay present
        while True:
            await asyncio.sleep(20)
            for ws in sockets:
                with contextlib.suppress(Exception):
                    await ws.send(json.dumps({"type": "heartbeat"}))

    readers = [asyncio.create_task(read(i, ws)) for i, ws in enumerate(sockets)]
    beat = asyncio.create_task(heartbeats())
    conn.send(("ready", statuses))
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        if command == "dump":
            conn.send(("records", list(records), list(closed)))
            records.clear()
        elif command == "stop":
            break
    beat.cancel()
    for ws in sockets:
        with contextlib.suppress(Exception):
            await ws.close()
    await asyncio.gather(*readers, return_exceptions=True)
    conn.send(("stopped",))


class Clients:
    def __init__(self, url: str, origin: str, sessions: list[tuple[str, str]]):
        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=clients_process, args=(child, url, origin, sessions), name="ws-clients", daemon=True
        )
        self.count = len(sessions)

    def start(self, timeout: float = 60) -> list[tuple[str, str]]:
        self.process.start()
        return self._answer("ready", timeout)[1]

    def _answer(self, kind: str, timeout: float) -> tuple:
        if not self.conn.poll(timeout):
            raise BenchError(f"the websocket clients did not answer within {timeout:.0f} s")
        answer = self.conn.recv()
        if answer[0] == "error":
            raise BenchError(f"the websocket clients failed: {answer[1]}")
        if answer[0] != kind:
            raise BenchError(f"the websocket clients answered {answer[0]!r}, expected {kind!r}")
        return answer

    def dump(self) -> tuple[list[tuple], list[tuple]]:
        self.conn.send("dump")
        _, records, closed = self._answer("records", 60)
        return records, closed

    def stop(self) -> None:
        if self.process.is_alive():
            with contextlib.suppress(Exception):
                self.conn.send("stop")
                self.conn.poll(10) and self.conn.recv()
            self.process.join(5)
            if self.process.is_alive():
                self.process.kill()


# --- the baseline: group_send straight into the channel layer -------------------------------------


async def _group_sends(redis_url: str, groups: list[str], rate: float, count: int) -> dict[int, float]:
    from channels_redis.core import RedisChannelLayer

    layer = RedisChannelLayer(hosts=[{"address": redis_url}])
    loop = asyncio.get_running_loop()
    sent: dict[int, float] = {}
    start = loop.time()
    for seq in range(count):
        pause = start + seq / rate - loop.time()
        if pause > 0:
            await asyncio.sleep(pause)
        sent[seq] = time.time()
        event = {"type": "bench.ping", "seq": seq}
        await layer.group_send(groups[seq % len(groups)], {"type": PUSH_HANDLER, "event": event})
    await layer.close_pools()
    return sent


def run_baseline(redis_url: str, groups: list[str], rate: float, seconds: float, clients: Clients) -> dict:
    count = max(1, round(rate * seconds))
    sent = asyncio.run(_group_sends(redis_url, groups, rate, count))
    time.sleep(1.0)
    records, closed = clients.dump()
    first: dict[int, float] = {}
    for _, arrival, kind, _, seq in records:
        if kind == "bench.ping" and seq is not None:
            first[seq] = min(arrival, first.get(seq, arrival))
    latencies = [(first[seq] - at) * 1000 if seq in first else None for seq, at in sent.items()]
    return {"sends": count, "latency_ms": stats(latencies), "lost": sum(v is None for v in latencies), "closed": closed}


# --- reading the leads ----------------------------------------------------------------------------


def wait_for_routing(pg: Postgres, tag: str, timeout: float) -> tuple[float, int]:
    started = time.monotonic()
    while True:
        ((pending,),) = pg.execute(
            (
                "SELECT count(*) FROM leads_lead WHERE extra->>'bench' = %s AND NOT junk AND owner_id IS NULL"
                " AND coalesce(routing_trace->>'outcome', '') = ''",
                [tag],
            )
        )[0]
        if not pending or time.monotonic() - started > timeout:
            return time.monotonic() - started, pending
        time.sleep(0.5)


def read_leads(pg: Postgres, tag: str) -> dict[int, dict]:
    (rows,) = pg.execute(
        (
            "SELECT id, extra->>'bench_phase', owner_id, updated_at, assigned_at, junk,"
            " coalesce(routing_trace->>'outcome', ''), reassignment_count > 0 OR escalated_at IS NOT NULL"
            " FROM leads_lead WHERE extra->>'bench' = %s",
            [tag],
        )
    )
    return {
        lead_id: {"phase": phase, "owner": owner, "owner_saved": updated.timestamp() if owner else None,
                  "assigned": assigned.timestamp() if assigned else None, "junk": junk, "outcome": outcome,
                  "moved": moved}
        for lead_id, phase, owner, updated, assigned, junk, outcome, moved in rows
    }  # fmt: skip


def create_keys(env: dict) -> list[str]:
    keys = []
    for name, source in (("Website", "organic"), ("Google Ads", "paid_ads")):
        out = run(
            [PYTHON, "manage.py", "create_intake_key", "--name", name, "--source", source,
             "--label", "bench/live.py", "--requests-per-minute", "10000000"],
            env=env, what="manage.py create_intake_key",
        )  # fmt: skip
        keys.append(out.strip().splitlines()[-1].strip())
    return keys


def row(name: str, s: dict, baseline: dict | None = None) -> tuple[str, ...]:
    if not s.get("count"):
        return (name, "0", "-", "-", "-", "-", "-")
    ratio = f"{s['p95'] / baseline['p95']:.1f}x" if baseline and baseline.get("p95") else ""
    return (name, str(s["count"]), f"{s['p50']:.1f}", f"{s['p95']:.1f}", f"{s['p99']:.1f}", f"{s['max']:.1f}", ratio)


# --- main -------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:  # noqa: C901 (one linear script)
    args = parse_args(argv)
    wall_start = time.monotonic()
    started_at = dt.datetime.now(dt.UTC)
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    tag = "L" + stamp

    say("Preparing: PostgreSQL, Redis, bench database ...")
    say("  " + run(["bash", "scripts/ensure-postgres"], what="scripts/ensure-postgres").strip())
    pg = Postgres(args.pg_url, args.database)
    pg_version = pg.ensure_database(fresh=True)
    env = server_env(pg.url, args.redis_url, "dummymail://", **browser_login_env(DEMO_PASSWORD))
    say("  " + run(["bash", "scripts/ensure-redis"], env=env, what="scripts/ensure-redis").strip())
    redis = claim_redis_db(args.redis_url, REDIS_MARKER, "BENCH_LIVE_REDIS_URL")
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env=env, what="manage.py migrate (bench database)")
    seeded = run([PYTHON, "manage.py", "seed_demo"], env=env, what="manage.py seed_demo")
    say(f"  {args.database}: recreated, migrated; seed_demo: {seeded.strip().splitlines()[0]}")
    keys = create_keys(env)
    setup_lines, setup = prepare_reps(pg, args, args.baseline + args.warmup + args.duration + args.drain_timeout)
    for line in setup_lines:
        say(f"  bench setup: {line}")
    (reps,) = pg.execute(
        "SELECT u.id, u.username FROM auth_user u JOIN routing_repprofile p ON p.user_id = u.id"
        " WHERE u.is_active ORDER BY u.username"
    )
    if not reps:
        raise BenchError("seed_demo made no reps in the bench database")
    watched = [reps[i % len(reps)] for i in range(args.clients)]

    facts = machine_facts(pg_version, args.web_workers, {"rq_workers": args.workers, "ws_clients": args.clients})
    import websockets

    facts["websockets"] = websockets.__version__
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
        f" leadops_worker; DEBUG=false (as Procfile.prod)"
    )
    say(
        f"  load: {args.clients} websocket clients on {len({u for u, _ in watched})} reps (one process); leads at"
        f" {args.rate:g}/s from {args.senders} client threads; baseline {args.baseline:g} s, warm-up"
        f" {args.warmup:g} s, measured {args.duration:g} s"
    )

    maker = LeadMaker(args.seed, tag, args.us_share, args.sms_share)
    warm_payloads = [maker.make("warmup") for _ in range(round(args.rate * args.warmup))]
    payloads = [maker.make("measured") for _ in range(round(args.rate * args.duration))]

    port, ws_port = free_port(), free_port()
    env["LEADOPS_PUBLIC_URL"] = f"http://127.0.0.1:{port}"  # the pages' origin: the websocket accepts it
    server = Gunicorn(args.web_workers, port, env, ready_path=INTAKE_PATH)
    daphne = Daphne(ws_port, env)
    workers = Workers(args.workers, env)
    clients: Clients | None = None
    redis_pid = redis.info("server").get("process_id")

    def pid_groups() -> dict[str, set[int]]:
        groups = {"web": set(), "daphne": set(), "workers": set(), "postgres": set(), "redis": {redis_pid}}
        if server.process:
            groups["web"] = {server.process.pid, *server.worker_pids()}
        if daphne.process:
            groups["daphne"] = {daphne.process.pid}
        groups["workers"] = {pid for main, children in workers.pids().items() for pid in (main, *children)}
        groups["ws clients"] = {clients.process.pid} if clients and clients.process.pid else set()
        with contextlib.suppress(Exception):
            groups["postgres"] = set(pg.server_pids())
        return groups

    meter = CpuMeter(pid_groups, self_group="sender")
    problems: dict[str, list[str]] = {}
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
            say()
            say(
                f"{len(statuses)} sockets open, signed in through /accounts/login/; rep status on connect: "
                + ", ".join(f"{n} {s}" for s, n in Counter(s for _, s in statuses).items())
            )
            groups = sorted({f"leadops.user.{user_id}" for user_id, _ in watched})
            say(f"baseline: {round(args.rate * args.baseline)} group_sends to {len(groups)} rep groups ...")
            baseline = run_baseline(args.redis_url, groups, args.rate, args.baseline, clients)
            sender = Sender(port, keys, args.senders)
            results = []
            if warm_payloads:
                say(f"warm-up: {len(warm_payloads)} leads in {args.warmup:g} s ...")
                warm, _ = sender.run(warm_payloads, args.rate, "warmup")
                results += warm
                wait_for_routing(pg, tag, args.drain_timeout)
                time.sleep(1)
                clients.dump()
            say(f"measured: {len(payloads)} leads at {args.rate:g}/s over {args.duration:g} s ...")
            meter.start()
            measured, send_seconds = sender.run(payloads, args.rate, "measured")
            drain_seconds, pending = wait_for_routing(pg, tag, args.drain_timeout)
            cpu = meter.stop(len(measured))
            # Stop the workers (a warm shutdown: a job in flight finishes and pushes) before
            # reading the events, so that no lead is assigned after the clients' records end.
            workers.stop()
            time.sleep(2)  # the last pushes
            records, closed = clients.dump()
            say(f"routed {drain_seconds:.1f} s after the last send" + (f"; {pending} NOT routed" if pending else ""))
            results += measured
        except BenchError:
            say("\ngunicorn output (last lines):\n" + server.log_tail())
            say("\ndaphne output (last lines):\n" + daphne.log_tail())
            say("\nworker output (last lines):\n" + workers.log_tail())
            raise
        finally:
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
        leads = read_leads(pg, tag)
    finally:
        with contextlib.suppress(Exception):
            redis.flushdb()
            redis.set(REDIS_MARKER, "1")

    # --- figures ---
    sent_at = {
        r["lead_id"]: dt.datetime.fromisoformat(r["sent_at"]).timestamp()
        for r in measured
        if r.get("lead_id") and r["status"] == 201
    }
    sockets_of: dict[int, list[int]] = defaultdict(list)
    for index, (user_id, _) in enumerate(watched):
        sockets_of[user_id].append(index)
    arrivals: dict[int, dict[int, float]] = defaultdict(dict)  # lead -> socket -> first arrival
    for index, arrival, kind, lead_id, _ in records:
        if kind == "lead.assigned" and lead_id is not None:
            arrivals[lead_id][index] = min(arrival, arrivals[lead_id].get(index, arrival))
    end_to_end, server_side, push_leg = [], [], []
    never, wrong_socket, unassigned, unwatched, missed_sockets = [], 0, [], 0, 0
    for lead_id, sent in sent_at.items():
        lead = leads.get(lead_id)
        if lead is None or lead["owner"] is None:
            unassigned.append(lead_id)
            continue
        owner_sockets = sockets_of.get(lead["owner"], [])
        if not owner_sockets:
            unwatched += 1
            continue
        got = arrivals.get(lead_id, {})
        wrong_socket += any(index not in owner_sockets for index in got)
        mine = [got[index] for index in owner_sockets if index in got]
        missed_sockets += len(owner_sockets) - len(mine)
        if not mine:
            never.append(lead_id)
            end_to_end.append(None)
            continue
        first = min(mine)
        end_to_end.append((first - sent) * 1000)
        if not lead["moved"]:
            server_side.append((lead["owner_saved"] - sent) * 1000)
            push_leg.append((first - lead["owner_saved"]) * 1000)
    latency = {
        "baseline: group_send -> client": baseline["latency_ms"],
        "submission -> lead.assigned at client": stats(end_to_end),
        "  submission -> owner saved (server)": stats(server_side),
        "  owner saved -> event at client": stats(push_leg),
    }
    client = client_summary(measured, send_seconds)
    base = baseline["latency_ms"]

    say(f"\nClient ({client['sent']} leads in {client['seconds']:.1f} s = {client['rate_per_s']:.1f}/s)")
    say(
        f"  replies: {', '.join(f'{code}: {n}' for code, n in client['statuses'].items())};"
        f" reply p50 {client['reply_ms'].get('p50', 0):.1f} ms, p99 {client['reply_ms'].get('p99', 0):.1f} ms"
    )
    say(f"\nLatency, ms ({args.clients} websocket clients; arrival = first socket of the rep to get it)")
    print_rows(
        ("", "n", "p50", "p95", "p99", "max", "p95 / baseline"),
        [row(name, s, base if not name.startswith("baseline") else None) for name, s in latency.items()],
    )
    e2e = latency["submission -> lead.assigned at client"]
    ratio = {
        "p50": round(e2e["p50"] / base["p50"], 2) if e2e.get("count") and base.get("p50") else None,
        "p95": round(e2e["p95"] / base["p95"], 2) if e2e.get("count") and base.get("p95") else None,
    }
    say(f"  end to end vs the group_send floor: p50 {ratio['p50']}x, p95 {ratio['p95']}x")

    say("\nChecks")
    never_ok = not never and baseline["lost"] == 0
    expected = len(sent_at) - len(unassigned) - unwatched
    say(
        f"  {verdict(never_ok)}  events that never arrived: {len(never)} of {expected}"
        f" assigned leads (watched reps); baseline pings lost: {baseline['lost']} of {baseline['sends']}"
    )
    say(f"  info  sockets of the owner that missed an event (several sockets per rep): {missed_sockets}")
    wrong_ok = wrong_socket == 0
    say(f"  {verdict(wrong_ok)}  leads whose event reached another rep's socket: {wrong_socket}")
    routed_ok = pending == 0
    say(
        f"  {verdict(routed_ok)}  every lead routed within {args.drain_timeout:g} s of the last send:"
        f" {pending} not (the workers did not keep up)"
    )
    say(f"  info  leads not assigned (no event expected): {len(unassigned)}; owner not watched: {unwatched}")
    errors_ok = client["statuses"] == {"201": client["sent"]}
    say(f"  {verdict(errors_ok)}  every send got 201: {client['sent'] - client['created_201']} did not")
    socket_ok = not closed and not baseline["closed"]
    say(f"  {verdict(socket_ok)}  no socket closed during the run: {closed + baseline['closed'] or 'none'}")
    logs_ok = not any(problems.values())
    say(f"  {verdict(logs_ok)}  no errors logged: " + ", ".join(f"{k} {len(v)}" for k, v in problems.items()))

    groups_ = ("web", "daphne", "workers", "postgres", "redis", "ws clients", "sender", "other")
    say("\nCPU during the measured run (ms per lead; cores = CPU seconds per second)")
    print_rows(
        ("", *groups_, "busy"),
        [
            ("ms/lead", *(f"{cpu['ms_per_request'].get(g) or 0:.2f}" for g in groups_), ""),
            ("cores", *(f"{cpu['cores'].get(g, 0):.2f}" for g in groups_), f"{cpu['machine_busy_cores']:.2f}"),
        ],
    )
    say(f"  ({cpu['wall_s']:.1f} s wall; 'other' is CPU used by other processes on this shared machine)")

    goal_ok = bool(e2e.get("count")) and e2e["p95"] <= GOAL_P95_MS and not e2e.get("missing")
    say(f"\nGoal ({args.rate:g} leads/s, {args.workers} workers, {args.clients} clients)")
    say(
        f"  {verdict(goal_ok)}  submission -> lead shown on the rep's websocket p95 {e2e.get('p95')} ms"
        f" (goal <= {GOAL_P95_MS:g} ms; {len(never)} never arrived; group_send floor p95 {base.get('p95')} ms)"
    )
    all_pass = goal_ok and routed_ok and never_ok and wrong_ok and errors_ok and socket_ok and logs_ok
    say(f"  info  load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    say(f"  info  bench wall time: {time.monotonic() - wall_start:.0f} s")
    say(f"\nOverall: {verdict(all_pass)}")

    if not args.no_json:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"live-{stamp}.json"
        document = {
            "started_at": started_at.isoformat(),
            "command": "bench/live.py " + " ".join(sys.argv[1:] if argv is None else argv),
            "args": {k: v for k, v in vars(args).items() if k not in ("pg_url", "redis_url")},
            "machine": facts,
            "setup": {**setup, "notes": setup_lines, "rep_status_on_connect": statuses},
            "client": client,
            "baseline": baseline,
            "latency_ms": latency,
            "ratio_to_baseline": ratio,
            "checks": {
                "never_arrived": len(never),
                "never_arrived_ids": never[:20],
                "owner_sockets_missed": missed_sockets,
                "reached_another_rep": wrong_socket,
                "not_assigned": len(unassigned),
                "owner_not_watched": unwatched,
                "sockets_closed": closed,
                "error_lines": {k: len(v) for k, v in problems.items()},
                "routing_left": pending,
                "routed_after_last_send_s": round(drain_seconds, 2),
            },
            "cpu": cpu,
            "goal": {"p95_ms": e2e.get("p95"), "limit_ms": GOAL_P95_MS, "pass": goal_ok},
            "pass": all_pass,
        }
        path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
        say(f"Results written to {path.relative_to(ROOT)}")
    return 1 if args.check and not all_pass else 0


if __name__ == "__main__":
    bench_main(main, "bench/live.py")
