"""Leads, their inquiries and timeline, lead sources with hashed intake keys, SLA policies,
attempts and the outbound message outbox."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.timezone import now

from leadops import languages
from leads import choices
from leads.choices import (
    AckState,
    AttemptChannel,
    AttemptOutcome,
    InquiryType,
    IntakeChannel,
    MessageState,
    Segment,
    Source,
    Stage,
    Temperature,
)


@deconstructible
class ChoiceListValidator:
    """A JSON list whose items all come from a TextChoices class (empty means "any")."""

    def __init__(self, choices_name: str):
        self.choices_name = choices_name

    def __call__(self, value):
        allowed = set(getattr(choices, self.choices_name).values)
        if not isinstance(value, list) or any(item not in allowed for item in value):
            raise ValidationError(f"Use a list of: {', '.join(sorted(allowed))}.")

    def __eq__(self, other):
        return isinstance(other, ChoiceListValidator) and other.choices_name == self.choices_name


class LeadSource(models.Model):
    """An integration that pushes leads (a web form, an ad platform, a partner feed)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=60, unique=True, help_text="Public hosted form at /f/<slug>/.")
    default_source = models.CharField(max_length=20, choices=Source.choices, default=Source.DIRECT)
    allowed_sources = models.JSONField(
        default=list,
        blank=True,
        validators=[ChoiceListValidator("Source")],
        help_text="Sources this integration may set; empty allows any.",
    )
    segment = models.CharField(max_length=20, choices=Segment.choices, default=Segment.B2B)
    schedule = models.ForeignKey(
        "routing.BusinessSchedule",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="Business hours for the SLA clock; the default schedule when empty.",
    )
    hosted_form_enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def allows(self, source: str) -> bool:
        return not self.allowed_sources or source in self.allowed_sources


