"""Intake keys: the bearer keys of POST /api/v1/leads, one lead source each, stored only as
SHA-256 hashes (the raw key is shown once, when it is issued). Part of leads.models."""

from __future__ import annotations

import hashlib
import secrets

from django.db import models


def hash_intake_key(raw_key: str) -> str:
    # Keys are 32 random bytes, so a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(raw_key.encode("utf-8", "surrogatepass")).hexdigest()


class IntakeKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)

    def for_raw_key(self, raw_key: str):
        return self.active().select_related("lead_source").filter(key_hash=hash_intake_key(raw_key)).first()


class IntakeKey(models.Model):
    """A bearer key for POST /api/v1/leads. Only its SHA-256 is stored; the raw key is
    shown once, when it is created."""

    lead_source = models.ForeignKey("leads.LeadSource", on_delete=models.CASCADE, related_name="intake_keys")
    label = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, editable=False, help_text="First characters, to recognise a key.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    requests_per_minute = models.PositiveIntegerField(default=1200, help_text="Rate limit for this key.")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = IntakeKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.lead_source})"

    @classmethod
    def issue(cls, lead_source, label: str = "", raw_key: str | None = None, **fields):
        """Create a key and return (key, raw_key). The raw key is never stored."""
        raw_key = raw_key or "lo_" + secrets.token_urlsafe(32)
        key = cls.objects.create(
            lead_source=lead_source, label=label, prefix=raw_key[:10], key_hash=hash_intake_key(raw_key), **fields
        )
        return key, raw_key
