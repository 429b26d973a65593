"""leadops.push and what the timeline pushes (notifications.live): events leave only
after the commit, as plain JSON, to the owner's and the team's groups. The channel layer
is the real Redis one (a test database of its own)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from leadops import push
from leadops.push import push_on_commit, send_now, team_group, user_group
from leads.actions import record_event
from leads.lifecycle import log_attempt
from tests.workspace_kit import make_lead, make_team

SUMMARY_KEYS = {
    "id", "name", "company", "phone", "tel", "source", "temperature", "first_contact_due_at", "url", "owner_id",
    "sla_warning_at", "stage", "team_id",
}  # fmt: skip


@pytest.fixture
def layer(real_redis, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "leadops.channel_layer.LeadOpsChannelLayer",
            "CONFIG": {"hosts": [{"address": settings.REDIS_URL, "socket_timeout": 15}]},
        }
    }
    return get_channel_layer()


@pytest.fixture
def listen(layer):
    """listen(group) -> a function returning the events that reached the group so far.

    Receiving runs on the push helper's own long-lived loop: channels_redis binds a
    channel's receive buffer to the loop that first reads it."""

    def on_loop(coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, push._loop()).result(timeout=20)

    def subscribe(group: str):
        channel = on_loop(layer.new_channel())
        on_loop(layer.group_add(group, channel))

        async def drain(expect: int) -> list[dict]:
            # Wait generously for the events a test expects (a loaded CI machine delays the
            # commit-time send), then briefly for any unexpected extra ones.
            events = []
            while True:
                try:
                    async with asyncio.timeout(5.0 if len(events) < expect else 0.3):
                        message = await layer.receive(channel)
                except TimeoutError:
                    return events
                events.append(message["event"])

        return lambda expect=0: on_loop(drain(expect))

    return subscribe


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_sends_only_after_the_commit(listen):
    received = listen("leadops.user.1")
    with transaction.atomic():
        push_on_commit(["leadops.user.1"], "lead.assigned", {"at": timezone.now()})
        assert received() == []
    [event] = received(1)
    assert event["type"] == "lead.assigned" and isinstance(event["at"], str)  # JSON-safe


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_sends_nothing_when_the_transaction_rolls_back(listen):
    received = listen("leadops.user.2")
    with pytest.raises(RuntimeError), transaction.atomic():
        push_on_commit(["leadops.user.2"], "lead.assigned", {})
        raise RuntimeError("rolled back")
    assert received() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_payload_function_is_read_at_commit_time(listen):
    received = listen("leadops.user.3")
    state = {"stage": "new"}
    with transaction.atomic():
        push_on_commit(["leadops.user.3"], "lead.updated", lambda: dict(state))
        state["stage"] = "contacted"
    assert received(1) == [{"type": "lead.updated", "stage": "contacted"}]