class SlaPolicy(models.Model):
    """One ordered row of SPEC §3.2; the first active row whose conditions all match applies.

    An empty condition list matches anything."""

    position = models.PositiveIntegerField(default=0, db_index=True, help_text="Lower runs first.")
    name = models.CharField(max_length=120)
    active = models.BooleanField(default=True)
    temperatures = models.JSONField(default=list, blank=True, validators=[ChoiceListValidator("Temperature")])
    inquiry_types = models.JSONField(default=list, blank=True, validators=[ChoiceListValidator("InquiryType")])
    sources = models.JSONField(default=list, blank=True, validators=[ChoiceListValidator("Source")])
    segments = models.JSONField(default=list, blank=True, validators=[ChoiceListValidator("Segment")])
    named_account_only = models.BooleanField(default=False, help_text="Match only inquiries from named accounts.")
    assign_within = models.DurationField(default=timedelta(minutes=2))
    first_contact_within = models.DurationField(
        null=True, blank=True, help_text="Empty with 'by close of day' set: due at the day's closing time."
    )
    first_contact_by_close_of_day = models.BooleanField(
        default=False, help_text="First contact due by the close of the business day the lead arrived."
    )
    reassign_after = models.DurationField(null=True, blank=True)
    business_hours = models.BooleanField(
        default=True, help_text="Count only open business time; off counts wall-clock time."
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"

    def clean(self) -> None:
        if self.first_contact_within is None and not self.first_contact_by_close_of_day:
            raise ValidationError({"first_contact_within": "Set a first-contact target or 'by close of day'."})

    def matches(self, *, temperature: str, inquiry_type: str, source: str, segment: str, named_account: bool) -> bool:
        return (
            (not self.temperatures or temperature in self.temperatures)
            and (not self.inquiry_types or inquiry_type in self.inquiry_types)
            and (not self.sources or source in self.sources)
            and (not self.segments or segment in self.segments)
            and (named_account or not self.named_account_only)
        )


class LeadQuerySet(models.QuerySet):
    def countable(self):
        """Leads that count in metrics: not junk."""
        return self.filter(junk=False)

    def recent_match(self, *, email: str, phone: str, since):
        """The id of the lead with the same normalised email or phone since `since` (duplicates)."""
        condition = models.Q()
        if email:
            condition |= models.Q(email_normalized=email)
        if phone:
            condition |= models.Q(phone_e164=phone)
        if not condition:
            return None
        matches = self.filter(condition, submitted_at__gte=since, junk=False).order_by("submitted_at")
        return matches.values_list("pk", flat=True).first()


class Lead(models.Model):
    # Contact and company, as submitted (SPEC §6 intake fields).
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=200, blank=True)
    company = models.CharField(max_length=200, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    website = models.CharField(max_length=300, blank=True)
    country = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=100, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    timezone = models.CharField(max_length=64, blank=True, help_text="As submitted.")
    # The first inquiry (later ones are Inquiry rows of the same lead).
    lead_source = models.ForeignKey(LeadSource, on_delete=models.PROTECT, related_name="leads")
    inquiry_type = models.CharField(max_length=30, choices=InquiryType.choices, default=InquiryType.GENERAL)
    source = models.CharField(max_length=20, choices=Source.choices)
    product_interest = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    consent_email = models.BooleanField(default=False)
    consent_sms = models.BooleanField(default=False)
    consent_whatsapp = models.BooleanField(
        default=False, help_text="Agreed to be messaged on WhatsApp (WhatsApp needs its own opt-in, apart from SMS)."
    )
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    extra = models.JSONField(default=dict, blank=True)

    # Normalised and derived at intake (enrichment).
    email_normalized = models.CharField(max_length=254, blank=True)
    phone_e164 = models.CharField(max_length=20, blank=True)
    resolved_time_zone = models.CharField(max_length=64, help_text="Payload, else phone, else country, else default.")
    language = models.CharField(
        max_length=5, choices=languages.CHOICES, default=languages.ENGLISH,
        help_text="Its messages' language: payload or form, else country (MY ms, ID id).",
    )  # fmt: skip
    time_zone_origin = models.CharField(max_length=20, blank=True)
    company_domain = models.CharField(max_length=200, blank=True)
    free_mail = models.BooleanField(default=False)
    segment = models.CharField(max_length=20, choices=Segment.choices, default=Segment.B2B)
    named_account = models.ForeignKey(
        "routing.NamedAccount", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    temperature = models.CharField(max_length=10, choices=Temperature.choices)
    score = models.PositiveSmallIntegerField(default=0)
    junk = models.BooleanField(default=False)
    junk_reason = models.CharField(max_length=100, blank=True)

    # Lifecycle.
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.NEW)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    team = models.ForeignKey("routing.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads")
    routing_trace = models.JSONField(default=dict, blank=True, help_text="The last routing decision, readable.")
    route_after = models.DateTimeField(
        null=True, blank=True, help_text="Unassigned: when routing (re)tries. Empty once owned."
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    reassign_due_at = models.DateTimeField(
        null=True, blank=True, help_text="Moves to the next rep if not attempted by then."
    )
    reassignment_count = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True, help_text="Sent to the manager's queue.")

    # The SLA clock (leads/sla.py), fixed at intake from the first matching policy.
    sla_policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL)
    assign_due_at = models.DateTimeField(null=True, blank=True)
    first_contact_due_at = models.DateTimeField(null=True, blank=True)
    after_hours = models.BooleanField(default=False)

    # Timestamps of the funnel (metrics, SPEC §4).
    submitted_at = models.DateTimeField()
    received_at = models.DateTimeField(default=now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    first_connected_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True, help_text="Qualified or disqualified.")
    converted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["email_normalized", "submitted_at"], name="lead_email_recent"),
            models.Index(fields=["phone_e164", "submitted_at"], name="lead_phone_recent"),
            models.Index(fields=["submitted_at"], name="lead_submitted"),
            models.Index(fields=["owner", "stage"], name="lead_owner_stage"),
            models.Index(fields=["company_domain", "submitted_at"], name="lead_company_recent"),
            models.Index(fields=["route_after"], condition=models.Q(route_after__isnull=False), name="lead_to_route"),
            models.Index(
                fields=["reassign_due_at"], condition=models.Q(reassign_due_at__isnull=False), name="lead_reassign_due"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.display_name}"

    def sla_state(self, now) -> str:
        """pending, met or breached: was the first attempt at or before its due time?"""
        due = self.first_contact_due_at
        if due is None:
            return "pending"
        if self.first_attempt_at is not None:
            return "met" if self.first_attempt_at <= due else "breached"
        return "breached" if now > due else "pending"

    @property
    def display_name(self) -> str:
        full = self.name or " ".join(part for part in (self.first_name, self.last_name) if part)
        return full or self.email or self.phone


