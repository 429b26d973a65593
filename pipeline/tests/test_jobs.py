"""A new submission's job (pipeline/jobs.py): route, then acknowledge - inline when the
queue is empty, as a job of its own at the back of the queue when leads wait behind."""

from __future__ import annotations

import json

import pytest

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
def test_alone_in_the_queue_a_lead_is_routed_and_acknowledged_in_one_job(
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
    lead_ids = [submit(client, intake_key, n, django_capture_on_commit_callbacks) for n in range(3)]
    assert run_jobs() == 6  # three routing jobs, then three acknowledgment jobs
    routed = LeadEvent.objects.filter(lead_id__in=lead_ids, actor_label="routing")
    acknowledged = LeadEvent.objects.filter(lead_id__in=lead_ids, kind="acknowledgment.sent")
    assert routed.count() == 3 and acknowledged.count() == 3
    assert max(event.pk for event in routed) < min(event.pk for event in acknowledged)
    for lead_id in lead_ids:  # once each, as before
        assert Message.objects.filter(lead_id=lead_id, purpose="acknowledgment").count() == 1
        assert Inquiry.objects.get(lead_id=lead_id).ack_state == AckState.DONE
