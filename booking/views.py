"""The lead's booking page, /book/<signed token>/ (SPEC §6): no login, the link is the key.

GET shows the rep (or the team) and the free slots in the lead's own time zone, or the
booked meeting with "cancel" and "pick another time"; POST books (or moves) the chosen
slot and redirects back; /cancel/ cancels. /slots.json feeds the thank-you page's widget,
which waits there for routing to choose a rep. Every bad input gets a clear page, never a
500: a forged link 404, an expired one 410, a taken slot 409 with the next free slots, a
time outside the horizon or not on offer 400."""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.core import signing
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods, require_POST

from booking import actions
from booking.actions import BookingError, is_open
from booking.availability import NOBODY, POOL, REP, Offer, lead_zone, offer_for
from booking.invitations import person_name
from booking.models import BookedVia, Meeting
from booking.slots import TAKEN, by_local_day
from leadops.booking_links import read_booking_token
from leads.models import Lead

WIDGET_SLOTS = 6
OPEN_AT_LEAST = 8  # slots shown unfolded on the booking page
PROBLEM_STATUS = {TAKEN: 409, actions.CLOSED: 410, actions.NOBODY: 409, actions.NOT_BOOKED: 409, actions.STARTED: 409}


class LinkProblem(Exception):
    def __init__(self, status: int, title: str, text: str):
        super().__init__(title)
        self.status, self.title, self.text = status, title, text


def lead_for_token(token: str) -> Lead:
    if not settings.LEADOPS_BOOKING_ENABLED:
        raise LinkProblem(404, "Online booking is not available", "Please call us instead.")
    try:
        lead_id = read_booking_token(token)
    except signing.SignatureExpired as error:
        raise LinkProblem(410, "This booking link has expired", "Links work for a few weeks.") from error
    except signing.BadSignature as error:
        raise LinkProblem(404, "This booking link is not valid", "Please check the link in your email.") from error
    lead = Lead.objects.select_related("owner", "lead_source").filter(pk=lead_id, junk=False).first()
    if lead is None:
        raise LinkProblem(404, "This booking link is not valid", "Please check the link in your email.")
    return lead


def problem_page(request: HttpRequest, problem: LinkProblem) -> HttpResponse:
    context = {"problem": problem, "contact_phone": settings.LEADOPS_CONTACT_PHONE}
    return render(request, "booking/problem.html", context, status=problem.status)


def parse_start(value: str | None) -> datetime | None:
    if not value or len(value) > 40:
        return None
    try:
        moment = parse_datetime(value.strip())
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None:
        return None
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # year 1 at +14:00 and the like
        return None


def current_offer(lead: Lead, meeting: Meeting | None, now: datetime, limit: int | None = None) -> Offer | None:
    if not is_open(lead):
        return None
    if meeting is not None and meeting.external_provider:
        return None  # booked in Calendly or Cal.com: it is moved there, not here
    if meeting is not None:  # moving a meeting: the same rep's slots, this meeting not busy
        return offer_for(lead, now, limit=limit, ignore_meeting=meeting.pk, rep=meeting.rep)
    return offer_for(lead, now, limit=limit)


def slot_json(start: datetime, tz) -> dict:
    local = start.astimezone(tz)
    return {"start": start.isoformat(), "time": f"{local:%H:%M}", "day": f"{local:%A %d %B}".replace(" 0", " ")}


def open_days(days: list, *, moving: bool) -> list[tuple]:
    """(day, slots, shown open): the first day open (and the next while fewer than
    OPEN_AT_LEAST times are showing); all folded when the lead is moving a booked call."""
    shown, rows = 0, []
    for day, starts in days:
        is_open_day = not moving and shown < OPEN_AT_LEAST
        shown += len(starts) if is_open_day else 0
        rows.append((day, starts, is_open_day))
    return rows


