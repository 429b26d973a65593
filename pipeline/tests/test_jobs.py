"""A new submission's job (pipeline/jobs.py): route, then acknowledge - in the same job
when no other new lead waits, as a job of its own at the back of the queue when some do;
under a backlog one job routes several leads."""

from __future__ import annotations

import json

import pytest

from leadops import queues
from leads.choices import AckState
from leads.models import Inquiry, LeadEvent, Message


def submit(client, key, n: int, captured) -> int:
    body = {"email": f"lead{n}@example.com", "first_name": f"Lead {n}", "message": "Please call me back."}
    with captured(execute=True):
        response = client.post(
            "/api/v1/leads", data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
        )
    assert response.status_code == 201, response.content
    return response.json()["id"]


@pytest.mark.django_db
def test_with_no_lead_waiting_a_lead_is_routed_and_acknowledged_in_one_job(
    client, intake_key, run_jobs, django_capture_on_commit_callbacks, real_redis
):
    lead_id = submit(client, intake_key, 1, django_capture_on_commit_callbacks)
    assert run_jobs() == 1
    assert Inquiry.objects.get(lead_id=lead_id).ack_state == AckState.DONE
    assert Message.objects.filter(lead_id=lead_id, purpose="acknowledgment", state="sent").count() == 1


@pytest.mark.django_db
def test_in_a_burst_every_lead_is_routed_before_the_acknowledgments_go(
    client, intake_key, run_jobs, django_capture_on_commit_callbacks, real_redis
):
    lead_ids = [submit(client, intake_key, n, django_capture_on_commit_callbacks) for n in range(5)]
    routing = queues.get_queue(queues.ROUTING)
    inquiry_jobs = list(routing.job_ids)
    # The first job takes half of the four behind it (leads 2 and 3), routes the three and,
    # two leads still waiting, leaves their acknowledgments to one job at the back; lead 4's
    # job takes nobody (one waits: the other worker's share) and, with only one waiting,
    # acknowledges at once, as lead 5's does. Four jobs in all instead of nine.
    assert run_jobs() == 4
    assert routing.fetch_job(inquiry_jobs[1]) is None and routing.fetch_job(inquiry_jobs[2]) is None  # taken
    routed = LeadEvent.objects.filter(lead_id__in=lead_ids, actor_label="routing")
    acknowledged = LeadEvent.objects.filter(lead_id__in=lead_ids, kind="acknowledgment.sent")
    assert routed.count() == 5 and acknowledged.count() == 5
    first_batch = lead_ids[:3]
    assert max(event.pk for event in routed if event.lead_id in first_batch) < min(event.pk for event in acknowledged)
    acknowledged_at = {event.lead_id: event.pk for event in acknowledged}
    routed_at = {event.lead_id: event.pk for event in routed}
    assert routed_at[lead_ids[3]] < acknowledged_at[lead_ids[3]] < routed_at[lead_ids[4]]  # in lead 4's own job
    for lead_id in lead_ids:  # once each, as before
        assert Message.objects.filter(lead_id=lead_id, purpose="acknowledgment").count() == 1
        assert Inquiry.objects.get(lead_id=lead_id).ack_state == AckState.DONE


@pytest.mark.django_db
def test_one_lead_whose_acknowledgment_cannot_be_written_does_not_hold_back_the_others_of_its_batch(
    client, intake_key, run_jobs, django_capture_on_commit_callbacks, real_redis
):
    """A manager's Malay version that no longer renders (saved around its form's check):
    the batch's one transaction fails, then each lead is acknowledged on its own."""
    from cadences.models import AcknowledgmentTranslation
    from leads.models import Lead

    AcknowledgmentTranslation.objects.update_or_create(
        kind="email_warm", language="ms", defaults={"subject": "{% if %}", "body": "{% if %}", "active": True}
    )
    lead_ids = [submit(client, intake_key, n, django_capture_on_commit_callbacks) for n in range(5)]
    # in the first batch; a lead in working hours, whatever the hour (after hours its email is another kind)
    Lead.objects.filter(pk=lead_ids[1]).update(temperature="warm", language="ms", after_hours=False)
    run_jobs()
    states = dict(Inquiry.objects.filter(lead_id__in=lead_ids).values_list("lead_id", "ack_state"))
    assert states == {**dict.fromkeys(lead_ids, AckState.DONE), lead_ids[1]: AckState.PENDING}
    assert Message.objects.filter(lead_id__in=lead_ids, purpose="acknowledgment", state="sent").count() == 4


@pytest.mark.django_db
def test_a_lead_taken_by_a_batch_that_died_is_routed_by_the_sweeper(
    client, intake_key, run_jobs, django_capture_on_commit_callbacks, real_redis
):
    """The jobs a batch took are gone from Redis; if its worker dies before routing them,
    the database still shows the leads unrouted and unacknowledged, and the sweep enqueues them."""
    from datetime import timedelta

    from django.utils import timezone

    from pipeline import jobs
    from pipeline.sweeper import sweep

    lead_ids = [submit(client, intake_key, n, django_capture_on_commit_callbacks) for n in range(3)]
    taken = jobs.take_waiting_inquiries()  # a worker takes lead 1's and dies (the second is not taken: half)
    assert list(taken) == [Inquiry.objects.get(lead_id=lead_ids[0]).pk]
    assert queues.get_queue(queues.ROUTING).count == 2
    counts = sweep(timezone.now() + timedelta(seconds=30))
    assert counts["routing"] == 1 and counts["acknowledgments"] == 1
    run_jobs()
    assert Inquiry.objects.filter(lead_id__in=lead_ids, ack_state=AckState.DONE).count() == 3
    assert LeadEvent.objects.filter(lead_id__in=lead_ids, actor_label="routing").count() == 3


@pytest.mark.django_db
def test_a_new_lead_is_routed_before_jobs_that_were_queued_earlier(
    client, intake_key, run_jobs, django_capture_on_commit_callbacks, real_redis
):
    """New leads go to the routing queue, which the worker empties before "default"
    (acknowledgments, cadence steps, pushes): a backlog there never delays an owner."""
    earlier = queues.get_queue().enqueue("cadences.tasks.dispatch_due_steps", None, job_id="earlier-work")
    lead_id = submit(client, intake_key, 1, django_capture_on_commit_callbacks)
    routing = queues.get_queue(queues.ROUTING)
    inquiry_job_id = f"inquiry-{Inquiry.objects.get(lead_id=lead_id).pk}"
    assert routing.job_ids == [inquiry_job_id]
    assert run_jobs() == 2
    routed, other = routing.fetch_job(inquiry_job_id), queues.get_queue().fetch_job(earlier.id)
    assert routed.args[1] == lead_id  # the intake hands the job its lead: no look-up
    assert routed.ended_at <= other.started_at
    assert LeadEvent.objects.filter(lead_id=lead_id, actor_label="routing").exists()  # routing decided
