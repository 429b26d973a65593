"""Running the plan with real RQ jobs on a real Redis: emails and SMS sent at their due
time exactly once, call steps announced once, and the downtime rule after a worker was
down (cadences/dispatch.py)."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rq import SimpleWorker
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from cadences import dispatch
from cadences.models import PlannedStep
from cadences.progress import enroll
from cadences.sweeper import arm_upcoming
from cadences.sweeper import sweep as sweep_cadences
from cadences.tasks import dispatch_due_steps, run_planned_step
from cadences.tests.conftest import TUESDAY_10_NY, events, local, ny, plan_rows, step
from cadences.wakeups import STEP_JOB, arm_ahead, wake_at
from leadops.push import user_group
from leadops.queues import get_queue
from leads.models import Attempt, Message
from pipeline.sweeper import sweep

pytestmark = pytest.mark.django_db


def test_it_sends_an_email_step_at_its_due_time_and_counts_no_attempt(make_lead, enroll_now, jobs, settings):
    settings.LEADOPS_PUBLIC_URL = "https://leadops.example"
    lead = make_lead(temperature="warm", inquiry_type="content_download", product_interest="Buyer's guide")
    enroll_now(lead)
    assert jobs() >= 1
    [email] = mail.outbox
    assert email.to == [lead.email]
    assert email.subject == "Your download request: Buyer's guide"  # plain text: no HTML escaping
    assert email.body.startswith("Hi Ada,\n\nThank you for your download request - Buyer's guide.")
    assert "> We need a demo for 40 reps next week." in email.body  # every touch quotes the inquiry
    assert "Rita Rep, LeadOps Demo Co" in email.body
    assert "No more emails: https://leadops.example/unsubscribe/" in email.body
    unsubscribe = email.extra_headers["List-Unsubscribe"]  # one click from the mail client (RFC 8058)
    assert unsubscribe.startswith("<https://leadops.example/unsubscribe/") and unsubscribe.endswith("/>")
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    first = step(lead, 1)
    assert (first.status, first.done_at, first.message.state) == ("done", TUESDAY_10_NY, "sent")
    assert first.message.dedupe_key == f"cadence:{first.pk}" and first.message.purpose == "cadence"
    assert events(lead, "cadence.step_done") == [
        {"step": 1, "channel": "email", "message": first.message_id, "late_seconds": 0.0}
    ]
    assert len(events(lead, "cadence.sent")) == 1
    lead.refresh_from_db()
    assert lead.first_attempt_at is None and not Attempt.objects.filter(lead=lead).exists()  # SPEC §4


def test_it_sends_an_sms_step_that_ends_with_the_opt_out_line(make_lead, enroll_now, jobs, one_step_cadence, capsys):
    one_step_cadence(
        "sms", needs_phone=True, needs_sms_consent=True, body='Hi {{ greeting_name }}, about "{{ quote_short }}"'
    )
    lead = make_lead(source="chat")
    enroll_now(lead)
    jobs()
    [line] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[sms to")]
    assert line == '[sms to +16465550142] Hi Ada, about "We need a demo for 40 reps next week." Reply STOP to opt out.'
    assert step(lead, 1).status == "done"


def _ticks_for(steps) -> set[str]:
    return {f"cadence-tick-{int(planned.due_at.timestamp())}" for planned in steps}


def test_enrolment_schedules_one_tick_job_per_due_second_of_the_next_minutes(make_lead, enroll_now, settings):
    settings.LEADOPS_SWEEP_INTERVAL = 150  # a 10-minute horizon: steps 2 and 3 inside it, 4 on outside
    lead = make_lead()
    enroll_now(lead)
    registry = ScheduledJobRegistry(queue=get_queue())
    horizon = TUESDAY_10_NY + arm_ahead()
    soon = PlannedStep.objects.filter(number__gt=1, due_at__lte=horizon)  # step 1 is due now: run at once
    expected = _ticks_for(soon)
    assert expected and PlannedStep.objects.filter(due_at__gt=horizon).exists()  # both kinds in this plan
    assert set(registry.get_job_ids()) == expected
    tick = Job.fetch(f"cadence-tick-{int(step(lead, 2).due_at.timestamp())}", connection=get_queue().connection)
    assert tick.func_name == "cadences.tasks.dispatch_due_steps" and tick.args == (
        int(step(lead, 2).due_at.timestamp()),
    )
    assert len(get_queue()) == 1  # the dispatcher for the step due now
    enroll_now(make_lead())  # a second lead with the same times adds no job
    assert set(registry.get_job_ids()) == expected


def test_the_sweep_arms_the_ticks_of_steps_coming_within_the_horizon_once(make_lead, enroll_now, at, settings):
    settings.LEADOPS_SWEEP_INTERVAL = 150
    lead = make_lead()
    enroll_now(lead)
    registry = ScheduledJobRegistry(queue=get_queue())
    later = PlannedStep.objects.filter(due_at__gt=TUESDAY_10_NY + arm_ahead()).order_by("due_at").first()
    assert f"cadence-tick-{int(later.due_at.timestamp())}" not in registry.get_job_ids()
    at(later.due_at - arm_ahead() + timedelta(seconds=1))  # a sweep a little inside the horizon
    assert arm_upcoming(timezone.now()) >= 1
    ids = registry.get_job_ids()
    assert f"cadence-tick-{int(later.due_at.timestamp())}" in ids
    assert arm_upcoming(timezone.now()) == 0  # armed already: nothing written twice
    assert registry.get_job_ids() == ids


def test_it_sends_a_step_once_however_many_jobs_run_it(make_lead, enroll_now, jobs, at):
    lead = make_lead(temperature="warm", inquiry_type="webinar")
    enroll_now(lead)
    first = step(lead, 1)
    queue = get_queue()
    for _ in range(2):  # a retried job and a duplicate, besides the dispatcher enroll queued
        queue.enqueue(run_planned_step, first.pk)
    queue.enqueue(dispatch_due_steps, None)
    jobs()
    assert len(mail.outbox) == 1
    queue.enqueue(run_planned_step, first.pk)
    assert jobs() == 1
    assert len(mail.outbox) == 1 and Message.objects.filter(lead=lead).count() == 1
    assert len(events(lead, "cadence.step_done")) == 1


def test_a_step_job_that_starts_early_waits_for_the_due_time(make_lead, enroll_now, jobs):
    lead = make_lead()
    enroll_now(lead)
    email = step(lead, 4)  # due 10:32
    assert run_planned_step(email.pk) == "not due yet"
    email.refresh_from_db()
    assert email.status == "scheduled" and not mail.outbox
    registry = ScheduledJobRegistry(queue=get_queue())
    # the step job again, at 10:32 (the plan's ticks are armed by the sweep as they come near)
    scheduled = [Job.fetch(job_id, connection=get_queue().connection) for job_id in registry.get_job_ids()]
    assert [job.args for job in scheduled if job.func_name == STEP_JOB] == [(email.pk,)]


def test_it_announces_a_due_call_step_once_and_keeps_it_for_the_rep(make_lead, enroll_now, jobs, at):
    lead = make_lead()
    enroll_now(lead)
    jobs()
    call = step(lead, 1)
    assert call.status == "scheduled" and call.notified_at == TUESDAY_10_NY
    assert events(lead, "task.due") == [
        {
            "step": 1, "channel": "call", "due_at": TUESDAY_10_NY.isoformat(), "owner_id": lead.owner_id,
            "title": "Call 1: inside the SLA",
        }
    ]  # fmt: skip
    at(ny(13, 10, 7))
    get_queue().enqueue(dispatch_due_steps, None)
    jobs()
    assert [data["step"] for data in events(lead, "task.due")] == [1, 2]  # step 1 is not announced again
    assert not mail.outbox


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_due_call_step_is_pushed_live_to_the_owners_open_pages(make_lead, listen, rep, at):
    received = listen(user_group(rep.pk))
    at(TUESDAY_10_NY)
    lead = make_lead()
    enroll(lead, at=TUESDAY_10_NY)
    dispatch.dispatch(None)
    [event] = received(1)
    assert event["type"] == "task.due" and event["lead"]["id"] == lead.pk and event["lead"]["tel"] == "tel:+16465550142"
    assert event["task"] == {
        "step": 1, "channel": "call", "due_at": TUESDAY_10_NY.isoformat(), "title": "Call 1: inside the SLA"
    }  # fmt: skip
    dispatch.dispatch(None)
    assert received() == []  # announced once


def test_a_worker_down_for_an_hour_sends_the_overdue_email_once_when_it_is_back(make_lead, enroll_now, jobs, at):
    lead = make_lead()
    enroll_now(lead)
    get_queue().empty()  # the worker is down: nothing runs ...
    at(ny(13, 11, 32))  # ... until an hour after the 10:32 email was due
    counts = sweep()
    assert counts["cadence_steps"] == 4  # three calls and the email
    jobs()
    assert len(mail.outbox) == 1
    email = step(lead, 4)
    assert (email.status, local(email.done_at)) == ("done", "Tue 13 11:32")
    assert events(lead, "cadence.step_done")[0]["late_seconds"] == 3600.0
    # The rest of the plan follows the time it actually ran: the call 4 h after it.
    assert plan_rows(lead)[4:6] == [(5, "call", "Tue 13 15:32", "scheduled"), (6, "sms", "Tue 13 16:32", "scheduled")]
    # The calls stay due in the rep's queue, announced once.
    assert [data["step"] for data in events(lead, "task.due")] == [1, 2, 3]
    sweep()
    jobs()
    assert len(mail.outbox) == 1


def test_an_email_overdue_after_closing_waits_for_the_next_opening(make_lead, enroll_now, jobs, at):
    lead = make_lead()
    enroll_now(lead, ny(13, 16))  # calls 16:00, 16:07, 16:27, the email at 16:32
    get_queue().empty()
    at(ny(13, 17, 40))  # the worker comes back after closing time
    sweep()
    jobs()
    assert not mail.outbox
    email = step(lead, 4)
    assert (email.status, local(email.due_at)) == ("scheduled", "Wed 14 09:00")
    [moved] = events(lead, "cadence.step_rescheduled")
    assert (
        moved["to"] == ny(14, 9).astimezone(UTC).isoformat()
        and moved["reason"] == "overdue outside the lead's business hours"
    )
    assert plan_rows(lead)[4] == (5, "call", "Wed 14 13:00", "scheduled")  # the rest follows it
    registry = ScheduledJobRegistry(queue=get_queue())
    at(ny(14, 8, 59))  # a sweep in the minutes before the opening arms its tick
    sweep()
    assert f"cadence-tick-{int(ny(14, 9).timestamp())}" in registry.get_job_ids()
    at(ny(14, 9, 0, 1))
    get_queue().enqueue(dispatch_due_steps, None)
    jobs()
    assert len(mail.outbox) == 1 and step(lead, 4).status == "done"


def test_the_sweeper_runs_a_step_whose_job_redis_lost(make_lead, enroll_now, jobs, at, real_redis):
    lead = make_lead(temperature="warm", inquiry_type="webinar")
    enroll_now(lead)
    real_redis.flushdb()  # Redis restarted without persistence
    assert jobs() == 0 and not mail.outbox
    at(TUESDAY_10_NY + timedelta(seconds=5))
    assert sweep_cadences(TUESDAY_10_NY + timedelta(seconds=5))["cadence_steps"] == 0  # within the grace period
    at(TUESDAY_10_NY + timedelta(seconds=20))
    assert sweep()["cadence_steps"] == 1
    jobs()
    assert len(mail.outbox) == 1


def test_it_skips_a_step_whose_condition_no_longer_holds(make_lead, enroll_now, jobs, one_step_cadence):
    one_step_cadence("email", subject="Hello", body="Hi")
    lead = make_lead(source="chat")
    enroll_now(lead)
    type(lead).objects.filter(pk=lead.pk).update(email="")
    jobs()
    assert not mail.outbox
    planned = step(lead, 1)
    assert (planned.status, planned.skip_reason) == ("skipped", "no email address")
    assert lead.enrollments.get().state == "completed"


def test_a_broken_template_skips_the_step_instead_of_blocking_the_others(make_lead, enroll_now, jobs, one_step_cadence):
    cadence = one_step_cadence("email", subject="Hello", body="Hi")
    cadence.steps.update(body="{% if %}")  # saved around the admin's validation
    lead = make_lead(source="chat")
    enroll_now(lead)
    jobs()
    planned = step(lead, 1)
    assert planned.status == "skipped" and planned.skip_reason.startswith("template error")


def test_the_dispatcher_yields_a_backlog_to_waiting_jobs(make_lead, enroll_now, run_jobs, monkeypatch):
    monkeypatch.setattr(dispatch, "BATCH", 2)
    monkeypatch.setattr(dispatch, "YIELD_AFTER", 0.0)
    for _ in range(5):
        enroll_now(make_lead(temperature="warm", inquiry_type="webinar"))
    queue = get_queue()
    queue.empty()
    queue.enqueue(dispatch_due_steps, None)
    queue.enqueue(len, [])  # another job waiting behind the backlog
    run_jobs()
    assert len(mail.outbox) == 5
    finished = queue.finished_job_registry.get_job_ids()
    assert len(finished) >= 3  # the dispatcher handed over to continuations


def test_leads_due_at_once_share_one_dispatcher_job_while_it_waits(real_redis):
    """wake_at for steps already due: one waiting job runs every step due, so 50 new leads
    a second do not queue 50 dispatcher jobs; once it has run, the next wake queues another."""
    due = timezone.now() - timedelta(seconds=5)
    assert wake_at([due]) == 1
    assert wake_at([due, due - timedelta(seconds=1)]) == 0  # it still waits: it will read these too
    queue = get_queue()
    assert [job.func_name for job in queue.jobs] == ["cadences.tasks.dispatch_due_steps"]
    SimpleWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=False)
    assert wake_at([due]) == 1
