"""User API tokens (`Authorization: Token <key>`, SPEC §6), stored as SHA-256 only.

rest_framework.authtoken keeps the raw key in its table, so anyone who reads the
database (or a template that could reach `user.auth_token.key`) holds working tokens.
Here the raw key is shown once, when it is issued (`manage.py drf_create_token USERNAME`,
the admin); a user may hold several (one per script or integration), each revocable."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models


def hash_token(raw_key: str) -> str:
    # Keys are 20 random bytes: a fast hash is enough (there is no dictionary to guess from).
    return hashlib.sha256(raw_key.encode("utf-8", "surrogatepass")).hexdigest()


def new_key() -> str:
    return secrets.token_hex(20)  # 40 hex characters, as DRF's tokens


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    label = models.CharField(max_length=100, blank=True, help_text="What this token is for.")
    prefix = models.CharField(max_length=8, editable=False, help_text="First characters, to recognise a token.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def issue(cls, user, label: str = "") -> tuple[ApiToken, str]:
        """Create a token; returns (token, raw key). The raw key is never stored."""
        token = cls(user=user, label=label)
        raw_key = token.set_new_key()
        token.save()
        return token, raw_key

    def set_new_key(self) -> str:
        raw_key = new_key()
        self.prefix, self.key_hash = raw_key[:8], hash_token(raw_key)
        return raw_key
