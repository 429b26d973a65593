"""seed_demo and demo/seed.py: idempotent, printed keys and logins that work, a routing
set-up that routes a new lead at once, and a history whose timestamps hang together and
leaves nothing for the sweeper to send."""

from __future__ import annotations

import json
import re
import shlex
from datetime import UTC, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import Count, Min

from demo import seed as demo
from leads.choices import AckState, AttemptOutcome, Stage
from leads.models import Attempt, Inquiry, IntakeKey, Lead, LeadEvent, LeadSource, Message
from pipeline.sweeper import sweep
from routing.assignment import assign_lead
from routing.models import (
    BusinessSchedule,
    ClosedDay,
    LeavePeriod,
    NamedAccount,
    OnCallShift,
    RepProfile,
    RoutingRule,
    Strategy,
    Team,
    Territory,
    WeeklyHours,
    WorkingHours,
)
from tests.workspace_kit import sign_in

# A Wednesday afternoon; a week of history before it spans a weekend and a few evenings.
NOW = datetime(2026, 6, 10, 15, 0, tzinfo=UTC)
NEW_YORK, LONDON = ZoneInfo("America/New_York"), ZoneInfo("Europe/London")
TUESDAY_11_NY = datetime(2026, 6, 16, 11, 0, tzinfo=NEW_YORK)
KEY_PATTERN = re.compile(r"\blo_demo_[0-9a-f]{32}\b")
COUNTED = (User, Team, BusinessSchedule, WeeklyHours, ClosedDay, LeadSource, IntakeKey, NamedAccount)
COUNTED += (Lead, Inquiry, LeadEvent, Attempt, Message)
COUNTED += (RepProfile, WorkingHours, LeavePeriod, Territory, OnCallShift, RoutingRule)


@pytest.fixture(autouse=True)
def _no_demo_password_override(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)


