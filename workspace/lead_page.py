"""The lead page (/leads/<id>/) and every action a rep takes from it: accept, log a call,
send an email, change the stage, add a note, mark a task step done, hand over.

Reps see only their own leads (others 404); acting needs the owner or a manager. Each
action parses its form, calls the domain function and redirects, or shows the errors."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from cadences.models import StepStatus
from cadences.progress import complete_step, plan_for, task_step
from leadops.pages import render_in_viewer_zone
from leadops.roles import is_manager
from leadops.timezones import zone
from leads.lifecycle import LifecycleError, change_stage, log_attempt
from leads.models import Lead
from leads.permissions import visible_leads
from notifications.alerts import sla_warning_at
from notifications.live import lead_summary
from routing.assignment import accept_lead, hand_over
from routing.handover import HandoverRefused
from routing.models import Offer
from workspace.forms import PASS_REASONS, AttemptForm, EmailForm, HandoverForm, NoteForm, PassForm, StageForm
from workspace.rep_actions import add_note, send_templated_email

TIMELINE_LIMIT = 200
TIMELINE_HIDDEN = {
    "owner_id", "message", "inquiry", "sla_policy", "reference", "event", "previous_owner_id", "meeting", "rep_id",
}  # fmt: skip
EVENT_LABELS = {
    "lead.submitted": "Lead submitted",
    "inquiry.repeated": "Asked again",
    "lead.assigned": "Assigned",
    "lead.reassigned": "Reassigned",
    "lead.handed_over": "Handed over",
    "lead.escalated": "Escalated to the manager",
    "lead.accepted": "Accepted",
    "lead.not_accepted": "Not accepted in time",
    "lead.morning_queue": "Waiting in the team's queue",
    "lead.on_call": "Sent to the on-call rep",
    "attempt.logged": "Attempt logged",
    "stage.changed": "Stage changed",
    "note.added": "Note",
    "sla.warning": "SLA warning (80% of the time gone)",
    "sla.breached": "SLA breached",
    "task.due": "Task due",
    "acknowledgment.sent": "Acknowledgment sent",
    "hot_alert.sent": "Hot-lead alert sent",
    "rep_email.sent": "Email sent",
}

# --- the lead page -------------------------------------------------------------------------------


def _plan(lead: Lead) -> list[dict]:
    return plan_for(lead)


def _can_act(user, lead: Lead) -> bool:
    return lead.owner_id == user.pk or is_manager(user)


def _lead_for_page(request: HttpRequest, pk: int) -> Lead:
    """The lead if the viewer may see it (reps: only their own); 404 otherwise."""
    leads = visible_leads(request.user).select_related("owner", "team", "sla_policy", "lead_source")
    return get_object_or_404(leads, pk=pk)


def _lead_for_action(request: HttpRequest, pk: int) -> Lead:
    lead = _lead_for_page(request, pk)
    if not _can_act(request.user, lead):
        raise PermissionDenied("Only the lead's owner or a manager can do this.")
    return lead


def _readable(value):
    """A timestamp string becomes a datetime (the template shows it in the viewer's zone)."""
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and "T" in value:
        moment = parse_datetime(value)
        if moment is not None and moment.tzinfo is not None:
            return moment
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)[:300]
    return value


def _timeline(lead: Lead) -> list[dict]:
    events = lead.events.select_related("actor").order_by("-at", "-id")[:TIMELINE_LIMIT]
    rows = []
    for event in events:
        details = {
            key.replace("_", " "): _readable(value)
            for key, value in (event.data or {}).items()
            if value not in (None, "", [], {}) and key not in TIMELINE_HIDDEN
        }
        rows.append(
            {
                "kind": event.kind,
                "label": EVENT_LABELS.get(event.kind, event.kind.replace(".", " ").replace("_", " ").capitalize()),
                "at": event.at,
                "actor": event.actor_name,
                "details": sorted(details.items()),
            }
        )
    return rows


def _forms(lead: Lead, **bound) -> dict:
    forms = {
        "attempt_form": AttemptForm(),
        "email_form": EmailForm(initial={"token": EmailForm.new_token()}),
        "stage_form": StageForm(),
        "note_form": NoteForm(),
        "handover_form": HandoverForm(lead=lead),
        "pass_form": PassForm(),
    }
    forms.update(bound)
    return forms


