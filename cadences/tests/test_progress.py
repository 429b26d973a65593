"""Progress and stop conditions: the rep's attempts complete call steps and move the rest
of the plan, due calls show in the rep's queue with a dial link, and every stop condition
cancels what remains, visibly (timeline, plan, API)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail

from cadences.messages import unsubscribe_token
from cadences.models import OptOut
from cadences.progress import complete_step, due_tasks_for, enroll, opt_out, stop_cadence
from cadences.tests.conftest import TUESDAY_10_NY, local, ny, plan_rows, step
from leads.lifecycle import change_stage, log_attempt
from leads.models import Lead, LeadEvent
from routing.models import RoutingRule, Team
from routing.tests.conftest import make_rep

pytestmark = pytest.mark.django_db


@pytest.fixture
def hot_lead(make_lead, at):
    at(TUESDAY_10_NY)
    lead = make_lead()
    enroll(lead, at=TUESDAY_10_NY)
    return lead


def statuses(lead) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, _, _, status in plan_rows(lead):
        counts[status] = counts.get(status, 0) + 1
    return counts


def stopped_event(lead) -> dict:
    return LeadEvent.objects.get(lead=lead, kind="cadence.stopped").data


def test_due_call_steps_show_in_the_owners_queue_with_a_dial_link(hot_lead, rep, other_rep, at):
    [task] = due_tasks_for(rep, now=TUESDAY_10_NY)
    assert (task.lead, task.step, task.channel, task.title) == (hot_lead.pk, 1, "call", "Call 1: inside the SLA")
    assert task.tel == "tel:+16465550142" and task.due_at == TUESDAY_10_NY
    assert '"We need a demo for 40 reps next week."' in task.notes  # the talk track quotes the inquiry
    assert json.dumps(task.as_json())  # JSON-safe, for the live push
    assert due_tasks_for(other_rep, now=TUESDAY_10_NY) == []
    assert [task.step for task in due_tasks_for(rep, now=ny(13, 10, 30))] == [1, 2, 3]  # calls do not expire


def test_a_no_answer_call_completes_the_call_step_and_replans_from_the_actual_time(hot_lead, rep, at):
    at(ny(13, 10, 3))
    attempt = log_attempt(hot_lead, channel="call", outcome="no_answer", by=rep)
    first = step(hot_lead, 1)
    assert (first.status, first.done_at, first.attempt) == ("done", ny(13, 10, 3), attempt)
    assert plan_rows(hot_lead)[1:4] == [
        (2, "call", "Tue 13 10:10", "scheduled"),  # 7 minutes after the real call, not after 10:00
        (3, "call", "Tue 13 10:30", "scheduled"),
        (4, "email", "Tue 13 10:35", "scheduled"),
    ]
    assert due_tasks_for(rep, now=ny(13, 10, 5)) == []
    assert [task.step for task in due_tasks_for(rep, now=ny(13, 10, 10))] == [2]
    # A late second call moves the rest again; the email still comes after the third call.
    at(ny(13, 10, 40))
    log_attempt(hot_lead, channel="call", outcome="voicemail", by=rep)
    assert plan_rows(hot_lead)[1:4] == [
        (2, "call", "Tue 13 10:10", "done"),
        (3, "call", "Tue 13 11:00", "scheduled"),
        (4, "email", "Tue 13 11:05", "scheduled"),
    ]
    assert hot_lead.events.filter(kind="cadence.step_done").count() == 2
    assert hot_lead.events.filter(kind="cadence.replanned").count() == 2


def test_a_reps_own_email_takes_the_place_of_the_next_email_step(hot_lead, rep, at):
    at(ny(13, 10, 20))
    log_attempt(hot_lead, channel="email", outcome="sent", by=rep)
    assert step(hot_lead, 4).status == "done" and step(hot_lead, 1).status == "scheduled"


def test_a_wrong_number_skips_the_remaining_calls_and_texts(hot_lead, rep, at):
    at(ny(13, 10, 2))
    log_attempt(hot_lead, channel="call", outcome="wrong_number", by=rep)
    rows = plan_rows(hot_lead)
    assert {row[3] for row in rows if row[1] in ("call", "sms")} - {"done"} == {"skipped"}
    assert {row[3] for row in rows if row[1] == "email"} == {"scheduled"}


def test_a_connected_call_stops_the_cadence(hot_lead, rep, at):
    at(ny(13, 10, 2))
    log_attempt(hot_lead, channel="call", outcome="connected", by=rep)
    assert statuses(hot_lead) == {"done": 1, "cancelled": 11}
    assert step(hot_lead, 2).skip_reason == "lead reached (connected)"
    enrollment = hot_lead.enrollments.get()
    assert (enrollment.state, enrollment.stop_reason, enrollment.stopped_at) == (
        "stopped", "lead reached (connected)", ny(13, 10, 2),
    )  # fmt: skip
    assert stopped_event(hot_lead) == {
        "cadence": "Hot: call now, 6+ touches in 48 h", "reason": "lead reached (connected)", "cancelled": 11,
    }  # fmt: skip
    assert due_tasks_for(rep, now=ny(13, 12)) == []


def test_a_reply_stops_the_cadence(hot_lead, rep, at):
    at(ny(13, 11))
    log_attempt(hot_lead, channel="email", outcome="replied", by=rep)
    assert statuses(hot_lead) == {"cancelled": 12}  # a reply is the lead's move, not a step done
    assert stopped_event(hot_lead)["reason"] == "lead replied"


@pytest.mark.parametrize("stage", ["qualified", "disqualified", "converted"])
def test_a_decision_stops_the_cadence(hot_lead, rep, at, stage):
    at(ny(13, 10, 5))
    log_attempt(hot_lead, channel="call", outcome="no_answer", by=rep)
    change_stage(hot_lead, stage=stage, reason="budget confirmed", by=rep)
    assert statuses(hot_lead) == {"done": 1, "cancelled": 11}
    assert stopped_event(hot_lead)["reason"] == f"lead {stage}"
    assert enroll(Lead.objects.get(pk=hot_lead.pk)) is None  # not enrolled again
    assert hot_lead.enrollments.get().state == "stopped"


def test_the_unsubscribe_link_opts_out_and_stops_the_cadence(hot_lead, client, at):
    url = f"/unsubscribe/{unsubscribe_token(hot_lead.pk)}/"
    page = client.get(url)
    assert page.status_code == 200 and b"Stop follow-up emails?" in page.content and b"ad\xe2\x80\xa6@" in page.content
    assert statuses(hot_lead) == {"scheduled": 12}  # a mail scanner opening the link changes nothing
    at(ny(13, 10, 30))
    done = client.post(url)
    assert done.status_code == 200 and b"You are unsubscribed." in done.content
    hot_lead.refresh_from_db()
    assert hot_lead.consent_email is False
    assert OptOut.objects.get(lead=hot_lead).source == "unsubscribe link"
    assert statuses(hot_lead) == {"cancelled": 12}
    assert stopped_event(hot_lead)["reason"] == "opted out of email (unsubscribe link)"
    assert client.post(url).status_code == 200  # twice is fine
    assert LeadEvent.objects.filter(lead=hot_lead, kind="lead.opted_out").count() == 1


def test_a_tampered_unsubscribe_link_is_refused(hot_lead, client):
    token = unsubscribe_token(hot_lead.pk)
    assert client.post(f"/unsubscribe/{token[:-2]}xx/").status_code == 404
    assert client.get("/unsubscribe/nonsense/").status_code == 404
    assert statuses(hot_lead) == {"scheduled": 12}


def test_sms_stop_opts_out_and_stops_the_cadence(hot_lead, make_lead):
    opt_out(hot_lead, "sms", source="SMS STOP")
    hot_lead.refresh_from_db()
    assert hot_lead.consent_sms is False
    assert statuses(hot_lead) == {"cancelled": 12}
    assert stopped_event(hot_lead)["reason"] == "opted out of sms (SMS STOP)"
    with pytest.raises(ValueError):
        opt_out(hot_lead, "fax")


def test_an_opted_out_channel_is_skipped_in_a_later_plan(make_lead):
    lead = make_lead()
    opt_out(lead, "email", source="unsubscribe link")
    enroll(lead, at=TUESDAY_10_NY)
    rows = plan_rows(lead)
    assert {row[3] for row in rows if row[1] == "email"} == {"skipped"}
    assert step(lead, 4).skip_reason == "opted out of email"


def test_stopping_without_an_active_cadence_does_nothing(make_lead):
    assert stop_cadence(make_lead(), reason="lead qualified") is None


def test_a_rep_completes_a_task_step_by_hand(make_lead, rep, at):
    from cadences.models import Cadence

    cadence = Cadence.objects.create(name="Tasks", position=1, sources=["partner"])
    cadence.steps.create(order=1, channel="task", name="Send a LinkedIn request", delay=timedelta(0))
    cadence.steps.create(order=2, channel="task", name="Check the account", delay=timedelta(hours=1))
    lead = make_lead(source="partner")
    enroll(lead, at=TUESDAY_10_NY)
    [task] = due_tasks_for(rep, now=TUESDAY_10_NY)
    assert (task.title, task.channel) == ("Send a LinkedIn request", "task")
    complete_step(task.planned_step, by=rep, at=ny(13, 10, 30))
    assert plan_rows(lead) == [(1, "task", "Tue 13 10:00", "done"), (2, "task", "Tue 13 11:30", "scheduled")]
    complete_step(step(lead, 2).pk, by=rep, at=ny(13, 11, 30))
    assert lead.enrollments.get().state == "completed"


def test_the_api_shows_the_plan(hot_lead, client, rep, at):
    at(ny(13, 10, 2))
    log_attempt(hot_lead, channel="call", outcome="connected", by=rep)
    client.force_login(rep)
    plan = client.get(f"/api/v1/leads/{hot_lead.pk}").json()["plan"]
    assert plan[0] == {"step": 1, "channel": "call", "due_at": "2026-10-13T14:00:00Z", "status": "done"}
    assert plan[1] == {"step": 2, "channel": "call", "due_at": "2026-10-13T14:07:00Z", "status": "cancelled"}
    assert [row["status"] for row in plan] == ["done"] + ["cancelled"] * 11
    timeline = [event["kind"] for event in client.get(f"/api/v1/leads/{hot_lead.pk}").json()["timeline"]]
    assert {"cadence.enrolled", "cadence.step_done", "cadence.stopped"} <= set(timeline)


def test_a_lead_without_a_cadence_has_an_empty_plan(make_lead, client, rep):
    client.force_login(rep)
    assert client.get(f"/api/v1/leads/{make_lead().pk}").json()["plan"] == []


# --- end to end: intake -> routing -> plan -> jobs ------------------------------------------------


@pytest.fixture
def east_team(db):
    from routing.models import BusinessSchedule

    team = Team.objects.create(name="East", schedule=BusinessSchedule.objects.get(is_default=True))
    RoutingRule.objects.create(position=1, name="All to East", team=team, strategy="round_robin")
    return team


def submit(client, key, captured, **fields):
    body = {
        "email": "grace@hopper.io", "first_name": "Grace", "phone": "+1 646 555 0199", "company": "Hopper & Co",
        "inquiry_type": "demo_request", "timezone": "America/New_York", "consent_sms": True, "country": "US",
        "message": "Pricing for 25 seats?", **fields,
    }  # fmt: skip
    with captured(execute=True):
        response = client.post(
            "/api/v1/leads", data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
        )
    assert response.status_code == 201, response.content
    return Lead.objects.get(pk=response.json()["id"])


def test_a_new_hot_lead_shows_its_full_plan_and_its_first_call_is_due(
    client, intake_key, east_team, run_jobs, django_capture_on_commit_callbacks, at, manager
):
    rep = make_rep("ava", east_team)
    at(TUESDAY_10_NY)
    lead = submit(client, intake_key, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        run_jobs()  # route + acknowledge; the enrollment wakes the dispatcher on commit
    run_jobs()  # the dispatcher: the first call is announced
    lead.refresh_from_db()
    assert lead.owner == rep
    client.force_login(manager)
    plan = client.get(f"/api/v1/leads/{lead.pk}").json()["plan"]
    assert [(row["step"], row["channel"], row["status"]) for row in plan][:4] == [
        (1, "call", "scheduled"), (2, "call", "scheduled"), (3, "call", "scheduled"), (4, "email", "scheduled"),
    ]  # fmt: skip
    assert len(plan) == 12
    [task] = due_tasks_for(rep)
    assert task.tel == "tel:+16465550199" and task.lead_name == "Grace"
    assert lead.events.filter(kind="task.due").count() == 1
    assert [email.subject for email in mail.outbox] == [f"We received your demo request (L-{lead.pk})"]


def test_a_weekend_lead_in_the_morning_queue_gets_its_plan_from_monday(
    client, intake_key, east_team, run_jobs, django_capture_on_commit_callbacks, at
):
    make_rep("ben", east_team, status="offline")
    saturday = ny(17, 14)
    at(saturday)
    lead = submit(client, intake_key, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        run_jobs()
    lead.refresh_from_db()
    assert lead.owner is None and lead.routing_trace["outcome"] == "morning_queue"
    assert [local(row["due_at"]) for row in lead_plan(lead)[:2]] == ["Mon 19 09:00", "Mon 19 09:07"]


def lead_plan(lead):
    from cadences.progress import plan_for

    return plan_for(lead)
