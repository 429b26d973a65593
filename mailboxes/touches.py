"""Emails to or from a lead, seen in a rep's mailbox, go on the lead's timeline once per
Message-ID (LeadTouch is the guard).

- The rep's email to the lead, sent at or after the submission: an email attempt
  ("sent") through the one door (leads.lifecycle.log_attempt), so it counts for time to
  first response (SPEC §4: an email a rep sent), with a note saying it came from the
  mailbox. Sent before the submission: a timeline event only (no negative response time).
- The lead's email to the rep: a "mailbox.received" timeline event; after the submission
  it is a reply, so the lead's cadence stops (SPEC §3.7)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from cadences.progress import stop_cadence
from leads.actions import record_event
from leads.choices import AttemptChannel, AttemptOutcome
from leads.lifecycle import log_attempt
from leads.models import Lead
from mailboxes.models import LeadTouch, Mailbox, MailMessage

SOURCE = "mailbox"


def record_touches(mailbox: Mailbox) -> int:
    """Put the mailbox's not yet recorded lead emails on the leads' timelines; returns how
    many were recorded."""
    rows = list(
        MailMessage.objects.filter(mailbox=mailbox, lead__isnull=False)
        .order_by("sent_at", "pk")
        .values("lead_id", "message_id", "outgoing", "sent_at", "subject")
    )
    if not rows:
        return 0
    done = set(
        LeadTouch.objects.filter(lead_id__in={row["lead_id"] for row in rows}).values_list("lead_id", "message_id")
    )
    recorded = 0
    for row in rows:
        if (row["lead_id"], row["message_id"]) not in done:
            recorded += record_touch(mailbox, **row)
    return recorded


def record_touch(mailbox: Mailbox, *, lead_id: int, message_id: str, outgoing: bool, sent_at, subject: str) -> bool:
    owner = mailbox.owner
    try:
        with transaction.atomic():
            lead = Lead.objects.select_for_update(of=("self",)).get(pk=lead_id)
            touch, created = LeadTouch.objects.get_or_create(
                lead=lead, message_id=message_id, defaults={"outgoing": outgoing, "at": sent_at}
            )
            if not created:
                return False
            after_submission = sent_at >= lead.submitted_at
            if outgoing and after_submission:
                touch.attempt = log_attempt(
                    lead, channel=AttemptChannel.EMAIL, outcome=AttemptOutcome.SENT, by=owner, at=sent_at,
                    note=f"From {owner.get_username()}'s mailbox ({mailbox.username}): {subject}", source=SOURCE,
                )  # fmt: skip
                touch.save(update_fields=["attempt"])
            else:
                record_event(
                    lead, "mailbox.sent" if outgoing else "mailbox.received", actor=owner if outgoing else None,
                    actor_label=SOURCE, at=sent_at, mailbox=mailbox.username, message_id=message_id[:200],
                    subject=subject[:300],
                )  # fmt: skip
                if not outgoing and after_submission:
                    stop_cadence(lead, reason="the lead replied by email (seen in the rep's mailbox)", at=sent_at)
    except IntegrityError:
        return False  # another sync recorded the same message at the same moment
    return True
