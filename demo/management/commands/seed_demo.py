"""Load the demo data (demo/seed.py) and print the demo logins and intake keys.

Idempotent: run it any number of times; it creates only what is missing and prints the
same logins and keys every time."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo import seed as demo


class Command(BaseCommand):
    help = "Create demo teams, logins, lead sources with intake keys and 2 weeks of history; print logins and keys."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=demo.HISTORY_DAYS, help="Days of history to create on the first run."
        )

    def handle(self, *args, days, **options):
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        if not settings.DEBUG:
            self.stderr.write(
                "Note: DEBUG is off. The demo logins share a published password: do not seed a production database."
            )
        summary = demo.seed(days=days)
        base_url = f"http://127.0.0.1:{os.environ.get('PORT') or '8000'}"
        self.stdout.write(demo.render_summary(summary, base_url))
