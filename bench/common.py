"""Helpers shared by the benchmarks under bench/ (intake.py, pipeline.py).

What every bench here does the same way: a dedicated PostgreSQL database reached as the
`leadops` role (scripts/ensure-postgres makes it), a dedicated Redis db, gunicorn started
as Procfile.prod starts it, machine facts in the results, and CPU accounting per process
group, with the CPU other processes used meanwhile (the machines are shared).

The benches run as scripts (`python bench/<name>.py`), so this module is imported as
`common` from the bench/ directory on sys.path.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import platform
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
RESULTS_DIR = ROOT / "bench" / "results"


class BenchError(Exception):
    """The bench could not run; the message says why and what to do."""


def bench_main(main: Callable[[], int], script: str) -> None:
    """Run a bench's main() as a script: its exit status, or 2 with one sentence when the
    bench could not run (BenchError), 130 on Ctrl-C."""
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"{script}: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


def say(message: str = "") -> None:
    print(message, flush=True)


def run(cmd: list[str], env: dict | None = None, what: str = "") -> str:
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"{what or ' '.join(cmd)} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_rows(head: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A plain table: first column left-aligned, the others right-aligned, two spaces apart."""
    rows = [tuple(head), *(tuple(row) for row in rows)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    for row in rows:
        cells = (
            cell.rjust(width) if i else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        say("  " + "  ".join(cells))


# --- machine, PostgreSQL, Redis ------------------------------------------------------------


def machine_facts(pg_version: str, gunicorn_workers: int, tools: dict | None = None) -> dict:
    """Facts that make a result comparable: CPU, load before the run, versions, the commit.
    `tools` adds entries (e.g. the load generator's version) after the PostgreSQL version."""
    cpu_model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    gunicorn_version = run([str(VENV_BIN / "gunicorn"), "--version"]).strip()
    django_version = run([PYTHON, "-c", "import django; print(django.get_version())"]).strip()
    git = {"commit": "", "dirty_files": None}
    with contextlib.suppress(OSError, BenchError):  # read-only git queries: which code was measured
        git["commit"] = run(["git", "rev-parse", "--short", "HEAD"]).strip()
        git["dirty_files"] = len(run(["git", "status", "--porcelain", "--untracked-files=no"]).splitlines())
    return {
        "nproc": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model,
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "django": django_version,
        "gunicorn": gunicorn_version,
        "gunicorn_workers": gunicorn_workers,
        "postgresql": pg_version,
        **(tools or {}),
        "git": git,
    }


class Postgres:
    """The bench database, as the leadops role, through psycopg (from the venv)."""

    def __init__(self, server_url: str, database: str):
        self.server_url = server_url.rstrip("/")
        self.database = database
        self.url = f"{self.server_url}/{database}"

    def _connect(self, url: str):
        import psycopg

        return psycopg.connect(url, autocommit=True, connect_timeout=5)

    def ensure_database(self, fresh: bool = False) -> str:
        """Create the database if missing (with `fresh`, drop it first); return the server version."""
        try:
            with self._connect(f"{self.server_url}/postgres") as conn:
                from psycopg import sql

                version = conn.execute("SHOW server_version").fetchone()[0]
                name = sql.Identifier(self.database)
                if fresh:
                    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
                exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.database]).fetchone()
                if not exists:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
                    if not fresh:
                        say(f"Created database {self.database}.")
        except Exception as error:
            raise BenchError(f"cannot reach or create the bench database at {self.server_url}: {error}") from error
        return version

    def execute(self, *statements: str | tuple[str, Sequence]) -> list:
        """Run statements (SQL, or (SQL, parameters)); returns each one's rows (None without rows)."""
        with self._connect(self.url) as conn:
            rows = []
            for statement in statements:
                query, params = statement if isinstance(statement, tuple) else (statement, None)
                cursor = conn.execute(query, params)
                rows.append(cursor.fetchall() if cursor.description else None)
            return rows

    def server_pids(self) -> list[int]:
        """Backends of the bench database and PostgreSQL's own background processes."""
        (rows,) = self.execute(
            "SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
            " AND (datname = current_database() OR backend_type <> 'client backend')"
        )
        return [pid for (pid,) in rows]


