"""What-if benchmark (issue 17): the admin's "What if" replays the last 30 days of real
leads through the current and the edited routing configuration; goal: 100,000 leads in
under 30 s on these 2 cores.

    .venv/bin/python bench/whatif.py                    # 100,000 leads in a fresh SQLite file
    .venv/bin/python bench/whatif.py --leads 20000      # smaller
    DATABASE_URL=postgres://leadops:leadops@127.0.0.1:5432/leadops_bench_whatif .venv/bin/python bench/whatif.py

1. A database is made and migrated: a temporary SQLite file, or the (emptied) database of
   DATABASE_URL when set (its name must contain "bench"). It is filled with 40 reps in 4
   teams (own time zones, weekday hours, weights, two territories; capacities of 40-80 open
   leads per 20,000 leads, so that capacity binds at times without queueing most of the
   month), 8 routing rules (round robin, weighted, least loaded, account owner, best
   performer; country and temperature conditions), nightly on-call shifts, a status history
   (each rep available at opening, away at lunch, back, offline at closing; some days off),
   and --leads non-junk leads over 30 days (plus 1.5% junk, which the replay must skip), 95%
   of them closed 0.5-12 h after arrival, 80% with a first attempt, owners as routing would
   have chosen roughly.
2. Timed: `whatif.compare.what_if()` for an edit of the busiest rule (round robin ->
   least loaded, one rep fewer), in this process, as the RQ job runs it: reading the
   window, both replays through routing's real decide(), the figures.
3. Baseline: reading the same window's lead rows alone (the query the replay starts with),
   and the live decide() on a sample of leads against the database, scaled to the window —
   what replaying lead by lead through the database would cost.

Printed: goal, figure, baselines and PASS/FAIL. Exit status 0 when it ran (1 with --check
and a failed goal), 2 when it could not run.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 30.0


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadops.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def fill(leads: int, ends: datetime, seed: int = 17) -> None:
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from leads.models import Lead, LeadSource, SlaPolicy
    from routing.models import (
        BusinessSchedule,
        NamedAccount,
        OnCallShift,
        RepProfile,
        RepStatusChange,
        RoutingRule,
        Team,
        Territory,
        WorkingHours,
    )

    call_command("migrate", verbosity=0, interactive=False)
    random.seed(seed)
    starts = ends - timedelta(days=30)
    schedule = BusinessSchedule.objects.get(is_default=True)
    east = Territory.objects.create(name="East", countries=["US"], regions=["NY", "NJ", "MA"])
    europe = Territory.objects.create(name="Europe", countries=["GB", "DE", "FR"])
    zones = ["America/New_York", "America/Chicago", "Europe/London", "Asia/Singapore"]
    teams, users = [], []
    for number in range(4):
        team = Team.objects.create(name=f"Team {number}", schedule=schedule)
        teams.append(team)
        for seat in range(10):
            user = User.objects.create(username=f"rep{number}{seat}", first_name=f"Rep {number}{seat}")
            profile = RepProfile.objects.create(
                user=user, time_zone=zones[number], capacity=random.choice([40, 60, 80]) * max(1, leads // 20_000),
                weight=random.choice([1, 1, 2, 3]), status="offline",
            )  # fmt: skip
            if seat % 5 == 0:
                profile.territories.add(east if number < 2 else europe)
            WorkingHours.objects.bulk_create(
                WorkingHours(rep=profile, weekday=day, starts=clock(8 + seat % 3), ends=clock(17 + seat % 3))
                for day in range(5)
            )
            team.members.add(user)
            users.append((user, profile, zones[number], seat))
    rules = [
        ("US hot", ["US"], ["hot"], "round_robin", 0),
        ("US warm", ["US"], ["warm"], "least_loaded", 0),
        ("US cold", ["US"], [], "weighted", 1),
        ("Europe", ["GB", "DE", "FR"], [], "round_robin", 2),
        ("Asia", ["SG", "MY", "ID"], [], "best_performer", 3),
        ("Accounts", [], [], "account_owner", None),
        ("Rest hot", [], ["hot"], "weighted", 1),
        ("Everything else", [], [], "least_loaded", 2),
    ]
    for position, (name, countries, temperatures, strategy, team_index) in enumerate(rules):
        if strategy == "account_owner":
            RoutingRule.objects.create(position=position, name=name, strategy=strategy, named_account_only=True)
            continue
        RoutingRule.objects.create(
            position=position, name=name, countries=countries, temperatures=temperatures, strategy=strategy,
            team=teams[team_index],
        )  # fmt: skip
    for number in range(20):
        NamedAccount.objects.create(company_name=f"Account {number}", domain=f"account{number}.com",
                                    owner=users[number * 2][0])  # fmt: skip
    shifts, changes = [], []
    day = starts.date() - timedelta(days=1)
    while day <= ends.date():
        for index, team in enumerate(teams):
            night = datetime.combine(day, clock(22), tzinfo=UTC)
            shifts.append(OnCallShift(team=team, user=users[index * 10 + day.day % 10][0], starts_at=night,
                                      ends_at=night + timedelta(hours=10)))  # fmt: skip
        if day.weekday() < 5:
            for user, _profile, zone_name, seat in users:
                if random.random() < 0.07:
                    continue  # a day off: no status at all (hours decide)
                from zoneinfo import ZoneInfo

                tz = ZoneInfo(zone_name)
                opens = datetime.combine(day, clock(8 + seat % 3), tzinfo=tz) + timedelta(minutes=random.randint(0, 20))
                for offset, status in ((0, "available"), (240, "away"), (290, "available"), (540, "offline")):
                    changes.append(RepStatusChange(user=user, status=status, at=opens + timedelta(minutes=offset)))
        day += timedelta(days=1)
    OnCallShift.objects.bulk_create(shifts)
    RepStatusChange.objects.bulk_create(changes, batch_size=5000)
    source = LeadSource.objects.create(name="Web", slug="web", default_source="organic", schedule=schedule)
    policies = {policy.name: policy for policy in SlaPolicy.objects.all()}
    places = [("US", "NY", "America/New_York", 0.35), ("US", "TX", "America/Chicago", 0.2),
              ("GB", "", "Europe/London", 0.15), ("DE", "", "Europe/Berlin", 0.1),
              ("SG", "", "Asia/Singapore", 0.1), ("BR", "", "America/Sao_Paulo", 0.1)]  # fmt: skip
    weights = [place[3] for place in places]
    temperatures = [("hot", "demo_request", 0.3), ("warm", "webinar", 0.4), ("cold", "newsletter", 0.3)]
    batch = []
    total = int(leads * 1.015)
    seconds = 30 * 24 * 3600
    by_team = {
        team.pk: [user.pk for user, *_ in users[index * 10 : index * 10 + 10]] for index, team in enumerate(teams)
    }
    team_ids = list(by_team)
    for number in range(total):
        arrived = starts + timedelta(seconds=seconds * (number + 0.5) / total)
        country, region, zone_name, _ = random.choices(places, weights)[0]
        temperature, inquiry, _ = random.choices(temperatures, [t[2] for t in temperatures])[0]
        junk = number % 67 == 0
        account = random.random() < 0.02
        domain = f"account{random.randrange(20)}.com" if account else f"firm{random.randrange(30000)}.com"
        team_id = random.choice(team_ids)
        owner = None if junk or random.random() < 0.05 else random.choice(by_team[team_id])
        closed = arrived + timedelta(hours=random.uniform(0.5, 12)) if random.random() < 0.95 else None
        attempted = (
            arrived + timedelta(seconds=random.expovariate(1 / 900)) if owner and random.random() < 0.8 else None
        )
        batch.append(
            Lead(
                lead_source=source,
                email=f"lead{number}@{domain}",
                company_domain=domain,
                source="organic",
                inquiry_type=inquiry,
                temperature=temperature,
                score=random.randrange(100),
                country=country,
                region=region,
                resolved_time_zone=zone_name,
                submitted_at=arrived - timedelta(seconds=2),
                received_at=arrived,
                junk=junk,
                junk_reason="test lead" if junk else "",
                sla_policy=policies.get(temperature.title()),
                first_contact_due_at=arrived + timedelta(minutes=15),
                owner_id=owner,
                team_id=team_id,
                assigned_at=arrived if owner else None,
                first_attempt_at=attempted,
                stage=("qualified" if closed else "assigned") if owner else "new",
                decided_at=closed if owner else None,
                named_account=NamedAccount.objects.get(domain=domain) if account else None,
            )  # fmt: skip
        )
        if len(batch) == 5000:
            Lead.objects.bulk_create(batch)
            batch = []
    Lead.objects.bulk_create(batch)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=100_000, help="non-junk leads in the 30 days (default 100000)")
    parser.add_argument("--check", action="store_true", help="exit 1 when the goal is missed")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL")
    temporary = None
    if not database_url:
        temporary = tempfile.TemporaryDirectory(prefix="bench-whatif-")
        database_url = f"sqlite:///{temporary.name}/whatif.sqlite3"
    setup_django(database_url)
    from django.db import connection

    from whatif.compare import what_if

    if connection.vendor == "postgresql":
        if "bench" not in connection.settings_dict["NAME"]:
            print("bench/whatif.py empties the database it is given: name one with 'bench' in it", file=sys.stderr)
            return 2
        with connection.cursor() as cursor:  # an emptied database: drop what an earlier run left
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    ends = datetime(2026, 11, 30, 12, tzinfo=UTC)
    print(f"filling {connection.vendor} with {args.leads:,} leads over 30 days ...", flush=True)
    started = time.perf_counter()
    fill(args.leads, ends)
    print(f"  filled in {time.perf_counter() - started:.0f} s", flush=True)

    from leads.models import Lead
    from routing.decision import decide
    from routing.models import RoutingRule
    from whatif.configuration import Edit

    rule = RoutingRule.objects.get(name="US hot")
    rule.strategy = "least_loaded"
    pool = sorted(rule.team.members.values_list("pk", flat=True))[1:]
    edit = Edit("rule", rule, pool_ids=pool)
    shares = []
    load_before = os.getloadavg()[0]
    cpu_before = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    report = what_if(edit, days=30, until=ends, progress=shares.append)
    elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_here, cpu_child = (
        after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        for before, after in zip(cpu_before, cpu_after, strict=True)
    )
    load_after = os.getloadavg()[0]

    window = Lead.objects.filter(junk=False, received_at__gte=ends - timedelta(days=30), received_at__lt=ends)
    started = time.perf_counter()
    rows = len(list(window.values_list("pk", "submitted_at", "received_at", "owner_id", "stage").iterator(5000)))
    read_seconds = time.perf_counter() - started
    sample = list(window.select_related("named_account").order_by("?")[:300])
    started = time.perf_counter()
    for lead in sample:
        decide(lead, lead.received_at)
    live_seconds = (time.perf_counter() - started) / len(sample) * rows * 2

    print()
    print(f"goal:      100,000 leads replayed (current and edited) in < {GOAL_SECONDS:.0f} s on 2 cores")
    print(f"figure:    {report['current']['leads']:,} leads replayed twice in {elapsed:.1f} s "
          f"({elapsed / max(1, report['current']['leads']) * 1e6:.0f} µs a lead, both configurations)")  # fmt: skip
    print(
        f"cpu:       this process {cpu_here:.1f} s (reading, current side, figures), the forked replay of the "
        f"edited side {cpu_child:.1f} s; load average {load_before:.1f} before, {load_after:.1f} after "
        f"(on {os.cpu_count()} cores: other processes share them)"
    )
    now, edited = report["current"], report["edited"]
    print(
        f"baseline:  reading the window's {rows:,} lead rows alone: {read_seconds:.1f} s; the live decide() against "
        f"the database, lead by lead, twice: ~{live_seconds:.0f} s (from a sample of {len(sample)})"
    )
    print(f"progress:  {len(shares)} updates, last {shares[-1] if shares else None}")
    print(
        f"result:    {report['changed_count']:,} owners change; morning queue {now['morning_queue']:,} -> "
        f"{edited['morning_queue']:,}; on call {now['on_call']:,} -> {edited['on_call']:,}; assigned on arrival "
        f"{now['assigned_at_arrival']:,} -> {edited['assigned_at_arrival']:,}; spread {now['spread']} -> "
        f"{edited['spread']}"
    )
    # 1.5% of the generated leads are junk, left out: the window holds ~--leads non-junk leads.
    ok = report["current"]["leads"] >= 0.99 * args.leads and elapsed < GOAL_SECONDS
    if args.leads < 100_000:
        print(f"note:      {args.leads:,} leads only: the verdict is for this smaller run")
    print(f"verdict:   {'PASS' if ok else 'FAIL'}")
    if temporary:
        temporary.cleanup()
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
