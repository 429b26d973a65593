"""Print a new VAPID key pair as the environment lines LeadOps reads."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from leadops.webpush import generate_keys


class Command(BaseCommand):
    help = "Generate a VAPID key pair for web push and print the LEADOPS_VAPID_* lines for .env."

    def add_arguments(self, parser):
        parser.add_argument(
            "--subject",
            default=settings.LEADOPS_VAPID_SUBJECT,
            help="A contact for the push services: mailto:someone@your.domain or an https:// URL.",
        )

    def handle(self, *args, subject: str, **options):
        public, private = generate_keys()
        self.stderr.write(
            "Add these lines to the environment of the web and worker processes (or .env). Keep the private "
            "key secret; changing the pair later makes every device subscribe again."
        )
        self.stdout.write(f"LEADOPS_VAPID_PUBLIC_KEY={public}")
        self.stdout.write(f"LEADOPS_VAPID_PRIVATE_KEY={private}")
        self.stdout.write(f"LEADOPS_VAPID_SUBJECT={subject}")
