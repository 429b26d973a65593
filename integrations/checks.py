"""System checks: LEADOPS_SECRETS_KEY must hold valid Fernet keys (always), and should be
set in production (`check --deploy`), so that provider secrets have their own key."""

from __future__ import annotations

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Warning, register

KEY_HINT = "Make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"


@register("security")
def secrets_keys_are_valid(app_configs, **kwargs):
    problems = []
    for position, key in enumerate(settings.LEADOPS_SECRETS_KEY, start=1):
        try:
            Fernet(key.strip())
        except ValueError:
            problems.append(
                Error(
                    f"LEADOPS_SECRETS_KEY: key {position} is not a Fernet key (32 bytes in url-safe base64).",
                    hint=KEY_HINT,
                    id="integrations.E001",
                )
            )
    return problems


@register("security", deploy=True)
def secrets_key_is_set(app_configs, **kwargs):
    if settings.LEADOPS_SECRETS_KEY:
        return []
    return [
        Warning(
            "LEADOPS_SECRETS_KEY is not set: integration secrets are encrypted with a key derived from SECRET_KEY, "
            "so changing SECRET_KEY makes them unreadable.",
            hint=KEY_HINT,
            id="integrations.W001",
        )
    ]
