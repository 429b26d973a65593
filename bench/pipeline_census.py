"""One lead at a time through the pipeline's code, in-process, with every SQL statement
captured: what intake, assignment and the acknowledgment cost on their own (statements,
milliseconds, the slowest statements). Run by bench/pipeline.py after its load, against
the bench database (its environment: DATABASE_URL, REDIS_URL, EMAIL_URL); prints one JSON
document. Not a load test: a census of the work per lead, to explain the load test.

    DATABASE_URL=... REDIS_URL=... EMAIL_URL=... .venv/bin/python bench/pipeline_census.py [--leads 6]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadops.settings")

TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?([a-z_0-9]+)"?', re.IGNORECASE)


def statements(captured) -> dict:
    queries = captured.captured_queries
    verbs = Counter(q["sql"].split(None, 1)[0].upper() for q in queries)
    tables = Counter(match.group(1) for q in queries if (match := TABLE.search(q["sql"])))
    slowest = sorted(queries, key=lambda q: float(q["time"]), reverse=True)[:5]
    return {
        "count": len(queries),
        "db_ms": round(sum(float(q["time"]) for q in queries) * 1000, 1),
        "verbs": dict(verbs.most_common()),
        "tables": dict(tables.most_common(8)),
        "slowest": [{"ms": round(float(q["time"]) * 1000, 2), "sql": q["sql"][:160]} for q in slowest],
        "all": [q["sql"][:100] for q in queries],
    }


def measure(connection, call, *args, **kwargs) -> tuple[object, dict]:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        value = call(*args, **kwargs)
        elapsed = (time.perf_counter() - started) * 1000
    return value, {"ms": round(elapsed, 1), **statements(captured)}


def phone(us: bool, rng: random.Random) -> str:
    """A valid number unlikely to be any earlier lead's (a duplicate would join that lead)."""
    import phonenumbers

    while True:
        if us:
            number = f"+1 212 {rng.choice([x for x in range(200, 1000) if x != 555])} {rng.randint(0, 9999):04d}"
        else:
            number = f"+44 20 3{rng.randint(0, 999):03d} {rng.randint(0, 9999):04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number


def payload(n: int, tag: str, rng: random.Random) -> dict:
    us = n % 2 == 0
    return {
        "email": f"census.{tag}.{n}@census{n}-{tag}.example.com",
        "phone": phone(us, rng),
        "first_name": "Cass",
        "last_name": "Census",
        "company": f"Census {n}",
        "job_title": "Head of Operations",
        "country": "US" if us else "GB",
        "region": "NY" if us else "England",
        "inquiry_type": "demo_request" if n % 3 else "content_download",
        "message": "We are planning a new office and would like to talk next week.",
        "consent_email": True,
        "consent_sms": n % 3 == 0,
        "submitted_at": dt.datetime.now(dt.UTC).isoformat(),
        "extra": {"bench": f"census-{tag}"},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=6, help="leads to census (the first is a warm-up)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from leads import acknowledgments
    from leads.actions import lead_intake
    from leads.intake import clean_submission
    from leads.models import Lead, LeadSource
    from routing.assignment import assign_lead

    source = LeadSource.objects.get(name="Website")
    tag = dt.datetime.now(dt.UTC).strftime("%H%M%S%f")
    rng = random.Random()
    rows = []
    for n in range(args.leads):
        submission, errors = clean_submission(
            payload(n, tag, rng), default_source=source.default_source, allows_source=source.allows
        )
        if errors:
            raise SystemExit(f"census payload rejected: {errors}")
        steps = {}
        result, steps["intake (web, without HTTP)"] = measure(
            connection, lead_intake, submission, source, actor_label="census"
        )
        _, steps["assign_lead"] = measure(connection, assign_lead, result.lead.pk)
        _, steps["acknowledge_inquiry"] = measure(connection, acknowledgments.acknowledge_inquiry, result.inquiry.pk)
        lead = Lead.objects.get(pk=result.lead.pk)
        steps["assign_lead"]["outcome"] = lead.routing_trace.get("outcome")
        rows.append(
            {"lead": lead.pk, "country": submission.country, "duplicate": result.inquiry.is_duplicate, "steps": steps}
        )
    print("CENSUS_RESULT " + json.dumps({"leads": rows}, default=str), flush=True)


if __name__ == "__main__":
    main()
