"""Assignment: strategies, eligibility, on-call, morning queue, traces (SPEC §3.5)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta

import pytest

from leads.models import Lead
from routing.assignment import assign_lead, set_rep_status
from routing.decision import decide
from routing.models import LeavePeriod, NamedAccount, OnCallShift, RepProfile, RoutingRule, Territory
from routing.tasks import route_waiting_leads
from routing.tests.conftest import make_rep

pytestmark = pytest.mark.django_db


def owners(leads) -> list[str]:
    return [Lead.objects.get(pk=lead.pk).owner.username for lead in leads]


def test_round_robin_rotates_strictly(reps, rule, make_lead, now):
    leads = [make_lead() for _ in range(7)]
    for lead in leads:
        assign_lead(lead.pk, at=now)
    assert owners(leads) == ["ava", "ben", "cleo", "ava", "ben", "cleo", "ava"]


def test_weighted_rotation_gives_leads_in_proportion_to_weights(reps, rule, make_lead, now):
    RepProfile.objects.filter(user__username="ava").update(weight=2)
    rule.strategy = "weighted"
    rule.save()
    leads = [make_lead() for _ in range(12)]
    for index, lead in enumerate(leads, start=1):
        assign_lead(lead.pk, at=now)
        counts = Counter(owners(leads[:index]))
        expected = {"ava": index * 2 / 4, "ben": index / 4, "cleo": index / 4}
        assert all(abs(counts[name] - share) <= 1 for name, share in expected.items()), (index, counts)
    assert Counter(owners(leads)) == {"ava": 6, "ben": 3, "cleo": 3}


def test_least_loaded_picks_the_rep_with_fewest_open_leads(reps, rule, make_lead, now):
    rule.strategy = "least_loaded"
    rule.save()
    ava, ben, cleo = reps
    for owner, count in ((ava, 2), (ben, 0), (cleo, 1)):
        for _ in range(count):
            make_lead(owner=owner, stage="assigned", route_after=None)
    closed = make_lead(owner=ben, stage="qualified", route_after=None)  # closed leads do not count
    lead = make_lead()
    assign_lead(lead.pk, at=now)
    assert owners([lead]) == ["ben"] and closed.owner == ben


def test_best_performer_picks_the_fastest_recent_responder(reps, rule, make_lead, now):
    rule.strategy = "best_performer"
    rule.save()
    for rep, minutes in zip(reps, (12, 2, 30), strict=True):
        make_lead(
            owner=rep, stage="contacted", route_after=None, assigned_at=now - timedelta(days=1),
            first_attempt_at=now - timedelta(days=1) + timedelta(minutes=minutes),
        )  # fmt: skip
    lead = make_lead()
    assign_lead(lead.pk, at=now)
    assert owners([lead]) == ["ben"]


def test_account_owner_gets_a_named_accounts_lead_else_it_falls_through(reps, rule, make_lead, now, team):
    ava, ben, _ = reps
    account = NamedAccount.objects.create(company_name="Acme", domain="acme.com", owner=ben)
    RoutingRule.objects.create(position=1, name="Owners", strategy="account_owner", fallback="next_rule")
    lead = make_lead(named_account=account, company_domain="acme.com")
    assign_lead(lead.pk, at=now)
    assert owners([lead]) == ["ben"]
    assert Lead.objects.get(pk=lead.pk).routing_trace["rule"]["name"] == "Owners"

    set_rep_status(ben, "away")
    second = make_lead(named_account=account, company_domain="acme.com")
    decision = assign_lead(second.pk, at=now)
    assert decision.rule.name == "Everything to East" and owners([second]) == ["ava"]
    assert "owner of named account acme.com: ben is away; falling through" in decision.trace["rules"][0]["why"]


def test_account_owner_follows_an_earlier_lead_from_the_same_company(reps, make_lead, now, rule):
    RoutingRule.objects.create(position=1, name="Returning companies", strategy="account_owner", fallback="next_rule")
    make_lead(owner=reps[2], company_domain="initech.com", stage="contacted", route_after=None)
    lead = make_lead(company_domain="initech.com")
    assign_lead(lead.pk, at=now)
    assert owners([lead]) == ["cleo"]


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda ava: set_rep_status(ava, "away"), "is away"),
        (lambda ava: RepProfile.objects.filter(user=ava).update(status="offline"), "is offline"),
        (
            lambda ava: LeavePeriod.objects.create(
                rep=ava.rep_profile, starts_on=date(2026, 11, 23), ends_on=date(2026, 11, 27)
            ),
            "is on leave until Fri 27 Nov",
        ),
        (lambda ava: ava.rep_profile.hours.filter(weekday=1).delete(), "is outside working hours (Tue 11:00"),
        (lambda ava: RepProfile.objects.filter(user=ava).update(capacity=0), "is at capacity (0/0 open leads)"),
        (
            lambda ava: ava.rep_profile.territories.add(Territory.objects.create(name="UK", countries=["GB"])),
            "does not cover US/NY/10001 (UK)",
        ),
        (
            lambda ava: RepProfile.objects.filter(user=ava).update(product_skills=["Payroll"]),
            "does not sell 'Analytics'",
        ),
    ],
)
def test_an_ineligible_rep_is_passed_over_with_a_reason(reps, rule, make_lead, now, change, reason):
    ava = reps[0]
    change(ava)
    lead = make_lead(region="NY", postal_code="10001", product_interest="Analytics")
    decision = assign_lead(lead.pk, at=now)
    assert owners([lead]) == ["ben"]
    ava_row = next(row for row in decision.trace["candidates"] if row["rep"] == "ava")
    assert not ava_row["eligible"] and any(text.startswith(reason) for text in ava_row["reasons"]), ava_row
    assert f"ava {reason}" in decision.trace["summary"]


def test_a_rep_who_goes_away_stops_receiving_leads(reps, rule, make_lead, now):
    set_rep_status(reps[1], "away")
    leads = [make_lead() for _ in range(4)]
    for lead in leads:
        assign_lead(lead.pk, at=now)
    assert "ben" not in owners(leads)


def test_nobody_eligible_goes_on_call_then_to_the_morning_queue(reps, rule, make_lead, now, team):
    for rep in reps:
        set_rep_status(rep, "offline")
    night = make_rep("nora", None, status="offline", all_day=False)
    backup = make_rep("bob", None, status="offline", all_day=False)
    for user, role in ((night, "primary"), (backup, "backup")):
        OnCallShift.objects.create(
            team=team, user=user, role=role, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=8)
        )
    lead = make_lead(first_contact_due_at=now + timedelta(days=1))
    decision = assign_lead(lead.pk, at=now)
    lead.refresh_from_db()
    assert (decision.outcome, lead.owner.username) == ("on_call", "nora")
    assert lead.first_contact_due_at == lead.submitted_at + timedelta(minutes=3)  # wall clock on call

    LeavePeriod.objects.create(rep=night.rep_profile, starts_on=date(2026, 11, 20), ends_on=date(2026, 11, 30))
    second = make_lead()
    assert assign_lead(second.pk, at=now).trace["chosen"]["username"] == "bob"

    OnCallShift.objects.all().delete()
    third = make_lead()
    decision = assign_lead(third.pk, at=now)
    third.refresh_from_db()
    assert decision.outcome == "morning_queue"
    assert third.owner is None and third.team == team and third.route_after == now + timedelta(seconds=60)
    assert third.events.filter(kind="lead.morning_queue").count() == 1
    assign_lead(third.pk, at=now + timedelta(seconds=60))  # a retry that changes nothing adds no event
    assert third.events.filter(kind="lead.morning_queue").count() == 1


def test_a_rep_becoming_available_picks_up_the_waiting_leads(reps, rule, make_lead, now, redis_down):
    for rep in reps:
        set_rep_status(rep, "offline")
    waiting = make_lead()
    assign_lead(waiting.pk, at=now)
    set_rep_status(reps[2], "available")
    assert route_waiting_leads() == 1
    assert owners([waiting]) == ["cleo"]


def test_no_matching_rule_leaves_the_lead_unrouted_with_a_reason(reps, make_lead, now, team):
    RoutingRule.objects.create(position=1, name="UK only", team=team, countries=["GB"])
    lead = make_lead()
    decision = assign_lead(lead.pk, at=now)
    assert decision.outcome == "unrouted"
    assert decision.trace["rules"] == [{"rule": "UK only", "matched": False, "why": "country US not in ['GB']"}]


def test_junk_owned_and_closed_leads_are_never_assigned(reps, rule, make_lead, now):
    for lead in (make_lead(junk=True), make_lead(owner=reps[0], stage="assigned"), make_lead(stage="disqualified")):
        assert assign_lead(lead.pk, at=now) is None


def test_the_dry_run_agrees_with_the_real_decision_and_changes_nothing(reps, rule, make_lead, now):
    lead = make_lead()
    dry = decide(lead, now)
    assert Lead.objects.get(pk=lead.pk).owner is None
    assert RoutingRule.objects.get(pk=rule.pk).rotation_cursor == 0
    real = assign_lead(lead.pk, at=now)
    assert (dry.outcome, dry.chosen_id, dry.trace["summary"]) == (real.outcome, real.chosen_id, real.trace["summary"])


def test_the_admin_dry_run_page_shows_the_decision(client, reps, rule, make_lead, team):
    lead = make_lead()
    client.force_login(team.manager)
    page = client.get("/admin/routing/routingrule/dry-run/", {"lead": lead.pk})
    assert page.status_code == 200
    html = page.content.decode()
    assert "would go to <strong>ava</strong>" in html and "Everything to East" in html
    sample = client.get("/admin/routing/routingrule/dry-run/", {"email": "x@y.io", "country": "US"})
    assert "would go to <strong>ava</strong>" in sample.content.decode()
    assert Lead.objects.filter(owner__isnull=False).count() == 0


def test_intake_assigns_a_new_lead_through_the_queue(
    client, reps, rule, intake_key, run_jobs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/leads", data=json.dumps({"email": "new@firm.io", "inquiry_type": "demo_request"}),
            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {intake_key}",
        )  # fmt: skip
    assert run_jobs() == 1  # one job routes and acknowledges
    lead = Lead.objects.get(pk=response.json()["id"])
    assert lead.owner is not None and lead.stage == "assigned" and lead.route_after is None
    assert lead.events.filter(kind="lead.assigned").count() == 1
    assert lead.routing_trace["outcome"] == "assigned"


def test_edits_to_rules_and_rep_calendars_apply_to_the_next_decision(reps, rule, make_lead, now):
    """Rules and reps' hours/leave/territories are cached for a few seconds (leads.policies);
    an edit in this process must still count at once."""
    ava, ben, cleo = reps
    lead = make_lead()
    assert decide(lead, now).chosen_id == ava.pk  # fills the caches
    LeavePeriod.objects.create(rep=ava.rep_profile, starts_on=now.date(), ends_on=now.date() + timedelta(days=3))
    assert decide(lead, now).chosen_id == ben.pk
    rule.reps.set([cleo])
    assert decide(lead, now).chosen_id == cleo.pk
    rule.active = False
    rule.save()
    assert decide(lead, now).outcome == "unrouted"


def test_the_sweeper_leaves_a_lead_to_its_own_queued_job_and_steps_in_when_it_is_lost(
    client, reps, rule, intake_key, run_jobs, real_redis, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from routing.sweeper import sweep

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/leads", data=json.dumps({"email": "late@firm.io", "inquiry_type": "demo_request"}),
            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {intake_key}",
        )  # fmt: skip
    later = timezone.now() + timedelta(minutes=1)  # a backlog: the job is still waiting
    assert sweep(later)["routing"] == 0  # its intake job will route it: no second job
    real_redis.flushdb()  # the job is lost (Redis restarted empty)
    assert sweep(later)["routing"] == 1
    assert run_jobs() == 1
    assert Lead.objects.get(pk=response.json()["id"]).owner is not None


def test_an_away_on_call_rep_is_passed_over_for_the_backup_then_the_queue(reps, rule, make_lead, now, team):
    for rep in reps:
        set_rep_status(rep, "offline")
    primary = make_rep("nora", None, status="away", all_day=False)
    backup = make_rep("bob", None, status="offline", all_day=False)  # off shift in the app, reachable by phone
    for user, role in ((primary, "primary"), (backup, "backup")):
        OnCallShift.objects.create(
            team=team, user=user, role=role, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=8)
        )
    decision = assign_lead(make_lead().pk, at=now)
    assert (decision.outcome, decision.trace["chosen"]["username"]) == ("on_call", "bob")
    nora = next(row for row in decision.trace["candidates"] if row["rep"] == "nora")
    assert nora["reasons"] == ["is away"]

    set_rep_status(backup, "away")
    decision = assign_lead(make_lead().pk, at=now)
    assert decision.outcome == "morning_queue" and decision.chosen_id is None