def run_seed_demo(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


@pytest.fixture
def seeded(db):
    return demo.seed(days=7, now=NOW)


@pytest.mark.django_db
class TestSeedDemoCommand:
    @time_machine.travel(NOW)  # the on-call rota is laid out from today: no midnight between the runs
    def test_it_creates_nothing_the_second_time_and_prints_the_same_keys(self):
        first = run_seed_demo("--days", "2")
        after_first = counts()
        second = run_seed_demo("--days", "2")

        assert counts() == after_first
        assert after_first["Lead"] > 0 and after_first["User"] == 12
        assert KEY_PATTERN.findall(first) == KEY_PATTERN.findall(second)
        assert len(set(KEY_PATTERN.findall(first))) == 5
        assert "Demo data created" in first
        assert "nothing new created" in second

    def test_it_prints_logins_password_hosted_forms_and_a_curl_example(self):
        output = run_seed_demo("--days", "0")
        for word in ("login", "password", "key", "leadops-demo", "http://127.0.0.1:8000/", "/f/website/"):
            assert word in output
        for username in ("admin", "leader", "manager.east", "manager.emea", "rep.ava", "rep.hugo"):
            assert re.search(rf"^\s+{re.escape(username)}\s", output, re.MULTILINE), username
        assert "curl -X POST http://127.0.0.1:8000/api/v1/leads" in output

    def test_it_prints_keys_that_authenticate(self):
        output = run_seed_demo("--days", "0")
        for line in output.splitlines():
            if "/f/" in line and (match := KEY_PATTERN.search(line)):
                key = IntakeKey.objects.for_raw_key(match.group())
                assert key is not None and f"/f/{key.lead_source.slug}/" in line
                assert key.label == "demo"

    def test_its_curl_example_submits_a_lead(self, client, redis_down):
        output = run_seed_demo("--days", "0")
        words = shlex.split(next(line for line in output.splitlines() if "curl -X POST" in line))
        authorization = words[words.index("-H") + 1]
        body = json.loads(words[words.index("-d") + 1])

        response = client.post(
            "/api/v1/leads", data=body, content_type="application/json", HTTP_AUTHORIZATION=authorization.split(": ")[1]
        )

        assert response.status_code == 201, response.content
        assert Lead.objects.get(pk=response.json()["id"]).lead_source.slug == "website"


@pytest.mark.django_db
class TestDemoAccounts:
    def test_it_lets_every_demo_user_log_in(self, client, seeded):
        assert len(seeded.logins) == 12
        for login in seeded.logins:
            assert sign_in(client, login.username, "leadops-demo"), login.username
        reps = User.objects.filter(groups__name="Reps")
        assert reps.count() == 8
        assert all(rep.teams.count() == 1 and rep.email.endswith("@leadops.example") for rep in reps)
        assert set(Team.objects.values_list("name", "schedule__time_zone")) == {
            ("East Coast", "America/New_York"),
            ("EMEA", "Europe/London"),
        }
        managers = User.objects.filter(groups__name="Managers")
        assert sorted(managers.values_list("username", "is_staff")) == [("manager.east", True), ("manager.emea", True)]
        assert User.objects.get(username="admin").is_superuser

    def test_it_moves_the_demo_logins_to_a_new_demo_password(self, client, monkeypatch):
        demo.seed(days=0, now=NOW)
        monkeypatch.setenv("DEMO_PASSWORD", "another-demo-pass")

        summary = demo.seed(days=0, now=NOW)

        assert summary.password == "another-demo-pass"
        assert sign_in(client, "rep.ben", "another-demo-pass")
        assert not sign_in(client, "rep.ben", "leadops-demo")

    def test_it_leaves_the_password_of_an_account_it_did_not_create(self, client):
        User.objects.create_superuser("admin", "me@example.org", "my-own-secret")

        summary = demo.seed(days=0, now=NOW)

        assert sign_in(client, "admin", "my-own-secret")
        assert next(login for login in summary.logins if login.username == "admin").own_password
        assert sign_in(client, "rep.ava", "leadops-demo")


@pytest.mark.django_db
class TestDemoHistory:
    def test_it_keeps_every_lead_timeline_consistent(self, seeded):
        leads = Lead.objects.annotate(first_attempt=Min("attempts__at")).prefetch_related("attempts")
        assert leads.count() > 150
        for lead in leads:
            attempts = sorted(lead.attempts.all(), key=lambda attempt: attempt.number)
            assert lead.received_at >= lead.submitted_at
            assert lead.assigned_at is None or lead.assigned_at >= lead.submitted_at
            assert lead.first_attempt_at == lead.first_attempt
            assert lead.first_attempt_at is None or lead.first_attempt_at >= lead.assigned_at
            assert [attempt.at for attempt in attempts] == sorted(attempt.at for attempt in attempts)
            assert all(attempt.by_id == lead.owner_id for attempt in attempts)
            connected = [attempt.at for attempt in attempts if attempt.outcome == AttemptOutcome.CONNECTED]
            assert lead.first_connected_at == (connected[0] if connected else None)
            decided = lead.stage in (Stage.QUALIFIED, Stage.DISQUALIFIED, Stage.CONVERTED)
            assert (lead.decided_at is not None) == decided
            assert (lead.converted_at is not None) == (lead.stage == Stage.CONVERTED)
            assert all(moment is None or moment <= NOW for moment in (lead.decided_at, lead.converted_at))
            if lead.junk:
                assert lead.owner_id is None and lead.acknowledged_at is None
            else:
                assert lead.acknowledged_at > lead.received_at
        assert Attempt.objects.filter(at__gt=NOW).count() == 0

    def test_it_leaves_nothing_pending_for_the_sweeper(self, seeded):
        assert not Inquiry.objects.exclude(ack_state__in=[AckState.DONE, AckState.SKIPPED]).exists()
        assert Message.objects.count() == 0
        assert not any(sweep(now=NOW).values())

    def test_it_makes_a_realistic_mix(self, seeded):
        leads = Lead.objects.all()
        assert leads.filter(junk=True, junk_reason__startswith="disposable").exists()
        assert Inquiry.objects.filter(is_duplicate=True).exists()
        assert {"US", "GB"} <= set(leads.values_list("country", flat=True))
        assert leads.filter(after_hours=True).exists() and leads.filter(after_hours=False).exists()
        assert set(leads.values_list("temperature", flat=True)) == {"hot", "warm", "cold"}
        assert {Stage.CONTACTED, Stage.QUALIFIED, Stage.DISQUALIFIED} <= set(leads.values_list("stage", flat=True))
        attempted = leads.filter(junk=False).exclude(owner=None)
        never = attempted.filter(first_attempt_at=None).count() / attempted.count()
        assert 0.02 < never < 0.2
        for lead in leads.exclude(phone_e164=""):
            number = phonenumbers.parse(lead.phone_e164)
            assert phonenumbers.is_valid_number(number)
            assert phonenumbers.region_code_for_number(number) == lead.country
        assert set(LeadEvent.objects.values_list("kind", flat=True)) >= {
            "lead.submitted",
            "lead.assigned",
            "attempt.logged",
            "stage.changed",
            "acknowledgment.sent",
            "inquiry.repeated",
        }

    def test_it_skips_the_history_when_it_exists(self, seeded):
        before = counts()

        summary = demo.seed(days=7, now=NOW)

        assert counts() == before
        assert summary.created == {}


def post_lead(client, raw_key: str, **fields) -> Lead:
    body = {"first_name": "Sam", "last_name": "Rivera", "email": "sam.rivera@gmail.com", **fields}
    response = client.post(
        "/api/v1/leads", data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw_key}"
    )
    assert response.status_code == 201, response.content
    return Lead.objects.get(pk=response.json()["id"])


