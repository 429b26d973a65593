"""A new submission's job (pipeline/jobs.py): route, then acknowledge - in the same job
when no other new lead waits, as a job of its own at the back of the queue when some do."""

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
    lead_ids = [submit(client, intake_key, n, django_capture_on_commit_callbacks) for n in range(3)]
    # three routing jobs; the first two leave their acknowledgments to jobs at the back of
    # the queue, the last, with no lead behind it, acknowledges at once
    assert run_jobs() == 5
    routed = LeadEvent.objects.filter(lead_id__in=lead_ids, actor_label="routing")
    acknowledged = LeadEvent.objects.filter(lead_id__in=lead_ids, kind="acknowledgment.sent")
    assert routed.count() == 3 and acknowledged.count() == 3
    assert max(event.pk for event in routed) < min(event.pk for event in acknowledged)
    for lead_id in lead_ids:  # once each, as before
        assert Message.objects.filter(lead_id=lead_id, purpose="acknowledgment").count() == 1
        assert Inquiry.objects.get(lead_id=lead_id).ack_state == AckState.DONE
