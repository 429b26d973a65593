"""`manage.py check --deploy`: provider secrets should have their own key in production."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register


@register("security", deploy=True)
def secrets_key_is_set(app_configs, **kwargs):
    if settings.LEADOPS_SECRETS_KEY:
        return []
    return [
        Warning(
            "LEADOPS_SECRETS_KEY is not set: integration secrets are encrypted with a key derived from SECRET_KEY, "
            "so changing SECRET_KEY makes them unreadable.",
            hint="Set LEADOPS_SECRETS_KEY to a Fernet key: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'",
            id="integrations.W001",
        )
    ]
