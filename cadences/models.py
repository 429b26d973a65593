"""Follow-up sequences (SPEC §3.7): cadences and their steps (edited by managers), and
each lead's enrollment with its planned steps (the plan the rep and the API see).

A planned step's due time is computed up front (cadences/schedule.py) and stored, with a
partial index over the steps still waiting, so the dispatcher (cadences/dispatch.py) finds
due work cheaply. Writes go through cadences/progress.py and cadences/dispatch.py."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.timezone import now

from cadences.template_rules import ACKNOWLEDGMENT_TOP_LEVEL, check_template
from leadops import languages
from leads.models import ChoiceListValidator


class Channel(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    TASK = "task", "Task"
    WHATSAPP = "whatsapp", "WhatsApp"


# Sent by the dispatcher at their due time / shown to the owner as due tasks.
AUTOMATIC_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.WHATSAPP)
# What a lead can opt out of (an unsubscribe link, STOP by SMS or WhatsApp).
OPT_OUT_CHANNELS = [(Channel.EMAIL, "Email"), (Channel.SMS, "SMS"), (Channel.WHATSAPP, "WhatsApp")]
TASK_CHANNELS = (Channel.CALL, Channel.TASK)


class EnrollmentState(models.TextChoices):
    ACTIVE = "active", "Active"
    STOPPED = "stopped", "Stopped"
    COMPLETED = "completed", "Completed"


class StepStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    # Being run. The dispatcher's claim is a row lock (SELECT ... FOR NO KEY UPDATE SKIP
    # LOCKED) inside the transaction that commits the step as done or skipped, so this
    # state is never committed by it and a dying worker leaves the step scheduled; it is
    # kept for the plan's vocabulary and for any runner that claims in two commits.
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"
    CANCELLED = "cancelled", "Cancelled"


class Cadence(models.Model):
    """An ordered list of steps. A lead gets the first active cadence, in `position`
    order, whose conditions all match (an empty list matches anything)."""

    name = models.CharField(max_length=120, unique=True)
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0, db_index=True, help_text="Lower is tried first.")
    description = models.TextField(blank=True)
    temperatures = models.JSONField(default=list, blank=True, validators=[ChoiceListValidator("Temperature")])
    sources = models.JSONField(default=list, blank=True, validators=[ChoiceListValidator("Source")])
    inquiry_types = models.JSONField(default=list, blank=True, validators=[ChoiceListValidator("InquiryType")])

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def matches(self, *, temperature: str, source: str, inquiry_type: str) -> bool:
        return (
            (not self.temperatures or temperature in self.temperatures)
            and (not self.sources or source in self.sources)
            and (not self.inquiry_types or inquiry_type in self.inquiry_types)
        )


def validate_template(source: str) -> None:
    """Syntax, and only the documented variables and plain tags (cadences/template_rules.py)."""
    check_template(source)


class CadenceStep(models.Model):
    cadence = models.ForeignKey(Cadence, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(help_text="Steps run in this order.")
    name = models.CharField(max_length=120, blank=True, help_text="Shown to the rep, e.g. 'Call 2: no answer yet'.")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    delay = models.DurationField(
        default=timedelta(0),
        help_text=(
            "After the previous step (the first step: after enrollment). With 'business hours only' it counts open "
            "time (7 min, 4 h); a whole number of days counts business days, at the same time of day."
        ),
    )
    subject = models.CharField(
        max_length=300, blank=True, validators=[validate_template], help_text="Email subject (Django template)."
    )
    body = models.TextField(
        blank=True,
        validators=[validate_template],
        help_text=(
            "Django template with lead.<field> (first_name, last_name, name, display_name, company, job_title, email, "
            "phone_e164, website, country, region, city, inquiry_type, product_interest, message, resolved_time_zone, "
            "extra.<key>), greeting_name, owner_name, owner_first_name, inquiry_label, quote, quote_short, "
            "submitted_on, company_name, contact_phone, booking_url, reference. Emails get a footer quoting the "
            "inquiry with an unsubscribe link; SMS and WhatsApp messages end with 'Reply STOP to opt out' (WhatsApp "
            "steps go only to leads who gave a phone and WhatsApp consent). For calls and tasks: the rep's "
            "talk track."
        ),
    )
    # The lead's language picks its version (README "Languages"); empty: the English one above.
    malay_subject = models.CharField(max_length=300, blank=True, validators=[validate_template])
    malay_body = models.TextField(blank=True, validators=[validate_template], help_text="Malay version of the body.")
    indonesian_subject = models.CharField(max_length=300, blank=True, validators=[validate_template])
    indonesian_body = models.TextField(
        blank=True, validators=[validate_template], help_text="Indonesian version of the body."
    )
    needs_phone = models.BooleanField(default=False, help_text="Skip the step when the lead gave no phone number.")
    needs_sms_consent = models.BooleanField(default=False, help_text="Skip the step without SMS consent.")
    business_hours_only = models.BooleanField(default=True, help_text="Due only inside the lead's business hours.")
    vary_time_of_day = models.BooleanField(
        default=False, help_text="Move the touch 3 open hours later in its day than the previous one (wrapping)."
    )

    class Meta:
        ordering = ["cadence", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["cadence", "order"], name="one_cadence_step_per_order")]

    def __str__(self) -> str:
        return f"{self.order}. {self.name or self.get_channel_display()}"

    def clean(self) -> None:
        if self.channel in AUTOMATIC_CHANNELS and not self.body.strip():
            raise ValidationError({"body": "An automatic email, SMS or WhatsApp message needs a body."})
        if self.channel == Channel.EMAIL and not self.subject.strip():
            raise ValidationError({"subject": "An email needs a subject."})
        for prefix in ("malay", "indonesian"):
            subject, body = getattr(self, f"{prefix}_subject"), getattr(self, f"{prefix}_body")
            if self.channel == Channel.EMAIL and body.strip() and not subject.strip():
                raise ValidationError({f"{prefix}_subject": "A translated email needs its subject too."})

    def version(self, language: str) -> tuple[str, str, str]:
        """(subject, body, language) in the lead's language when this step has that
        version, else the English one."""
        prefix = {languages.MALAY: "malay", languages.INDONESIAN: "indonesian"}.get(language)
        if prefix and getattr(self, f"{prefix}_body").strip():
            return getattr(self, f"{prefix}_subject"), getattr(self, f"{prefix}_body"), language
        return self.subject, self.body, languages.ENGLISH


class AcknowledgmentKind(models.TextChoices):
    """The acknowledgment's messages (templates/acknowledgments/<kind>.txt in English)."""

    EMAIL_HOT = "email_hot", "Email to a hot lead"
    EMAIL_WARM = "email_warm", "Email to a warm lead"
    EMAIL_COLD = "email_cold", "Email to a cold lead"
    EMAIL_AFTER_HOURS = "email_after_hours", "Email after hours"
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp (without one, the SMS version is used)"