def test_a_channel_layer_failure_is_logged_not_raised(settings, caplog):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "leadops.channel_layer.LeadOpsChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:6/0"]},
        }
    }
    assert send_now(["leadops.user.4"], {"type": "lead.assigned"}) is False
    assert "push lead.assigned" in caplog.text


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_assignment_reaches_the_owner_and_the_team_with_the_lead_summary(listen, rep, manager):
    team = make_team(manager=manager, members=[rep])
    owner_events, team_events = listen(user_group(rep.pk)), listen(team_group(team.pk))
    lead = make_lead(rep, team=team)
    with transaction.atomic():
        record_event(lead, "lead.assigned", actor_label="routing", owner_id=rep.pk)
    [event] = owner_events(1)
    assert event["type"] == "lead.assigned" and set(event["lead"]) >= SUMMARY_KEYS
    assert event["lead"]["tel"] == "tel:+14155550100" and event["lead"]["url"] == f"/leads/{lead.pk}/"
    due = datetime.fromisoformat(event["lead"]["first_contact_due_at"])  # ISO 8601, to the millisecond
    assert abs(due - lead.first_contact_due_at) < timedelta(milliseconds=1)
    assert [item["type"] for item in team_events(1)] == ["lead.assigned"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reassignment_reaches_the_previous_and_the_new_owner(listen, rep, other_rep):
    before, after = listen(user_group(rep.pk)), listen(user_group(other_rep.pk))
    lead = make_lead(other_rep)
    record_event(lead, "lead.reassigned", actor_label="routing", previous_owner="rep.one", owner_id=other_rep.pk)
    [old], [new] = before(1), after(1)
    assert old == new and old["type"] == "lead.reassigned" and old["previous_owner_id"] == rep.pk
    assert old["lead"]["owner_id"] == other_rep.pk


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_attempt_updates_the_owners_other_pages_once(listen, rep):
    received = listen(user_group(rep.pk))
    lead = make_lead(rep)
    log_attempt(lead, channel="call", outcome="no_answer", by=rep)
    events = received(1)
    assert [event["type"] for event in events] == ["lead.updated"]
    assert events[0]["change"]["kind"] == "attempt.logged" and events[0]["lead"]["stage"] == "contacted"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_task_due_and_sla_events_reach_the_owner(listen, rep):
    received = listen(user_group(rep.pk))
    lead = make_lead(rep)
    due = (timezone.now() + timedelta(minutes=1)).isoformat()
    record_event(lead, "task.due", actor_label="cadences", step=2, channel="call", due_at=due, owner_id=rep.pk)
    record_event(lead, "sla.warning", actor_label="sla watch")
    record_event(lead, "sla.breached", actor_label="sla watch")
    events = received(3)
    assert [event["type"] for event in events] == ["task.due", "sla.warning", "sla.breached"]
    assert events[0]["task"] == {"step": 2, "channel": "call", "due_at": due, "title": None}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_quiet_kinds_push_nothing(listen, rep):
    received = listen(user_group(rep.pk))
    lead = make_lead(rep)
    record_event(lead, "lead.submitted", actor_label="intake")
    record_event(lead, "cadence.enrolled", actor_label="cadences")
    assert received() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_events_written_in_bulk_can_be_announced_too(listen, rep):
    from leads.models import LeadEvent
    from notifications.live import announce_events

    received = listen(user_group(rep.pk))
    lead = make_lead(rep)
    with transaction.atomic():
        events = LeadEvent.objects.bulk_create(
            [
                LeadEvent(lead=lead, kind="task.due", actor_label="cadences", data={"step": 1, "owner_id": rep.pk}),
                LeadEvent(lead=lead, kind="cadence.step_done", actor_label="cadences", data={"step": 1}),
            ]
        )
        announce_events(events)
    assert [event["type"] for event in received(1)] == ["task.due"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_dashboard_hears_when_its_breach_counter_may_move(listen, rep):
    from notifications.live import LEADERSHIP_GROUP

    received = listen(LEADERSHIP_GROUP)
    lead = make_lead(rep)
    record_event(lead, "sla.breached", actor_label="sla watch")
    log_attempt(lead, channel="call", outcome="no_answer", by=rep)  # the first attempt: it leaves the count
    log_attempt(lead, channel="call", outcome="no_answer", by=rep)  # a second one moves nothing
    record_event(lead, "note.added", actor_label="rep")
    events = received(2)
    assert events == [
        {"type": "dashboard.breaches", "cause": "sla.breached"},
        {"type": "dashboard.breaches", "cause": "attempt.logged"},
    ]  # no lead details: the page re-reads its counts with its own filters


def test_one_push_to_several_groups_reaches_each_member_once(layer):
    """leadops/channel_layer.py: a page in the owner's and the team's group (a manager who
    owns the lead) hears the event once; a page in one of them hears it too."""

    def on_loop(coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, push._loop()).result(timeout=20)

    manager_page, teammate_page, stranger_page = (on_loop(layer.new_channel()) for _ in range(3))
    for group, channel in (("leadops.user.70", manager_page), ("leadops.team.70", manager_page),
                           ("leadops.team.70", teammate_page), ("leadops.user.71", stranger_page)):  # fmt: skip
        on_loop(layer.group_add(group, channel))

    async def drain(channel) -> list[dict]:
        events = []
        while True:
            try:
                async with asyncio.timeout(0.5):
                    events.append((await layer.receive(channel))["event"])
            except TimeoutError:
                return events

    assert send_now(["leadops.user.70", "leadops.team.70", "leadops.team.72"], {"type": "lead.assigned", "n": 1})
    assert on_loop(drain(manager_page)) == [{"type": "lead.assigned", "n": 1}]
    assert on_loop(drain(teammate_page)) == [{"type": "lead.assigned", "n": 1}]
    assert on_loop(drain(stranger_page)) == []