def redis_client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


def server_env(database_url: str, redis_url: str, email_url: str, **extra: str) -> dict[str, str]:
    """The environment the bench's servers and workers run with: production settings
    (DEBUG off, a throwaway SECRET_KEY) on plain http over loopback, warnings only."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "EMAIL_URL": email_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
        "LEADOPS_INTAKE_PER_IP_PER_MINUTE": "0",  # all the load comes from one loopback address
        **extra,
    }


def browser_login_env(demo_password: str) -> dict[str, str]:
    """What benches that sign reps in through the login form add: session cookies over
    plain http, a known demo password, and plain static storage (the login page links its
    CSS through {% static %}; no collectstatic into the shared tree)."""
    return {
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "DEMO_PASSWORD": demo_password,
        "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
    }


def claim_redis_db(url: str, marker: str, env_var: str):
    """A bench's dedicated Redis db, flushed and marked as the bench's own. Refused when it
    holds keys without the marker: someone else's db (tests and other benches share the
    server), which must not be flushed."""
    redis = redis_client(url)
    keys = redis.dbsize()
    if keys and not redis.exists(marker):
        raise BenchError(
            f"Redis {url} holds {keys} keys this bench did not write (someone else's db?): pick an empty db"
            f" with --redis-url (or {env_var}), or flush that one yourself if it is yours."
        )
    redis.flushdb()
    redis.set(marker, "1")
    return redis


def queue_depth(url: str) -> int:
    from rq import Queue

    return sum(Queue(name, connection=redis_client(url)).count for name in ("routing", "default"))


# --- processes -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_pids(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def descendant_pids(pid: int) -> list[int]:
    found, todo = [], child_pids(pid)
    while todo:
        child = todo.pop()
        found.append(child)
        todo += child_pids(child)
    return found


def memory_mb(pid: int) -> dict[str, float] | None:
    """Resident set size now (rss) and its peak over the process's life (hwm), in MB."""
    sizes = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                sizes["rss" if line.startswith("VmRSS") else "hwm"] = round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return sizes or None


class ServerProcess:
    """A server the bench starts in its own process group (so stopping it stops its
    workers too), its output in a log file; `ready()` says when it takes requests."""

    name = "server"

    def __init__(self, cmd: list[str], env: dict):
        self.cmd, self.env = cmd, env
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-{self.name}-", suffix=".log", delete=False)
        self.process: subprocess.Popen | None = None

    def ready(self) -> bool:
        raise NotImplementedError

    def start(self, timeout: float = 60) -> None:
        self.process = subprocess.Popen(
            self.cmd, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.name} exited with status {self.process.returncode}:\n{self.log_tail()}")
            if self.ready():
                return
            time.sleep(0.2)
        raise BenchError(
            f"{self.name} did not answer on 127.0.0.1:{self.port} within {timeout:.0f} s:\n{self.log_tail()}"
        )

    def log_lines(self) -> list[str]:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace").splitlines()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_lines()[-lines:])

    def stop(self) -> None:
        stop_process_group(self.process)

    def remove_log(self) -> None:
        self.log.close()
        with contextlib.suppress(OSError):
            os.unlink(self.log.name)


class Gunicorn(ServerProcess):
    """gunicorn as Procfile.prod starts it (sync workers, access log on stdout).
    `ready_path` is requested until the server answers (any status will do)."""

    name = "gunicorn"

    def __init__(self, workers: int, port: int, env: dict, ready_path: str):
        super().__init__(
            [
                str(VENV_BIN / "gunicorn"), "leadops.wsgi:application", "--worker-class", "sync",
                "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--no-control-socket",
                "--access-logfile", "-",
            ],
            env,
        )  # fmt: skip
        self.port = port
        self.ready_path = ready_path

    def ready(self) -> bool:
        try:
            request(self.port, "GET", self.ready_path)
            return True
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        return child_pids(self.process.pid) if self.process else []

    def worker_rss_mb(self) -> list[float]:
        return [sizes["rss"] for pid in self.worker_pids() if (sizes := memory_mb(pid)) and "rss" in sizes]

    def non_access_log_lines(self) -> list[str]:
        """Lines of gunicorn's output that are not access-log lines (errors, tracebacks, boots)."""
        return [line for line in self.log_lines() if not line.startswith("127.0.0.1 - ")]


