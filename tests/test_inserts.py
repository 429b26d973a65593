"""leadops/inserts.py: a row written by insert() reads back exactly as the same instance
written by the ORM - defaults, auto times, JSON, nullable keys, text choices - on SQLite
and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from cadences.models import Cadence, Enrollment, PlannedStep, StepStatus
from leadops.inserts import insert
from leads.models import Lead, LeadEvent, Message

pytestmark = pytest.mark.django_db


def as_stored(instance) -> dict:
    stored = type(instance).objects.get(pk=instance.pk)
    return {name: value for name, value in model_to_dict(stored).items() if name not in ("id", "dedupe_key")}


@pytest.fixture
def lead(lead_source):
    return Lead.objects.create(
        lead_source=lead_source, name="Ada", email="ada@acme.example", submitted_at=timezone.now()
    )


def test_an_event_reads_back_as_the_orms(lead, rep):
    at = timezone.now() - timedelta(minutes=3)
    data = {"cadence": "Hot «leads»", "steps": 4, "nested": {"ok": True, "none": None}, "list": [1, "two"]}
    ours, orms = (LeadEvent(lead=lead, kind="cadence.enrolled", actor=rep, at=at, data=data) for _ in range(2))
    insert([ours])
    orms.save()
    assert ours.pk and ours.pk != orms.pk and not ours._state.adding
    assert as_stored(ours) == as_stored(orms)
    no_actor = insert([LeadEvent(lead=lead, kind="lead.assigned", actor_label="routing")])[0]
    assert LeadEvent.objects.get(pk=no_actor.pk).actor_id is None
    assert LeadEvent.objects.get(pk=no_actor.pk).data == {}


def test_several_rows_get_their_own_keys_in_order(lead):
    messages = [
        Message(lead=lead, dedupe_key=f"ack:{n}:email", purpose="acknowledgment", channel="email",
                recipient="ada@acme.example", subject=f"Subject {n}", body="Hello\n")
        for n in range(3)
    ]  # fmt: skip
    insert(messages)
    stored = {message.pk: message for message in Message.objects.filter(lead=lead)}
    assert [stored[message.pk].subject for message in messages] == ["Subject 0", "Subject 1", "Subject 2"]
    orms = Message.objects.create(lead=lead, dedupe_key="orm", purpose="acknowledgment", channel="email",
                                  recipient="ada@acme.example", subject="Subject 0", body="Hello\n")  # fmt: skip
    ours = as_stored(messages[0])
    theirs = as_stored(orms)
    assert abs(ours.pop("created_at") - theirs.pop("created_at")) < timedelta(seconds=5)  # default=now, each its own
    assert abs(ours.pop("not_before") - theirs.pop("not_before")) < timedelta(seconds=5)
    assert ours == theirs and ours["state"] == "pending"


def test_planned_steps_with_a_choice_and_a_saved_parent(lead):
    enrollment = insert([Enrollment(lead=lead, cadence=Cadence.objects.create(name="Hot"))])[0]
    due = timezone.now() + timedelta(hours=1)
    ours = insert([PlannedStep(enrollment=enrollment, number=1, channel="call", due_at=due, status=StepStatus.SKIPPED,
                               skip_reason="opted out")])[0]  # fmt: skip
    orms = PlannedStep.objects.create(enrollment=enrollment, number=2, channel="call", due_at=due,
                                      status=StepStatus.SKIPPED, skip_reason="opted out")  # fmt: skip
    assert as_stored(ours) == {**as_stored(orms), "number": 1}
    assert Enrollment.objects.get(pk=enrollment.pk).state == "active"


def test_refuses_what_it_cannot_write_as_the_orm_would(lead):
    with pytest.raises(ValueError):
        insert([LeadEvent(pk=10_000, lead=lead, kind="x")])
    assert insert([]) == []


def test_text_and_times_travel_exactly(lead):
    """On PostgreSQL the rows go as one JSON document: quotes, backslashes, emoji, control
    characters and a time with microseconds in another zone come back as they were."""
    from zoneinfo import ZoneInfo

    tricky = 'He said "hi" \\ back\\slash\ttab é 😀 </script> {"json": [1]} \u2028'
    later = timezone.now().astimezone(ZoneInfo("Asia/Kolkata")).replace(microsecond=123456) + timedelta(days=2)
    [message] = insert([
        Message(lead=lead, dedupe_key="tricky", purpose="acknowledgment", channel="email", recipient="ada@acme.example",
                subject=tricky, body=tricky + "\nline two\r\n", not_before=later)
    ])  # fmt: skip
    stored = Message.objects.get(pk=message.pk)
    assert (stored.subject, stored.body, stored.not_before) == (tricky, tricky + "\nline two\r\n", later)
    [event] = insert([LeadEvent(lead=lead, kind="note.added", at=later, data={"text": tricky, "n": 1.5, "none": None})])
    assert LeadEvent.objects.get(pk=event.pk).data == {"text": tricky, "n": 1.5, "none": None}
    assert LeadEvent.objects.get(pk=event.pk).at == later


def test_update_fields_writes_what_save_would(lead, rep):
    """leadops/updates.py: the routed lead's row written by hand reads back as save() writes it."""
    from leadops.updates import update_fields

    twin = Lead.objects.create(lead_source=lead.lead_source, name="Ada", email="ada@acme.example",
                               submitted_at=lead.submitted_at)  # fmt: skip
    before = Lead.objects.get(pk=lead.pk).updated_at
    at = timezone.now()
    for instance in (lead, twin):
        instance.owner, instance.stage, instance.assigned_at = rep, "assigned", at
        instance.routing_trace = {"outcome": "assigned", "chosen": {"id": rep.pk, "name": 'Émile "E"'}}
    assert update_fields(lead, ["owner", "stage", "assigned_at", "routing_trace", "updated_at"]) == 1
    twin.save(update_fields=["owner", "stage", "assigned_at", "routing_trace", "updated_at"])
    assert Lead.objects.get(pk=lead.pk).updated_at > before  # auto_now, as save() sets it
    ours, theirs = as_stored(lead), as_stored(twin)
    assert abs(ours.pop("received_at") - theirs.pop("received_at")) < timedelta(seconds=5)  # each its own default
    assert ours == theirs and ours["owner"] == rep.pk and ours["routing_trace"]["chosen"]["name"] == 'Émile "E"'
    with pytest.raises(ValueError):
        update_fields(lead, ["id"])


