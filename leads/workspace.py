"""The rep workspace (SPEC §2, §3.9, §6): where people land after signing in, the live
lead queue, the lead page with every action a rep needs, and "my stats".

Views are thin: they check who may see or act (reps: their own leads, others 404;
acting: the owner or a manager), parse a form, call the domain function and redirect,
or show the form's errors. Live updates come from the websocket (leads/consumers.py)."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from leadops.parsing import row_id
from leadops.roles import LEADERSHIP, REPS, in_group, is_manager, sees_all_leads
from leadops.timezones import zone
from leads.alerts import sla_warning_at
from leads.filters import QueueFilter, queue_leads
from leads.lifecycle import LifecycleError, change_stage, log_attempt
from leads.models import Lead
from leads.notifications import lead_summary
from leads.permissions import visible_leads
from leads.rep_actions import add_note, send_templated_email
from leads.tables import QueueTable
from leads.workspace_forms import AttemptForm, EmailForm, HandoverForm, NoteForm, StageForm
from routing.assignment import accept_lead, hand_over

DASHBOARD_URL = "/dashboard/"
PER_PAGE = 25
TIMELINE_LIMIT = 200
TIMELINE_HIDDEN = {"owner_id", "message", "inquiry", "sla_policy", "reference", "event", "previous_owner_id"}
EVENT_LABELS = {
    "lead.submitted": "Lead submitted",
    "inquiry.repeated": "Asked again",
    "lead.assigned": "Assigned",
    "lead.reassigned": "Reassigned",
    "lead.handed_over": "Handed over",
    "lead.escalated": "Escalated to the manager",
    "lead.accepted": "Accepted",
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


# --- who is looking ------------------------------------------------------------------------------


def viewer_zone(user) -> ZoneInfo:
    profile_zone = getattr(getattr(user, "rep_profile", None), "time_zone", None)
    try:
        return zone(profile_zone or settings.LEADOPS_DEFAULT_TIMEZONE)
    except ValueError:
        return zone(settings.LEADOPS_DEFAULT_TIMEZONE)


def workspace_context(request: HttpRequest, **extra) -> dict:
    user = request.user
    return {
        "is_rep": in_group(user, REPS),
        "is_manager": is_manager(user),
        "live": {
            "user_id": user.pk,
            "ws_url": settings.LEADOPS_WS_URL.rstrip("/"),
            "sound_url": "",
        },
        **extra,
    }


def _render(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    with timezone.override(viewer_zone(request.user)):
        return render(request, template, workspace_context(request, **context), status=status)


# --- landing -------------------------------------------------------------------------------------


@login_required
def start(request: HttpRequest) -> HttpResponse:
    """Where sign-in lands: reps on their queue, leadership on the dashboard, managers choose."""
    user = request.user
    if is_manager(user):
        from routing.models import Team

        teams = Team.objects.order_by("name")
        mine = [team for team in teams if team.manager_id == user.pk]
        return _render(request, "workspace/start.html", {"teams": mine or list(teams), "all_teams": not mine})
    if in_group(user, REPS):
        return redirect("workspace-queue")
    if in_group(user, LEADERSHIP):
        return redirect(DASHBOARD_URL)
    return redirect("workspace-queue")


# --- the queue -----------------------------------------------------------------------------------


def _due_tasks(user, now: datetime) -> list:
    try:
        from cadences.progress import due_tasks_for
    except ImportError:  # the cadence engine is not installed
        return []
    return due_tasks_for(user, now)


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """The rep's open leads and due tasks, most urgent first; ?team=<id> for a manager's
    (or leadership's) view of a team."""
    from routing.models import Team

    user = request.user
    now = timezone.now()
    tz = viewer_zone(user)
    team = None
    if request.GET.get("team"):
        team_id = row_id(request.GET["team"])
        if not sees_all_leads(user) or team_id is None:
            raise Http404("No such team view.")
        team = get_object_or_404(Team, pk=team_id)
    leads = queue_leads(team=team) if team else queue_leads(owner=user)
    filterset = QueueFilter(request.GET or None, queryset=leads, now=now, tz=tz)
    table = QueueTable(filterset.qs, team_view=team is not None)
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    filters = filterset.active
    config = {
        "view": "team" if team else "mine",
        "team_id": team.pk if team else None,
        "filters": {key: value for key, value in filters.items() if key in ("stage", "temperature", "source")},
        "search": bool(filters.get("q")),
        "due_today_until": filterset.end_of_today().isoformat() if filters.get("due_today") else None,
        "page": table.page.number if table.page else 1,
        "team_view": team is not None,
    }
    context = {
        "table": table,
        "filter": filterset,
        "team": team,
        "teams": Team.objects.order_by("name") if sees_all_leads(user) else [],
        "tasks": [] if team else _due_tasks(user, now),
        "queue_config": config,
        "filtered": bool(filters),
    }
    return _render(request, "workspace/queue.html", context)


# --- the lead page -------------------------------------------------------------------------------


def _plan(lead: Lead) -> list[dict]:
    try:
        from cadences.progress import plan_for
    except ImportError:
        return []
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
        **_forms(lead, **bound_forms),
    }


