"""The rep's meeting actions from the lead page (/leads/<id>/, its "Meeting" section,
rendered by booking/templatetags/booking.py): reschedule, cancel, mark held or no-show.

As every lead-page action: reps see only their own leads (others 404), acting needs the
owner or a manager (403), and the answer is a redirect back with a message."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from booking import actions
from booking.actions import BookingError
from booking.models import Attendance, Meeting
from booking.views import parse_start
from leadops.roles import is_manager
from leads.permissions import visible_leads


def _meeting_for_action(request: HttpRequest, pk: int, meeting_id: int) -> Meeting:
    lead = get_object_or_404(visible_leads(request.user), pk=pk)
    if lead.owner_id != request.user.pk and not is_manager(request.user):
        raise PermissionDenied("Only the lead's owner or a manager can change its meetings.")
    return get_object_or_404(Meeting, pk=meeting_id, lead_id=lead.pk)


def _back(pk: int) -> HttpResponse:
    return redirect(reverse("workspace-lead", args=[pk]) + "#meeting")


def _run(request: HttpRequest, pk: int, done: str, action) -> HttpResponse:
    try:
        action()
    except BookingError as error:
        messages.error(request, str(error))
    except DatabaseError:
        messages.error(request, "The meeting could not be changed just now. Please try again.")
    else:
        messages.success(request, done)
    return _back(pk)


@login_required
@require_POST
def reschedule_view(request: HttpRequest, pk: int, meeting: int) -> HttpResponse:
    found = _meeting_for_action(request, pk, meeting)
    start = parse_start(request.POST.get("start"))
    if start is None:
        messages.error(request, "Choose one of the free times.")
        return _back(pk)
    return _run(
        request, pk, "Meeting moved: both of you get the new invitation.",
        lambda: actions.reschedule(found.pk, start, by_label=request.user.get_username(), actor=request.user),
    )  # fmt: skip


@login_required
@require_POST
def cancel_view(request: HttpRequest, pk: int, meeting: int) -> HttpResponse:
    found = _meeting_for_action(request, pk, meeting)
    reason = request.POST.get("reason", "")[:300]
    return _run(
        request, pk, "Meeting cancelled: the lead gets the cancellation.",
        lambda: actions.cancel(found.pk, by_label=request.user.get_username(), actor=request.user, reason=reason),
    )  # fmt: skip


@login_required
@require_POST
def attendance_view(request: HttpRequest, pk: int, meeting: int) -> HttpResponse:
    found = _meeting_for_action(request, pk, meeting)
    attendance = request.POST.get("attendance", "")
    if attendance not in (Attendance.HELD, Attendance.NO_SHOW):
        messages.error(request, "Mark the meeting held or no-show.")
        return _back(pk)
    label = "held" if attendance == Attendance.HELD else "a no-show"
    return _run(
        request, pk, f"Meeting marked {label}.",
        lambda: actions.mark_attendance(found.pk, attendance, actor=request.user),
    )  # fmt: skip
