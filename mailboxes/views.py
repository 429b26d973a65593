"""The mailbox pages: /mailbox/ (reply times and activity from the mailbox: a rep sees
their own; managers and leadership pick a rep or a team), /mailbox/connect/ (a rep
connects or edits their own mailbox), and the "Sync now" / "Disconnect" buttons."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from leadops.pages import render_in_viewer_zone
from leadops.roles import is_manager, sees_all_leads
from leadops.timezones import viewer_zone
from mailboxes.analytics import WEEKDAYS, busiest, figures
from mailboxes.forms import MailboxForm
from mailboxes.models import Mailbox
from mailboxes.sync import request_sync
from routing.models import Team

WEEKDAY_NAMES = [WEEKDAYS_ABBR[number] for number in range(7)]  # Django's own Mon..Sun, translated

PERIODS = (7, 30, 90)


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _card(result) -> dict:
    def block(numbers: dict) -> dict:
        return {
            "mean": _duration(numbers["mean"]), "median": _duration(numbers["median"]),
            "p90": _duration(numbers["p90"]),
            "under_5m": _share(numbers["under_5m"]), "under_1h": _share(numbers["under_1h"]),
            "under_6h": _share(numbers["under_6h"]),
        }  # fmt: skip

    return {
        "replies": result.replies, "waiting": result.waiting, "wall": block(result.wall),
        "business": block(result.business), "sent": result.sent, "received": result.received,
        "sent_per_day": f"{result.sent_per_day:.1f}", "received_per_day": f"{result.received_per_day:.1f}",
        "threads": result.threads,
        "thread_length": "—" if result.average_thread_length is None else f"{result.average_thread_length:.1f}",
        "busiest": _busiest(result),
    }  # fmt: skip


def _heat_rows(result) -> list[dict]:
    top = result.heat_max or 1
    return [
        {"day": day, "cells": [{"n": n, "alpha": round(n / top, 2), "hour": hour} for hour, n in enumerate(row)]}
        for day, row in zip(WEEKDAY_NAMES, result.heat, strict=True)
    ]


def _busiest(result) -> dict:
    """The busiest weekday (its short name in the page's language) and hour of day."""
    found = busiest(result)
    if found["weekday"] is not None:
        found["weekday"] = WEEKDAY_NAMES[WEEKDAYS.index(found["weekday"])]
    return found


@login_required
def mailbox_stats(request: HttpRequest) -> HttpResponse:
    user = request.user
    manager_view = sees_all_leads(user)
    days = _number(request.GET.get("days")) or 30
    days = days if days in PERIODS else 30
    now = timezone.now()
    since, until = now - timedelta(days=days), now
    tz = viewer_zone(user)
    teams = list(Team.objects.order_by("name")) if manager_view else list(Team.objects.filter(members=user))
    rep_id, team_id = _number(request.GET.get("rep")), _number(request.GET.get("team"))
    if not manager_view and rep_id not in (None, user.pk):
        raise Http404(_("You can see your own mailbox figures only."))
    if team_id is not None and team_id not in {team.pk for team in teams}:
        raise Http404(_("No such team."))

    all_mailboxes = Mailbox.objects.select_related("owner").order_by("owner__username", "pk")
    if team_id is not None:
        team = next(team for team in teams if team.pk == team_id)
        scope = list(all_mailboxes.filter(owner__in=team.members.all()))
        title = _("Team %(name)s") % {"name": team.name}
    elif rep_id is not None or not manager_view:
        owner = get_object_or_404(get_user_model(), pk=rep_id) if rep_id else user
        scope = list(all_mailboxes.filter(owner=owner))
        name = owner.get_full_name() or owner.get_username()
        title = _("My mailbox") if owner == user else _("%(name)s's mailbox") % {"name": name}
        team = None
    else:
        scope = list(all_mailboxes)
        title, team = _("All connected mailboxes"), None

    by_owner: dict[int, list[Mailbox]] = {}
    for mailbox in scope:
        by_owner.setdefault(mailbox.owner_id, []).append(mailbox)
    reps = []
    if len(by_owner) > 1 and manager_view or team is not None:
        for owner_mailboxes in by_owner.values():
            owner = owner_mailboxes[0].owner
            card = _card(figures(owner_mailboxes, since, until, tz))
            reps.append({"owner": owner, "card": card, "me": owner == user})
    result = figures(scope, since, until, tz)
    context = {
        "title": title, "days": days, "periods": PERIODS, "since": since, "until": until, "tz": tz,
        "card": _card(result), "heat": _heat_rows(result), "hours": range(24), "per_day": result.days[-14:],
        "reps": reps, "teams": teams, "team_id": team_id, "rep_id": rep_id, "manager_view": manager_view,
        "mailboxes": scope, "own_mailbox": Mailbox.objects.filter(owner=user).first(),
    }  # fmt: skip
    if manager_view:
        context["rep_choices"] = list(all_mailboxes.values_list("owner_id", "owner__username").distinct())
    return render_in_viewer_zone(request, "mailboxes/stats.html", context)


@login_required
def mailbox_connect(request: HttpRequest) -> HttpResponse:
    """A rep connects (or edits) their own mailbox; managers connect a rep's in the admin."""
    mailbox = Mailbox.objects.filter(owner=request.user).first()
    form = MailboxForm(request.POST or None, instance=mailbox)
    if request.method == "POST":
        form.instance.owner = request.user
        if form.is_valid():
            saved = form.save()
            request_sync(saved)
            messages.success(
                request, _("The login worked. Your mailbox is syncing; figures appear in a minute or two.")
            )
            return redirect("mailbox-stats")
    status = 400 if form.errors else 200
    return render_in_viewer_zone(request, "mailboxes/connect.html", {"form": form, "mailbox": mailbox}, status)


def _own_or_managed(request: HttpRequest, pk: int) -> Mailbox:
    mailbox = get_object_or_404(Mailbox, pk=pk)
    if mailbox.owner_id != request.user.pk and not is_manager(request.user):
        raise Http404(_("No such mailbox."))
    return mailbox


@login_required
@require_POST
def mailbox_sync(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = _own_or_managed(request, pk)
    if not mailbox.active:
        messages.error(request, _("This mailbox is switched off; a manager can switch it on in the admin."))
    else:
        request_sync(mailbox)
        messages.success(request, _("Asked the worker to sync now; the status below updates when it is done."))
    return redirect("mailbox-stats")


@login_required
@require_POST
def mailbox_disconnect(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = _own_or_managed(request, pk)
    mailbox.delete()
    messages.success(request, _("Mailbox disconnected: its password and stored headers are deleted."))
    return redirect("mailbox-stats")
