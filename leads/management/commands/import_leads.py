"""Import past leads and their history from a CSV file (SPEC §6; rules in leads/importer.py).

Shows a progress bar on stderr and ends with a summary: imported, duplicates, already
imported, and each skipped row with its reasons. Exit status 1, with a sentence, when the
file cannot be read; a bad row never stops the others."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from leads.importer import ImportFileError, import_file

BAR_WIDTH = 30


class ProgressBar:
    """`[#######.......]  1,200/5,000 rows` redrawn in place on a terminal; on a pipe or a
    log, one line every 10%."""

    def __init__(self, stream):
        self.stream = stream
        self.interactive = getattr(stream, "isatty", lambda: False)()
        self.drawn_at = 0.0
        self.last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        share = done / total if total else 1.0
        line = f"[{'#' * round(share * BAR_WIDTH):<{BAR_WIDTH}}] {done:,}/{total:,} rows"
        if self.interactive:
            now = time.monotonic()
            if done == total or now - self.drawn_at >= 0.1:
                self.stream.write(f"\r{line}" + ("\n" if done == total else ""))
                self.stream.flush()
                self.drawn_at = now
            return
        tenth = int(share * 10)
        if tenth != self.last_tenth:
            self.stream.write(line + "\n")
            self.stream.flush()
            self.last_tenth = tenth


class Command(BaseCommand):
    help = "Import past leads with their history (owner, attempts, connection, decisions) from a CSV file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8) with a header row; see the README for the columns.")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw the progress bar.")

    def handle(self, *args, file, no_progress, **options):
        progress = None if no_progress else ProgressBar(self.stderr._out)
        try:
            report = import_file(file, label=file, progress=progress)
        except ImportFileError as error:
            raise CommandError(f"Cannot import {file}: {error}") from None
        self.stdout.write("\n".join(report.lines()))