@login_required
def lead_page(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead_for_page(request, pk)
    return _render(request, "workspace/lead.html", _lead_context(request, lead))


def _done(request: HttpRequest, lead: Lead, text: str, anchor: str = "") -> HttpResponse:
    messages.success(request, text)
    return redirect(reverse("workspace-lead", args=[lead.pk]) + (f"#{anchor}" if anchor else ""))


def _invalid(request: HttpRequest, lead: Lead, **bound_forms) -> HttpResponse:
    return _render(request, "workspace/lead.html", _lead_context(request, lead, **bound_forms), status=400)


@login_required
@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead_for_action(request, pk)
    accept_lead(lead, by=request.user)
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
    from cadences.models import StepStatus
    from cadences.progress import complete_step, task_step

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
        hand_over(lead, colleague, by=request.user)
        messages.success(request, f"Handed over to {colleague.get_full_name() or colleague.get_username()}.")
        if is_manager(request.user):
            return redirect("workspace-lead", pk=lead.pk)
        return redirect("workspace-queue")
    return _invalid(request, lead, handover_form=form)


# --- my stats ------------------------------------------------------------------------------------


def week_start(now: datetime, tz: ZoneInfo) -> datetime:
    local = now.astimezone(tz)
    return datetime.combine(local.date() - timedelta(days=local.weekday()), time(0), tzinfo=tz)


@login_required
def my_stats(request: HttpRequest) -> HttpResponse:
    """The rep's own speed this week against their team's (SPEC §4 definitions, from
    leads.metrics: database aggregates)."""
    from routing.models import Team

    user = request.user
    now = timezone.now()
    since = week_start(now, viewer_zone(user))
    context: dict = {"since": since, "available": True}
    try:
        from leads.metrics import human_duration, human_rate, rep_rows, summary
    except ImportError:  # the metrics module is not there yet
        context["available"] = False
        return _render(request, "workspace/stats.html", context)
    week = Lead.objects.countable().filter(submitted_at__gte=since)
    teams = list(Team.objects.filter(members=user).order_by("name"))
    team_leads = week.filter(team__in=teams) if teams else week.none()
    mine, team = summary(week.filter(owner=user), now), summary(team_leads, now)

    def card(figures: dict) -> dict:
        rate = figures["met"] / figures["due"] if figures["due"] else None
        return {
            "leads": figures["leads"],
            "attempted": figures["attempted"],
            "median": human_duration(figures["response_median"]),
            "mean": human_duration(figures["response_mean"]),
            "within_sla": human_rate(rate),
            "within_sla_value": rate,
            "met": figures["met"],
            "due": figures["due"],
        }

    board = rep_rows(team_leads, now) if teams else []
    for row in board:
        row["median_text"] = human_duration(row["median"])
        row["rate_text"] = human_rate(row["within_sla_rate"])
        row["me"] = row["rep"] == user.get_username()
    context.update(mine=card(mine), team=card(team), teams=teams, board=board, target=0.95)
    return _render(request, "workspace/stats.html", context)