def test_a_parent_and_its_children_in_one_go(lead):
    """insert_family: an enrollment and its plan (one statement on PostgreSQL), each step
    pointing at the new enrollment, keys in the children's order; no children is fine."""
    from leadops.inserts import insert_family

    cadence = Cadence.objects.create(name="Hot")
    due = timezone.now() + timedelta(hours=1)
    enrollment = Enrollment(lead=lead, cadence=cadence, started_at=timezone.now())
    steps = insert_family(
        enrollment,
        [PlannedStep(number=n, channel="call", due_at=due + timedelta(minutes=n), status=StepStatus.SCHEDULED)
         for n in (3, 1, 2)],
        link="enrollment",
    )  # fmt: skip
    assert enrollment.pk and Enrollment.objects.get(pk=enrollment.pk).cadence == cadence
    stored = {step.pk: step for step in PlannedStep.objects.filter(enrollment=enrollment)}
    assert [stored[step.pk].number for step in steps] == [3, 1, 2]
    assert all(step.enrollment_id == enrollment.pk and step.enrollment is enrollment for step in steps)
    assert stored[steps[0].pk].due_at == due + timedelta(minutes=3)
    alone = Enrollment(lead=lead, cadence=cadence, state="completed")  # one active enrollment per lead
    assert insert_family(alone, [], link="enrollment") == [] and Enrollment.objects.filter(pk=alone.pk).exists()