class Inquiry(models.Model):
    """One accepted submission. A lead's first inquiry creates it; a duplicate (same email
    or phone within 30 days) adds an inquiry to the existing lead instead of a new lead."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="inquiries")
    lead_source = models.ForeignKey(LeadSource, on_delete=models.PROTECT, related_name="inquiries")
    external_id = models.CharField(max_length=200, blank=True)
    inquiry_type = models.CharField(max_length=30, choices=InquiryType.choices)
    source = models.CharField(max_length=20, choices=Source.choices)
    product_interest = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)
    submitted_at = models.DateTimeField()
    received_at = models.DateTimeField(default=now)
    is_duplicate = models.BooleanField(default=False)
    ack_state = models.CharField(max_length=10, choices=AckState.choices, default=AckState.PENDING)
    channel = models.CharField(
        max_length=20,
        choices=IntakeChannel.choices,
        default=IntakeChannel.API,
        help_text="Hosted-form senders are unverified: their acknowledgment quotes only a short excerpt.",
    )

    class Meta:
        ordering = ["submitted_at"]
        verbose_name_plural = "inquiries"
        constraints = [
            models.UniqueConstraint(
                fields=["lead_source", "external_id"],
                condition=~models.Q(external_id=""),
                name="one_inquiry_per_external_id",
            )
        ]
        indexes = [
            models.Index(fields=["received_at"], condition=models.Q(ack_state="pending"), name="inquiry_ack_pending")
        ]

    def __str__(self) -> str:
        return f"{self.get_inquiry_type_display()} for lead #{self.lead_id}"


class LeadEvent(models.Model):
    """The lead's timeline: every change, with who and when."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    at = models.DateTimeField(default=now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=100, blank=True, help_text="Who, when not a user: system, an API key.")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["lead", "at"], name="event_lead_at")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M:%S}"

    @property
    def actor_name(self) -> str:
        if self.actor_id:
            return self.actor.get_username()
        return self.actor_label or "system"


class Attempt(models.Model):
    """A touch a rep (or their dialer/phone system) made: counts for time to first response."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=10, choices=AttemptChannel.choices)
    outcome = models.CharField(max_length=20, choices=AttemptOutcome.choices)
    at = models.DateTimeField(default=now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["lead", "number"]
        constraints = [models.UniqueConstraint(fields=["lead", "number"], name="one_attempt_number_per_lead")]

    def __str__(self) -> str:
        return f"Attempt {self.number} ({self.channel}, {self.outcome})"


class Message(models.Model):
    """Outbox of automatic messages (acknowledgments, cadence emails/SMS, alerts).

    `dedupe_key` is unique: a message is created at most once per purpose, and sending
    claims it with a conditional update, so a retried or duplicated job never sends twice."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="messages")
    dedupe_key = models.CharField(max_length=120, unique=True)
    purpose = models.CharField(max_length=30)
    channel = models.CharField(max_length=20)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    # One file sent with an email (a meeting's ICS invitation): name, MIME type, text.
    attachment_name = models.CharField(max_length=100, blank=True)
    attachment_type = models.CharField(max_length=100, blank=True, help_text='e.g. "text/calendar; method=REQUEST".')
    attachment = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=MessageState.choices, default=MessageState.PENDING)
    created_at = models.DateTimeField(default=now)
    not_before = models.DateTimeField(default=now, help_text="Earliest send time (retries back off).")
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["not_before"], condition=models.Q(state="pending"), name="message_pending"),
            models.Index(fields=["claimed_at"], condition=models.Q(state="sending"), name="message_sending"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.channel} to {self.recipient} ({self.state})"


# Intake keys live in their own module; importing them here registers the model with the app.
from leads.intake_keys import IntakeKey, IntakeKeyQuerySet, hash_intake_key  # noqa: E402, F401
