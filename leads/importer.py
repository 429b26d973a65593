"""History import (SPEC §6 `import_leads FILE.csv`, and the admin upload form): past leads
with what happened to them, so a team has its baseline on day one.

Columns: the intake fields of `POST /api/v1/leads` (validated by the intake's own
`clean_submission`) plus the history: submitted_at (required), owner_email,
first_attempt_at, attempts, connected_at, connected_attempt, qualified_at,
disqualified_at, converted_at. Times are ISO 8601 with a UTC offset. Other columns are
ignored. Rows are numbered as in a spreadsheet: the header is row 1.

Rules (README "Importing history"):
- Imported leads keep their recorded times. They are not routed (`route_after` empty) and
  not acknowledged (their inquiry is `ack_state=skipped`; no message is created). Their
  SLA due time is computed as at intake, from the policies of today, at `submitted_at`.
- They belong to the lead source "Import" (created on first use). Each row's inquiry
  gets an `external_id`: the row's own, else `row-` + a SHA-256 of its recognised cells, so
  a re-run finds the rows it already imported and skips them (counted "already imported").
- Rows are written in order of `submitted_at`. A row whose email or phone matches a lead
  submitted in the 30 days before it joins that lead as a repeat inquiry (`is_duplicate`,
  counted "duplicates"); its history columns are then not applied.
- Attempts: `attempts` rows (default 1 when first_attempt_at or connected_at is given,
  else 0). Attempt 1 is at first_attempt_at. The connected attempt is `connected_attempt`
  (default: 1 when connected_at equals first_attempt_at or attempts is 1, else the last
  attempt, at least the 2nd) and is at connected_at (attempt 1 stays at first_attempt_at).
  Attempts between two known times are spread evenly between them; attempts after the last known time follow the hot
  cadence gaps (+7 min, +20 min, +4 h, then a day each) unless that would pass the
  decision time (or now): then they are spread evenly up to it. Calls for leads with a
  phone (no_answer before the connection, connected from it on), emails otherwise
  (sent / replied), made by the owner, noted "imported".
- Stage: converted, qualified or disqualified from those columns, else connected,
  contacted (attempted) or assigned (with an owner), else new. decided_at is
  qualified_at or disqualified_at, else converted_at.
- A row that fails validation is skipped with its reasons; a failure while writing one
  row rolls back that row only. Nothing aborts the rest of the file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from leads.actions import DUPLICATE_WINDOW, build_lead
from leads.choices import AckState, AttemptChannel, AttemptOutcome, Source, Stage
from leads.import_rows import TIME_COLUMNS, Owners, RowErrors, attempt_times, check_history
from leads.intake import BOOLEAN_FIELDS, TEXT_LIMITS, Submission, clean_submission
from leads.models import Attempt, Inquiry, Lead, LeadEvent, LeadSource

IMPORT_SOURCE_NAME, IMPORT_SOURCE_SLUG = "Import", "import"
ACTOR = "import"
INTAKE_COLUMNS = (*TEXT_LIMITS, *BOOLEAN_FIELDS, "extra")
HISTORY_COLUMNS = ("owner_email", "attempts", "connected_attempt", *TIME_COLUMNS)
COLUMNS = (*INTAKE_COLUMNS, *HISTORY_COLUMNS)


class ImportFileError(Exception):
    """The file cannot be read as a CSV of leads; the message says why, in a sentence."""


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    junk: int = 0
    duplicates: int = 0
    already_imported: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [
            f"{self.rows} row(s) read: {self.imported} lead(s) imported"
            + (f" ({self.junk} flagged junk)" if self.junk else "")
            + f", {self.duplicates} duplicate(s) added to earlier leads,"
            f" {self.already_imported} already imported, {len(self.skipped)} skipped."
        ]
        if self.ignored_columns:
            lines.append(f"Ignored columns: {', '.join(self.ignored_columns)}.")
        lines += [f"  row {number}: {reason}" for number, reason in self.skipped]
        return lines


@dataclass
class _Row:
    number: int
    submission: Submission
    external_id: str
    owner: object | None
    times: dict[str, datetime | None]
    attempts: int
    connected_attempt: int | None


def read_csv(source) -> tuple[list[str], list[tuple[int, dict]]]:
    """(header, [(row number, cells)]) from a path or a binary/text file object."""
    try:
        if isinstance(source, str):
            with open(source, encoding="utf-8-sig", newline="") as handle:
                text = handle.read()
        else:
            raw = source.read()
            text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except FileNotFoundError:
        raise ImportFileError(f"{source} does not exist.") from None
    except IsADirectoryError:
        raise ImportFileError(f"{source} is a directory, not a CSV file.") from None
    except PermissionError:
        raise ImportFileError(f"{source} cannot be read (permission denied).") from None
    except UnicodeDecodeError:
        raise ImportFileError("The file is not UTF-8 text; save the CSV as UTF-8 and try again.") from None
    except OSError as error:
        raise ImportFileError(f"The file cannot be read: {error.strerror or error}.") from None
    if "\x00" in text:
        raise ImportFileError("The file is binary, not a CSV text file.")
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), restkey="_extra_cells")
        header = [name.strip() for name in (reader.fieldnames or [])]
        if not any(header):
            raise ImportFileError("The file is empty: it needs a header row naming the columns.")
        reader.fieldnames = header
        rows = [(index + 2, row) for index, row in enumerate(reader)]
    except csv.Error as error:
        raise ImportFileError(f"The file is not a valid CSV: {error}.") from None
    if "submitted_at" not in header or not {"email", "phone"} & set(header):
        raise ImportFileError(
            "The header must name a submitted_at column and an email or phone column "
            f"(found: {', '.join(name for name in header if name) or 'none'})."
        )
    return header, rows


def import_source() -> LeadSource:
    lead_source = LeadSource.objects.filter(Q(slug=IMPORT_SOURCE_SLUG) | Q(name=IMPORT_SOURCE_NAME)).first()
    if lead_source is None:
        lead_source = LeadSource.objects.create(
            name=IMPORT_SOURCE_NAME, slug=IMPORT_SOURCE_SLUG, default_source=Source.OTHER, hosted_form_enabled=False
        )
    return lead_source


def row_external_id(cells: dict) -> str:
    known = {name: (cells.get(name) or "").strip() for name in COLUMNS if name in cells}
    digest = hashlib.sha256(json.dumps(known, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return f"row-{digest[:40]}"


class Importer:
    def __init__(self, *, label: str = "", now: datetime | None = None):
        self.now = now or timezone.now()
        self.label = label
        self.source = import_source()
        self.owners = Owners()

    def check(self, number: int, cells: dict) -> tuple[_Row | None, str]:
        """A row ready to write, or (None, why it is skipped)."""
        errors = RowErrors()
        if cells.get("_extra_cells"):
            errors.add("row", "Has more cells than the header has columns.")
        data = {name: (cells.get(name) or "").strip() for name in INTAKE_COLUMNS if cells.get(name) is not None}
        if not data.get("submitted_at"):
            errors.add("submitted_at", "Required: when the lead was submitted (ISO 8601 with offset).")
        submission, intake_errors = clean_submission(
            data, default_source=self.source.default_source, allows_source=lambda source: True, now=self.now
        )
        for name, messages in intake_errors.items():
            for message in messages:
                errors.add(name, message)
        owner = None
        if (cells.get("owner_email") or "").strip():
            owner = self.owners.find(cells["owner_email"], errors)
        if errors:
            return None, errors.sentence()
        times, count, connected_attempt = check_history(cells, submission.submitted_at, self.now, errors)
        if errors:
            return None, errors.sentence()
        submission.external_id = submission.external_id or row_external_id(cells)
        return _Row(number, submission, submission.external_id, owner, times, count, connected_attempt), ""

    def run(self, rows: Iterable[tuple[int, dict]], progress: Callable[[int, int], None] | None = None) -> ImportReport:
        rows = list(rows)
        report = ImportReport(rows=len(rows))
        ready = []
        for number, cells in rows:
            row, reason = self.check(number, cells)
            if row is None:
                report.skipped.append((number, reason))
            else:
                ready.append(row)
        done = len(rows) - len(ready)
        if progress:
            progress(done, len(rows))
        ready.sort(key=lambda row: (row.submission.submitted_at, row.number))
        for row in ready:
            try:
                with transaction.atomic():
                    outcome = self.write(row)
            except IntegrityError:
                outcome = "already"  # the same external_id, written meanwhile by another import
            except Exception as error:  # one bad row never aborts the rest of the file
                report.skipped.append((row.number, f"could not be stored: {error.__class__.__name__}: {error}"))
                outcome = ""
            if outcome == "already":
                report.already_imported += 1
            elif outcome == "duplicate":
                report.duplicates += 1
            elif outcome in ("imported", "junk"):
                report.imported += 1
                report.junk += outcome == "junk"
            done += 1
            if progress:
                progress(done, len(rows))
        report.skipped.sort()
        return report

    # Writing one row.

    def write(self, row: _Row) -> str:
        if Inquiry.objects.filter(lead_source=self.source, external_id=row.external_id).exists():
            return "already"
        submission = row.submission
        lead = build_lead(submission, self.source, submission.submitted_at)
        earlier = None if lead.junk else self._earlier_lead(lead)
        if earlier is not None:
            self._inquiry(earlier, submission, duplicate=True)
            self._event(
                earlier, "inquiry.repeated", submission.submitted_at, imported=True, row=row.number, file=self.label
            )
            return "duplicate"
        self._apply_history(lead, row)
        lead.route_after = None
        lead.save()
        inquiry = self._inquiry(lead, submission, duplicate=False)
        events = [
            LeadEvent(
                lead=lead, kind="lead.submitted", at=submission.submitted_at, actor_label=ACTOR,
                data={"inquiry": inquiry.pk, "imported": True, "file": self.label, "row": row.number,
                      "temperature": lead.temperature, "junk_reason": lead.junk_reason},
            ),
            LeadEvent(lead=lead, kind="lead.imported", at=self.now, actor_label=ACTOR,
                      data={"file": self.label, "row": row.number, "external_id": row.external_id}),
        ]  # fmt: skip
        attempts = self._attempts(lead, row)
        for attempt in attempts:
            data = {"number": attempt.number, "channel": attempt.channel, "outcome": attempt.outcome, "imported": True}
            events.append(LeadEvent(lead=lead, kind="attempt.logged", at=attempt.at, actor=lead.owner, data=data))
        events += self._decision_events(lead, row)
        Attempt.objects.bulk_create(attempts)
        LeadEvent.objects.bulk_create(events)
        return "junk" if lead.junk else "imported"

    def _earlier_lead(self, lead: Lead) -> Lead | None:
        match = Q()
        if lead.email_normalized:
            match |= Q(email_normalized=lead.email_normalized)
        if lead.phone_e164:
            match |= Q(phone_e164=lead.phone_e164)
        if not match:
            return None
        since = lead.submitted_at - DUPLICATE_WINDOW
        earlier = Lead.objects.filter(match, junk=False, submitted_at__gte=since, submitted_at__lte=lead.submitted_at)
        return earlier.order_by("submitted_at", "pk").first()

    def _inquiry(self, lead: Lead, submission: Submission, *, duplicate: bool) -> Inquiry:
        return Inquiry.objects.create(
            lead=lead,
            lead_source=self.source,
            external_id=submission.external_id,
            inquiry_type=submission.inquiry_type,
            source=submission.source,
            product_interest=submission.product_interest,
            message=submission.message,
            submitted_at=submission.submitted_at,
            received_at=submission.submitted_at,
            is_duplicate=duplicate,
            ack_state=AckState.SKIPPED,
        )

    def _event(self, lead: Lead, kind: str, at: datetime, **data) -> None:
        LeadEvent.objects.create(lead=lead, kind=kind, at=at, actor_label=ACTOR, data=data)

    def _apply_history(self, lead: Lead, row: _Row) -> None:
        times = row.times
        lead.owner = row.owner
        lead.team = self.owners.team_of(row.owner) if row.owner else None
        lead.routing_trace = {
            "historical": True,
            "outcome": "imported",
            "summary": f"Imported from {self.label or 'a CSV file'} (row {row.number}); not routed.",
        }
        lead.first_attempt_at = times["first_attempt_at"]
        lead.first_connected_at = times["connected_at"]
        lead.decided_at = times["qualified_at"] or times["disqualified_at"] or times["converted_at"]
        lead.converted_at = times["converted_at"]
        if times["converted_at"]:
            lead.stage = Stage.CONVERTED
        elif times["qualified_at"]:
            lead.stage = Stage.QUALIFIED
        elif times["disqualified_at"]:
            lead.stage = Stage.DISQUALIFIED
        elif times["connected_at"]:
            lead.stage = Stage.CONNECTED
        elif times["first_attempt_at"]:
            lead.stage = Stage.CONTACTED
        elif row.owner:
            lead.stage = Stage.ASSIGNED
        else:
            lead.stage = Stage.NEW

    def _attempts(self, lead: Lead, row: _Row) -> list[Attempt]:
        if not row.attempts:
            return []
        times = row.times
        decided = lead.decided_at or self.now
        limit = min(decided, self.now) if decided >= times["first_attempt_at"] else self.now
        moments = attempt_times(
            row.attempts, times["first_attempt_at"], times["connected_at"], row.connected_attempt, limit
        )
        by_phone = bool(lead.phone_e164)
        channel = AttemptChannel.CALL if by_phone else AttemptChannel.EMAIL
        waiting = AttemptOutcome.NO_ANSWER if by_phone else AttemptOutcome.SENT
        reached = AttemptOutcome.CONNECTED if by_phone else AttemptOutcome.REPLIED
        connected_number = row.connected_attempt or (row.attempts + 1)
        return [
            Attempt(
                lead=lead,
                number=number,
                channel=channel,
                outcome=reached if number >= connected_number else waiting,
                at=moment,
                by=lead.owner,
                note="imported",
            )
            for number, moment in enumerate(moments, start=1)
        ]

    def _decision_events(self, lead: Lead, row: _Row) -> list[LeadEvent]:
        changes = [
            (row.times["qualified_at"], Stage.QUALIFIED),
            (row.times["disqualified_at"], Stage.DISQUALIFIED),
            (row.times["converted_at"], Stage.CONVERTED),
        ]
        return [
            LeadEvent(lead=lead, kind="stage.changed", at=at, actor=lead.owner, data={"to": stage, "imported": True})
            for at, stage in sorted((change for change in changes if change[0]), key=lambda change: change[0])
        ]


def import_file(source, *, label: str = "", progress=None, now: datetime | None = None) -> ImportReport:
    """Read a CSV (a path or a file object) and import its rows; ImportFileError when the
    file cannot be read at all."""
    header, rows = read_csv(source)
    report = Importer(label=label or (source if isinstance(source, str) else ""), now=now).run(rows, progress=progress)
    report.ignored_columns = [name for name in header if name and name not in COLUMNS]
    return report
