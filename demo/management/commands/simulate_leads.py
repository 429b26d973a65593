"""Feed a running LeadOps with simulated leads at a steady rate (SPEC §6), so a rep can
watch their queue fill live:

    manage.py simulate_leads --rate 0.5 --count 30            # one lead every 2 s, to :8000
    manage.py simulate_leads --rate 5 --count 200 --url http://127.0.0.1:8000 --key lo_...

Leads go over HTTP to `POST /api/v1/leads`, as a real form or integration sends them (the
payloads come from demo/simulation.py). Without --key, an intake key is created in the
configured database (DATABASE_URL) for the demo lead source "Website", with
create_intake_key's own code, and printed; the server must use that same database.

A progress line while it runs, then a summary: sent, replies by status, temperatures,
achieved rate. Exit status 0 when every lead was accepted (201, or 200 for a repeated
external_id), 1 when some were not, 2 when it could not feed the server at all (nothing
answers at --url, or the key is refused) - each with one sentence, never a traceback."""

from __future__ import annotations

import io
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from demo.simulation import LeadGenerator, Reply, post_lead
from leads.choices import Source

DEMO_SOURCE = ("Website", Source.ORGANIC)  # seed_demo's website source; created if missing
KEY_LABEL = "simulate_leads"
UNREACHABLE_IN_A_ROW = 5  # consecutive sends without any reply: the server is gone