def _lead_context(request: HttpRequest, lead: Lead, **bound_forms) -> dict:
    now = timezone.now()
    try:
        lead_zone = zone(lead.resolved_time_zone or settings.LEADOPS_DEFAULT_TIMEZONE)
    except ValueError:
        lead_zone = zone(settings.LEADOPS_DEFAULT_TIMEZONE)
    plan = _plan(lead)
    next_step = next((step for step in plan if step["status"] == "scheduled"), None)
    trace = lead.routing_trace or {}
    return {
        "lead": lead,
        "now": now,
        # Formatted here: the template would show a datetime in the viewer's zone.
        "lead_local_time": now.astimezone(lead_zone).strftime("%H:%M"),
        "lead_local_day": now.astimezone(lead_zone).strftime("%a"),
        "lead_zone": str(lead_zone),
        "sla_state": lead.sla_state(now),
        "sla_warning_at": sla_warning_at(lead),
        "plan": plan,
        "next_step": next_step,
        "timeline": _timeline(lead),
        "attempts": lead.attempts.select_related("by").order_by("-number"),
        "inquiries": lead.inquiries.order_by("-submitted_at")[:20],
        "trace": trace,
        "can_act": _can_act(request.user, lead),
        "website_link": lead.website if lead.website.lower().startswith(("https://", "http://")) else "",
        "lead_config": {"lead_id": lead.pk, "summary": lead_summary(lead)},
        "offer": Offer.objects.filter(lead_id=lead.pk, owner_id=lead.owner_id).first(),
        "pass_reasons": PASS_REASONS,
        **_forms(lead, **bound_forms),
    }


@login_required
def lead_page(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead_for_page(request, pk)
    return render_in_viewer_zone(request, "workspace/lead.html", _lead_context(request, lead))


def _done(request: HttpRequest, lead: Lead, text: str, anchor: str = "") -> HttpResponse:
    messages.success(request, text)
    return redirect(reverse("workspace-lead", args=[lead.pk]) + (f"#{anchor}" if anchor else ""))


def _invalid(request: HttpRequest, lead: Lead, **bound_forms) -> HttpResponse:
    return render_in_viewer_zone(
        request, "workspace/lead.html", _lead_context(request, lead, **bound_forms), status=400
    )


@login_required
@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead_for_action(request, pk)
    accept_lead(lead, by=request.user)
    if request.POST.get("back") == "queue":
        messages.success(request, f"Accepted L-{lead.pk}: the lead is yours. Call now.")
        return redirect("workspace-queue")
    return _done(request, lead, "Accepted: the lead is yours. Call now.")


@login_required
@require_POST
def log_attempt_view(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead_for_action(request, pk)
    form = AttemptForm(request.POST)
    if form.is_valid():
        try:
            attempt = log_attempt(lead, by=request.user, **form.cleaned_data)
        except LifecycleError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            return _done(
                request, lead, f"Attempt {attempt.number} logged: {attempt.get_outcome_display().lower()}.", "plan"
            )
    return _invalid(request, lead, attempt_form=form)


@login_required
@require_POST
def send_email(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead_for_action(request, pk)
    form = EmailForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            attempt = send_templated_email(
                lead, data["template"], by=request.user, token=data["token"], note=data["note"]
            )
        except LifecycleError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            if attempt is None:
                return _done(request, lead, "That email was already sent.")
            return _done(request, lead, f"Email queued to {lead.email} and logged as attempt {attempt.number}.")
    return _invalid(request, lead, email_form=form)


@login_required
@require_POST
def change_stage_view(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead_for_action(request, pk)
    form = StageForm(request.POST)
    if form.is_valid():
        try:
            lead = change_stage(lead, by=request.user, **form.cleaned_data)
        except LifecycleError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            return _done(request, lead, f"Stage: {lead.get_stage_display().lower()}.")
    return _invalid(request, lead, stage_form=form)


@login_required
@require_POST
def add_note_view(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead_for_action(request, pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            add_note(lead, form.cleaned_data["text"], by=request.user)
        except LifecycleError as error:
            form.add_error("text", str(error))
        else:
            return _done(request, lead, "Note added.", "timeline")
    return _invalid(request, lead, note_form=form)


@login_required
@require_POST
def complete_task_view(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """The rep did a task step of the cadence (a LinkedIn request, a research note...):
    mark it done; the rest of the plan follows (cadences.progress.complete_step). Call
    steps are done by logging the call, which counts as an attempt."""
    lead = _lead_for_action(request, pk)
    planned = task_step(lead, number)
    if planned is None:
        raise Http404("No such step in this lead's plan.")
    if planned.status != StepStatus.SCHEDULED:
        messages.info(request, f"Step {number} is already {planned.get_status_display().lower()}.")
    else:
        complete_step(planned.pk, by=request.user)
        messages.success(request, f"Step {number} done.")
    if request.POST.get("back") == "queue":
        return redirect("workspace-queue")
    return redirect(reverse("workspace-lead", args=[lead.pk]) + "#plan")


@login_required
@require_POST
def hand_over_view(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead_for_action(request, pk)
    form = HandoverForm(request.POST, lead=lead)
    if form.is_valid():
        colleague = form.cleaned_data["to"]
        try:
            hand_over(lead, colleague, by=request.user)
        except HandoverRefused as refusal:  # the lead changed team meanwhile
            form.add_error("to", str(refusal))
            return _invalid(request, lead, handover_form=form)
        messages.success(request, f"Handed over to {colleague.get_full_name() or colleague.get_username()}.")
        if is_manager(request.user):
            return redirect("workspace-lead", pk=lead.pk)
        return redirect("workspace-queue")
    return _invalid(request, lead, handover_form=form)
