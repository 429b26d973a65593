"""The baseline of bench/intake.py: a bare Django view that inserts one row (SPEC §7).

Mounted at /bench/baseline only when LEADOPS_BENCH_BASELINE=1 (leadops/urls.py). It runs
under the same server, settings and middleware as intake, so the bench's ratio measures
what intake adds on top of "parse a JSON body, insert one row, reply". The table
`bench_baseline_row` is created and dropped by bench/intake.py."""

from __future__ import annotations

import json

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

INSERT = "INSERT INTO bench_baseline_row (email, payload) VALUES (%s, %s) RETURNING id"


@csrf_exempt
def baseline(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        return JsonResponse({"errors": {"non_field_errors": ["Use POST."]}}, status=405)
    try:
        data = json.loads(request.body)
    except ValueError:
        return JsonResponse({"errors": {"non_field_errors": ["The body is not valid JSON."]}}, status=400)
    if not isinstance(data, dict):
        return JsonResponse({"errors": {"non_field_errors": ["Send a JSON object."]}}, status=400)
    with connection.cursor() as cursor:
        cursor.execute(INSERT, [str(data.get("email", "")), json.dumps(data)])
        row_id = cursor.fetchone()[0]
    return JsonResponse({"id": row_id}, status=201)


def noop_job() -> None:
    """bench/worker_cost.py's baseline job: what RQ costs before any of our code runs."""
