"""Intake benchmark (SPEC §7): POST /api/v1/leads against a bare Django one-row insert.

    make bench-intake                      # = .venv/bin/python bench/intake.py
    make bench-intake BENCH_ARGS="--workers 3 --duration 30"

Runs the production HTTP layout of Procfile.prod (gunicorn, sync workers, DEBUG=false,
access log on) on a free loopback port against a dedicated PostgreSQL database
(`leadops_bench`: created, migrated and emptied at start, kept for reuse) and a dedicated
Redis db (flushed before and after; no RQ worker runs, so the jobs intake enqueues pile up
and are counted). wrk drives a fixed number of concurrent connections, each POSTing a JSON
lead with a unique email and phone, first to

  1. baseline: the bare view of bench/baseline.py (parse JSON, insert one row, reply 201),
  2. intake: POST /api/v1/leads with a Bearer intake key (its and the address's rate limits
     set out of reach, still counted),

each with a warm-up then a measured run. Printed: requests, req/s, p50/p90/p99/max, errors
(non-2xx; socket errors apart), CPU time per request of gunicorn, PostgreSQL, Redis and wrk
and the CPU other processes used meanwhile (the machine is shared), the intake/baseline
ratios, PASS/FAIL against the goals (>= 600 leads/s, p99 <= 50 ms, within 2x of the
baseline) and the checks (every 201 is in the database, the queue got the jobs). Results
also go to bench/results/intake-<timestamp>.json. Exit status: 0 when the bench ran (even
if a goal failed; with --check, 1 then), 2 when it could not run.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

from common import (
    PYTHON,
    RESULTS_DIR,
    ROOT,
    BenchError,
    Gunicorn,
    bench_main,
    free_port,
    print_rows,
    queue_depth,
    redis_client,
    request,
    run,
    say,
    verdict,
)
from common import CpuMeter as _CpuMeter
from common import Postgres as _Postgres
from common import machine_facts as _machine_facts

GOAL_LEADS_PER_S = 600
GOAL_P99_MS = 50.0
GOAL_RATIO = 2.0

# Phone numbers +1 415 XXX XXXX with XXX in 200..999: 8,000,000 distinct, split between runs
# and wrk threads so that no two requests of a bench share an email or a phone (duplicate
# detection would otherwise fold them into one lead).
PHONE_SPACE = 8_000_000

# wrk script. Every request carries a unique email (run tag, thread id, counter) and phone;
# done() prints one machine-readable line with the latency percentiles and status counts.
WRK_SCRIPT = r"""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  tag = args[1]
  key = args[2]
  phone_base = tonumber(args[3])
  phone_stride = tonumber(args[4])
  counter = 0
  statuses = {}
  headers = {["Content-Type"] = "application/json"}
  if key ~= "" then headers["Authorization"] = "Bearer " .. key end
end

function request()
  counter = counter + 1
  local n = (phone_base + (tid - 1) * phone_stride + counter) % 8000000
  local body = string.format(
    '{"email":"ada.%s.t%d.n%d@bench-corp.example","first_name":"Ada","last_name":"Bench",' ..
    '"company":"Bench Corp","job_title":"Head of Operations","phone":"+1 415 %03d %04d",' ..
    '"country":"US","inquiry_type":"demo_request","message":"We would like a demo next week.",' ..
    '"utm_source":"google","utm_medium":"cpc","utm_campaign":"bench","consent_email":true}',
    tag, tid, counter, 200 + math.floor(n / 10000), n % 10000)
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  local sent = 0
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses")) do counts[code] = (counts[code] or 0) + n end
    sent = sent + thread:get("counter")
  end
  local parts = {}
  for code, n in pairs(counts) do table.insert(parts, string.format('"%d":%d', code, n)) end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"sent":%d,"duration_us":%d,"bytes":%d,' ..
    '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"wrk_status_errors":%d,' ..
    '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d},' ..
    '"statuses":{%s}}\n',
    summary.requests, sent, summary.duration, summary.bytes, e.connect, e.read, e.write, e.timeout, e.status,
    latency.min, latency.mean, latency.stdev, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max, table.concat(parts, ",")))
