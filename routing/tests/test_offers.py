"""Accept or pass (SPEC §3.11): an assignment waits for the rep's accept for the rule's
`accept_within` (2 min for hot by default); not accepted in time, or passed with a reason,
it moves to the next eligible rep through routing, traced, the rep left out recorded;
SPEC §3.6's `reassign_after` escalation still applies after an accept."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from leads.lifecycle import log_attempt
from leads.models import Lead
from routing import deadlines
from routing.assignment import accept_lead, assign_lead, reassign_if_untouched, set_rep_status
from routing.models import Offer
from routing.offers import PassRefused, accept_within, expire_offer, pass_lead, reassign_to, sweep

pytestmark = pytest.mark.django_db


def assigned(make_lead, now, **fields) -> Lead:
    lead = make_lead(**fields)
    assign_lead(lead.pk, at=now)
    return Lead.objects.select_related("owner").get(pk=lead.pk)


def test_a_hot_assignment_must_be_accepted_within_two_minutes(
    reps, rule, make_lead, now, real_redis, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lead = assigned(make_lead, now)
    offer = Offer.objects.get(lead=lead)
    assert (offer.owner.username, offer.offered_at, offer.accept_by) == ("ava", now, now + timedelta(minutes=2))
    # the job of the deadline's second, armed after the commit (routing/deadlines.py)
    scheduled = dict(real_redis.zrange("rq:scheduled:default", 0, -1, withscores=True))
    assert scheduled[deadlines.job_id(int(offer.accept_by.timestamp())).encode()] == offer.accept_by.timestamp()


def test_the_leads_due_in_one_second_share_its_deadline_job_which_moves_them_all(
    reps, rule, make_lead, now, real_redis, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = assigned(make_lead, now + timedelta(milliseconds=100))
        second = assigned(make_lead, now + timedelta(milliseconds=700))
    deadline = now + timedelta(minutes=2, seconds=1)  # both offers end within the second before
    due = [job_id for job_id in real_redis.zrange("rq:scheduled:default", 0, -1) if b"routing-due-" in job_id]
    # one job for both offers' second, one for both escalations' (reassign_after)
    assert len(due) == 2 and deadlines.job_id(int(deadline.timestamp())).encode() in due
    assert deadlines.run_due(deadline - timedelta(seconds=1)) == {"reassignments": 0, "offers": 0}  # early
    assert deadlines.run_due(deadline + timedelta(seconds=1)) == {"reassignments": 0, "offers": 2}
    for lead, owner in ((first, "ava"), (second, "ben")):
        lead.refresh_from_db()
        assert lead.owner.username != owner and lead.events.filter(kind="lead.reassigned").exists()
    assert deadlines.run_due(deadline + timedelta(seconds=2)) == {"reassignments": 0, "offers": 0}  # once


def test_warm_leads_have_no_limit_unless_the_rule_sets_one(reps, rule, make_lead, now):
    assert not Offer.objects.filter(lead=assigned(make_lead, now, temperature="warm")).exists()
    rule.accept_within = timedelta(seconds=45)
    rule.save()
    offer = Offer.objects.get(lead=assigned(make_lead, now, temperature="warm"))
    assert offer.accept_by == now + timedelta(seconds=45)
    rule.accept_within = timedelta(0)
    rule.save()
    assert not Offer.objects.filter(lead=assigned(make_lead, now)).exists()
    assert accept_within(None, "hot") == timedelta(minutes=2) and accept_within(None, "cold") is None


def test_an_unaccepted_lead_moves_to_the_next_rep_with_the_reason_on_the_trace(reps, rule, make_lead, now):
    lead = assigned(make_lead, now)
    assert expire_offer(lead.pk, at=now + timedelta(seconds=90)) == "not due yet"
    assert expire_offer(lead.pk, at=now + timedelta(minutes=2)) == "moved"
    lead.refresh_from_db()
    assert lead.owner.username == "ben" and lead.reassignment_count == 0
    assert lead.reassign_due_at == now + timedelta(minutes=7)  # the escalation clock starts again for ben
    trace = lead.routing_trace
    assert trace["left_out"] == [{"rep": "ava", "why": "did not accept within 2 min"}]
    assert trace["summary"].startswith("ava did not accept within 2 min.")
    assert (
        "already had this lead and did not call in time" in {r["rep"]: r["reasons"] for r in trace["candidates"]}["ava"]
    )
    event = lead.events.get(kind="lead.reassigned")
    assert (event.data["cause"], event.data["previous_owner"], event.data["owner"]) == ("not_accepted", "ava", "ben")
    assert event.data["left_out"] == ["ava"]
    offer = Offer.objects.get(lead=lead)  # ben's turn to accept
    assert offer.owner.username == "ben" and offer.accept_by == now + timedelta(minutes=4)
    assert expire_offer(lead.pk, at=now + timedelta(minutes=4)) == "moved"
    assert Lead.objects.get(pk=lead.pk).owner.username == "cleo"


def test_an_accept_in_time_keeps_the_lead_and_the_escalation_still_applies(reps, rule, make_lead, now):
    lead = assigned(make_lead, now)
    with time_machine.travel(now + timedelta(seconds=30), tick=False):
        accept_lead(lead, by=lead.owner)
    assert not Offer.objects.exists()
    assert expire_offer(lead.pk, at=now + timedelta(minutes=2)) == "nothing to do"
    assert reassign_if_untouched(lead.pk, at=now + timedelta(minutes=5)) == "reassigned"  # accepted, never called
    assert Lead.objects.get(pk=lead.pk).owner.username == "ben"


def test_an_attempt_settles_the_offer(reps, rule, make_lead, now):
    lead = assigned(make_lead, now)
    log_attempt(lead, channel="call", outcome="no_answer", by=lead.owner)
    assert not Offer.objects.exists()
    assert expire_offer(lead.pk, at=now + timedelta(minutes=3)) == "nothing to do"


def test_a_stale_offer_for_someone_who_no_longer_has_the_lead_is_dropped(reps, rule, make_lead, now):
    lead = assigned(make_lead, now)
    Lead.objects.filter(pk=lead.pk).update(owner=reps[2])  # handed over meanwhile
    assert expire_offer(lead.pk, at=now + timedelta(minutes=2)) == "settled"
    assert Lead.objects.get(pk=lead.pk).owner == reps[2] and not Offer.objects.exists()


def test_with_nobody_else_to_take_it_the_lead_stays(reps, rule, make_lead, now):
    lead = assigned(make_lead, now)
    for rep in reps[1:]:
        set_rep_status(rep, "away")
    assert expire_offer(lead.pk, at=now + timedelta(minutes=2)) == "stays"
    lead.refresh_from_db()
    assert lead.owner.username == "ava" and not Offer.objects.exists()
    assert "nobody else" in lead.events.get(kind="lead.not_accepted").data["reason"]


def test_a_pass_moves_the_lead_on_with_the_reason(reps, rule, make_lead, now):
    lead = assigned(make_lead, now)
    moved = pass_lead(lead.pk, by=lead.owner, reason="  In a   meeting ", at=now + timedelta(seconds=20))
    assert moved.owner.username == "ben"
    assert moved.routing_trace["left_out"] == [{"rep": "ava", "why": "passed: In a meeting"}]
    event = moved.events.get(kind="lead.reassigned")
    assert (event.data["cause"], event.data["pass_reason"], event.actor.username) == ("passed", "In a meeting", "ava")
    assert Offer.objects.get(lead=lead).owner.username == "ben"


def test_a_pass_is_refused_without_a_reason_or_by_someone_else(reps, rule, make_lead, now):
    lead = assigned(make_lead, now)
    with pytest.raises(PassRefused) as refused:
        pass_lead(lead.pk, by=lead.owner, reason="   ")
    assert refused.value.field == "reason"
    with pytest.raises(PassRefused):
        pass_lead(lead.pk, by=reps[1], reason="Not mine")
    Lead.objects.filter(pk=lead.pk).update(stage="qualified")
    with pytest.raises(PassRefused, match="closed"):
        pass_lead(lead.pk, by=lead.owner, reason="Done")


def test_a_pass_with_nobody_else_goes_to_the_manager_and_without_one_is_refused(reps, rule, make_lead, now, team):
    lead = assigned(make_lead, now)
    for rep in reps[1:]:
        set_rep_status(rep, "away")
    moved = pass_lead(lead.pk, by=lead.owner, reason="Leaving for the day")
    assert moved.owner == team.manager and moved.events.filter(kind="lead.escalated").exists()

    other = assigned(make_lead, now)
    team.manager = None
    team.save()
    with pytest.raises(PassRefused, match="Nobody else"):
        pass_lead(other.pk, by=other.owner, reason="Leaving for the day")
    assert Lead.objects.get(pk=other.pk).owner == other.owner


def test_a_manager_moves_a_lead_to_a_chosen_rep_traced(reps, rule, make_lead, now, team):
    lead = assigned(make_lead, now)
    moved = reassign_to(lead.pk, reps[2].pk, by=team.manager, at=now + timedelta(seconds=10))
    assert moved.owner.username == "cleo" and moved.routing_trace["outcome"] == "manager_choice"
    event = moved.events.get(kind="lead.reassigned")
    assert (event.data["cause"], event.actor, event.data["previous_owner"]) == ("manager", team.manager, "ava")
    with pytest.raises(PassRefused, match="already theirs"):
        reassign_to(lead.pk, reps[2].pk, by=team.manager)


def test_the_sweeper_moves_offers_whose_job_was_lost(reps, rule, make_lead, now, real_redis):
    from leadops.queues import get_queue

    lead = assigned(make_lead, now)
    real_redis.flushdb()
    assert sweep(now + timedelta(minutes=2)) == {"offers": 0}  # within the grace period
    assert sweep(now + timedelta(minutes=2, seconds=10)) == {"offers": 1}
    assert [job.func_name for job in get_queue().jobs] == ["routing.tasks.expire_offer"]
    assert sweep(now + timedelta(minutes=2, seconds=10)) == {"offers": 0}  # queued already
    assert expire_offer(lead.pk, at=now + timedelta(minutes=2, seconds=10)) == "moved"


# --- the API and the pages ----------------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_pass_api(reps, rule, make_lead, now, team):
    lead = assigned(make_lead, now)
    owner = client_for(lead.owner)
    url = f"/api/v1/leads/{lead.pk}/pass"
    assert owner.post(url, {}, content_type="application/json").status_code == 400
    assert client_for(team.manager).post(url, {"reason": "x"}, content_type="application/json").status_code == 403
    answer = owner.post(url, {"reason": "Outside my territory"}, content_type="application/json")
    assert answer.status_code == 200 and answer.json() == {
        "id": lead.pk,
        "owner": "ben",
        "reason": "Outside my territory",
    }
    assert owner.post(url, {"reason": "again"}, content_type="application/json").status_code == 404  # not hers now


def test_the_pass_api_says_when_nobody_can_take_it(reps, rule, make_lead, now, team):
    lead = assigned(make_lead, now)
    for rep in reps[1:]:
        set_rep_status(rep, "away")
    team.manager = None
    team.save()
    answer = client_for(lead.owner).post(
        f"/api/v1/leads/{lead.pk}/pass", {"reason": "Busy"}, content_type="application/json"
    )
    assert answer.status_code == 409 and "Nobody else" in answer.json()["errors"]["lead"][0]


def test_the_lead_page_offers_accept_and_pass_and_passing_lands_on_the_queue(reps, rule, make_lead, now):
    lead = assigned(make_lead, now)
    owner = client_for(lead.owner)
    page = owner.get(f"/leads/{lead.pk}/").content.decode()
    assert 'id="accept"' in page and 'id="pass"' in page and 'id="accept-by"' in page
    assert owner.post(f"/leads/{lead.pk}/pass/", {"reason": ""}).status_code == 400
    done = owner.post(f"/leads/{lead.pk}/pass/", {"reason": "In a meeting"})
    assert done.status_code == 302 and done["Location"] == "/queue/"
    assert Lead.objects.get(pk=lead.pk).owner.username == "ben"


def test_the_queue_row_accepts_in_one_tap(reps, rule, make_lead, now):
    lead = assigned(make_lead, now)
    owner = client_for(lead.owner)
    assert f'data-accept="{lead.pk}"' in owner.get("/queue/").content.decode()
    done = owner.post(f"/leads/{lead.pk}/accept/", {"back": "queue"})
    assert done["Location"] == "/queue/" and Lead.objects.get(pk=lead.pk).accepted_at
    assert f'data-accept="{lead.pk}"' not in owner.get("/queue/").content.decode()
