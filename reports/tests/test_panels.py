"""reports/panels.py: the extension point apps above reports use to add panels to My
stats and the dashboard (goals registers its own in GoalsConfig.ready)."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from reports import panels


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(panels, "_panels", {panels.MY_STATS: [], panels.DASHBOARD: []})


def test_it_renders_registered_panels_in_order_and_skips_empty_ones(registry, rf):
    seen = []

    def first(request, **context):
        seen.append(context)
        return Template("<p>{{ name }}</p>").render(Context({"name": "A&B"}))

    panels.register(panels.DASHBOARD, first)
    panels.register(panels.DASHBOARD, first)  # registered once, however often ready() runs
    panels.register(panels.DASHBOARD, lambda request, **context: "")
    html = panels.render(panels.DASHBOARD, rf.get("/"), now="NOW")
    assert html == ["<p>A&amp;B</p>"] and seen == [{"now": "NOW"}]
    assert panels.render(panels.MY_STATS, rf.get("/")) == []


def test_an_unknown_page_is_refused(registry):
    with pytest.raises(ValueError, match="unknown page 'queue'"):
        panels.register("queue", lambda request, **context: "")