def page_context(lead: Lead, token: str, now: datetime) -> dict:
    tz = lead_zone(lead)
    meeting = lead.meetings.current(now).select_related("rep").first()
    offer = current_offer(lead, meeting, now)
    if offer and meeting:  # moving to the time it has is no move
        offer.slots = [start for start in offer.slots if start != meeting.starts_at]
    return {
        "lead": lead,
        "token": token,
        "tz": tz,
        "tz_name": tz.key,
        "meeting": meeting,
        "offer": offer,
        "days": open_days(by_local_day(offer.slots, tz), moving=meeting is not None) if offer else [],
        "is_open": is_open(lead),
        "contact_phone": settings.LEADOPS_CONTACT_PHONE,
        "company_name": settings.LEADOPS_COMPANY_NAME,
        "modes": {"rep": REP, "pool": POOL, "nobody": NOBODY},
    }


def render_page(request, lead: Lead, token: str, *, status: int = 200, problem: str = "") -> HttpResponse:
    context = page_context(lead, token, timezone.now())
    context |= {"problem": problem, "notice": request.GET.get("done", "")[:20] if status == 200 else ""}
    with timezone.override(context["tz"]):
        return render(request, "booking/page.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def booking_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        lead = lead_for_token(token)
    except LinkProblem as problem:
        return problem_page(request, problem)
    if request.method != "POST":
        return render_page(request, lead, token)
    start = parse_start(request.POST.get("start"))
    if start is None:
        return render_page(request, lead, token, status=400, problem="Please choose one of the times below.")
    via = BookedVia.THANK_YOU if request.POST.get("from") == BookedVia.THANK_YOU else BookedVia.LINK
    try:
        actions.book(lead.pk, start, via=via)
    except BookingError as error:
        return render_page(request, lead, token, status=PROBLEM_STATUS.get(error.code, 400), problem=str(error))
    except DatabaseError:  # a lock wait cut short or the database away: nothing was booked
        problem = "We could not book that just now. Please try again in a moment."
        return render_page(request, lead, token, status=503, problem=problem)
    return redirect(reverse("booking-page", args=[token]) + "?done=booked", permanent=False)


@require_POST
def cancel_meeting(request: HttpRequest, token: str) -> HttpResponse:
    try:
        lead = lead_for_token(token)
    except LinkProblem as problem:
        return problem_page(request, problem)
    meeting = lead.meetings.current(timezone.now()).first()
    if meeting is None:
        return render_page(request, lead, token, status=409, problem="There is no booked meeting to cancel.")
    try:
        actions.cancel(meeting.pk, by_label="lead", reason=request.POST.get("reason", "")[:300])
    except BookingError as error:
        return render_page(request, lead, token, status=PROBLEM_STATUS.get(error.code, 400), problem=str(error))
    except DatabaseError:
        problem = "We could not cancel that just now. Please try again in a moment."
        return render_page(request, lead, token, status=503, problem=problem)
    return redirect(reverse("booking-page", args=[token]) + "?done=cancelled")


@require_http_methods(["GET", "HEAD"])
def slots_json(request: HttpRequest, token: str) -> JsonResponse:
    """The thank-you widget's poll: who the lead would book and the next free slots."""
    try:
        lead = lead_for_token(token)
    except LinkProblem as problem:
        return JsonResponse({"errors": {"token": [problem.title]}}, status=problem.status)
    now = timezone.now()
    tz = lead_zone(lead)
    meeting = lead.meetings.current(now).select_related("rep").first()
    offer = current_offer(lead, meeting, now, limit=WIDGET_SLOTS)
    body = {
        "mode": offer.mode if offer else "closed",
        "assigned": bool(lead.owner_id),
        "routed": bool(lead.owner_id or lead.routing_trace),
        "rep": offer.rep_name if offer else "",
        "time_zone": tz.key,
        "slots": [slot_json(start, tz) for start in offer.slots] if offer else [],
        "page": reverse("booking-page", args=[token]),
        "meeting": slot_json(meeting.starts_at, tz) | {"rep": person_name(meeting.rep)} if meeting else None,
    }
    return JsonResponse(body)
