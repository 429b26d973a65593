"""`manage.py check --deploy` warnings of LeadOps's own settings (the refusals that must
stop every process are in leadops/startup.py, run by settings.py itself)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register

from leadops.public import public_is_https


@register(Tags.security, deploy=True)
def public_address_uses_https(app_configs, **kwargs) -> list[Warning]:
    if public_is_https():
        return []
    return [
        Warning(
            f"LEADOPS_PUBLIC_URL ({settings.LEADOPS_PUBLIC_URL}) is not https: password reset and "
            "unsubscribe links would travel unencrypted.",
            hint="Set LEADOPS_PUBLIC_URL to the site's https address, e.g. https://leadops.example.com.",
            id="leadops.W001",
        )
    ]