def inside_hours(at: datetime, tz: ZoneInfo, closes: time) -> bool:
    local = at.astimezone(tz)
    return local.weekday() < 5 and time(9) <= local.time() < closes


@pytest.mark.django_db
class TestDemoRouting:
    def test_it_creates_no_routing_rows_the_second_time(self, seeded):
        routing_models = (RepProfile, WorkingHours, LeavePeriod, Territory, OnCallShift, RoutingRule)
        before = {model: model.objects.count() for model in routing_models}

        demo.seed(days=7, now=NOW)

        assert {model: model.objects.count() for model in routing_models} == before
        assert before[RepProfile] == 8 and before[Territory] == 4 and before[RoutingRule] == 6

    def test_a_later_run_continues_the_same_on_call_rota(self, seeded):
        first = set(OnCallShift.objects.values_list("team_id", "user_id", "role", "starts_at", "ends_at"))

        summary = demo.seed(days=7, now=NOW + timedelta(days=3))

        later = set(OnCallShift.objects.values_list("team_id", "user_id", "role", "starts_at", "ends_at"))
        assert first < later and summary.created == {"on-call shifts": len(later) - len(first)}
        per_slot = OnCallShift.objects.values("team", "role", "starts_at").annotate(n=Count("id"))
        assert all(slot["n"] == 1 for slot in per_slot)

    def test_on_a_sunday_the_weekend_shift_is_on_call_now(self):
        sunday = datetime(2026, 6, 14, 12, 0, tzinfo=UTC)

        summary = demo.seed(days=0, now=sunday)

        for team in Team.objects.all():
            assert sorted(OnCallShift.objects.covering(sunday).filter(team=team).values_list("role", flat=True)) == [
                "backup",
                "primary",
            ]
        assert all(team.on_call_now[0].startswith("primary rep.") for team in summary.teams)
        assert all("until Mon 15 Jun 09:00" in team.on_call_now[0] for team in summary.teams)

    def test_every_rep_has_a_profile_like_their_team(self, seeded):
        reps = User.objects.filter(groups__name="Reps").select_related("rep_profile")
        for rep in reps:
            team = rep.teams.get()
            profile = rep.rep_profile
            assert profile.time_zone == team.schedule.time_zone
            assert profile.status == "available"
            hours = {(row.weekday, row.starts, row.ends) for row in profile.hours.all()}
            assert hours == {(row.weekday, row.opens, row.closes) for row in team.schedule.hours.all()}
            assert len(hours) == 5
        profiles = RepProfile.objects.select_related("user")
        assert {p.user.username for p in profiles if p.weight == 2} == {"rep.ava", "rep.emma"}
        assert {p.user.username: p.capacity for p in profiles if p.capacity != 25} == {"rep.daniel": 8}
        assert any(p.product_skills for p in profiles)
        leave = LeavePeriod.objects.get()
        assert leave.starts_on <= NOW.date() and leave.ends_on >= NOW.date() + timedelta(days=6)

    def test_reps_cover_their_teams_territories(self, seeded):
        territories = {p.user.username: {t.name for t in p.territories.all()} for p in RepProfile.objects.all()}
        assert territories["rep.ben"] == {"US East"}
        east = [territories[f"rep.{name}"] for name in ("ava", "ben", "chloe", "daniel")]
        assert all(names and names <= {"US", "US East"} for names in east)
        emea = [territories[f"rep.{name}"] for name in ("emma", "finn", "grace", "hugo")]
        assert all(names <= {"UK & Ireland", "Europe"} for names in emea)
        us_east = Territory.objects.get(name="US East")
        assert us_east.covers(country="US", region="NY", postal_code="")
        assert not us_east.covers(country="US", region="CA", postal_code="")
        assert Territory.objects.get(name="UK & Ireland").countries == ["GB", "IE"]

    def test_rules_use_every_strategy_in_order(self, seeded):
        rules = list(RoutingRule.objects.select_related("team"))
        assert [rule.position for rule in rules] == [10, 20, 30, 40, 50, 60]
        assert {rule.strategy for rule in rules} == set(Strategy.values)
        assert rules[0].named_account_only and rules[0].team is None and rules[0].fallback == "next_rule"
        assert rules[1].strategy == "account_owner" and rules[1].fallback == "next_rule"
        assert [rule.team.name for rule in rules[2:]] == ["East Coast", "East Coast", "EMEA", "EMEA"]
        assert rules[2].name == "Hot US leads → East Coast" and rules[2].temperatures == ["hot"]

    def test_the_on_call_rota_covers_every_hour_after_hours_for_two_weeks(self, seeded):
        for team, tz, closes in (("East Coast", NEW_YORK, time(17)), ("EMEA", LONDON, time(17, 30))):
            shifts = OnCallShift.objects.filter(team__name=team)
            members = set(Team.objects.get(name=team).members.values_list("pk", flat=True))
            assert {shift.user_id for shift in shifts} == members  # the rota goes round the team
            at = NOW.replace(minute=30)
            while at < NOW + timedelta(days=14):
                covering = shifts.covering(at)
                if inside_hours(at, tz, closes):
                    assert not covering.exists(), (team, at)
                else:
                    roles = sorted(covering.values_list("role", "user_id"))
                    assert [role for role, _ in roles] == ["backup", "primary"], (team, at)
                    assert roles[0][1] != roles[1][1]
                at += timedelta(hours=1)

    def test_history_has_teams_and_traces_and_nothing_to_reassign(self, seeded):
        owned = Lead.objects.exclude(owner=None).select_related("owner", "team")
        assert owned.count() > 100
        for lead in owned:
            assert lead.team == lead.owner.teams.get()
            trace = lead.routing_trace
            assert trace["historical"] and trace["outcome"] == "assigned"
            assert trace["chosen"]["username"] == lead.owner.username
            assert set(trace) >= {"at", "rules", "rule", "candidates", "chosen", "summary"}
        assert not Lead.objects.exclude(route_after=None).exists()
        assert not Lead.objects.exclude(reassign_due_at=None).exists()
        used = set(owned.values_list("routing_trace__rule__strategy", flat=True))
        assert used == set(Strategy.values)
        assert not any(sweep(now=NOW).values())

    @pytest.mark.parametrize(
        ("fields", "at", "rule", "team"),
        [
            ({"inquiry_type": "demo_request", "country": "US", "region": "NY"}, TUESDAY_11_NY,
             "Hot US leads → East Coast", "East Coast"),
            ({"inquiry_type": "content_download", "country": "US", "region": "CA"}, TUESDAY_11_NY,
             "US leads → East Coast", "East Coast"),
            ({"inquiry_type": "demo_request", "country": "GB"}, datetime(2026, 6, 16, 11, tzinfo=LONDON),
             "Hot EMEA leads → EMEA best performer", "EMEA"),
            ({"inquiry_type": "content_download", "country": "CA"}, datetime(2026, 6, 16, 11, tzinfo=LONDON),
             "Everything else → EMEA least loaded", "EMEA"),
            ({"inquiry_type": "pricing", "country": "US", "email": "kim@acme-corp.com"}, TUESDAY_11_NY,
             "Named accounts → account owner", "East Coast"),
        ],
    )  # fmt: skip
    def test_a_new_lead_is_routed_by_the_demo_rules(
        self, client, redis_down, django_capture_on_commit_callbacks, seeded, fields, at, rule, team
    ):
        with django_capture_on_commit_callbacks(execute=True):
            lead = post_lead(client, next(s.raw_key for s in seeded.sources if s.slug == "website"), **fields)
        assert lead.owner_id is None  # Redis is down: the assignment job was not queued

        decision = assign_lead(lead.pk, at=at)

        lead.refresh_from_db()
        assert decision.outcome == "assigned", lead.routing_trace["summary"]
        assert lead.routing_trace["rule"]["name"] == rule
        assert lead.owner.teams.get().name == team
        if rule.startswith("US leads"):
            assert lead.owner.username != "rep.ben"  # US East only: California is not his
        if rule.startswith("Everything"):
            assert lead.owner.username == "rep.grace"  # the one EMEA rep without a territory
        if rule.startswith("Named"):
            assert lead.owner.username == "rep.ava"

    def test_the_printed_curl_lead_goes_to_an_east_coast_rep_by_rule_3(
        self, client, redis_down, django_capture_on_commit_callbacks, seeded
    ):
        output = demo.render_summary(seeded, "http://127.0.0.1:8000")
        words = shlex.split(next(line for line in output.splitlines() if "curl -X POST" in line))
        key = words[words.index("-H") + 1].split(": ")[1]
        body = json.loads(words[words.index("-d") + 1])
        website = next(line for line in output.splitlines() if "/f/website/" in line)
        assert key == f"Bearer {KEY_PATTERN.search(website).group()}"

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/api/v1/leads", data=body, content_type="application/json", HTTP_AUTHORIZATION=key)
        assert response.status_code == 201, response.content
        lead_id = response.json()["id"]
        assert Lead.objects.get(pk=lead_id).temperature == "hot"

        decision = assign_lead(lead_id, at=TUESDAY_11_NY)

        lead = Lead.objects.select_related("owner", "team").get(pk=lead_id)
        east = Team.objects.get(name="East Coast")
        assert decision.outcome == "assigned"
        assert lead.owner in east.members.all() and lead.team == east
        trace = lead.routing_trace
        assert trace["rule"]["name"] == "Hot US leads → East Coast" and trace["rule"]["strategy"] == "round_robin"
        assert [row["matched"] for row in trace["rules"]] == [False, True, True]  # rule 2 fell through
        assert "hot us leads" in trace["summary"].lower()
        assert {row["rep"] for row in trace["candidates"]} == set(east.members.values_list("username", flat=True))

    def test_after_hours_the_on_call_rep_takes_a_hot_us_lead(
        self, client, redis_down, django_capture_on_commit_callbacks, seeded
    ):
        with django_capture_on_commit_callbacks(execute=True):
            lead = post_lead(
                client, next(s.raw_key for s in seeded.sources if s.slug == "website"),
                inquiry_type="demo_request", country="US", region="NY",
            )  # fmt: skip
        evening = TUESDAY_11_NY.replace(hour=20)

        decision = assign_lead(lead.pk, at=evening)

        primary = OnCallShift.objects.covering(evening).get(team__name="East Coast", role="primary")
        assert decision.outcome == "on_call"
        assert Lead.objects.get(pk=lead.pk).owner_id == primary.user_id

    def test_it_prints_teams_rules_and_who_is_on_call(self, seeded):
        output = demo.render_summary(seeded, "http://127.0.0.1:8000")

        assert "all reps start available; a rep sets away with POST /api/v1/me/status" in output
        for rule in RoutingRule.objects.all():
            assert re.search(rf"{rule.position}\. {re.escape(rule.name)}\s+{rule.strategy}\s", output), rule.name
        assert re.search(r"rep\.daniel\s+available\s+weight 1\s+capacity\s+8", output)
        assert "territories: US East" in output and "on leave until" in output
        assert output.count("on call now: nobody") == 2  # NOW is inside both teams' hours

        evening = demo.render_summary(demo.seed(days=7, now=NOW.replace(hour=23)), "http://127.0.0.1:8000")

        on_call = re.findall(r"on call now: primary rep\.\w+ until Thu 11 Jun 09:00, backup rep\.\w+", evening)
        assert len(on_call) == 2
