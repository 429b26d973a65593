"""`manage.py rebuild_sla_rollup`: compute the SLA rollup (reports/rollup.py) from scratch,
every day from the first lead to yesterday. Run it once on existing data, after a large
history import (`import_leads`), or after changing LEADOPS_DEFAULT_TIMEZONE; the worker's
sweep keeps it current after that."""

from __future__ import annotations

import time
from datetime import datetime

from django.core.management.base import BaseCommand

from reports import rollup


class Command(BaseCommand):
    help = "Rebuild the SLA rollup (dashboard and metrics API figures) from the leads, from scratch."

    def add_arguments(self, parser):
        parser.add_argument(
            "--now", type=datetime.fromisoformat, default=None,
            help="ISO 8601 datetime with offset: store the days over at that moment (default: now).",
        )  # fmt: skip

    def handle(self, *args, **options):
        started = time.monotonic()

        def report(day, leads):
            if options["verbosity"] > 1:
                self.stdout.write(f"{day}: {leads} leads")

        days = rollup.rebuild(options["now"], report=report)
        self.stdout.write(f"SLA rollup rebuilt: {days} days in {time.monotonic() - started:.1f} s.")
