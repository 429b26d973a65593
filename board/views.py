"""The managers' live board (/board/, SPEC §3.11): one page per team, live over the
workspace's websocket (board.js connects with ?page=board and reloads the live part of
the page when an event about the team arrives), and the one-click move of a lead to a
chosen rep (routing.offers.reassign_to: the same door as routing, traced)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from board.figures import readable_seconds, team_board, teams_for
from leadops.pages import render_in_viewer_zone
from leadops.parsing import row_id
from leadops.roles import is_manager
from leads.models import Lead
from routing.offers import PassRefused, reassign_to


def _manager(request: HttpRequest) -> None:
    if not is_manager(request.user):
        raise Http404("The board is for managers.")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The manager's teams; with one team, its board at once."""
    _manager(request)
    teams = list(teams_for(request.user))
    if len(teams) == 1:
        return redirect("board-team", team_id=teams[0].pk)
    return render(request, "board/home.html", {"teams": teams})


@login_required
def team(request: HttpRequest, team_id: int) -> HttpResponse:
    _manager(request)
    chosen = get_object_or_404(teams_for(request.user), pk=team_id)
    board = team_board(chosen)
    context = {
        "board": board,
        "teams": teams_for(request.user),
        "median": readable_seconds(board.today["median_seconds"]),
        "within_sla": None if board.today["within_sla"] is None else round(100 * board.today["within_sla"]),
        "board_config": {"team_id": chosen.pk, "ws_url": settings.LEADOPS_WS_URL.rstrip("/")},
    }
    return render_in_viewer_zone(request, "board/board.html", context)


@login_required
@require_POST
def reassign(request: HttpRequest, team_id: int, lead_id: int) -> HttpResponse:
    """One click on a rep's name moves the lead to them (traced as the manager's choice)."""
    _manager(request)
    chosen = get_object_or_404(teams_for(request.user), pk=team_id)
    lead = get_object_or_404(Lead.objects.filter(team=chosen), pk=lead_id)
    target_id = row_id(request.POST.get("to", ""))
    target = get_user_model().objects.filter(pk=target_id, teams=chosen, is_active=True).first() if target_id else None
    if target is None:
        messages.error(request, "Choose a rep of this team.")
        return redirect("board-team", team_id=chosen.pk)
    try:
        reassign_to(lead.pk, target.pk, by=request.user)
    except PassRefused as error:
        messages.error(request, f"L-{lead.pk}: {error}")
    else:
        messages.success(request, f"L-{lead.pk} moved to {target.get_full_name() or target.get_username()}.")
    return redirect("board-team", team_id=chosen.pk)
