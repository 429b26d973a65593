"""Panels that apps above reports add to its pages (the rep's "My stats" and /dashboard/).

reports may not import the apps that build on it, so an app registers a panel here from
its AppConfig.ready() (goals: goal progress, streaks, rewards, survey answers):

    panels.register(panels.MY_STATS, my_stats_panel)

A panel is a callable `panel(request, **context) -> str` that returns its HTML from
`render_to_string` (safe; a plain string would be shown escaped) or "" to show nothing.
My stats passes `now`; the dashboard passes `filters` (its MetricFilters) and `now`. The
pages show the panels in registration order."""

from __future__ import annotations

from collections.abc import Callable

MY_STATS = "my_stats"
DASHBOARD = "dashboard"
_panels: dict[str, list[Callable[..., str]]] = {MY_STATS: [], DASHBOARD: []}


def register(page: str, panel: Callable[..., str]) -> None:
    if page not in _panels:
        raise ValueError(f"unknown page {page!r}: use one of {sorted(_panels)}")
    if panel not in _panels[page]:
        _panels[page].append(panel)


def render(page: str, request, **context) -> list[str]:
    """The HTML of every panel registered for `page` that has something to show."""
    return [html for panel in _panels[page] if (html := panel(request, **context))]
