"""After a sync: who the other side of each message is (a lead? a known contact's
domain?), the threads and reply waits rebuilt from all stored headers, and the emails to
or from leads put on their timelines (mailboxes/touches.py).

Contacts are matched again on every rebuild, so an address that becomes a lead later
counts from then on. Business seconds use the rep's calendar: their working hours in
their time zone (none: Mon-Fri 09:00-17:00), their leave days closed."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction

from leadops.timezones import viewer_zone
from leads import sla
from leads.enrichment import email_domain, is_free_mail, normalize_email
from leads.models import Lead
from mailboxes import threads as threading_rules
from mailboxes.models import Mailbox, MailMessage, MailThread, ReplyWait
from routing.models import LeavePeriod, NamedAccount, RepProfile, WorkingHours

CHUNK = 500


def rep_calendar(user) -> tuple[sla.BusinessCalendar, ZoneInfo]:
    """The rep's own business calendar and zone (no public holidays: a rep profile has no
    country; leave days are closed)."""
    tz = viewer_zone(user)
    profile = RepProfile.objects.filter(user=user).first()
    if profile is None:
        return sla.STANDARD_CALENDAR, tz
    weekly: dict[int, list] = {}
    for row in WorkingHours.objects.filter(rep=profile).order_by("weekday", "starts"):
        weekly.setdefault(row.weekday, []).append((row.starts, row.ends))
    closed: set[date] = set()
    for leave in LeavePeriod.objects.filter(rep=profile):
        day = leave.starts_on
        while day <= leave.ends_on and len(closed) < 5000:
            closed.add(day)
            day += timedelta(days=1)
    hours = {weekday: tuple(spans) for weekday, spans in weekly.items()} or sla.STANDARD_WEEK
    return sla.BusinessCalendar(weekly_hours=hours, closed_dates=frozenset(closed)), tz


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def match_contacts(mailbox: Mailbox) -> int:
    """Set `lead` and `from_contact` on the mailbox's messages; returns how many changed."""
    rows = list(
        MailMessage.objects.filter(mailbox=mailbox).values_list(
            "pk", "counterpart", "outgoing", "lead_id", "from_contact"
        )
    )
    rows_with_recipients = dict(
        MailMessage.objects.filter(mailbox=mailbox, outgoing=True).values_list("pk", "to_addresses")
    )
    own = mailbox.own_addresses()
    candidates: set[str] = set()
    for pk, counterpart, outgoing, _, _ in rows:
        if outgoing:
            candidates.update(a for a in rows_with_recipients.get(pk, "").split(",") if a and a not in own)
        elif counterpart:
            candidates.add(counterpart)
    normalized = {address: normalize_email(address) for address in candidates}
    lead_of: dict[str, int] = {}
    for chunk in _chunks(sorted(set(normalized.values()))):
        for lead_id, address in (
            Lead.objects.filter(email_normalized__in=chunk, junk=False)
            .order_by("submitted_at", "pk")
            .values_list("pk", "email_normalized")
        ):
            lead_of[address] = lead_id  # ascending order: the most recent lead wins
    domains = {email_domain(address) for address in candidates}
    domains = {domain for domain in domains if domain and not is_free_mail(domain)}
    known: set[str] = set()
    for chunk in _chunks(sorted(domains)):
        known.update(Lead.objects.filter(company_domain__in=chunk, junk=False).values_list("company_domain", flat=True))
        known.update(NamedAccount.objects.filter(domain__in=chunk).values_list("domain", flat=True))
    changes: dict[tuple[int | None, bool], list[int]] = {}
    for pk, counterpart, outgoing, lead_id, was_contact in rows:
        if outgoing:
            recipients = [a for a in rows_with_recipients.get(pk, "").split(",") if a and a not in own]
            lead = next((lead_of[normalized[a]] for a in recipients if normalized.get(a) in lead_of), None)
            contact = False
        else:
            lead = lead_of.get(normalized.get(counterpart, ""))
            contact = lead is not None or email_domain(counterpart) in known
        if (lead, contact) != (lead_id, was_contact):
            changes.setdefault((lead, contact), []).append(pk)
    changed = 0
    with transaction.atomic():
        for (lead, contact), pks in changes.items():
            for chunk in _chunks(pks):
                changed += MailMessage.objects.filter(pk__in=chunk).update(lead_id=lead, from_contact=contact)
    return changed


def rebuild_threads(mailbox: Mailbox) -> tuple[int, int]:
    """Replace the mailbox's threads and waits with ones rebuilt from every stored header;
    returns (threads, waits). Memory stays flat with the mailbox's size: the headers are
    read twice (the ids and references to link them, then slim rows to group), and the
    threads and their waits are written a chunk at a time."""
    stored = MailMessage.objects.filter(mailbox=mailbox).order_by("sent_at", "pk")
    links = threading_rules.link(
        (message_id, in_reply_to, references.split())
        for message_id, in_reply_to, references in stored.values_list(
            "message_id", "in_reply_to", "references"
        ).iterator(chunk_size=2000)
    )
    slim = (
        threading_rules.Message(
            message_id=message_id,
            in_reply_to="",
            references=(),
            sent_at=sent_at,
            outgoing=outgoing,
            from_contact=from_contact,
            lead_id=lead_id,
            subject=subject,
        )  # fmt: skip
        for message_id, sent_at, outgoing, from_contact, lead_id, subject in stored.values_list(
            "message_id", "sent_at", "outgoing", "from_contact", "lead_id", "subject"
        ).iterator(chunk_size=2000)
    )
    conversations = threading_rules.group(slim, links)
    del links
    calendar, tz = rep_calendar(mailbox.owner)
    thread_count = wait_count = 0
    with transaction.atomic():
        ReplyWait.objects.filter(mailbox=mailbox).delete()
        MailThread.objects.filter(mailbox=mailbox).delete()
        for chunk in _chunks(conversations, 1000):
            rows = MailThread.objects.bulk_create(
                [
                    MailThread(
                        mailbox=mailbox,
                        root_message_id=thread[0].message_id,
                        subject=thread[0].subject,
                        messages=len(thread),
                        started_at=thread[0].sent_at,
                        last_at=thread[-1].sent_at,
                    )  # fmt: skip
                    for thread in chunk
                ]
            )
            waits = [
                ReplyWait(
                    mailbox=mailbox,
                    thread=row,
                    lead_id=wait.lead_id,
                    waited_from=wait.waited_from,
                    replied_at=wait.replied_at,
                    wall_seconds=wait.seconds,
                    business_seconds=(
                        sla.business_seconds_between(wait.waited_from, wait.replied_at, calendar, tz)
                        if wait.replied_at
                        else None
                    ),
                )  # fmt: skip
                for row, thread in zip(rows, chunk, strict=True)
                for wait in threading_rules.waits(thread)
            ]
            ReplyWait.objects.bulk_create(waits, batch_size=1000)
            thread_count += len(rows)
            wait_count += len(waits)
    return thread_count, wait_count