TRANSLATED_LANGUAGES = [choice for choice in languages.CHOICES if choice[0] != languages.ENGLISH]


def validate_acknowledgment_template(source: str) -> None:
    check_template(source, ACKNOWLEDGMENT_TOP_LEVEL)


class AcknowledgmentTranslation(models.Model):
    """A Malay or Indonesian version of one acknowledgment message, written by a manager.
    A lead in that language gets it (leads/acknowledgments.py); without one, the English
    file template."""

    kind = models.CharField(max_length=20, choices=AcknowledgmentKind.choices)
    language = models.CharField(max_length=5, choices=TRANSLATED_LANGUAGES)
    subject = models.CharField(
        max_length=300, blank=True, validators=[validate_acknowledgment_template], help_text="Emails only."
    )
    body = models.TextField(
        validators=[validate_acknowledgment_template],
        help_text=(
            "Django template with greeting_name, promise (when a human will call, in the lead's language and time), "
            "inquiry_label, inquiry.type_label, inquiry.product_interest, message_quote, lead.<field>, company_name, "
            "contact_phone, booking_url, rep_name, reference."
        ),
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["language", "kind"]
        constraints = [models.UniqueConstraint(fields=["kind", "language"], name="one_acknowledgment_per_language")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_language_display()})"

    def clean(self) -> None:
        if self.kind not in (AcknowledgmentKind.SMS, AcknowledgmentKind.WHATSAPP) and not self.subject.strip():
            raise ValidationError({"subject": "An email needs a subject."})


class EnrollmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(state=EnrollmentState.ACTIVE)


