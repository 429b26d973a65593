"""Who works when: business schedules, teams and named accounts.

The SLA clock (leads/sla.py) reads a schedule's weekly hours in the *lead's* time zone,
minus the public holidays of the lead's country and the schedule's custom closed days.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.timezone import now

from leadops import languages
from leadops.timezones import validate_time_zone
from leads.models import ChoiceListValidator
from leads.sla import parse_holiday_area


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


def validate_holiday_areas(value) -> None:
    """A list of "CC-SUBDIVISION" the `holidays` package knows, at most one per country."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError('Give a list of country-state codes, e.g. ["MY-KUL", "MY-10"].')
    errors, countries = [], set()
    for area in value:
        try:
            country, _ = parse_holiday_area(area)
        except ValueError as error:
            errors.append(str(error))
            continue
        if country in countries:
            errors.append(f"{area!r}: name one subdivision per country ({country} appears twice).")
        countries.add(country)
    if errors:
        raise ValidationError(errors)


class BusinessSchedule(models.Model):
    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(
        max_length=64,
        validators=[validate_time_zone],
        help_text="Used when a lead's own time zone is unknown; hours are read in the lead's zone.",
    )
    observe_public_holidays = models.BooleanField(
        default=True,
        help_text="Skip the public holidays of the lead's country (and of its state, see holiday subdivisions).",
    )
    holiday_subdivisions = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_holiday_areas],
        help_text=(
            'States whose public holidays count too, one per country, e.g. ["MY-KUL"] or ["MY-Selangor"], for '
            "leads of that country whose region names no state (a Malaysian lead's own state comes first)."
        ),
    )
    is_default = models.BooleanField(default=False, help_text="The schedule used when no other applies.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_schedule"
            )
        ]

    def __str__(self) -> str:
        return self.name


