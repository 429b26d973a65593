"""The rep workspace (SPEC §2, §3.9, §6): where people land after signing in, the live
lead queue, the lead page with every action a rep needs, and "my stats".

Views are thin: they check who may see or act (reps: their own leads, others 404;
acting: the owner or a manager), parse a form, call the domain function and redirect,
or show the form's errors. Live updates come from the websocket (workspace/consumers.py)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django_tables2 import RequestConfig

from cadences.progress import due_tasks_for
from leadops.pages import render_in_viewer_zone
from leadops.parsing import row_id
from leadops.roles import LEADERSHIP, REPS, in_group, is_manager, sees_all_leads
from leadops.timezones import viewer_zone
from leads.models import LeadSource
from routing.models import Team
from workspace.filters import QueueFilter, queue_leads
from workspace.tables import QueueTable

DASHBOARD_URL = "/dashboard/"
PER_PAGE = 25
MAX_PER_PAGE = 100


# --- who is looking ------------------------------------------------------------------------------


# --- landing -------------------------------------------------------------------------------------


@login_required
def start(request: HttpRequest) -> HttpResponse:
    """Where sign-in lands: reps on their queue, leadership on the dashboard, managers choose."""
    user = request.user
    if is_manager(user):
        teams = Team.objects.order_by("name")
        mine = [team for team in teams if team.manager_id == user.pk]
        return render_in_viewer_zone(
            request, "workspace/start.html", {"teams": mine or list(teams), "all_teams": not mine}
        )
    if in_group(user, REPS):
        return redirect("workspace-queue")
    if in_group(user, LEADERSHIP):
        return redirect(DASHBOARD_URL)
    return redirect("workspace-queue")


# --- the queue -----------------------------------------------------------------------------------


def _due_tasks(user, now: datetime) -> list:
    return due_tasks_for(user, now)


def _per_page(text: str | None) -> int | None:
    """Rows per queue page from ?per_page= (django-tables2 reads it too): the default when
    absent, None when it is not a number from 1 to MAX_PER_PAGE (a negative one raised
    inside the paginator, a huge one loaded the whole queue)."""
    if text is None:
        return PER_PAGE
    number = row_id(text)
    return number if number is not None and 1 <= number <= MAX_PER_PAGE else None


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """The rep's open leads and due tasks, most urgent first; ?team=<id> for a manager's
    (or leadership's) view of a team."""
    user = request.user
    now = timezone.now()
    tz = viewer_zone(user)
    team = None
    if request.GET.get("team"):
        team_id = row_id(request.GET["team"])
        if not sees_all_leads(user) or team_id is None:
            raise Http404("No such team view.")
        team = get_object_or_404(Team, pk=team_id)
    per_page = _per_page(request.GET.get("per_page"))
    if per_page is None:
        return HttpResponseBadRequest(
            f"per_page: use a whole number from 1 to {MAX_PER_PAGE}.", content_type="text/plain; charset=utf-8"
        )
    leads = queue_leads(team=team) if team else queue_leads(owner=user)
    filterset = QueueFilter(request.GET or None, queryset=leads, now=now, tz=tz)
    table = QueueTable(filterset.qs, team_view=team is not None, viewer_id=user.pk)
    RequestConfig(request, paginate={"per_page": per_page}).configure(table)
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
    return render_in_viewer_zone(request, "workspace/queue.html", context)


def home(request: HttpRequest) -> HttpResponse:
    """The landing page: sign in, or open a lead source's hosted form."""
    sources = LeadSource.objects.filter(hosted_form_enabled=True).order_by("name")
    return render(request, "home.html", {"sources": sources})
