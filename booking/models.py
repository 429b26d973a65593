"""Meetings a lead books with a rep, each team's booking settings, and each rep's optional
iCalendar free/busy feed (its busy times cached here by the worker).

Two leads can never hold the same time of one rep: on PostgreSQL an exclusion constraint
(migration 0002, btree_gist) refuses two booked meetings of a rep whose time ranges
overlap; on every database a partial unique index refuses two booked meetings of a rep
at the same start. Booking also locks the rep's row first (booking/actions.py), so the
constraints are the last line, not the usual path."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.timezone import now

from booking.slots import SlotRules
from routing.models import Team


class BookingSettings(models.Model):
    """How a team's meetings are offered (SPEC §3.11). A team without a row uses the defaults."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="booking_settings")
    slot_minutes = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(5), MaxValueValidator(240)], help_text="Length of a meeting."
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        default=10, validators=[MaxValueValidator(120)], help_text="Kept free before and after each busy time."
    )
    notice_minutes = models.PositiveIntegerField(
        default=15, validators=[MaxValueValidator(7 * 24 * 60)], help_text="The earliest slot is this far ahead."
    )
    horizon_days = models.PositiveSmallIntegerField(
        default=14, validators=[MinValueValidator(1), MaxValueValidator(90)], help_text="How far ahead leads can book."
    )
    reminder_minutes = models.PositiveSmallIntegerField(
        default=15, validators=[MaxValueValidator(24 * 60)], help_text="The rep's reminder task, before the meeting."
    )

    class Meta:
        verbose_name = "booking settings"
        verbose_name_plural = "booking settings"

    def __str__(self) -> str:
        return f"Booking settings of {self.team}"

    def rules(self) -> SlotRules:
        return SlotRules(
            length=timedelta(minutes=self.slot_minutes),
            buffer=timedelta(minutes=self.buffer_minutes),
            notice=timedelta(minutes=self.notice_minutes),
            horizon=timedelta(days=self.horizon_days),
        )


def validate_feed_url(url: str) -> None:
    if not url.lower().startswith(("https://", "http://")):
        raise ValidationError("Use an http(s) address of an iCalendar (.ics) feed.")


class CalendarFeed(models.Model):
    """A rep's calendar as an iCalendar URL (a "secret address" or a free/busy URL). The
    worker fetches it (booking/feeds.py) and keeps the busy times of the next weeks here;
    slots are computed from this copy, never by fetching during a page view."""

    rep = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    url = models.URLField(max_length=1000, validators=[validate_feed_url])
    active = models.BooleanField(default=True)
    busy = models.JSONField(default=list, blank=True, editable=False, help_text="[[start, end], ...] in UTC.")
    fetched_at = models.DateTimeField(null=True, blank=True, editable=False, help_text="Last successful fetch.")
    checked_at = models.DateTimeField(null=True, blank=True, editable=False, help_text="Last attempt.")
    error = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["rep__username"]

    def __str__(self) -> str:
        return f"Calendar feed of {self.rep}"


class MeetingStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CANCELLED = "cancelled", "Cancelled"


class Attendance(models.TextChoices):
    UNKNOWN = "", "Not marked"
    HELD = "held", "Held"
    NO_SHOW = "no_show", "No-show"


class BookedVia(models.TextChoices):
    THANK_YOU = "thank_you", "Thank-you page"
    LINK = "link", "Booking link"
    REP = "rep", "By the rep"
    CALENDLY = "calendly", "Calendly"
    CALCOM = "calcom", "Cal.com"


class MeetingQuerySet(models.QuerySet):
    def booked(self):
        return self.filter(status=MeetingStatus.BOOKED)

    def current(self, now):
        """Booked and not over: a lead has at most one (booking/actions.py, under the lead's lock)."""
        return self.booked().filter(ends_at__gt=now)

    def overlapping(self, starts_at, ends_at):
        return self.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)


class Meeting(models.Model):
    """A lead's meeting with a rep. Rescheduling moves this row (same ICS UID, SEQUENCE + 1);
    cancelling keeps it, cancelled. A lead has at most one booked meeting that is not over;
    past ones stay booked, with the attendance the rep marked."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="meetings")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meetings")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.BOOKED)
    uid = models.CharField(max_length=200, unique=True, help_text="The ICS UID of the invitation.")
    sequence = models.PositiveIntegerField(default=0, help_text="ICS SEQUENCE: +1 at every change.")
    booked_at = models.DateTimeField(default=now)
    booked_via = models.CharField(max_length=12, choices=BookedVia.choices, default=BookedVia.LINK)
    pooled = models.BooleanField(default=False, help_text="Booked from the team's pooled slots.")
    rescheduled_count = models.PositiveSmallIntegerField(default=0)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=150, blank=True, help_text="'lead' or the user's username.")
    cancel_reason = models.CharField(max_length=300, blank=True)
    attendance = models.CharField(max_length=10, choices=Attendance.choices, default=Attendance.UNKNOWN, blank=True)
    attendance_marked_at = models.DateTimeField(null=True, blank=True)
    external_provider = models.CharField(
        max_length=20, blank=True, help_text="Booked in another scheduler (calendly, calcom): its name."
    )
    external_id = models.CharField(
        max_length=300, blank=True, help_text="Its id there (Calendly's invitee URI, Cal.com's booking uid)."
    )
    reminder_step = models.ForeignKey(
        "cadences.PlannedStep", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The rep's reminder task in the lead's cadence plan.",
    )  # fmt: skip

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["rep", "starts_at"],
                condition=models.Q(status="booked"),
                name="one_booked_meeting_per_rep_start",
            ),
            models.UniqueConstraint(
                fields=["external_provider", "external_id"],
                condition=~models.Q(external_id=""),
                name="one_meeting_per_external_id",
            ),
        ]
        indexes = [models.Index(fields=["rep", "starts_at"], name="meeting_rep_start")]

    def __str__(self) -> str:
        return f"Meeting of lead #{self.lead_id} with {self.rep_id} at {self.starts_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def is_booked(self) -> bool:
        return self.status == MeetingStatus.BOOKED

    def has_started(self, at) -> bool:
        return self.starts_at <= at