class WeeklyHours(models.Model):
    schedule = models.ForeignKey(BusinessSchedule, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name_plural = "weekly hours"

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"

    def clean(self) -> None:
        if self.opens >= self.closes:
            raise ValidationError({"closes": "Closing time must be after opening time."})


class ClosedDay(models.Model):
    schedule = models.ForeignKey(BusinessSchedule, on_delete=models.CASCADE, related_name="closed_days")
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["schedule", "date"], name="one_closed_day_per_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    schedule = models.ForeignKey(BusinessSchedule, on_delete=models.PROTECT, related_name="teams")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_teams"
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")
    chat_webhook_url = models.URLField(
        blank=True, help_text="Slack or Teams incoming webhook: hot leads are posted there."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class NamedAccount(models.Model):
    """A target account: its inquiries get the strictest SLA and go to its owner."""

    company_name = models.CharField(max_length=200)
    domain = models.CharField(max_length=200, unique=True, help_text="Company email/web domain, e.g. acme.com")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="named_accounts"
    )

    class Meta:
        ordering = ["company_name"]

    def __str__(self) -> str:
        return f"{self.company_name} ({self.domain})"

    def save(self, *args, **kwargs):
        self.domain = self.domain.strip().lower()
        super().save(*args, **kwargs)


class RepStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    AWAY = "away", "Away"
    OFFLINE = "offline", "Offline"


class Territory(models.Model):
    """Where a rep may take leads from: countries, regions, postal prefixes (empty = any)."""

    name = models.CharField(max_length=100, unique=True)
    countries = models.JSONField(default=list, blank=True, help_text='ISO codes, e.g. ["US", "CA"].')
    regions = models.JSONField(default=list, blank=True, help_text='e.g. ["NY", "New Jersey"].')
    postal_prefixes = models.JSONField(default=list, blank=True, help_text='e.g. ["10", "07"].')

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "territories"

    def __str__(self) -> str:
        return self.name

    def covers(self, *, country: str, region: str, postal_code: str) -> bool:
        region_names = {name.strip().lower() for name in self.regions}
        return (
            (not self.countries or country.upper() in {code.upper() for code in self.countries})
            and (not region_names or region.strip().lower() in region_names)
            and (not self.postal_prefixes or any(postal_code.startswith(prefix) for prefix in self.postal_prefixes))
        )


class AlertChoice(models.TextChoices):
    """Which leads a rep wants to hear about on a channel beyond the open page."""

    ALL = "all", "All my leads"
    HOT = "hot", "Hot leads only"
    NONE = "none", "None"


class RepProfile(models.Model):
    """A rep's routing settings; eligibility is decided in routing/eligibility.py."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rep_profile")
    time_zone = models.CharField(max_length=64, default="America/New_York", validators=[validate_time_zone])
    weight = models.PositiveSmallIntegerField(default=1, help_text="Share of a weighted rotation.")
    capacity = models.PositiveSmallIntegerField(default=25, help_text="Most open leads at once.")
    product_skills = models.JSONField(default=list, blank=True, help_text="Products this rep sells (empty: all).")
    territories = models.ManyToManyField(Territory, blank=True, help_text="Empty: every territory.")
    sms_phone = models.CharField(max_length=20, blank=True, help_text="E.164, for hot-lead SMS alerts.")
    language = models.CharField(
        max_length=5, blank=True, choices=languages.CHOICES,
        help_text="The language of the rep's pages (empty: the browser's). The rep's switcher saves it.",
    )  # fmt: skip
    status = models.CharField(max_length=10, choices=RepStatus.choices, default=RepStatus.OFFLINE)
    status_changed_at = models.DateTimeField(default=now)
    push_alerts = models.CharField(
        max_length=5, choices=AlertChoice.choices, default=AlertChoice.ALL,
        help_text="Web push to the rep's devices: new and moved leads, due calls, SLA warnings.",
    )  # fmt: skip
    sms_alerts = models.CharField(
        max_length=5, choices=AlertChoice.choices, default=AlertChoice.HOT,
        help_text="SMS to sms_phone when a lead is assigned to the rep.",
    )  # fmt: skip

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.status})"


class RepStatusChange(models.Model):
    """A rep's availability from `at` on (routing.assignment.set_rep_status writes one per
    change): the recorded history the what-if replay (whatif/) reads reps' status from."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(max_length=10, choices=RepStatus.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["at"], name="rep_status_change_at")]

    def __str__(self) -> str:
        return f"{self.user} {self.status} at {self.at:%Y-%m-%d %H:%M:%S}"


class WorkingHours(models.Model):
    """A rep's own weekly hours, in the rep's time zone. None at all: Mon-Fri 09:00-17:00."""

    rep = models.ForeignKey(RepProfile, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["weekday", "starts"]
        verbose_name_plural = "working hours"

    def clean(self) -> None:
        if self.starts >= self.ends:
            raise ValidationError({"ends": "The end must be after the start."})


class LeavePeriod(models.Model):
    rep = models.ForeignKey(RepProfile, on_delete=models.CASCADE, related_name="leave")
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="Last day of leave (inclusive).")
    reason = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["starts_on"]

    def clean(self) -> None:
        if self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "The last day must not be before the first."})


class OnCallRole(models.TextChoices):
    PRIMARY = "primary", "Primary"
    BACKUP = "backup", "Backup"


class OnCallShiftQuerySet(models.QuerySet):
    def covering(self, at):
        return self.filter(starts_at__lte=at, ends_at__gt=at)


