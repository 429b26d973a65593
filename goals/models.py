"""Goals, rewards and feedback (README "Goals, rewards and feedback").

A Goal is a target on one SPEC §4 metric (reports/metrics.py computes every figure) for a
team's reps or for one rep, over a week or a month. When a day or a period closes, the
worker records each rep's figure once (GoalResult: days make the streaks, periods the
rewards) and awards the goal's reward to every rep who met it (Award: one per goal, rep
and period, enforced by the database)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadops.timezones import zone


def organisation_today():
    """Today in the organisation's time zone (goals count days there)."""
    return timezone.now().astimezone(zone(settings.LEADOPS_DEFAULT_TIMEZONE)).date()


class Metric(models.TextChoices):
    MEDIAN_RESPONSE = "median_response", "Median time to first response, at most (minutes)"
    WITHIN_SLA = "within_sla", "Leads first contacted within SLA, at least (%)"
    ATTEMPTS_48H = "attempts_48h", "Attempts per lead in the first 48 h, at least"


class Period(models.TextChoices):
    WEEK = "week", "Week (Monday to Sunday)"
    MONTH = "month", "Calendar month"


class Privacy(models.TextChoices):
    NAMES = "names", "Show names"
    RANKS = "ranks", "Ranks only (each rep sees their own name)"


class RewardKind(models.TextChoices):
    BADGE = "badge", "Badge"
    BONUS = "bonus", "Bonus (a note for payroll or the manager)"


# Bounds of a target per metric: (smallest, largest, unit shown to people).
TARGET_BOUNDS = {
    Metric.MEDIAN_RESPONSE: (0.1, 10080, "minutes"),  # up to a week
    Metric.WITHIN_SLA: (1, 100, "%"),
    Metric.ATTEMPTS_48H: (0.1, 50, "attempts"),
}


class Reward(models.Model):
    name = models.CharField(max_length=80, unique=True, help_text='e.g. "Five-minute hero".')
    kind = models.CharField(max_length=10, choices=RewardKind.choices, default=RewardKind.BADGE)
    badge = models.CharField(
        max_length=8, blank=True, help_text='A short symbol shown on the leaderboard, e.g. "⚡" or "5m".'
    )
    bonus_note = models.CharField(
        max_length=300, blank=True, help_text='For a bonus: what the rep gets, e.g. "$100 gift card with May pay".'
    )
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.badge} {self.name}".strip()

    def clean(self) -> None:
        if self.kind == RewardKind.BADGE and not self.badge.strip():
            raise ValidationError({"badge": "A badge needs a symbol to show (an emoji or up to 8 characters)."})
        if self.kind == RewardKind.BONUS and not self.bonus_note.strip():
            raise ValidationError({"bonus_note": "Say what the bonus is, so the rep and payroll know."})


class Goal(models.Model):
    name = models.CharField(max_length=100)
    metric = models.CharField(max_length=20, choices=Metric.choices)
    target = models.DecimalField(
        max_digits=7, decimal_places=2,
        help_text="Minutes for the median response (at most), a percentage for within SLA (at least), "
        "attempts per lead for attempts in 48 h (at least).",
    )  # fmt: skip
    period = models.CharField(max_length=10, choices=Period.choices, default=Period.WEEK)
    team = models.ForeignKey(
        "routing.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="goals",
        help_text="Every rep of this team is measured on their own leads of the team.",
    )  # fmt: skip
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="goals",
        help_text="Or one rep, measured on all their leads.",
    )  # fmt: skip
    minimum_leads = models.PositiveSmallIntegerField(
        default=3, help_text="Fewer leads than this in a day or period: not measured (no streak break, no reward)."
    )
    reward = models.ForeignKey(
        Reward, null=True, blank=True, on_delete=models.PROTECT, related_name="goals",
        help_text="Awarded to each rep who meets the goal when the period closes.",
    )  # fmt: skip
    privacy = models.CharField(max_length=10, choices=Privacy.choices, default=Privacy.NAMES)
    starts_on = models.DateField(default=organisation_today, help_text="The first day that counts.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if bool(self.team_id) == bool(self.rep_id):
            raise ValidationError("Choose a team or a rep (exactly one).")
        if self.metric in TARGET_BOUNDS and self.target is not None:
            low, high, unit = TARGET_BOUNDS[self.metric]
            if not low <= float(self.target) <= high:
                raise ValidationError({"target": f"For this metric the target is between {low:g} and {high:g} {unit}."})
        if self.minimum_leads < 1:
            raise ValidationError({"minimum_leads": "At least one lead."})


class Span(models.TextChoices):
    DAY = "day", "Day"
    PERIOD = "period", "Period"


class GoalResult(models.Model):
    """A rep's figure for a closed day or period of a goal, recorded once."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="results")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="goal_results")
    span = models.CharField(max_length=10, choices=Span.choices)
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="Exclusive.")
    leads = models.PositiveIntegerField()
    value = models.FloatField(null=True, blank=True)
    measured = models.BooleanField(help_text="Enough leads and a figure to judge.")
    met = models.BooleanField()
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["goal", "rep", "-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "rep", "span", "starts_on"], name="one_goal_result_per_span")
        ]


class GoalClosing(models.Model):
    """A day or period of a goal whose results are recorded: the worker skips it next time."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="closings")
    span = models.CharField(max_length=10, choices=Span.choices)
    starts_on = models.DateField()
    closed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["goal", "span", "starts_on"], name="one_closing_per_span")]


class Award(models.Model):
    # PROTECT: a goal that gave rewards is made inactive, not deleted, so the reps keep them.
    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="awards")
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="awards")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="awards")
    period_start = models.DateField()
    period_end = models.DateField(help_text="Exclusive.")
    value = models.FloatField(null=True, blank=True)
    awarded_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-awarded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "rep", "period_start"], name="one_award_per_goal_rep_period")
        ]

    def __str__(self) -> str:
        return f"{self.reward} to {self.rep} ({self.goal}, {self.period_start})"


class LeadAnswer(models.TextChoices):
    FASTER = "faster", _("Faster than I expected")
    EXPECTED = "expected", _("About when I expected")
    SLOWER = "slower", _("Slower than I expected")


class LeadSurveyAnswer(models.Model):
    """The lead's one answer to "How quickly did we get back to you?"."""

    lead = models.OneToOneField("leads.Lead", on_delete=models.CASCADE, related_name="survey_answer")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    answer = models.CharField(max_length=10, choices=LeadAnswer.choices)
    comment = models.TextField(blank=True, validators=[MaxLengthValidator(1000)])
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-answered_at"]


class SlowDown(models.TextChoices):
    TOO_MANY = "too_many", _("Too many leads at once")
    BAD_DATA = "bad_data", _("Wrong numbers or missing details")
    TOOLS = "tools", _("Switching between tools")
    WAITING = "waiting", _("Waiting for answers from others")
    MEETINGS = "meetings", _("Meetings and admin work")
    OFF_HOURS = "off_hours", _("Leads arriving outside my hours")
    OTHER = "other", _("Something else")


class RepSurveyAnswer(models.Model):
    """A rep's monthly answer to "What slows you down?" (shown to leadership without names)."""

    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_answers")
    month = models.DateField(help_text="The first day of the month.")
    reasons = models.JSONField(default=list)
    comment = models.TextField(blank=True, validators=[MaxLengthValidator(1000)])
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-month", "-answered_at"]
        constraints = [models.UniqueConstraint(fields=["rep", "month"], name="one_rep_survey_per_month")]