class Tally:
    """The replies so far (filled from the sending threads)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.temperatures: Counter = Counter()
        self.duplicates = 0
        self.reply_ms: list[float] = []
        self.errors: Counter = Counter()  # first error message per status, counted
        self.unreachable_in_a_row = 0
        self.fatal = ""

    def add(self, reply: Reply, seconds: float) -> None:
        with self.lock:
            self.statuses[reply.status] += 1
            self.reply_ms.append(seconds * 1000)
            if reply.accepted:
                self.temperatures[reply.body.get("temperature", "?")] += 1
                self.duplicates += bool(reply.body.get("duplicate_of"))
            else:
                self.errors[_reason(reply)] += 1
            self.unreachable_in_a_row = self.unreachable_in_a_row + 1 if reply.status == 0 else 0

    @property
    def done(self) -> int:
        return sum(self.statuses.values())

    def count(self, low: int, high: int) -> int:
        return sum(n for status, n in self.statuses.items() if low <= status <= high)

    def line(self) -> str:
        return (
            f"201: {self.statuses[201]}  200: {self.statuses[200]}  4xx: {self.count(400, 499)}"
            f"  5xx: {self.count(500, 599)}  no reply: {self.statuses[0]}"
        )


def _reason(reply: Reply) -> str:
    if reply.status == 0:
        return f"no reply ({reply.error})"
    errors = reply.body.get("errors") or {}
    if isinstance(errors, dict) and errors:
        field, messages = next(iter(errors.items()))
        message = messages[0] if isinstance(messages, list) and messages else messages
        return f"{reply.status} {field}: {message}"
    return f"{reply.status} {reply.error}".strip()


class Progress:
    """`  37/100 sent  201: 35  200: 0  4xx: 2 ...` redrawn in place on a terminal; on a
    pipe or a log, one line every 10% (or every 10 s at a slow rate)."""

    def __init__(self, stream, total: int):
        self.stream, self.total = stream, total
        self.interactive = getattr(stream, "isatty", lambda: False)()
        self.drawn_at = 0.0
        self.last_tenth = 0

    def __call__(self, sent: int, tally: Tally, rate: float, final: bool = False) -> None:
        now = time.monotonic()
        line = f"  {sent}/{self.total} sent  {tally.line()}  {rate:.2f} leads/s"
        if self.interactive:
            if final or now - self.drawn_at >= 0.2:
                self.stream.write("\r" + line + "\x1b[K" + ("\n" if final else ""))
                self.stream.flush()
                self.drawn_at = now
            return
        tenth = sent * 10 // self.total if self.total else 10
        if final or tenth > self.last_tenth or now - self.drawn_at >= 10:
            self.stream.write(line + "\n")
            self.stream.flush()
            self.last_tenth, self.drawn_at = tenth, now


class Command(BaseCommand):
    help = "Post simulated leads to a running LeadOps at a steady rate (POST /api/v1/leads)."

    def add_arguments(self, parser):
        parser.add_argument("--rate", type=float, default=1.0, help="Leads per second (default 1).")
        parser.add_argument("--count", type=int, default=60, help="How many leads to send (default 60).")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="The running LeadOps (default %(default)s).")
        parser.add_argument(
            "--key", default="", help="Intake key; without it one is created for the demo source 'Website'."
        )
        parser.add_argument(
            "--source", choices=Source.values, help="Send every lead with this source (for keys limited to one)."
        )
        parser.add_argument(
            "--seed", type=int, help="Random seed: the same seed sends the same people again (repeat inquiries)."
        )
        parser.add_argument("--timeout", type=float, default=10.0, help="Seconds to wait for each reply (default 10).")
        parser.add_argument(
            "--concurrency", type=int, default=8, help="Requests in flight at most (default 8): a slow reply"
            " does not hold back the next lead."
        )  # fmt: skip

    def handle(self, *args, rate, count, url, key, source, seed, timeout, concurrency, **options):
        if rate <= 0 or count < 1 or timeout <= 0 or concurrency < 1:
            raise CommandError("--rate and --timeout must be above 0, --count and --concurrency at least 1.")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise CommandError(f"--url must be an http(s) address like http://127.0.0.1:8000, not {url!r}.")
        key = key.strip() or self.create_key(rate)
        generator = LeadGenerator(seed=seed, source=source)
        self.stdout.write(
            f"Sending {count} simulated leads to {url.rstrip('/')}/api/v1/leads at {rate:g} leads/s"
            f" (seed {generator.seed}) ..."
        )
        tally, sending, seconds, sent = self.feed(generator, url, key, rate, count, timeout, concurrency)
        if tally.fatal:
            raise CommandError(tally.fatal, returncode=2)
        self.summary(tally, sending, seconds, sent, rate)
        rejected = sent - tally.statuses[200] - tally.statuses[201]
        if rejected:
            reasons = "; ".join(f"{n} x {reason}" for reason, n in tally.errors.most_common(3))
            raise CommandError(f"{rejected} of {sent} leads were not accepted: {reasons}.", returncode=1)

    def create_key(self, rate: float) -> str:
        """A key for the demo source, made by create_intake_key (its rate limit above --rate)."""
        name, source = DEMO_SOURCE
        out = io.StringIO()
        per_minute = max(1200, int(rate * 60 * 2))
        call_command(
            "create_intake_key", name=name, source=source, label=KEY_LABEL, requests_per_minute=per_minute, stdout=out
        )
        raw_key = out.getvalue().strip().splitlines()[-1]
        database = settings.DATABASES["default"]["NAME"]
        self.stdout.write(
            f"No --key given: created intake key {raw_key[:10]}… for the lead source {name!r} in the database"
            f" {database} (as manage.py create_intake_key does). To reuse it: --key {raw_key}"
        )
        return raw_key

    def feed(self, generator, url, key, rate, count, timeout, concurrency) -> tuple[Tally, float, float, int]:
        """Send lead i at start + i / rate (open loop, from a thread pool); the first lead
        alone first, so an unreachable server or a refused key stops everything at once.
        Returns the replies, the seconds from the first send to the last, the seconds until
        the last reply, and the leads sent."""
        tally = Tally()
        progress = Progress(self.stdout, count)

        def send(payload: dict) -> None:
            started = time.monotonic()
            reply = post_lead(url, key, payload, timeout=timeout)
            tally.add(reply, time.monotonic() - started)
            if reply.status == 401:
                tally.fatal = (
                    f"The server at {url} refused the intake key (401): check --key, or let this command create"
                    " one in the database that server uses (same DATABASE_URL)."
                )
            elif reply.status == 0 and tally.done == 1 or tally.unreachable_in_a_row >= UNREACHABLE_IN_A_ROW:
                tally.fatal = (
                    f"Cannot reach LeadOps at {url} ({reply.error}): start it (make run) or give --url."
                    if reply.unreachable or tally.done > 1
                    else f"LeadOps at {url} did not answer ({reply.error}): is it running and healthy?"
                )

        first = generator.payload()
        start = time.monotonic()
        send(first)
        sent = 1
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="simulate") as pool:
            for i in range(1, count):
                if tally.fatal:
                    break
                payload = generator.payload()
                pause = start + i / rate - time.monotonic()
                while pause > 0 and not tally.fatal:
                    time.sleep(min(pause, 0.25))
                    progress(sent, tally, _rate(sent, start))
                    pause = start + i / rate - time.monotonic()
                if tally.fatal:
                    break
                pool.submit(send, payload)
                sent += 1
                progress(sent, tally, _rate(sent, start))
            sending = time.monotonic() - start
        seconds = time.monotonic() - start
        if not tally.fatal:
            progress(sent, tally, _rate(sent, 0, sending), final=True)
        elif progress.interactive and progress.drawn_at:
            self.stdout.write("\n")  # the error goes below the progress line
        return tally, sending, seconds, sent

    def summary(self, tally: Tally, sending: float, seconds: float, sent: int, rate: float) -> None:
        achieved = _rate(sent, 0, sending)
        reply_ms = sorted(tally.reply_ms)
        p50 = reply_ms[len(reply_ms) // 2] if reply_ms else 0
        other = ", ".join(
            f"{status or 'no reply'}: {n}" for status, n in sorted(tally.statuses.items()) if status not in (200, 201)
        )
        temperatures = ", ".join(
            f"{t} {tally.temperatures[t]}" for t in ("hot", "warm", "cold") if t in tally.temperatures
        )
        self.stdout.write(
            f"Sent {sent} leads in {sending:.1f} s: {achieved:.2f} leads/s (asked {rate:g}/s);"
            f" the last reply came {seconds:.1f} s after the first send.\n"
            f"  201 created: {tally.statuses[201]}, 200 replayed: {tally.statuses[200]},"
            f" 4xx: {tally.count(400, 499)}, 5xx: {tally.count(500, 599)}, no reply: {tally.statuses[0]}"
            + (f" ({other})" if other else "")
            + f"\n  temperatures: {temperatures or '-'}; repeat inquiries of an earlier lead: {tally.duplicates};"
            f" reply p50 {p50:.0f} ms, max {reply_ms[-1] if reply_ms else 0:.0f} ms"
        )


def _rate(sent: int, start: float, seconds: float | None = None) -> float:
    """Leads per second sent so far: the first lead opens the clock, so n leads take n - 1 gaps."""
    elapsed = seconds if seconds is not None else time.monotonic() - start
    return (sent - 1) / elapsed if sent > 1 and elapsed > 0 else 0.0
