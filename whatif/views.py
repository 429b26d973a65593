"""The admin's "What if": a change form's "What if" button posts the unsaved form here;
the replay runs as an RQ job; its page shows a progress bar, then the side-by-side table."""

from __future__ import annotations

import redis
from django.contrib import admin
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from rq.exceptions import NoSuchJobError
from rq.job import Job

from leadops.queues import get_queue, redis_connection
from whatif.compare import DEFAULT_DAYS, MAX_DAYS
from whatif.edits import EditRefused, edit_from_post, model_for
from whatif.tasks import run_what_if

JOB_TIMEOUT = 15 * 60
RESULT_TTL = 24 * 3600


def _page(request, context: dict, status: int = 200) -> TemplateResponse:
    context = {**admin.site.each_context(request), "title": "What if", **context}
    return TemplateResponse(request, "whatif/result.html", context, status=status)


def _days(raw: str | None) -> int:
    try:
        days = int(raw or DEFAULT_DAYS)
    except ValueError as error:
        raise EditRefused(["Days: give a whole number of days."]) from error
    if not 1 <= days <= MAX_DAYS:
        raise EditRefused([f"Days: between 1 and {MAX_DAYS}."])
    return days


def start(request, app_label: str, model_name: str):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    model = model_for(app_label, model_name)
    if model is None:
        raise Http404("No what-if for this kind of object.")
    if not request.user.has_perm(f"{app_label}.change_{model_name}"):
        return _page(request, {"errors": ["You may not change these, so you cannot try a change."]}, status=403)
    object_id = request.GET.get("object") or None
    opts = model._meta
    back = (
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id])
        if object_id
        else reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
    )
    try:
        days = _days(request.POST.get("_whatif_days"))
        edit = edit_from_post(request, model, object_id)
    except EditRefused as refused:
        return _page(request, {"errors": refused.errors, "back": back}, status=400)
    try:
        job = get_queue().enqueue(
            run_what_if, edit, days, job_timeout=JOB_TIMEOUT, result_ttl=RESULT_TTL, failure_ttl=RESULT_TTL,
            meta={"progress": 0.0, "user_id": request.user.pk, "edit": edit.label, "back": back, "days": days},
        )  # fmt: skip
    except redis.RedisError:
        return _page(request, {"errors": ["The job queue (Redis) is not answering: try again in a minute."]}, 503)
    return redirect("whatif:result", job_id=job.id)


def _job(request, job_id: str) -> Job:
    try:
        job = Job.fetch(job_id, connection=redis_connection())
    except (NoSuchJobError, ValueError) as error:
        raise Http404("This what-if is gone (results are kept for a day).") from error
    if job.meta.get("user_id") != request.user.pk and not request.user.is_superuser:
        raise Http404("This what-if is not yours.")
    return job


def progress(request, job_id: str):
    job = _job(request, job_id)
    status = job.get_status(refresh=True)
    return JsonResponse({"status": str(status.value if hasattr(status, "value") else status),
                         "progress": job.meta.get("progress", 0.0)})  # fmt: skip


def result(request, job_id: str):
    job = _job(request, job_id)
    status = job.get_status(refresh=True)
    status = str(status.value if hasattr(status, "value") else status)
    context = {"job": job, "status": status, "meta": job.meta, "back": job.meta.get("back")}
    if status == "finished":
        report = job.return_value()
        context["report"] = report
        context["rows"] = _side_by_side(report)
        for row in report["reps"]:
            change = row["edited"] - row["current"]
            row["change"] = f"{change:+,}" if change else ""
    elif status == "failed":
        context["errors"] = ["The replay failed; the worker's log has the details. Nothing was changed."]
    return _page(request, context)


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _side_by_side(report: dict) -> list[tuple[str, str, str]]:
    now, edited = report["current"], report["edited"]

    def share(figures):
        value = figures["due_in_hours"]["share"]
        return "—" if value is None else f"{value:.1%} ({figures['due_in_hours']['count']:,})"

    queue = "To the morning queue (nobody eligible, none on call)"
    return [
        ("Leads replayed", f"{now['leads']:,}", f"{edited['leads']:,}"),
        ("Given to a rep on arrival", f"{now['assigned_at_arrival']:,}", f"{edited['assigned_at_arrival']:,}"),
        ("To the on-call rep", f"{now['on_call']:,}", f"{edited['on_call']:,}"),
        (queue, f"{now['morning_queue']:,}", f"{edited['morning_queue']:,}"),
        ("No rule matched", f"{now['unrouted']:,}", f"{edited['unrouted']:,}"),
        ("Still without a rep at the end", f"{now['never_assigned']:,}", f"{edited['never_assigned']:,}"),
        ("Assignment latency, mean", _minutes(now["latency"]["mean"]), _minutes(edited["latency"]["mean"])),
        ("Assignment latency, median", _minutes(now["latency"]["median"]), _minutes(edited["latency"]["median"])),
        ("Assignment latency, p90", _minutes(now["latency"]["p90"]), _minutes(edited["latency"]["p90"])),
        ("First-contact deadline inside the rep's hours", share(now), share(edited)),
        ("Spread of leads per rep (most − fewest)", f"{now['spread']:,}", f"{edited['spread']:,}"),
    ]  # fmt: skip
