"""The pipeline's table (pipeline/flow.py) and the event door (leadops/events.py)."""

from __future__ import annotations

import pytest
from django.utils.module_loading import import_string

from cadences import tasks as cadence_tasks
from cadences.wakeups import DISPATCH_JOB, STEP_JOB
from leadops import events
from pipeline.flow import FLOW


def test_it_says_what_follows_every_event():
    assert set(FLOW) == set(events.EVENTS)
    assert all(FLOW[event] for event in events.EVENTS)


def test_it_refuses_to_emit_before_a_flow_is_installed(monkeypatch):
    monkeypatch.setattr(events, "_flow", None)
    with pytest.raises(events.FlowNotInstalled):
        events.emit(events.LEAD_ROUTED, lead=None, at=None)


def test_it_refuses_a_flow_with_an_unknown_event(monkeypatch):
    monkeypatch.setattr(events, "_flow", dict(events._flow))
    with pytest.raises(ValueError, match="unknown events"):
        events.install({"lead.teleported": ()})


def test_it_runs_the_handlers_in_the_order_the_flow_lists_them(monkeypatch):
    monkeypatch.setattr(events, "_flow", None)
    heard = []
    events.install(
        {events.LEAD_DECIDED: (lambda **kw: heard.append(("first", kw)), lambda **kw: heard.append(("second", kw)))}
    )
    events.emit(events.LEAD_DECIDED, lead="L", stage="qualified", reason="")
    assert [name for name, _ in heard] == ["first", "second"]
    assert heard[0][1] == {"lead": "L", "stage": "qualified", "reason": ""}


def test_the_cadence_jobs_named_by_string_are_the_real_entry_points():
    assert import_string(DISPATCH_JOB) is cadence_tasks.dispatch_due_steps
    assert import_string(STEP_JOB) is cadence_tasks.run_planned_step