end
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Intake benchmark (SPEC §7): intake vs a bare Django one-row insert under gunicorn.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (Procfile.prod WEB_WORKERS)")
    parser.add_argument("--connections", "-c", type=int, default=8, help="concurrent clients (wrk connections)")
    parser.add_argument("--duration", "-d", type=float, default=20, help="seconds of each measured run")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of warm-up before each measured run")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (one is plenty for ~2,000 req/s)")
    parser.add_argument("--targets", default="baseline,intake", help="comma-separated, from: baseline, intake")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgres://leadops:leadops@127.0.0.1:5432"),
        help="PostgreSQL server URL (role with CREATEDB; no database part) [env BENCH_PG_URL]",
    )
    parser.add_argument(
        "--database",
        default=os.environ.get("BENCH_DATABASE", "leadops_bench"),
        help="bench database (created if missing); give each concurrent bench its own [env BENCH_DATABASE]",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        help="dedicated Redis db, FLUSHED before and after the bench [env BENCH_REDIS_URL]",
    )
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/intake-<ts>.json")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is not met")
    parser.add_argument("--verbose", "-v", action="store_true", help="also print wrk's own report")
    args = parser.parse_args(argv)
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if not args.targets or set(args.targets) - {"baseline", "intake"}:
        parser.error("--targets takes baseline and/or intake")
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads")
    if args.workers < 1 or args.duration <= 0 or args.warmup < 0:
        parser.error("--workers >= 1, --duration > 0, --warmup >= 0")
    return args


# --- machine, PostgreSQL, Redis ------------------------------------------------------------


def machine_facts(pg_version: str, args: argparse.Namespace) -> dict:
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False).stdout
    return _machine_facts(pg_version, args.workers, {"wrk": wrk_version.splitlines()[0].strip() if wrk_version else ""})


class Postgres(_Postgres):
    """The bench database (bench/common.py) with intake's own tables: leads and the baseline's."""

    def reset(self) -> None:
        """Empty the lead tables (and everything hanging off them) and (re)create the baseline table."""
        self.execute(
            "TRUNCATE leads_lead RESTART IDENTITY CASCADE",
            "DROP TABLE IF EXISTS bench_baseline_row",
            "CREATE TABLE bench_baseline_row (id bigserial PRIMARY KEY, email text, payload jsonb,"
            " created_at timestamptz DEFAULT now())",
            # A fresh key per run: forget the earlier ones.
            "DELETE FROM leads_intakekey"
            " WHERE lead_source_id IN (SELECT id FROM leads_leadsource WHERE name = 'Bench')",
            "ANALYZE",
        )

    def counts(self) -> dict:
        (row,) = self.execute(
            "SELECT (SELECT count(*) FROM leads_lead),"
            " (SELECT count(*) FROM leads_lead WHERE junk),"
            " (SELECT count(*) FROM leads_inquiry),"
            " (SELECT count(*) FROM leads_inquiry WHERE is_duplicate),"
            " (SELECT count(*) FROM bench_baseline_row)"
        )[0]
        return dict(zip(("leads", "junk_leads", "inquiries", "duplicate_inquiries", "baseline_rows"), row, strict=True))

    def drop_baseline_table(self) -> None:
        self.execute("DROP TABLE IF EXISTS bench_baseline_row")


# --- CPU accounting ------------------------------------------------------------------------
# (bench/common.py) On a shared 2-core machine req/s moves with whatever else runs; CPU time
# per request of the server processes moves much less, and `other` shows the noise.


