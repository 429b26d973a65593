"""Project-level pages: the landing page and the health check."""

from __future__ import annotations

import time

import redis
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from rq import Worker

from leadops.queues import get_queue, redis_connection
from leads.models import LeadSource


def home(request):
    sources = LeadSource.objects.filter(hosted_form_enabled=True).order_by("name")
    return render(request, "home.html", {"sources": sources})


def healthz(request):
    """Database, Redis and worker heartbeat, for a load balancer: 200 when all answer."""
    checks: dict = {}
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError as error:
        checks["database"] = f"error: {error.__class__.__name__}"
    try:
        redis_connection().ping()
        checks["redis"] = "ok"
        workers = Worker.all(connection=redis_connection())
        checks["workers"] = len(workers)
        checks["queue_depth"] = len(get_queue())
    except redis.RedisError as error:
        checks["redis"] = f"error: {error.__class__.__name__}"
    healthy = checks["database"] == "ok" and checks["redis"] == "ok" and checks.get("workers", 0) > 0
    checks["status"] = "ok" if healthy else "degraded"
    checks["seconds"] = round(time.monotonic() - started, 4)
    return JsonResponse(checks, status=200 if healthy else 503)
