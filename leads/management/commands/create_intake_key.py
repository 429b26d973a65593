"""Create an intake key for a lead source (creating the source if needed).

Prints the raw key alone on its last line: it is stored only as a hash."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from leads.choices import Source
from leads.models import IntakeKey, LeadSource


class Command(BaseCommand):
    help = "Create an intake key for POST /api/v1/leads; prints the raw key on the last line."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="Lead source name (created if it does not exist).")
        parser.add_argument("--source", required=True, help=f"Default source: {', '.join(Source.values)}.")
        parser.add_argument("--label", default="", help="What this key is for.")
        parser.add_argument("--requests-per-minute", type=int, default=1200)

    def handle(self, *args, name, source, label, requests_per_minute, **options):
        name = name.strip()
        if source not in Source.values:
            raise CommandError(f"Unknown source {source!r}; use one of: {', '.join(Source.values)}.")
        if not name:
            raise CommandError("Give the lead source a name with --name.")
        if requests_per_minute < 1:
            raise CommandError("--requests-per-minute must be at least 1.")
        lead_source = LeadSource.objects.filter(name=name).first()
        if lead_source is None:
            slug = slugify(name)[:60] or "source"
            if LeadSource.objects.filter(slug=slug).exists():
                raise CommandError(f"Another lead source already uses the form address /f/{slug}/; pick another name.")
            lead_source = LeadSource.objects.create(name=name, slug=slug, default_source=source)
            self.stdout.write(f"Created lead source {lead_source.name!r} (hosted form /f/{lead_source.slug}/).")
        key, raw_key = IntakeKey.issue(lead_source, label=label, requests_per_minute=requests_per_minute)
        self.stdout.write(f"Intake key {key.prefix}… for {lead_source.name}. Store it now; it cannot be shown again:")
        self.stdout.write(raw_key)