class CpuMeter(_CpuMeter):
    """CPU seconds of the gunicorn processes, the PostgreSQL processes of the bench database
    (plus PostgreSQL's background writers), Redis and wrk over one run; the rest of the
    machine's busy time is `other` (other people's work on a shared machine)."""

    def __init__(self, server: Gunicorn, pg: Postgres, redis_pid: int | None):
        self.server, self.pg, self.redis_pid = server, pg, redis_pid
        super().__init__(self._pids, children_group="wrk")

    def _pids(self) -> dict[str, set[int]]:
        groups = {"web": set(), "postgres": set(), "redis": {self.redis_pid} if self.redis_pid else set()}
        if self.server.process:
            groups["web"] = {self.server.process.pid, *self.server.worker_pids()}
        with contextlib.suppress(Exception):
            groups["postgres"] = set(self.pg.server_pids())
        return groups


# --- the load ----------------------------------------------------------------------------------

TARGETS = {"baseline": "/bench/baseline", "intake": "/api/v1/leads"}


def probe(port: int, target: str, key: str) -> None:
    """One request, so a misconfiguration fails loudly before minutes of load."""
    body = json.dumps(
        {"email": f"probe.{target}@bench-corp.example", "first_name": "Probe", "inquiry_type": "demo_request"}
    ).encode()
    headers = {"Content-Type": "application/json"}
    if target == "intake":
        headers["Authorization"] = f"Bearer {key}"
    status, reply = request(port, "POST", TARGETS[target], body, headers)
    if status != 201:
        hint = " (is LEADOPS_BENCH_BASELINE=1 read by leadops/urls.py?)" if target == "baseline" else ""
        raise BenchError(f"probe POST {TARGETS[target]} answered {status}{hint}: {reply[:500]!r}")