class Enrollment(models.Model):
    """A lead following a cadence. A lead is enrolled once (progress.enroll)."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="enrollments")
    cadence = models.ForeignKey(Cadence, on_delete=models.PROTECT, related_name="enrollments")
    started_at = models.DateTimeField(default=now)
    state = models.CharField(max_length=10, choices=EnrollmentState.choices, default=EnrollmentState.ACTIVE)
    stopped_at = models.DateTimeField(null=True, blank=True, help_text="When it stopped or completed.")
    stop_reason = models.CharField(max_length=200, blank=True)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead"], condition=models.Q(state="active"), name="one_active_enrollment_per_lead"
            )
        ]

    def __str__(self) -> str:
        return f"Lead #{self.lead_id} in {self.cadence} ({self.state})"


class PlannedStep(models.Model):
    """One step of one lead's plan: when it is due and what became of it."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="planned_steps")
    step = models.ForeignKey(
        CadenceStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="planned", help_text="Template."
    )
    number = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=StepStatus.choices, default=StepStatus.SCHEDULED)
    done_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True, help_text="Calls and tasks: shown as due to the owner.")
    message = models.ForeignKey(
        "leads.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="Sent for it."
    )
    attempt = models.ForeignKey(
        "leads.Attempt", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="Done by it."
    )
    skip_reason = models.CharField(max_length=200, blank=True, help_text="Why it was skipped or cancelled.")
    title = models.CharField(
        max_length=200, blank=True, help_text="A step added to the plan (a meeting reminder): what the rep sees."
    )

    class Meta:
        ordering = ["enrollment", "number"]
        constraints = [models.UniqueConstraint(fields=["enrollment", "number"], name="one_planned_step_per_number")]
        indexes = [
            # What the dispatcher waits for: automatic steps to run and call/task steps to
            # announce. Announced calls stay scheduled until the rep calls, but leave the index.
            models.Index(
                fields=["due_at"],
                condition=models.Q(status="scheduled", notified_at__isnull=True),
                name="planned_step_due",
            )
        ]

    def __str__(self) -> str:
        return f"Step {self.number} ({self.channel}) of lead #{self.enrollment.lead_id}: {self.status}"


class OptOut(models.Model):
    """A lead asked for no more emails (unsubscribe link) or texts (STOP)."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="opt_outs")
    channel = models.CharField(max_length=10, choices=OPT_OUT_CHANNELS)
    at = models.DateTimeField(default=now)
    source = models.CharField(max_length=100, blank=True, help_text="Unsubscribe link, SMS STOP, …")

    class Meta:
        ordering = ["-at"]
        constraints = [models.UniqueConstraint(fields=["lead", "channel"], name="one_opt_out_per_channel")]

    def __str__(self) -> str:
        return f"Lead #{self.lead_id} opted out of {self.channel}"


class InboundProvider(models.TextChoices):
    TWILIO = "twilio", "Twilio (X-Twilio-Signature)"
    GENERIC = "generic", "Generic JSON (Standard Webhooks HMAC-SHA256)"
    WHATSAPP = "whatsapp", "WhatsApp Cloud API (X-Hub-Signature-256)"


class InboundConnection(models.Model):
    """Who may post replies to /api/v1/inbound/<slug>: one provider account (a Twilio
    number's account, an inbound-mail provider, your own relay), verified by its signature
    (cadences/inbound_auth.py), and the leads its senders are matched against.

    The secret is what the signature algorithm needs in the clear: Twilio's account auth
    token, WhatsApp's app secret (Meta signs with it), or the generic connection's HMAC key
    (`whsec_…`). It is shown once, when the
    connection is created, and never in the admin afterwards."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=60, unique=True, help_text="Webhook address: /api/v1/inbound/<slug>.")
    provider = models.CharField(max_length=10, choices=InboundProvider.choices)
    secret = models.CharField(max_length=200, editable=False)
    lead_sources = models.ManyToManyField(
        "leads.LeadSource",
        blank=True,
        related_name="inbound_connections",
        help_text="Senders are matched only against leads from these sources.",
    )
    org_wide = models.BooleanField(
        default=False, help_text="Match senders against every lead, whatever its source (instead of the list)."
    )
    active = models.BooleanField(default=True)
    requests_per_minute = models.PositiveIntegerField(default=600, help_text="Rate limit of the connection.")
    sender_requests_per_minute = models.PositiveIntegerField(default=10, help_text="Rate limit per sender.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_provider_display()})"


class InboundDelivery(models.Model):
    """The delivery log: one row per accepted inbound message, with what became of it.
    The provider's id (Twilio's MessageSid, the webhook-id) is unique per connection, so
    a replayed or retried delivery is recorded once and acts once."""

    connection = models.ForeignKey(InboundConnection, on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=now)
    channel = models.CharField(max_length=10, choices=OPT_OUT_CHANNELS)
    sender = models.CharField(max_length=300)
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_deliveries"
    )
    result = models.CharField(
        max_length=20,
        blank=True,
        help_text="recorded, opted_out or unmatched; WhatsApp status updates: delivered, read, failed (or unmatched).",
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "delivery_id"], name="one_inbound_delivery_per_id")
        ]

    def __str__(self) -> str:
        return f"{self.connection.slug}/{self.delivery_id}: {self.result or 'pending'}"