class OnCallShift(models.Model):
    """Who takes a team's leads after hours and at weekends; its clock runs in wall-clock time."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="on_call_shifts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="on_call_shifts")
    role = models.CharField(max_length=10, choices=OnCallRole.choices, default=OnCallRole.PRIMARY)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    sources = models.JSONField(default=list, blank=True, validators=[ChoiceListValidator("Source")])
    temperatures = models.JSONField(default=list, blank=True, validators=[ChoiceListValidator("Temperature")])

    objects = OnCallShiftQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "role"]
        indexes = [models.Index(fields=["team", "starts_at", "ends_at"], name="oncall_team_window")]

    def __str__(self) -> str:
        return f"{self.team}: {self.user} ({self.role}) {self.starts_at:%Y-%m-%d %H:%M} → {self.ends_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "A shift must end after it starts."})

    def covers(self, *, source: str, temperature: str) -> bool:
        return (not self.sources or source in self.sources) and (
            not self.temperatures or temperature in self.temperatures
        )


class Strategy(models.TextChoices):
    ROUND_ROBIN = "round_robin", "Round robin (strict rotation)"
    WEIGHTED = "weighted", "Weighted rotation"
    LEAST_LOADED = "least_loaded", "Least loaded"
    BEST_PERFORMER = "best_performer", "Best recent performer"
    ACCOUNT_OWNER = "account_owner", "Account owner, else fall through"


class Fallback(models.TextChoices):
    ON_CALL_THEN_QUEUE = "on_call", "On-call rep, then the team's morning queue"
    NEXT_RULE = "next_rule", "Try the next rule"


class RoutingRule(models.Model):
    """One ordered rule of SPEC §3.5: the first active rule whose conditions all match sends
    the lead to its pool with its strategy. Empty conditions match anything."""

    position = models.PositiveIntegerField(default=0, db_index=True, help_text="Lower runs first.")
    name = models.CharField(max_length=120)
    active = models.BooleanField(default=True)
    sources = models.JSONField(default=list, blank=True, validators=[ChoiceListValidator("Source")])
    inquiry_types = models.JSONField(default=list, blank=True, validators=[ChoiceListValidator("InquiryType")])
    temperatures = models.JSONField(default=list, blank=True, validators=[ChoiceListValidator("Temperature")])
    min_score = models.PositiveSmallIntegerField(null=True, blank=True)
    max_score = models.PositiveSmallIntegerField(null=True, blank=True)
    countries = models.JSONField(default=list, blank=True)
    regions = models.JSONField(default=list, blank=True)
    postal_prefixes = models.JSONField(default=list, blank=True)
    product_interests = models.JSONField(default=list, blank=True, help_text="Matched case-insensitively.")
    min_company_size = models.PositiveIntegerField(null=True, blank=True, help_text="Employees (extra.company_size).")
    max_company_size = models.PositiveIntegerField(null=True, blank=True)
    named_account_only = models.BooleanField(default=False)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="rules")
    reps = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="routing_rules", help_text="Empty: the team's members."
    )
    strategy = models.CharField(max_length=20, choices=Strategy.choices, default=Strategy.ROUND_ROBIN)
    fallback = models.CharField(max_length=20, choices=Fallback.choices, default=Fallback.ON_CALL_THEN_QUEUE)
    rotation_cursor = models.PositiveIntegerField(default=0, editable=False, help_text="Last user id (round robin).")
    accept_within = models.DurationField(
        null=True, blank=True,
        help_text="How long the chosen rep has to accept before the lead moves to the next eligible rep. "
        "Empty: 2 minutes for hot leads, no limit for others; 0 turns it off.",
    )  # fmt: skip

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"

    def clean(self) -> None:
        if self.team_id is None and self.strategy != Strategy.ACCOUNT_OWNER and not self.pk:
            raise ValidationError({"team": "Choose the team whose reps (or on-call rota) take these leads."})


class RotationCount(models.Model):
    """How many leads a rule gave each rep: the state of weighted rotation."""

    rule = models.ForeignKey(RoutingRule, on_delete=models.CASCADE, related_name="counts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    assigned = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "user"], name="one_count_per_rule_and_rep")]


class Offer(models.Model):
    """An assignment the rep has not accepted yet (SPEC §3.11): when `accept_by` passes
    without an accept, a pass or an attempt, the lead moves to the next eligible rep
    (routing/offers.py). One per lead; gone once settled."""

    lead = models.OneToOneField("leads.Lead", on_delete=models.CASCADE, related_name="offer")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="offers")
    offered_at = models.DateTimeField()
    accept_by = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["accept_by"]

    def __str__(self) -> str:
        return f"L-{self.lead_id} to user {self.owner_id} until {self.accept_by:%H:%M:%S}"
