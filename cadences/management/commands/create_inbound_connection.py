"""Create an inbound connection (where a provider posts lead replies and STOPs).

Generic connections get a generated `whsec_` secret, printed once alone on the last line;
Twilio connections take the account's auth token (from --auth-token or
TWILIO_AUTH_TOKEN), WhatsApp ones the Meta app's secret (--auth-token or
WHATSAPP_APP_SECRET); both are stored and never printed."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from cadences.admin import check_connection, webhook_url
from cadences.inbound_auth import new_generic_secret
from cadences.models import InboundConnection, InboundProvider
from leads.models import LeadSource


class Command(BaseCommand):
    help = "Create an inbound connection for /api/v1/inbound/<slug>; a generic one's secret is printed once."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--provider", required=True, choices=InboundProvider.values)
        parser.add_argument("--source", action="append", default=[], help="Lead source slug (repeatable).")
        parser.add_argument("--org-wide", action="store_true", help="Match senders against every lead.")
        parser.add_argument(
            "--auth-token", default="", help="Twilio: the account's auth token; WhatsApp: the Meta app's secret."
        )

    def handle(self, *args, name, provider, source, org_wide, auth_token, **options):
        name = name.strip()
        slug = slugify(name)[:60]
        if not slug:
            raise CommandError("Give the connection a name with --name.")
        if InboundConnection.objects.filter(slug=slug).exists():
            raise CommandError(f"A connection already uses the address /api/v1/inbound/{slug}; pick another name.")
        sources = list(LeadSource.objects.filter(slug__in=source))
        unknown = set(source) - {lead_source.slug for lead_source in sources}
        if unknown:
            raise CommandError(f"Unknown lead source(s): {', '.join(sorted(unknown))}.")
        if provider == InboundProvider.TWILIO:
            auth_token = auth_token or settings.TWILIO_AUTH_TOKEN
        if provider == InboundProvider.WHATSAPP:
            auth_token = auth_token or settings.WHATSAPP_APP_SECRET
        errors = check_connection(
            provider=provider, secret=auth_token, org_wide=org_wide, lead_sources=sources, adding=True
        )
        if errors:
            raise CommandError(" ".join(errors.values()))
        secret = auth_token if provider != InboundProvider.GENERIC else new_generic_secret()
        connection = InboundConnection.objects.create(
            name=name, slug=slug, provider=provider, secret=secret, org_wide=org_wide
        )
        connection.lead_sources.set(sources)
        self.stdout.write(f"Inbound connection {name!r}: POST {webhook_url(connection)}")
        if provider == InboundProvider.TWILIO:
            self.stdout.write("Set it as the number's 'A message comes in' webhook (HTTP POST).")
            return
        if provider == InboundProvider.WHATSAPP:
            self.stdout.write(
                "Set it as the Meta app's WhatsApp webhook callback URL, with WHATSAPP_VERIFY_TOKEN as the verify "
                "token, and subscribe to the 'messages' field."
            )
            return
        self.stdout.write("Sign requests with this secret (Standard Webhooks). Store it now; it is not shown again:")
        self.stdout.write(secret)
