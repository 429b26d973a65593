"""Periodic work that apps above the pipeline register with the sweep (pipeline.sweeper.register):
it runs after the apps' own sweeps, once per registration, and one that fails is logged
without stopping the rest."""

from __future__ import annotations

import logging

import pytest

from pipeline import sweeper

pytestmark = pytest.mark.django_db


def test_registered_work_runs_each_sweep_and_a_failure_stops_nothing(monkeypatch, caplog):
    calls = []

    def broken(now):
        raise RuntimeError("a bug in one app")

    def counting(now):
        calls.append(now)
        return {"counted": 1}

    monkeypatch.setattr(sweeper, "_registered", [])
    sweeper.register(broken)
    sweeper.register(counting)
    sweeper.register(counting)  # an app's ready() may run twice: registered once
    with caplog.at_level(logging.ERROR, logger="pipeline.sweeper"):
        counts = sweeper.sweep()
    assert counts["counted"] == 1 and len(calls) == 1
    assert "routing" in counts  # the apps' own sweeps ran first
    assert "periodic work test_registered_work_runs_each_sweep_and_a_failure_stops_nothing.<locals>.broken failed" in (
        caplog.text
    )
