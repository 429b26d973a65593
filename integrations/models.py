"""Connections (inbound: a provider's webhook into a lead source), their delivery log and
the lead details still to fetch; subscriptions (outbound webhooks), their delivery outbox
and the log of each try."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.timezone import now

from integrations import secret_store
from integrations.choices import WEBHOOK_EVENTS, DeliveryState, FetchState, HookOutcome, Provider
from integrations.mapping import MAPPABLE_FIELDS
from leads.choices import InquiryType, Source
from leads.models import Lead, LeadEvent, LeadSource

SECRET_FIELDS = ("signing_secret", "access_token")  # encrypted: we must use them


def validate_field_map(value) -> None:
    """{intake field: path or [paths]}: a path is dotted ("contact.email", "answers.0") and
    an empty value removes the provider's default for that field."""
    if not isinstance(value, dict):
        raise ValidationError('Use a JSON object, e.g. {"email": "contact.email"}.')
    for name, path in value.items():
        if name not in MAPPABLE_FIELDS:
            raise ValidationError(f"{name!r} is not an intake field. Use: {', '.join(MAPPABLE_FIELDS)}.")
        paths = path if isinstance(path, list) else [path]
        if not all(isinstance(item, str) and len(item) <= 200 for item in paths):
            raise ValidationError(f"{name}: use a path string, or a list of them (the first one found wins).")


def validate_webhook_events(value) -> None:
    if not isinstance(value, list) or any(item not in WEBHOOK_EVENTS for item in value):
        raise ValidationError(f"Use a list of: {', '.join(WEBHOOK_EVENTS)} (empty: all).")


class Connection(models.Model):
    """A provider's webhook into a lead source, at /hooks/<provider>/<slug>/."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=60, unique=True, help_text="The hook's address: /hooks/(provider)/(slug)/.")
    provider = models.CharField(max_length=20, choices=Provider.choices)
    lead_source = models.ForeignKey(LeadSource, on_delete=models.PROTECT, related_name="connections")
    active = models.BooleanField(default=True, help_text="Inactive: the hook answers 404.")
    source = models.CharField(
        max_length=20, choices=Source.choices, blank=True, help_text="Empty: the lead source's default source."
    )
    inquiry_type = models.CharField(
        max_length=30, choices=InquiryType.choices, default=InquiryType.GENERAL, help_text="Unless the payload says."
    )
    field_map = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_field_map],
        help_text="Overrides of the provider's default mapping: intake field -> path in the payload.",
    )
    requests_per_minute = models.PositiveIntegerField(default=600, help_text="Rate limit of this hook.")
    # Fernet tokens (integrations.secret_store): never shown again once saved.
    signing_secret = models.TextField(blank=True, editable=False)
    access_token = models.TextField(blank=True, editable=False)
    verify_key_hash = models.CharField(max_length=64, blank=True, editable=False)
    validated_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="LinkedIn: the provider's last validation handshake."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_provider_display()})"

    @property
    def hook_path(self) -> str:
        return f"/hooks/{self.provider}/{self.slug}/"

    def secret(self, name: str) -> str:
        """The raw signing secret or access token (raises SecretUnreadable)."""
        assert name in SECRET_FIELDS
        return secret_store.decrypt(getattr(self, name))

    def set_secret(self, name: str, raw: str) -> None:
        assert name in SECRET_FIELDS
        setattr(self, name, secret_store.encrypt(raw))

    def set_verify_key(self, raw: str) -> None:
        self.verify_key_hash = secret_store.hash_secret(raw) if raw else ""

    def verify_key_matches(self, raw: str) -> bool:
        return secret_store.matches_hash(raw, self.verify_key_hash)


class HookDelivery(models.Model):
    """One request to a hook: when, whether it was verified, and what it became."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="deliveries")
    received_at = models.DateTimeField(default=now)
    method = models.CharField(max_length=8)
    verified = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(default=200, help_text="What we answered.")
    outcome = models.CharField(max_length=20, choices=HookOutcome.choices)
    detail = models.TextField(blank=True, help_text="Why not verified, the field errors, what was dropped.")
    provider_ids = models.CharField(max_length=500, blank=True, help_text="The provider's lead id(s).")
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    payload = models.JSONField(null=True, blank=True, help_text="Kept for verified requests only.")

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "hook deliveries"
        indexes = [models.Index(fields=["connection", "received_at"], name="hook_delivery_recent")]

    def __str__(self) -> str:
        return f"{self.connection.slug} {self.received_at:%Y-%m-%d %H:%M:%S} {self.outcome}"


class RemoteFetch(models.Model):
    """A lead announced by id (Meta leadgen_id, HubSpot contact id), fetched by a job: the
    row is stored with the notification, so nothing is lost while the provider is down."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="fetches")
    delivery = models.ForeignKey(HookDelivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    provider_id = models.CharField(max_length=100)
    context = models.JSONField(default=dict, blank=True, help_text="What the notification said (ad, form, page).")
    state = models.CharField(max_length=10, choices=FetchState.choices, default=FetchState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=now)
    last_error = models.TextField(blank=True)
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "remote fetches"
        constraints = [models.UniqueConstraint(fields=["connection", "provider_id"], name="one_fetch_per_provider_id")]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=models.Q(state="pending"), name="remote_fetch_pending")
        ]

    def __str__(self) -> str:
        return f"{self.connection.provider} {self.provider_id} ({self.state})"


class Subscription(models.Model):
    """An outbound webhook: lead events POSTed to `url`, signed (Standard Webhooks)."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    events = models.JSONField(
        default=list, blank=True, validators=[validate_webhook_events], help_text="Empty: every event."
    )
    team = models.ForeignKey(
        "routing.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="Only this team's leads (empty: all). Its manager is told if the endpoint gets disabled.",
    )
    secret = models.TextField(editable=False, help_text="whsec_ secret, encrypted.")
    active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event_type: str, team_id: int | None) -> bool:
        return (not self.events or event_type in self.events) and (self.team_id is None or self.team_id == team_id)


class WebhookDelivery(models.Model):
    """One event for one subscription (the outbox): sent at least once, retried with
    backoff, replayable. `message_id` is the webhook-id: the same on every retry."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField(max_length=40, unique=True)
    event_type = models.CharField(max_length=40)
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    timeline_event = models.ForeignKey(LeadEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "timeline_event", "event_type"],
                condition=models.Q(timeline_event__isnull=False),
                name="one_delivery_per_event",
            )
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=models.Q(state="pending"), name="webhook_pending"),
            models.Index(fields=["claimed_at"], condition=models.Q(state="sending"), name="webhook_sending"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.subscription} ({self.state})"


class WebhookAttempt(models.Model):
    """One try of a delivery: the response code (or the error) and how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(default=now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"
