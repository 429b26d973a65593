"""`manage.py check --deploy` warnings of LeadOps's own settings (the refusals that must
stop every process are in leadops/startup.py, run by settings.py itself)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

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


@register()
def whatsapp_settings(app_configs, **kwargs) -> list[Error | Warning]:
    """WHATSAPP_TRANSPORT names a transport, and the Cloud API has what it needs to send."""
    from leadops.whatsapp import WHATSAPP_TRANSPORTS

    if settings.WHATSAPP_TRANSPORT not in WHATSAPP_TRANSPORTS:
        return [
            Error(
                f"WHATSAPP_TRANSPORT={settings.WHATSAPP_TRANSPORT!r} is not a WhatsApp transport.",
                hint=f"Use one of: {', '.join(WHATSAPP_TRANSPORTS)}.",
                id="leadops.E001",
            )
        ]
    if settings.WHATSAPP_TRANSPORT != "cloud":
        return []
    missing = [name for name in ("WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID") if not getattr(settings, name)]
    if not settings.WHATSAPP_TEMPLATE:
        missing.append("WHATSAPP_TEMPLATE (first contacts are outside the 24-hour window)")
    if not missing:
        return []
    return [
        Warning(
            "WhatsApp messages cannot be sent through the Cloud API without " + ", ".join(missing) + ".",
            hint="Set them in the environment (README: Enabling WhatsApp).",
            id="leadops.W002",
        )
    ]