def run_wrk(args, script: Path, port: int, target: str, tag: str, key: str, seconds: float, slot: int, slots: int):
    stride = PHONE_SPACE // (slots * args.threads)
    cmd = [
        "wrk", "--latency", f"--threads={args.threads}", f"--connections={args.connections}",
        f"--duration={max(1, round(seconds))}s", "--timeout=10s", f"--script={script}",
        f"http://127.0.0.1:{port}{TARGETS[target]}", "--",
        tag, key if target == "intake" else "", str(slot * args.threads * stride), str(stride),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    result_line = next((line for line in done.stdout.splitlines() if line.startswith("BENCH_RESULT ")), None)
    if done.returncode != 0 or result_line is None:
        raise BenchError(f"wrk failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    raw = json.loads(result_line.removeprefix("BENCH_RESULT "))
    seconds_run = raw["duration_us"] / 1e6
    statuses = {int(code): n for code, n in raw["statuses"].items()}
    ok = sum(n for code, n in statuses.items() if 200 <= code < 300)
    lat = {name: value / 1000 for name, value in raw["latency_us"].items()}  # ms
    return {
        "target": target,
        "path": TARGETS[target],
        "seconds": round(seconds_run, 3),
        "requests": raw["requests"],
        "sent": raw["sent"],
        "req_per_s": round(raw["requests"] / seconds_run, 1),
        "ok": ok,
        "ok_per_s": round(ok / seconds_run, 1),
        "created_201": statuses.get(201, 0),
        "non_2xx": raw["requests"] - ok,
        "statuses": statuses,
        "socket_errors": raw["socket_errors"],
        "latency_ms": {name: round(value, 3) for name, value in lat.items()},
        "wrk_report": done.stdout,
    }


def load(args, port: int, key: str, stamp: str, meter: CpuMeter) -> tuple[list[dict], list[dict]]:
    """Warm-up then measured run for each target; returns (measured, warm-ups)."""
    results: list[dict] = []
    warmups: list[dict] = []
    phases = [("warm-up", args.warmup), ("measured", args.duration)]
    slots = len(args.targets) * len(phases)
    with tempfile.NamedTemporaryFile("w", prefix="bench-intake-", suffix=".lua", delete=False) as handle:
        handle.write(WRK_SCRIPT)
        script = Path(handle.name)
    try:
        slot = 0
        for target in args.targets:
            for phase, seconds in phases:
                if seconds <= 0:
                    continue
                say(f"{target}: {phase} run, {seconds:g} s ...")
                meter.start()
                result = run_wrk(args, script, port, target, f"{stamp}s{slot}", key, seconds, slot, slots)
                result["cpu"] = meter.stop(result["requests"])
                slot += 1
                (results if phase == "measured" else warmups).append(result)
                if args.verbose:
                    say(result["wrk_report"])
    finally:
        script.unlink(missing_ok=True)
    return results, warmups


# --- report ----------------------------------------------------------------------------------


def print_table(results: list[dict]) -> None:
    head = ("target", "requests", "req/s", "2xx/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "non-2xx", "sock err")
    rows = []
    for r in results:
        lat = r["latency_ms"]
        rows.append(
            (
                r["target"], str(r["requests"]), f"{r['req_per_s']:.0f}", f"{r['ok_per_s']:.0f}",
                f"{lat['p50']:.1f}", f"{lat['p90']:.1f}", f"{lat['p99']:.1f}", f"{lat['max']:.1f}",
                str(r["non_2xx"]), str(sum(r["socket_errors"].values())),
            )
        )  # fmt: skip
    print_rows(head, rows)


def print_cpu_table(results: list[dict]) -> None:
    groups = ("web", "postgres", "redis", "wrk")
    head = ("target", *(f"{g} ms/req" for g in groups), "busy cores", "other cores")
    rows = []
    for r in results:
        cpu = r["cpu"]
        rows.append(
            (
                r["target"],
                *(f"{cpu['ms_per_request'][g]:.2f}" for g in groups),
                f"{cpu['machine_busy_cores']:.2f}",
                f"{cpu['cores']['other']:.2f}",
            )
        )
    print_rows(head, rows)


def server_cpu_ms(result: dict) -> float:
    return sum(result["cpu"]["ms_per_request"][group] or 0 for group in ("web", "postgres", "redis"))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not shutil.which("wrk"):
        say("wrk (the load generator) is not installed. Install it with:")
        say("    sudo apt-get update && sudo apt-get install -y wrk")
        return 2
    started_at = dt.datetime.now(dt.UTC)
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")

    say("Preparing: PostgreSQL, Redis, bench database ...")
    say("  " + run(["bash", "scripts/ensure-postgres"], what="scripts/ensure-postgres").strip())
    pg = Postgres(args.pg_url, args.database)
    pg_version = pg.ensure_database()
    env = {
        **os.environ,
        "DATABASE_URL": pg.url,
        "REDIS_URL": args.redis_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "LEADOPS_ALLOW_CONSOLE_EMAIL": "true",  # no EMAIL_URL: any mail is printed, as in development
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "LEADOPS_BENCH_BASELINE": "1",
        # All the load comes from 127.0.0.1: the per-address limit (default 6,000 a minute)
        # would answer 429 once intake passes 100 leads/s. Out of reach, but still counted.
        "LEADOPS_INTAKE_PER_IP_PER_MINUTE": "100000000",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    say("  " + run(["bash", "scripts/ensure-redis"], env=env, what="scripts/ensure-redis").strip())
    redis = redis_client(args.redis_url)
    redis.flushdb()
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env=env, what="manage.py migrate (bench database)")
    pg.reset()
    out = run(
        [PYTHON, "manage.py", "create_intake_key", "--name", "Bench", "--source", "paid_ads",
         "--label", "bench/intake.py", "--requests-per-minute", "10000000"],
        env=env, what="manage.py create_intake_key",
    )  # fmt: skip
    key = out.strip().splitlines()[-1].strip()

    facts = machine_facts(pg_version, args)
    say()
    say("Machine")
    say(f"  nproc {facts['nproc']} (usable {facts['cpus_usable']}), {facts['cpu_model']}")
    say(f"  load average before: {' '.join(map(str, facts['load_average_before']))}")
    wrk_version = facts["wrk"].split(" Copyright")[0]
    say(f"  Python {facts['python']}, Django {facts['django']}, {facts['gunicorn']}, {wrk_version}")
    say(f"  PostgreSQL {facts['postgresql']} (database {args.database}), Redis {args.redis_url}")
    say(f"  gunicorn: {args.workers} sync workers, DEBUG=false, access log on (as Procfile.prod)")
    if facts["git"]["commit"]:
        say(f"  code: git {facts['git']['commit']}, {facts['git']['dirty_files']} tracked file(s) modified")
    say(
        f"  load: wrk, {args.connections} connections on {args.threads} thread(s); "
        f"{args.warmup:g} s warm-up + {args.duration:g} s measured per target"
    )

    port = free_port()
    # Any reply will do (405: the baseline view takes POST only); /healthz would answer 503
    # and log an error, since no RQ worker runs during the bench.
    server = Gunicorn(args.workers, port, env, ready_path=TARGETS["baseline"])
    results: list[dict] = []
    warmups: list[dict] = []
    checks: dict = {}
    try:
        try:
            server.start()
            for target in args.targets:
                probe(port, target, key)
            info = redis.info("server")
            meter = CpuMeter(server, pg, info.get("process_id"))
            results, warmups = load(args, port, key, stamp, meter)
            checks["worker_rss_mb"] = server.worker_rss_mb()
        except BenchError:
            say("\ngunicorn output (last lines):\n" + server.log_tail())
            raise
        finally:
            server.stop()
            problems = [line for line in server.non_access_log_lines() if "Traceback" in line or "ERROR" in line]
            checks["server_error_lines"] = len(problems)
            if problems:
                say("\ngunicorn logged errors (first lines):\n" + "\n".join(problems[:20]))
            server.remove_log()
        # Database and queue checks (every reply came after its commit; gunicorn is stopped).
        counts = pg.counts()
        depth = queue_depth(args.redis_url)
    finally:
        with contextlib.suppress(Exception):
            redis.flushdb()
        with contextlib.suppress(Exception):
            pg.drop_baseline_table()
    # The probe request plus every run's 201s; `sent` also counts the requests still in flight
    # when wrk stopped a run: the server finished them, wrk did not wait for the reply.
    created = {t: 1 + sum(r["created_201"] for r in results + warmups if r["target"] == t) for t in args.targets}
    sent = {t: 1 + sum(r["sent"] for r in results + warmups if r["target"] == t) for t in args.targets}
    checks.update(counts)
    checks.update({"created_201": created, "sent": sent, "rq_queue_depth": depth})

    say(f"\nResults ({args.connections} concurrent clients, {args.workers} gunicorn sync workers)")
    print_table(results)
    say("\nCPU time per request (web = gunicorn master + workers) and machine load during each measured run")
    print_cpu_table(results)
    by_target = {r["target"]: r for r in results}
    goals: dict = {}
    if "intake" in by_target:
        intake = by_target["intake"]
        goals["leads_per_s"] = {"value": intake["ok_per_s"], "goal": f">= {GOAL_LEADS_PER_S}"}
        goals["leads_per_s"]["pass"] = intake["ok_per_s"] >= GOAL_LEADS_PER_S
        goals["p99_ms"] = {"value": intake["latency_ms"]["p99"], "goal": f"<= {GOAL_P99_MS:g}"}
        goals["p99_ms"]["pass"] = intake["latency_ms"]["p99"] <= GOAL_P99_MS
    if {"intake", "baseline"} <= by_target.keys():
        base = by_target["baseline"]
        slowdown = base["ok_per_s"] / intake["ok_per_s"] if intake["ok_per_s"] else float("inf")
        p99_ratio = intake["latency_ms"]["p99"] / base["latency_ms"]["p99"] if base["latency_ms"]["p99"] else 0.0
        say()
        say(
            f"  intake/baseline throughput: {intake['ok_per_s']:.0f}/{base['ok_per_s']:.0f} = "
            f"{intake['ok_per_s'] / base['ok_per_s']:.2f}  (baseline is {slowdown:.2f}x faster)"
        )
        say(
            f"  intake/baseline p99:        {intake['latency_ms']['p99']:.1f}/{base['latency_ms']['p99']:.1f} ms"
            f" = {p99_ratio:.2f}"
        )
        cost = {r["target"]: server_cpu_ms(r) for r in (intake, base)}
        if cost["baseline"]:
            say(
                f"  intake/baseline server CPU per request (web + postgres + redis): {cost['intake']:.2f}/"
                f"{cost['baseline']:.2f} ms = {cost['intake'] / cost['baseline']:.2f}  (less sensitive to other load)"
            )
            checks["server_cpu_ratio"] = round(cost["intake"] / cost["baseline"], 3)
        goals["ratio"] = {"value": round(slowdown, 3), "goal": f"<= {GOAL_RATIO:g}", "pass": slowdown <= GOAL_RATIO}
        goals["p99_ratio"] = {
            "value": round(p99_ratio, 3),
            "goal": f"<= {GOAL_RATIO:g}",
            "pass": p99_ratio <= GOAL_RATIO,
        }

    say("\nGoals (SPEC §7)")
    labels = {
        "leads_per_s": "intake leads/s (201s per second)",
        "p99_ms": "intake p99 latency, ms",
        "ratio": "within 2x of baseline: baseline req/s / intake req/s",
        "p99_ratio": "p99 within 2x too: intake p99 / baseline p99",
    }
    for name, goal in goals.items():
        say(f"  {verdict(goal['pass'])}  {labels[name]}: {goal['value']:g} (goal {goal['goal']})")

    say("\nChecks")
    lost_ok = True
    if "intake" in created:
        stored = counts["inquiries"]
        lost_ok = (
            created["intake"] <= stored <= sent["intake"] and stored == counts["leads"] + counts["duplicate_inquiries"]
        )
        say(
            f"  {verdict(lost_ok)}  no lost leads: {counts['leads']} leads, {stored} inquiries in the database "
            f"({counts['duplicate_inquiries']} duplicates, {counts['junk_leads']} junk) for {created['intake']} "
            f"intake 201s and {sent['intake']} requests sent (warm-up + measured + probe; the difference was in "
            "flight when wrk stopped)"
        )
        queued_ok = depth >= stored > 0
        say(f"  {verdict(queued_ok)}  RQ's routing queue got the jobs: depth {depth} (no worker ran; flushed since)")
        checks["queue_ok"] = queued_ok
    if "baseline" in created:
        rows = counts["baseline_rows"]
        rows_ok = created["baseline"] <= rows <= sent["baseline"]
        lost_ok = lost_ok and rows_ok
        say(
            f"  {verdict(rows_ok)}  baseline rows: {rows} for {created['baseline']} 201s and "
            f"{sent['baseline']} requests sent"
        )
    checks["no_lost_rows"] = lost_ok
    rss = checks["worker_rss_mb"]
    if rss:
        say(f"  info  gunicorn worker RSS after the run: {', '.join(f'{x:g}' for x in rss)} MB")
    errors = sum(r["non_2xx"] + sum(r["socket_errors"].values()) for r in results)
    say(f"  {verdict(errors == 0)}  no errors: {errors} non-2xx replies or socket errors in the measured runs")
    say(f"  info  load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    all_pass = all(goal["pass"] for name, goal in goals.items() if name != "p99_ratio") and lost_ok
    say(f"\nOverall: {verdict(all_pass)}")

    if not args.no_json:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"intake-{stamp}.json"
        document = {
            "started_at": started_at.isoformat(),
            "args": {k: v for k, v in vars(args).items() if k not in ("pg_url", "redis_url")},
            "machine": facts,
            "results": results,
            "warmups": warmups,
            "goals": goals,
            "checks": checks,
            "pass": all_pass,
        }
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        say(f"Results written to {path.relative_to(ROOT)}")
    return 1 if args.check and not all_pass else 0


if __name__ == "__main__":
    bench_main(main, "bench/intake.py")
