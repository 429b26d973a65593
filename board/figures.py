"""What a team's live board shows, read fresh from the database on every load (the page
reloads its live part whenever the websocket says something changed, so several managers
always see the same state):

- every rep of the team: presence (online = available, away, offline) and since when,
  open leads against capacity, leads still waiting for their first call;
- the leads waiting for a first contact, most urgent first, with their SLA clock (amber
  from 80% of the time, red when breached) and whether the owner has accepted;
- today's median time to first response and share within SLA, by the definitions of
  SPEC §4 (the same as reports/metrics.py, computed here over today's leads of one team:
  the board does not import reports, see .importlinter);
- the team's morning queue (leads nobody could take) and who is on call now."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone

from leadops.roles import REPS, is_manager
from leadops.timezones import zone
from leads.choices import Stage
from leads.models import Lead
from notifications.alerts import sla_warning_at
from routing.models import Offer, OnCallShift, RepProfile, RepStatus, Team

OPEN_STAGES = (Stage.NEW, Stage.ASSIGNED, Stage.CONTACTED, Stage.CONNECTED)
WAITING_STAGES = (Stage.NEW, Stage.ASSIGNED)  # not attempted yet
WAITING_LIMIT = 60
PRESENCE = {RepStatus.AVAILABLE: "online", RepStatus.AWAY: "away", RepStatus.OFFLINE: "offline"}


def teams_for(user):
    """The teams whose board a user may open: a manager's own teams (managed or joined); a
    superuser with none of their own, all. The same teams their websocket listens to
    (notifications.live.groups_for), so every board a manager opens is live."""
    if not is_manager(user):
        return Team.objects.none()
    own = Team.objects.filter(Q(manager=user) | Q(members=user)).distinct().order_by("name")
    if user.is_superuser and not own.exists():
        return Team.objects.order_by("name")
    return own


@dataclass
class RepRow:
    id: int
    name: str
    username: str
    presence: str
    since: datetime | None
    open_leads: int
    capacity: int
    waiting: int
    on_call: str = ""

    @property
    def load_share(self) -> int:
        return min(100, round(100 * self.open_leads / self.capacity)) if self.capacity else 0


@dataclass
class Board:
    team: Team
    now: datetime
    reps: list[RepRow] = field(default_factory=list)
    waiting: list[dict] = field(default_factory=list)
    morning_queue: list[dict] = field(default_factory=list)
    on_call: list[dict] = field(default_factory=list)
    today: dict = field(default_factory=dict)


def _reps(team: Team, on_call: dict[int, str]) -> list[RepRow]:
    reps = Q(groups__name=REPS) | Q(rep_profile__isnull=False)  # not a manager who joined the team to watch it
    users = list(
        get_user_model().objects.filter(reps, teams=team, is_active=True).distinct().order_by("first_name", "username")
    )
    ids = [user.pk for user in users]
    profiles = {profile.user_id: profile for profile in RepProfile.objects.filter(user_id__in=ids)}
    counts = (
        Lead.objects.filter(owner_id__in=ids, stage__in=OPEN_STAGES)
        .values("owner_id")
        .annotate(open=Count("pk"), waiting=Count("pk", filter=Q(first_attempt_at__isnull=True, junk=False)))
    )
    by_owner = {row["owner_id"]: row for row in counts}
    rows = []
    for user in users:
        profile = profiles.get(user.pk)
        counted = by_owner.get(user.pk, {})
        rows.append(
            RepRow(
                id=user.pk,
                name=user.get_full_name() or user.get_username(),
                username=user.get_username(),
                presence=PRESENCE.get(profile.status, "offline") if profile else "offline",
                since=profile.status_changed_at if profile else None,
                open_leads=counted.get("open", 0),
                capacity=profile.capacity if profile else 0,
                waiting=counted.get("waiting", 0),
                on_call=on_call.get(user.pk, ""),
            )
        )
    return rows


def _lead_row(lead: Lead, offers: dict[int, Offer], now: datetime) -> dict:
    due = lead.first_contact_due_at
    offer = offers.get(lead.pk)
    return {
        "lead": lead,
        "owner": (lead.owner.get_full_name() or lead.owner.get_username()) if lead.owner_id else "",
        "due": due,
        "warn": sla_warning_at(lead),
        "breached": bool(due and due < now),
        "accepted": lead.accepted_at is not None,
        "accept_by": offer.accept_by if offer and offer.owner_id == lead.owner_id else None,
    }


def _waiting(team: Team, now: datetime) -> tuple[list[dict], list[dict]]:
    leads = list(
        Lead.objects.filter(team=team, junk=False, first_attempt_at__isnull=True, stage__in=WAITING_STAGES)
        .select_related("owner")
        .order_by("first_contact_due_at", "submitted_at")[:WAITING_LIMIT]
    )
    offers = {offer.lead_id: offer for offer in Offer.objects.filter(lead_id__in=[lead.pk for lead in leads])}
    owned = [_lead_row(lead, offers, now) for lead in leads if lead.owner_id]
    queued = [_lead_row(lead, offers, now) for lead in leads if not lead.owner_id]
    return owned, queued


def _on_call(team: Team, now: datetime) -> list[dict]:
    shifts = OnCallShift.objects.covering(now).filter(team=team).select_related("user").order_by("role", "starts_at")
    return [
        {
            "user_id": shift.user_id,
            "name": shift.user.get_full_name() or shift.user.get_username(),
            "role": shift.get_role_display(),
            "until": shift.ends_at,
        }
        for shift in shifts
    ]


def start_of_day(team: Team, now: datetime) -> datetime:
    """Midnight today in the team's schedule's time zone."""
    try:
        place = zone(team.schedule.time_zone)
    except ValueError:
        place = timezone.get_current_timezone()
    local = timezone.localtime(now, place)
    return datetime.combine(local.date(), time.min, tzinfo=place)


def today_figures(team: Team, now: datetime) -> dict:
    """SPEC §4 over the team's leads submitted today (junk left out): median time to first
    response (first attempt minus submission, attempted leads only) and within SLA (first
    attempt at or before the due time, among leads attempted or whose due time passed)."""
    rows = list(
        Lead.objects.filter(team=team, junk=False, submitted_at__gte=start_of_day(team, now), submitted_at__lte=now)
        .values_list("submitted_at", "first_attempt_at", "first_contact_due_at")
        .order_by()
    )
    responses = [(attempt - submitted).total_seconds() for submitted, attempt, _ in rows if attempt]
    counted = [(attempt, due) for _, attempt, due in rows if due and (attempt or due < now)]
    met = sum(1 for attempt, due in counted if attempt and attempt <= due)
    return {
        "leads": len(rows),
        "attempted": len(responses),
        "median_seconds": statistics.median(responses) if responses else None,
        "within_sla": met / len(counted) if counted else None,
        "met": met,
        "due": len(counted),
    }


def team_board(team: Team, now: datetime | None = None) -> Board:
    now = now or timezone.now()
    on_call = _on_call(team, now)
    owned, queued = _waiting(team, now)
    return Board(
        team=team,
        now=now,
        reps=_reps(team, {shift["user_id"]: shift["role"] for shift in on_call}),
        waiting=owned,
        morning_queue=queued,
        on_call=on_call,
        today=today_figures(team, now),
    )


def readable_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    value = timedelta(seconds=round(seconds))
    minutes, rest = divmod(int(value.total_seconds()), 60)
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"