def stop_process_group(process: subprocess.Popen | None, timeout: float = 15) -> None:
    """SIGTERM the process group a process leads (started with start_new_session), then SIGKILL."""
    if process and process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# --- CPU accounting ------------------------------------------------------------------------
# On a shared 2-core machine req/s moves with whatever else runs; CPU time per request of the
# server processes moves much less, and the CPU used by other processes shows the noise.

TICK = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def machine_busy_seconds() -> float:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = values
    return (user + nice + system + irq + softirq + steal) / TICK


class CpuMeter:
    """CPU seconds per group of processes over one run; the rest of the machine's busy time
    is `other` (other people's work on a shared machine).

    `pid_groups()` names the processes of each group (asked at start and stop, so processes
    born meanwhile count from zero; one that ended meanwhile is lost, unless `poll()` saw
    it: then only its CPU since the last poll is lost). `children_group`
    names the CPU of this process's waited-for children (a load generator run with
    subprocess.run), `self_group` this process's own CPU (a load generator in threads)."""

    def __init__(
        self,
        pid_groups: Callable[[], dict[str, set[int]]],
        children_group: str | None = None,
        self_group: str | None = None,
    ):
        self.pid_groups, self.children_group, self.self_group = pid_groups, children_group, self_group
        self.seen: dict[str, dict[int, float]] = {}
        self.lock = threading.Lock()  # poll() may run in another thread than stop()

    def _snapshot(self) -> dict[str, dict[int, float]]:
        return {
            group: {pid: cpu for pid in pids if (cpu := process_cpu_seconds(pid)) is not None}
            for group, pids in self.pid_groups().items()
        }

    @staticmethod
    def _rusage_seconds(who: int) -> float:
        usage = resource.getrusage(who)
        return usage.ru_utime + usage.ru_stime

    def poll(self) -> None:
        """Note the CPU of every process alive now (call it every second or so from a thread
        when processes come and go during a run, e.g. database connections)."""
        snapshot = self._snapshot()
        with self.lock:
            for group, pids in snapshot.items():
                self.seen.setdefault(group, {}).update(pids)

    def start(self) -> None:
        self.seen = {}
        self.before = self._snapshot()
        self.busy = machine_busy_seconds()
        self.children = self._rusage_seconds(resource.RUSAGE_CHILDREN)
        self.own = self._rusage_seconds(resource.RUSAGE_SELF)
        self.wall = time.monotonic()

    def stop(self, requests: int) -> dict:
        after = self._snapshot()
        wall = time.monotonic() - self.wall
        with self.lock:  # processes that ended since a poll saw them: their last CPU reading
            for group, pids in self.seen.items():
                ended = {pid: cpu for pid, cpu in pids.items() if pid not in after.setdefault(group, {})}
                after[group].update(ended)
        seconds = {
            group: sum(cpu - self.before.get(group, {}).get(pid, 0.0) for pid, cpu in after[group].items())
            for group in after
        }
        if self.children_group:
            seconds[self.children_group] = self._rusage_seconds(resource.RUSAGE_CHILDREN) - self.children
        if self.self_group:
            seconds[self.self_group] = self._rusage_seconds(resource.RUSAGE_SELF) - self.own
        busy = machine_busy_seconds() - self.busy
        seconds["other"] = max(0.0, busy - sum(seconds.values()))
        per_request = {
            group: round(1000 * value / requests, 3) if requests else None for group, value in seconds.items()
        }
        return {
            "wall_s": round(wall, 3),
            "machine_busy_cores": round(busy / wall, 2),
            "cores": {group: round(value / wall, 2) for group, value in seconds.items()},
            "ms_per_request": per_request,
        }
