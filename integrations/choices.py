"""The integrations' fixed vocabularies: providers, what became of a request, the states of
a remote fetch and of an outbound webhook delivery, and the public event names."""

from django.db import models


class Provider(models.TextChoices):
    META = "meta", "Meta (Facebook/Instagram) Lead Ads"
    TYPEFORM = "typeform", "Typeform"
    HUBSPOT = "hubspot", "HubSpot"
    GOOGLE_ADS = "google-ads", "Google Ads lead forms"
    GENERIC = "generic", "Generic JSON (Zapier, Make, a partner)"
    LINKEDIN = "linkedin", "LinkedIn Lead Gen Forms (Lead Sync)"
    CALENDLY = "calendly", "Calendly (meetings booked)"
    CALCOM = "calcom", "Cal.com (meetings booked)"


class HookOutcome(models.TextChoices):
    """What a request to /hooks/<provider>/<slug>/ became (the delivery log)."""

    ACCEPTED = "accepted", "Lead made"
    DUPLICATE = "duplicate", "Joined an existing lead (duplicate)"
    JUNK = "junk", "Stored as junk"
    TEST = "test", "Test lead (stored, not routed)"
    REPLAY = "replay", "Replay: already received, no new lead"
    QUEUED = "queued", "Stored; lead details are being fetched"
    HANDSHAKE = "handshake", "Subscription handshake answered"
    IGNORED = "ignored", "Nothing to do (no lead in it)"
    INVALID = "invalid", "Verified, but not a usable lead"
    REJECTED = "rejected", "Rejected: not verified"
    UNAVAILABLE = "unavailable", "Could not be stored (database down)"
    MEETING_BOOKED = "meeting_booked", "Meeting booked (Calendly, Cal.com)"
    MEETING_MOVED = "meeting_moved", "Meeting rescheduled (Calendly, Cal.com)"
    MEETING_CANCELLED = "meeting_cancelled", "Meeting cancelled (Calendly, Cal.com)"


class FetchState(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    FAILED = "failed", "Failed (gave up; can be retried)"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (retries exhausted; can be replayed)"


# Outbound webhook event names (public). A new one is added here and mapped from its
# timeline kind in integrations/webhooks.py (TIMELINE_TO_EVENTS).
WEBHOOK_EVENTS = (
    "lead.created",
    "lead.assigned",
    "lead.reassigned",
    "lead.contacted",
    "lead.connected",
    "lead.stage_changed",
    "sla.breached",
    "meeting.booked",
)
