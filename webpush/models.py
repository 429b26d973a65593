"""A rep's devices that take web push, and the outbox of pushes to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.timezone import now


class PushSubscription(models.Model):
    """One browser on one device (PushManager.subscribe()); a rep may have several."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000, unique=True, help_text="The push service's URL for this device.")
    p256dh = models.CharField(max_length=100, help_text="The device's public key (base64url).")
    auth = models.CharField(max_length=40, help_text="The device's authentication secret (base64url).")
    device = models.CharField(max_length=120, blank=True, help_text="What the browser said it is.")
    session_key = models.CharField(
        max_length=40, blank=True, editable=False, help_text="The sign-in that saved it: signing out removes it."
    )
    created_at = models.DateTimeField(default=now)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user_id", "created_at"]

    def __str__(self) -> str:
        return f"{self.device or 'device'} of user {self.user_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class PushDelivery(models.Model):
    """One alert (a timeline event) to one device, sent once: written with the event, sent
    by a job after the commit (webpush/delivery.py), swept when the job was lost."""

    event = models.ForeignKey("leads.LeadEvent", on_delete=models.CASCADE, related_name="push_deliveries")
    subscription = models.ForeignKey(PushSubscription, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=20, help_text="The push type: lead.assigned, lead.reassigned, task.due, ...")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=now)
    next_try_at = models.DateTimeField(default=now)
    sent_at = models.DateTimeField(null=True, blank=True)
    response = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "subscription"], name="one_push_per_event_and_device")]
        indexes = [
            models.Index(
                fields=["next_try_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="push_delivery_open",
            )
        ]
        verbose_name_plural = "push deliveries"

    def __str__(self) -> str:
        return f"{self.kind} for event {self.event_id} to subscription {self.subscription_id} ({self.status})"
