"""Rendering a signed-in person's page: times shown in the zone they read times in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from leadops.timezones import viewer_zone


def render_in_viewer_zone(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    """`render`, with the page's times in the viewer's zone (leadops.timezones.viewer_zone);
    the live-update settings come from the context processor leadops.context_processors."""
    with timezone.override(viewer_zone(request.user)):
        return render(request, template, context, status=status)
