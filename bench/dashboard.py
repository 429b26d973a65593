"""Dashboard benchmark (SPEC §7): the SLA dashboard and the metrics API <= 500 ms with
1,000,000 leads and 5,000,000 attempts.

    .venv/bin/python bench/dashboard.py                   # generate once, then measure
    .venv/bin/python bench/dashboard.py --runs 10         # more warm requests per target
    .venv/bin/python bench/dashboard.py --regenerate      # throw the data away and generate again

1. A dedicated PostgreSQL database (`leadops_bench_dash`, role leadops/leadops, created
   by `scripts/ensure-postgres`) is created if missing and migrated.
2. Unless it already holds the requested data (recorded in table `bench_dash_meta`), the
   lead tables are emptied and filled with COPY through psycopg: --leads leads over --days
   days (hot/warm/cold, 40 reps in 4 teams, 5 lead sources, 5 time zones, 1.5% junk, 6%
   never attempted, first responses from seconds to two days) and exactly --attempts
   attempts; then VACUUM ANALYZE. Due times are wall-clock targets (3 min / 15 min / 4 h),
   not the business-hours clock: the shape of the data, not its SLA rules, is measured.
3. gunicorn (sync workers, DEBUG=false, as Procfile.prod) serves the app. For each target
   the server is restarted, the first request is timed ("cold": a new process, a new
   database connection, empty caches in the app; PostgreSQL's shared buffers and the OS
   page cache are left as they are — the server is shared), then --runs more ("warm").
4. Baseline: `SELECT COUNT(*) FROM leads_lead` on the same data, cold (first statement of a
   new connection) and warm, through psycopg.

Printed: a table of cold and warm (median, p95) times per target, the ratio to the
baseline, PASS/FAIL against 500 ms, and the slowest SQL statements of one dashboard
render. Results also go to bench/results/dashboard-<timestamp>.json. Exit status: 0 when
the bench ran (even if a goal failed; with --check, 1 then), 2 when it could not run.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import http.client
import json
import math
import os
import platform
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
RESULTS_DIR = ROOT / "bench" / "results"
GOAL_MS = 500.0

TEAMS = 4
REPS_PER_TEAM = 10
SOURCES = ("paid_ads", "organic", "referral", "event", "direct")
PLACES = (  # country, time zone, share
    ("US", "America/New_York", 0.35),
    ("US", "America/Los_Angeles", 0.2),
    ("GB", "Europe/London", 0.2),
    ("DE", "Europe/Berlin", 0.15),
    ("IN", "Asia/Kolkata", 0.1),
)
TEMPERATURES = (("hot", 0.4, 180), ("warm", 0.35, 900), ("cold", 0.25, 4 * 3600))  # name, share, due (s)
INQUIRY_BY_TEMPERATURE = {"hot": "demo_request", "warm": "content_download", "cold": "newsletter"}
# Submissions by UTC hour (busiest in the working day of Europe and the US).
HOUR_WEIGHTS = (1, 1, 1, 1, 2, 3, 5, 7, 9, 10, 10, 9, 9, 10, 11, 12, 12, 11, 9, 7, 5, 3, 2, 1)


class BenchError(Exception):
    """The bench could not run; the message says why and what to do."""


def say(message: str = "") -> None:
    print(message, flush=True)


def run(cmd: list[str], env: dict | None = None, what: str = "") -> str:
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"{what or ' '.join(cmd)} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="SLA dashboard and metrics API timings on 1M leads / 5M attempts (SPEC §7).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--attempts", type=int, default=5_000_000)
    parser.add_argument("--days", type=int, default=365, help="history spread over this many days up to now")
    parser.add_argument("--runs", type=int, default=5, help="warm requests per target after the cold one")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--regenerate", action="store_true", help="generate the data even if it is in place")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("--rebuild-rollup", action="store_true", help="rebuild the SLA rollup even if it is in place")
    parser.add_argument(
        "--verify", action="store_true", help="also compute the dashboard from scratch (slow) and compare the figures"
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgres://leadops:leadops@127.0.0.1:5432"),
        help="PostgreSQL server URL (role with CREATEDB; no database part) [env BENCH_PG_URL]",
    )
    parser.add_argument("--database", default="leadops_bench_dash")
    args = parser.parse_args(argv)
    if args.leads < 1000 or args.attempts < 0 or args.days < 31 or args.runs < 1:
        parser.error("--leads >= 1000, --attempts >= 0, --days >= 31, --runs >= 1")
    return args


# --- PostgreSQL ------------------------------------------------------------------------------


def connect(url: str, autocommit: bool = True):
    import psycopg

    return psycopg.connect(url, autocommit=autocommit)


def ensure_database(server_url: str, name: str) -> str:
    import psycopg

    try:
        with connect(f"{server_url}/postgres") as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        raise BenchError(f"cannot reach PostgreSQL at {server_url} ({error}); run scripts/ensure-postgres") from None
    return version


def drop_database(server_url: str, name: str) -> None:
    with connect(f"{server_url}/postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def recorded_shape(url: str) -> dict | None:
    """What the database holds, as the last complete generation recorded it (none after an
    interrupted one: the record is written last)."""
    with connect(url) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_dash_meta (shape jsonb NOT NULL)")
        row = conn.execute("SELECT shape FROM bench_dash_meta").fetchone()
    return row[0] if row else None


def drop_secondary(conn, table: str) -> list[str]:
    """Drop a table's foreign keys, unique constraints and plain indexes for a fast load;
    return the statements that put them back."""
    restore = []
    constraints = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype IN ('f', 'u')",
        [table],
    ).fetchall()
    for name, definition in constraints:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    indexes = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN"
        " (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
        [table, table],
    ).fetchall()
    for name, definition in indexes:
        conn.execute(f'DROP INDEX "{name}"')
        restore.insert(0, definition)
    return restore


# --- users, teams and sources (through Django) -----------------------------------------------


def django_setup(env: dict) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadops.settings")
    import django

    django.setup()


def ensure_people() -> dict:
    """4 teams of 10 reps, a leadership user (token and session), 5 lead sources."""
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore

    from leadops.apitokens.models import ApiToken
    from leadops.roles import LEADERSHIP, REPS
    from leads.models import LeadSource
    from routing.models import BusinessSchedule, Team

    schedule = BusinessSchedule.objects.get(is_default=True)
    reps_group, _ = Group.objects.get_or_create(name=REPS)
    teams = []
    for number in range(TEAMS):
        team, _ = Team.objects.get_or_create(name=f"Bench team {number + 1}", defaults={"schedule": schedule})
        members = []
        for index in range(REPS_PER_TEAM):
            user, created = User.objects.get_or_create(
                username=f"bench.rep{number + 1}.{index + 1}",
                defaults={"first_name": f"Rep {number + 1}.{index + 1}", "last_name": "Bench"},
            )
            if created:
                user.groups.add(reps_group)
            members.append(user.pk)
        team.members.add(*members)
        teams.append((team.pk, members))
    leader, created = User.objects.get_or_create(username="bench.leader", defaults={"first_name": "Bench"})
    if created:
        leader.groups.add(Group.objects.get_or_create(name=LEADERSHIP)[0])
    _, raw_token = ApiToken.issue(leader, label="bench")
    session = SessionStore()
    session["_auth_user_id"] = str(leader.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = leader.get_session_auth_hash()
    session.create()
    sources = []
    for index, source in enumerate(SOURCES):
        lead_source, _ = LeadSource.objects.get_or_create(
            slug=f"bench-{source.replace('_', '-')}", defaults={"name": f"Bench {source}", "default_source": source}
        )
        sources.append((lead_source.pk, source, index))
    return {"teams": teams, "token": raw_token, "session": session.session_key, "sources": sources}


# --- data ------------------------------------------------------------------------------------------


class Stamps:
    """Fast text timestamps for COPY: epoch seconds -> 'YYYY-MM-DD HH:MM:SS.ffffff+00'."""

    def __init__(self, first_day: dt.date, days: int):
        self.origin = dt.datetime.combine(first_day, dt.time(0), tzinfo=dt.UTC).timestamp()
        self.days = [(first_day + dt.timedelta(days=n)).isoformat() for n in range(days + 8)]

    def __call__(self, epoch: float) -> str:
        seconds = epoch - self.origin
        day = int(seconds // 86400)
        rest = seconds - day * 86400
        whole = int(rest)
        micro = int((rest - whole) * 1_000_000)
        return f"{self.days[day]} {whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}.{micro:06d}+00"


def lead_columns(conn) -> tuple[list[str], str]:
    """The columns this bench fills, and a constant tail for every other NOT NULL column
    without a default (so a column added to the model later still gets a value)."""
    explicit = [
        "id", "lead_source_id", "source", "inquiry_type", "temperature", "country", "resolved_time_zone", "junk",
        "stage", "owner_id", "team_id", "submitted_at", "received_at", "first_contact_due_at", "assigned_at",
        "acknowledged_at", "first_attempt_at", "first_connected_at", "decided_at", "converted_at", "email",
        "email_normalized", "updated_at",
    ]  # fmt: skip
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'leads_lead'"
        " AND is_nullable = 'NO' AND column_default IS NULL ORDER BY ordinal_position"
    ).fetchall()
    fill = {"boolean": "f", "jsonb": "{}", "integer": "0", "smallint": "0", "bigint": "0"}
    rest = [(name, fill.get(kind, "")) for name, kind in rows if name not in explicit]
    for name, _value in rest:
        if name.endswith("_at"):
            raise BenchError(f"leads_lead.{name} is a NOT NULL time without a default: teach bench/dashboard.py")
    return explicit + [name for name, _ in rest], "\t".join(value for _, value in rest)


def generate(url: str, args: argparse.Namespace, people: dict) -> dict:
    rng = random.Random(20261123)
    now = time.time()
    start = now - args.days * 86400
    first_day = dt.datetime.fromtimestamp(start, dt.UTC).date()
    stamp = Stamps(first_day, args.days + 2)
    day_origin = stamp.origin
    hour_cumulative = list(_cumulative(HOUR_WEIGHTS))
    place_cumulative = list(_cumulative([share for *_, share in PLACES]))
    temperature_cumulative = list(_cumulative([share for _, share, _ in TEMPERATURES]))
    reps = [(team_id, rep) for team_id, members in people["teams"] for rep in members]
    attempted_share = 0.94
    mean_attempts = args.attempts / max(1, args.leads * attempted_share * 0.985)
    counts = {"leads": 0, "attempts": 0, "junk": 0, "never_attempted": 0}
    started = time.monotonic()
    # Leads arrive in time order, as intake stores them (ids and table order follow time).
    submission_times = []
    for _ in range(args.leads):
        day = rng.randrange(args.days)
        hour = bisect.bisect_left(hour_cumulative, rng.random())
        moment = day_origin + day * 86400 + hour * 3600 + rng.random() * 3600
        submission_times.append(moment if moment < now else now - rng.random() * 86400)
    submission_times.sort()
    with connect(url) as conn:
        columns, tail = lead_columns(conn)
        conn.execute("TRUNCATE leads_lead RESTART IDENTITY CASCADE")
        # The SLA rollup's triggers (reports/migrations/0002) would mark every copied row:
        # off for the load, and the rollup is rebuilt after it (ensure_rollup()).
        for table in ("leads_lead", "leads_attempt"):
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        restore = drop_secondary(conn, "leads_attempt") + drop_secondary(conn, "leads_lead")
        attempt_rows: list[str] = []
        sequences: list[list] = []  # [lead, attempts so far, owner, last attempt] of attempted leads
        with conn.cursor() as cursor, cursor.copy(f"COPY leads_lead ({', '.join(columns)}) FROM STDIN") as copy:
            batch: list[str] = []
            for lead_id, submitted in enumerate(submission_times, start=1):
                lead_source_id, source, _ = people["sources"][lead_id % len(people["sources"])]
                country, tz_name, _ = PLACES[bisect.bisect_left(place_cumulative, rng.random())]
                temperature, _, due_after = TEMPERATURES[bisect.bisect_left(temperature_cumulative, rng.random())]
                junk = rng.random() < 0.015
                team_id, owner = (None, None) if junk or rng.random() < 0.03 else reps[rng.randrange(len(reps))]
                assigned = submitted + rng.uniform(1, 60) if owner else None
                acknowledged = submitted + rng.uniform(2, 10) if rng.random() < 0.9 else None
                first = connected = decided = converted = None
                stage = "assigned" if owner else "new"
                if owner and rng.random() < attempted_share:
                    roll = rng.random()
                    low, high = (20, 300) if roll < 0.45 else ((300, 3600) if roll < 0.7 else (3600, 48 * 3600))
                    first = min(now, submitted + math.exp(rng.uniform(math.log(low), math.log(high))))
                    planned = min(15, 1 + int(rng.expovariate(1 / max(0.1, mean_attempts - 0.5))))
                    moment, connect_on, made = first, 0, 0
                    for number in range(1, planned + 1):
                        if counts["attempts"] >= args.attempts or moment > now:
                            break
                        made = number
                        reached = not connect_on and rng.random() < (0.25 if number == 1 else 0.15)
                        if reached:
                            connect_on, connected = number, moment
                        outcome = "connected" if reached else ("no_answer" if rng.random() < 0.7 else "voicemail")
                        counts["attempts"] += 1
                        attempt_rows.append(f"{lead_id}\t{number}\tcall\t{outcome}\t{stamp(moment)}\t{owner}\timported")
                        last = moment
                        moment += rng.uniform(300, 20 * 3600)
                    if made:
                        sequences.append([lead_id, made, owner, last])
                    stage = "contacted"
                    if connected:
                        roll = rng.random()
                        decided_at = connected + rng.uniform(300, 3 * 86400)
                        if decided_at < now:
                            if roll < 0.35:
                                stage, decided = "qualified", decided_at
                            elif roll < 0.45:
                                stage, decided = "converted", decided_at
                                converted = decided_at + rng.uniform(86400, 5 * 86400)
                                converted = converted if converted < now else None
                                stage = "converted" if converted else "qualified"
                            elif roll < 0.75:
                                stage, decided = "disqualified", decided_at
                            else:
                                stage = "connected"
                        else:
                            stage = "connected"
                    elif rng.random() < 0.5 and moment + 86400 < now:
                        stage, decided = "disqualified", moment + 86400
                else:
                    counts["never_attempted"] += 1
                counts["junk"] += junk
                email = f"lead{lead_id}@bench.example"
                batch.append(
                    "\t".join(
                        (
                            str(lead_id), str(lead_source_id), source, INQUIRY_BY_TEMPERATURE[temperature], temperature,
                            country, tz_name, "t" if junk else "f", stage, _text(owner), _text(team_id),
                            stamp(submitted), stamp(submitted + 0.5), stamp(submitted + due_after),
                            _at(stamp, assigned), _at(stamp, acknowledged), _at(stamp, first), _at(stamp, connected),
                            _at(stamp, decided), _at(stamp, converted), email, email, stamp(now),
                        )
                    )
                    + ("\t" + tail if tail else "")
                )  # fmt: skip
                if len(batch) >= 20000:
                    copy.write("\n".join(batch) + "\n")
                    batch.clear()
                if lead_id % 200_000 == 0:
                    say(f"  {lead_id:,} leads, {counts['attempts']:,} attempts ({time.monotonic() - started:.0f} s)")
            if batch:
                copy.write("\n".join(batch) + "\n")
        counts["leads"] = args.leads
        # Top up to exactly --attempts: one more attempt on random attempted leads, later on.
        while counts["attempts"] < args.attempts and sequences:
            sequence = sequences[rng.randrange(len(sequences))]
            lead_id, made, owner, last = sequence
            moment = min(now, last + rng.uniform(3600, 86400))
            sequence[1], sequence[3] = made + 1, moment
            outcome = "no_answer" if rng.random() < 0.7 else "voicemail"
            attempt_rows.append(f"{lead_id}\t{made + 1}\tcall\t{outcome}\t{stamp(moment)}\t{owner}\timported")
            counts["attempts"] += 1
        say(f"  leads copied ({time.monotonic() - started:.0f} s); copying {len(attempt_rows):,} attempts ...")
        attempt_columns = "lead_id, number, channel, outcome, at, by_id, note"
        with conn.cursor() as cursor, cursor.copy(f"COPY leads_attempt ({attempt_columns}) FROM STDIN") as copy:
            for offset in range(0, len(attempt_rows), 50000):
                copy.write("\n".join(attempt_rows[offset : offset + 50000]) + "\n")
        attempt_rows.clear()
        conn.execute("SELECT setval(pg_get_serial_sequence('leads_lead', 'id'), %s)", [args.leads])
        for table in ("leads_lead", "leads_attempt"):
            conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        say(f"  attempts copied ({time.monotonic() - started:.0f} s); indexes and constraints back ...")
        conn.execute("SET maintenance_work_mem = '512MB'")
        for statement in restore:
            conn.execute(statement)
        say(f"  indexes rebuilt ({time.monotonic() - started:.0f} s); VACUUM ANALYZE ...")
        conn.execute("VACUUM ANALYZE leads_lead")
        conn.execute("VACUUM ANALYZE leads_attempt")
        shape = {"leads": args.leads, "attempts": args.attempts, "days": args.days, "generated_at": now}
        conn.execute("CREATE TABLE IF NOT EXISTS bench_dash_meta (shape jsonb NOT NULL)")
        conn.execute("DELETE FROM bench_dash_meta")
        conn.execute("INSERT INTO bench_dash_meta (shape) VALUES (%s)", [json.dumps(shape)])
    counts["seconds"] = round(time.monotonic() - started, 1)
    return counts


def ensure_rollup(url: str, env: dict, rebuild: bool) -> float | None:
    """Build the SLA rollup (`manage.py rebuild_sla_rollup`) when it is empty (fresh data)
    or when asked; returns the seconds it took, None when it was in place."""
    with connect(url) as conn:
        stored = conn.execute("SELECT EXISTS (SELECT 1 FROM reports_dayrollup)").fetchone()[0]
    if stored and not rebuild:
        return None
    started = time.monotonic()
    run([PYTHON, "manage.py", "rebuild_sla_rollup"], env=env, what="manage.py rebuild_sla_rollup (bench database)")
    with connect(url) as conn:
        conn.execute("VACUUM ANALYZE reports_dayrollup")
        conn.execute("VACUUM ANALYZE reports_rolluphistogram")
    return time.monotonic() - started


def _cumulative(weights):
    total = sum(weights)
    running = 0.0
    for weight in weights:
        running += weight / total
        yield running


def _text(value) -> str:
    return "\\N" if value is None else str(value)


def _at(stamp: Stamps, epoch: float | None) -> str:
    return "\\N" if epoch is None else stamp(epoch)


# --- the server and the requests ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, workers: int, env: dict):
        self.workers, self.env, self.process, self.port = workers, env, None, 0
        self.log = Path(tempfile.gettempdir()) / f"bench-dashboard-{os.getpid()}.log"

    def start(self) -> None:
        self.port = free_port()
        cmd = [
            PYTHON, "-m", "gunicorn", "leadops.wsgi:application", f"--workers={self.workers}",
            f"--bind=127.0.0.1:{self.port}", "--timeout=300", "--log-level=warning",
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _body, _ms = self.get("/dashboard/", {})
                if status in (200, 302):  # anonymous: the redirect to the login page
                    return
            except OSError:
                time.sleep(0.2)
        raise BenchError(f"gunicorn did not answer within 60 s; see {self.log}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None

    def get(self, path: str, headers: dict) -> tuple[int, bytes, float]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        started = time.perf_counter()
        connection.request("GET", path, headers={"Host": "127.0.0.1", **headers})
        response = connection.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        connection.close()
        return response.status, body, elapsed


def time_target(server: Server, path: str, headers: dict, runs: int) -> dict:
    server.stop()
    server.start()
    status, body, cold = server.get(path, headers)
    if status != 200:
        raise BenchError(f"GET {path} answered {status}: {body[:300]!r}")
    warm = []
    for _ in range(runs):
        status, _body, elapsed = server.get(path, headers)
        warm.append(elapsed)
    return {"path": path, "cold_ms": cold, **summary(warm), "bytes": len(body)}


def summary(values: list[float]) -> dict:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return {"warm_median_ms": statistics.median(ordered), "warm_p95_ms": p95, "warm_min_ms": ordered[0]}


def time_count(url: str, runs: int) -> dict:
    with connect(url) as conn:
        started = time.perf_counter()
        count = conn.execute("SELECT COUNT(*) FROM leads_lead").fetchone()[0]
        cold = (time.perf_counter() - started) * 1000
        warm = []
        for _ in range(runs):
            started = time.perf_counter()
            conn.execute("SELECT COUNT(*) FROM leads_lead").fetchone()
            warm.append((time.perf_counter() - started) * 1000)
    return {"path": "SELECT COUNT(*) FROM leads_lead", "rows": count, "cold_ms": cold, **summary(warm)}


def slowest_queries(path_query: dict, limit: int = 8) -> list[tuple[float, str]]:
    """Every SQL statement of one dashboard computation (in this process), slowest first."""
    from django.db import connection

    from reports import filters as report_filters
    from reports import series

    timings: list[tuple[float, str]] = []

    def timer(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.append(((time.perf_counter() - started) * 1000, " ".join(sql.split())[:150]))

    filters, errors = report_filters.parse_filters(path_query)
    if errors:
        raise BenchError(f"bad filters {path_query}: {errors}")
    with connection.execute_wrapper(timer):
        series.dashboard(filters)
    return sorted(timings, reverse=True)[:limit]


def differences(fast, slow, path: str = "") -> list[str]:
    """Where two figure sets differ: counts exactly, times by more than 1.5 ms."""
    if isinstance(slow, dict):
        if set(fast) != set(slow):
            return [f"{path}: keys {sorted(set(fast) ^ set(slow))}"]
        return [line for key in slow for line in differences(fast[key], slow[key], f"{path}.{key}")]
    if isinstance(slow, list):
        if len(fast) != len(slow):
            return [f"{path}: {len(fast)} vs {len(slow)} items"]
        return [
            line
            for index, pair in enumerate(zip(fast, slow, strict=True))
            for line in differences(*pair, f"{path}[{index}]")
        ]
    if isinstance(slow, float) and fast is not None:
        return [] if abs(fast - slow) <= 0.0015 else [f"{path}: {fast} vs {slow}"]
    return [] if fast == slow else [f"{path}: {fast} vs {slow}"]


def verify(queries: dict) -> list[dict]:
    """The dashboard's figures from the rollup and from scratch, in this process: timed once
    each, and compared."""
    from django.utils import timezone

    from reports import filters as report_filters
    from reports import series

    checked = []
    for label, query in queries.items():
        filters, _errors = report_filters.parse_filters(query)
        now = timezone.now()
        started = time.perf_counter()
        fast = series.dashboard(filters, now)
        middle = time.perf_counter()
        slow = series.dashboard(filters, now, rollup=False)
        done = time.perf_counter()
        found = []
        for name in ("metrics", "contact_rates", "reps", "trend", "heatmap"):
            found += differences(getattr(fast, name), getattr(slow, name), name)
        checked.append(
            {"target": label, "rollup_ms": (middle - started) * 1000, "scratch_ms": (done - middle) * 1000,
             "differences": found}
        )  # fmt: skip
    return checked


def print_rows(head, rows) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(head, *rows, strict=True)]
    for row in (head, *rows):
        say("  " + "  ".join(str(cell).rjust(width) if index else str(cell).ljust(width)
                             for index, (cell, width) in enumerate(zip(row, widths, strict=True))))  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started_at = dt.datetime.now(dt.UTC)
    say("Preparing: PostgreSQL and the bench database ...")
    say("  " + run(["bash", "scripts/ensure-postgres"], what="scripts/ensure-postgres").strip())
    pg_version = ensure_database(args.pg_url, args.database)
    url = f"{args.pg_url}/{args.database}"
    wanted = {"leads": args.leads, "attempts": args.attempts, "days": args.days}
    shape = recorded_shape(url)
    fresh = args.regenerate or not shape or any(shape.get(key) != value for key, value in wanted.items())
    if fresh:
        say(f"  a fresh {args.database} database (the data is generated anew)")
        drop_database(args.pg_url, args.database)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "LEADOPS_ALLOW_CONSOLE_EMAIL": "true",  # no EMAIL_URL: any mail is printed, as in development
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env=env, what="manage.py migrate (bench database)")
    django_setup(env)
    people = ensure_people()
    generated = None
    if fresh:
        say(f"Generating {args.leads:,} leads and {args.attempts:,} attempts over {args.days} days (COPY) ...")
        generated = generate(url, args, people)
        say(f"  done in {generated['seconds']:.0f} s: {generated}")
        shape = recorded_shape(url)
    else:
        age = (time.time() - shape["generated_at"]) / 86400
        say(f"Data in place ({args.leads:,} leads, {args.attempts:,} attempts, generated {age:.1f} days ago).")
    say("SLA rollup (reports/rollup.py) ...")
    rollup_seconds = ensure_rollup(url, env, args.rebuild_rollup or fresh)
    say("  in place" if rollup_seconds is None else f"  rebuilt from scratch in {rollup_seconds:.0f} s")
    with connect(url) as conn:
        leads, attempts = conn.execute(
            "SELECT (SELECT count(*) FROM leads_lead), (SELECT count(*) FROM leads_attempt)"
        ).fetchone()
        sizes = conn.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('leads_lead')),"
            " pg_size_pretty(pg_total_relation_size('leads_attempt'))"
        ).fetchone()
    say(f"  leads_lead: {leads:,} rows ({sizes[0]}); leads_attempt: {attempts:,} rows ({sizes[1]})")

    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=29)).date().isoformat()
    token = {"Authorization": f"Token {people['token']}"}
    cookie = {"Cookie": f"sessionid={people['session']}"}
    targets = [
        ("metrics API, all time", "/api/v1/metrics/sla", token),
        ("metrics API, last 30 days", f"/api/v1/metrics/sla?since={since}", token),
        ("dashboard, last 30 days (default)", "/dashboard/", cookie),
        ("dashboard, all time", "/dashboard/?period=all", cookie),
        ("breach counter", "/dashboard/breaches.json", cookie),
    ]
    say()
    say(f"Timing: gunicorn {args.workers} sync workers, DEBUG=false; 1 cold + {args.runs} warm requests each")
    baseline = time_count(url, args.runs)
    server = Server(args.workers, env)
    results = []
    try:
        for label, path, headers in targets:
            result = time_target(server, path, headers, args.runs)
            result["target"] = label
            results.append(result)
            say(f"  {label}: cold {result['cold_ms']:.0f} ms, warm median {result['warm_median_ms']:.0f} ms")
    finally:
        server.stop()

    say()
    say(f"Results ({leads:,} leads, {attempts:,} attempts; PostgreSQL {pg_version}, {os.cpu_count()} cores)")
    head = ("target", "cold ms", "warm median ms", "warm p95 ms", "x COUNT(*) warm", "goal <= 500 ms")
    rows = [
        (baseline["path"], f"{baseline['cold_ms']:.0f}", f"{baseline['warm_median_ms']:.0f}",
         f"{baseline['warm_p95_ms']:.0f}", "1.0", "")
    ]  # fmt: skip
    failed = False
    for result in results:
        ok = result["cold_ms"] <= GOAL_MS and result["warm_p95_ms"] <= GOAL_MS
        failed |= not ok
        ratio = result["warm_median_ms"] / baseline["warm_median_ms"]
        rows.append(
            (result["target"], f"{result['cold_ms']:.0f}", f"{result['warm_median_ms']:.0f}",
             f"{result['warm_p95_ms']:.0f}", f"{ratio:.1f}", "PASS" if ok else "FAIL")
        )  # fmt: skip
    print_rows(head, rows)
    say()
    say("Slowest SQL of one dashboard render (last 30 days), in this process:")
    slow = slowest_queries({"since": since})
    for ms, sql in slow:
        say(f"  {ms:7.1f} ms  {sql}")
    checked = []
    if args.verify:
        say()
        say("The dashboard's figures from the rollup and from scratch (in this process, once each):")
        checked = verify({"all time": {}, "last 30 days": {"since": since}})
        for item in checked:
            verdict = "same figures" if not item["differences"] else f"{len(item['differences'])} DIFFERENCES"
            say(f"  {item['target']}: rollup {item['rollup_ms']:.0f} ms, from scratch {item['scratch_ms']:.0f} ms"
                f" ({item['scratch_ms'] / item['rollup_ms']:.0f}x): {verdict}")  # fmt: skip
            for line in item["differences"][:10]:
                say(f"    {line}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"dashboard-{started_at.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(
        json.dumps(
            {
                "started_at": started_at.isoformat(),
                "machine": {"nproc": os.cpu_count(), "python": platform.python_version(), "postgresql": pg_version},
                "data": {
                    "leads": leads,
                    "attempts": attempts,
                    "days": shape["days"],
                    "generated": generated,
                    "rollup_rebuild_s": rollup_seconds,
                },
                "baseline": baseline,
                "results": results,
                "slowest_sql_ms": slow,
                "rollup_vs_scratch": checked,
                "goal_ms": GOAL_MS,
            },
            indent=2,
        )
    )
    say(f"\nSaved {out.relative_to(ROOT)}")
    return 1 if failed and args.check else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        say(f"bench/dashboard.py could not run: {error}")
        sys.exit(2)
