"""Web push end to end against the stand-in push service: a timeline event becomes one
outbox row per device of the rep, a job after the commit pushes each (the stand-in
verifies the VAPID JWT and decrypts the aes128gcm body), 404/410 removes the device,
5xx comes back with backoff, the rep's choice (all, hot only, none) is honoured, and the
sweeper picks up what a lost job left."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from leads.actions import record_event
from leads.models import LeadEvent
from notifications.alerts import sla_watch
from tests.workspace_kit import make_lead, make_team, rep_profile
from webpush import alerts, delivery
from webpush.models import DeliveryStatus, PushDelivery, PushSubscription

pytestmark = pytest.mark.django_db


def add_device(user, service, name="Android · Chrome") -> PushSubscription:
    info = service.subscribe()
    return PushSubscription.objects.create(
        user=user, endpoint=info["endpoint"], p256dh=info["keys"]["p256dh"], auth=info["keys"]["auth"], device=name
    )


def assign(lead, user, capture, kind="lead.assigned"):
    with capture(execute=True), transaction.atomic():
        return record_event(lead, kind, actor_label="routing", owner_id=user.pk)


def test_a_new_lead_reaches_every_device_of_the_rep(rep, push_service, run_jobs, django_capture_on_commit_callbacks):
    rep_profile(rep, time_zone="America/New_York")
    phone, laptop = add_device(rep, push_service), add_device(rep, push_service, "Mac · Safari")
    lead = make_lead(rep, team=make_team(members=[rep]), company="Analytical Engines")

    event = assign(lead, rep, django_capture_on_commit_callbacks)
    assert PushDelivery.objects.filter(event=event).count() == 2
    assert run_jobs() == 1  # one job for the event, after the commit

    pushes = push_service.wait_for(2)
    assert sorted(push.token for push in pushes) == sorted(d.endpoint.rsplit("/", 1)[1] for d in (phone, laptop))
    body = pushes[0].payload
    assert body["type"] == "lead.assigned" and body["lead"] == lead.pk and body["url"] == f"/leads/{lead.pk}/"
    assert body["title"] == f"New hot lead L-{lead.pk}: {lead.display_name}"
    assert (body["company"], body["phone"], body["tel"]) == ("Analytical Engines", "+14155550100", "tel:+14155550100")
    assert (body["source"], body["temperature"]) == ("Paid ads", "Hot")
    assert body["sla_due_at"] == lead.first_contact_due_at.isoformat() and "call by" in body["body"]
    assert body["tag"] == f"lead-{lead.pk}-lead.assigned"
    assert pushes[0].urgency == "high" and int(pushes[0].ttl) > 0
    assert not push_service.rejected
    assert set(PushDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    phone.refresh_from_db()
    assert phone.last_sent_at is not None

    assert delivery.send_pushes(event.pk) == {}  # run again: nothing is pushed twice
    assert len(push_service.received) == 2


def test_moves_due_calls_and_sla_warnings_are_pushed_too(
    rep, other_rep, push_service, run_jobs, django_capture_on_commit_callbacks
):
    add_device(rep, push_service)
    lead = make_lead(other_rep, at=timezone.now() - timedelta(minutes=2, seconds=30))
    lead.owner = rep
    lead.save(update_fields=["owner"])
    with django_capture_on_commit_callbacks(execute=True):
        record_event(lead, "lead.reassigned", actor_label="routing", previous_owner=other_rep.username, owner_id=rep.pk)
        record_event(lead, "task.due", actor_label="cadence", owner_id=rep.pk, step=2, channel="call", title="Call")
        record_event(lead, "note.added", actor=rep, text="not pushed")
        assert sla_watch()["sla_warnings"] == 1
    run_jobs()
    kinds = sorted(push.payload["type"] for push in push_service.wait_for(3))
    assert kinds == ["lead.reassigned", "sla.warning", "task.due"]
    task = next(push.payload for push in push_service.received if push.payload["type"] == "task.due")
    assert task["task"] == {"step": 2, "channel": "call", "title": "Call"} and task["title"].startswith("Call due")


def test_the_due_task_batch_of_the_dispatcher_is_pushed_in_one_go(rep, push_service):
    add_device(rep, push_service)
    lead = make_lead(rep)
    events = LeadEvent.objects.bulk_create(
        [LeadEvent(lead=lead, kind="task.due", at=timezone.now(), data={"owner_id": rep.pk, "step": 1})]
    )
    alerts.notify_due_tasks(events, {lead.pk: lead})
    assert PushDelivery.objects.filter(kind="task.due").count() == 1


@pytest.mark.parametrize(
    "choice, temperature, pushed",
    [("all", "warm", True), ("hot", "hot", True), ("hot", "warm", False), ("none", "hot", False)],
)
def test_the_reps_choice_decides_which_leads_are_pushed(rep, push_service, choice, temperature, pushed):
    rep_profile(rep, push_alerts=choice)
    add_device(rep, push_service)
    record_event(make_lead(rep, temperature=temperature), "lead.assigned", owner_id=rep.pk)
    assert PushDelivery.objects.exists() is pushed


def test_a_rep_without_devices_costs_one_query(rep, vapid, django_assert_num_queries):
    lead = make_lead(rep)
    event = LeadEvent.objects.create(lead=lead, kind="lead.assigned", at=timezone.now(), data={})
    with django_assert_num_queries(1):
        alerts.notify(lead, event)


@pytest.mark.parametrize("status", [404, 410])
def test_an_expired_subscription_is_removed(rep, push_service, status):
    device = add_device(rep, push_service)
    token = device.endpoint.rsplit("/", 1)[1]
    if status == 410:
        push_service.gone.add(token)
    else:
        push_service.browsers.pop(token)
    event = record_event(make_lead(rep), "lead.assigned", owner_id=rep.pk)
    assert delivery.send_pushes(event.pk) == {"gone": 1}
    assert not PushSubscription.objects.exists() and not PushDelivery.objects.exists()


def test_a_push_service_error_is_retried_with_backoff_then_given_up(rep, push_service, real_redis):
    device = add_device(rep, push_service)
    push_service.answers[device.endpoint.rsplit("/", 1)[1]] = 503
    event = record_event(make_lead(rep), "lead.assigned", owner_id=rep.pk)
    now = timezone.now()
    assert delivery.send_pushes(event.pk, now=now) == {"retry": 1}
    row = PushDelivery.objects.get()
    assert (row.status, row.attempts, row.next_try_at) == ("pending", 1, now + timedelta(seconds=5))
    assert real_redis.zcard("rq:scheduled:default") == 1  # the retry job, at next_try_at
    assert delivery.send_pushes(event.pk, now=now) == {}  # not due yet
    later = now
    for attempt in range(2, delivery.MAX_ATTEMPTS + 1):
        later = PushDelivery.objects.get().next_try_at
        delivery.send_pushes(event.pk, now=later)
        assert PushDelivery.objects.get().attempts == attempt
    assert PushDelivery.objects.get().status == "failed" and "503" in PushDelivery.objects.get().response
    push_service.answers.clear()
    assert PushSubscription.objects.exists()  # a failing service is no reason to forget the device


def test_a_wrong_vapid_key_is_refused_by_the_push_service_and_not_retried(rep, push_service):
    push_service.expected_key = "BNotTheKeyThisSubscriptionWasMadeFor"
    add_device(rep, push_service)
    event = record_event(make_lead(rep), "lead.assigned", owner_id=rep.pk)
    assert delivery.send_pushes(event.pk) == {"refused": 1}
    assert push_service.rejected[0][1] == 403 and PushDelivery.objects.get().status == "failed"


def test_endpoints_outside_the_known_push_services_are_never_called(rep, push_service, settings):
    add_device(rep, push_service)
    settings.LEADOPS_PUSH_SERVICES = ["https://fcm.googleapis.com"]
    event = record_event(make_lead(rep), "lead.assigned", owner_id=rep.pk)
    assert delivery.send_pushes(event.pk) == {"refused": 1}
    assert not push_service.received and not push_service.rejected


def test_the_sweeper_resends_what_a_lost_job_left(rep, push_service, real_redis):
    from leadops.queues import get_queue

    add_device(rep, push_service)
    event = record_event(make_lead(rep), "lead.assigned", owner_id=rep.pk)  # the job is lost (never committed)
    now = timezone.now()
    assert delivery.sweep(now) == {"pushes": 0, "pushes_expired": 0}  # within the grace period
    assert delivery.sweep(now + timedelta(seconds=10))["pushes"] == 1
    assert [job.args for job in get_queue().jobs] == [(event.pk,)]
    assert delivery.sweep(now + timedelta(seconds=10))["pushes"] == 0  # already queued

    PushDelivery.objects.update(status="sending", next_try_at=now)  # a worker died mid-push
    delivery.sweep(now + timedelta(seconds=1))
    assert PushDelivery.objects.get().status == "pending"
    assert delivery.sweep(now + timedelta(minutes=16))["pushes_expired"] == 1
    assert delivery.send_pushes(event.pk) == {}
    assert not push_service.received
