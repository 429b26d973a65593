"""/healthz, for load balancers and monitoring (pipeline/health.py)."""

from __future__ import annotations

from django.http import JsonResponse

from pipeline import health


def healthz(request):
    """Database, Redis, worker heartbeat, queue depth and the oldest unassigned lead's age
    as JSON; 200 when the database and Redis answer, 503 naming the failing part when they
    do not."""
    report, status = health.check()
    response = JsonResponse(report, status=status)
    response["Cache-Control"] = "no-store"
    return response
