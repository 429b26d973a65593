"""Project-level pages: the landing page, the health check and the 404 reply."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults

from leadops import health
from leads.models import LeadSource


def home(request):
    sources = LeadSource.objects.filter(hosted_form_enabled=True).order_by("name")
    return render(request, "home.html", {"sources": sources})


def healthz(request):
    """For a load balancer (leadops/health.py): database, Redis, worker heartbeat, queue
    depth and the oldest unassigned lead's age as JSON; 200 when the database and Redis
    answer, 503 naming the failing part when they do not."""
    report, status = health.check()
    response = JsonResponse(report, status=status)
    response["Cache-Control"] = "no-store"
    return response


def page_not_found(request, exception):
    """The API answers JSON even for a URL no route matches (/api/v1/leads/abc); pages
    keep Django's 404 page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
