"""Mailbox memory (SPEC §7: no process over 200 MB RSS): the peak RSS of the worker's
work after a mailbox sync - matching contacts, rebuilding threads and reply waits - on a
mailbox of `--messages` stored headers (default 100,000), against the same process's RSS
just before (the baseline: Django and every app loaded).

    make bench-mailbox-memory                     # = .venv/bin/python bench/mailbox_memory.py
    make bench-mailbox-memory BENCH_ARGS="--messages 200000"

It builds a SQLite database in a temporary directory (migrated; no server needed), stores
the headers of threads of four messages (a contact writes, the rep answers, twice) from 500
known company domains, then measures in a fresh process, so the seeding's memory does not
count. Exit status 0 (with --check: 1 when the goal is missed), 2 when it could not run.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from common import BenchError, bench_main, run, say, verdict  # noqa: E402

GOAL_MB = 200.0
DOMAINS = 500


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed(messages: int) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from mailboxes.models import Mailbox, MailMessage
    from routing.models import NamedAccount

    NamedAccount.objects.bulk_create(
        [NamedAccount(company_name=f"Acme {n}", domain=f"acme{n}.com") for n in range(DOMAINS)]
    )
    rep = get_user_model().objects.create(username="bench.rep")
    mailbox = Mailbox.objects.create(
        owner=rep, host="imap.example.com", username="rep@example.com", password="-", addresses="rep@example.com"
    )
    start, rows = datetime(2026, 1, 5, 9, tzinfo=UTC), []
    for n in range(messages):
        thread, position = divmod(n, 4)
        contact = f"buyer{thread}@acme{thread % DOMAINS}.com"
        outgoing = position % 2 == 1
        rows.append(
            MailMessage(
                mailbox=mailbox,
                folder="sent" if outgoing else "inbox",
                uidvalidity=1,
                uid=n + 1,
                message_id=f"<m{n}@example.com>",
                in_reply_to=f"<m{n - 1}@example.com>" if position else "",
                references=" ".join(f"<m{earlier}@example.com>" for earlier in range(n - position, n)),
                from_address="rep@example.com" if outgoing else contact,
                to_addresses=contact if outgoing else "rep@example.com",
                sent_at=start + timedelta(minutes=3 * n),
                subject=f"Re: your proposal {thread}",
                outgoing=outgoing,
                counterpart="" if outgoing else contact,
            )  # fmt: skip
        )
        if len(rows) == 5000:
            MailMessage.objects.bulk_create(rows)
            rows = []
    MailMessage.objects.bulk_create(rows)


def measure() -> None:
    import django

    django.setup()
    from mailboxes import rebuild
    from mailboxes.models import Mailbox

    mailbox = Mailbox.objects.get()
    baseline = peak_mb()
    started = time.monotonic()
    rebuild.match_contacts(mailbox)
    threads, waits = rebuild.rebuild_threads(mailbox)
    print(f"{baseline:.1f} {peak_mb():.1f} {threads} {waits} {time.monotonic() - started:.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--check", action="store_true", help="exit 1 when the goal is missed")
    parser.add_argument("--child", choices=("seed", "measure"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "seed":
        seed(args.messages)
        return 0
    if args.child == "measure":
        measure()
        return 0
    if args.messages < 4:
        parser.error("--messages >= 4")
    directory = Path(tempfile.mkdtemp(prefix="leadops-bench-mailbox-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{directory / 'bench.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "leadops.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-not-secret",
        "ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_URL": "dummymail://",
    }
    try:
        say(f"Preparing a mailbox of {args.messages:,} headers (SQLite in {directory}) ...")
        run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env=env, what="migrate")
        child = [sys.executable, __file__, "--messages", str(args.messages), "--child"]
        run([*child, "seed"], env=env, what="seeding")
        done = subprocess.run([*child, "measure"], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not done.stdout.strip():
            raise BenchError(f"the measuring process failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
        baseline, peak, threads, waits, seconds = done.stdout.split()[-5:]
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    baseline_mb, peak_mb_ = float(baseline), float(peak)
    say(f"match contacts + rebuild {threads} threads and {waits} reply waits in {seconds} s")
    say(f"Baseline, same process before the work: {baseline_mb:.0f} MB RSS (Django and every app loaded)")
    ok = peak_mb_ <= GOAL_MB
    say(
        f"Goal: peak RSS <= {GOAL_MB:.0f} MB: {peak_mb_:.0f} MB "
        f"(+{peak_mb_ - baseline_mb:.0f} MB over the baseline, {peak_mb_ / baseline_mb:.2f}x) {verdict(ok)}"
    )
    return 1 if (args.check and not ok) else 0


if __name__ == "__main__":
    bench_main(main, "bench/mailbox_memory.py")
