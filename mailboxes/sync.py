"""The incremental sync of one mailbox (run by the worker: the sweep and "Sync now").

Per folder (inbox, sent) it keeps UIDVALIDITY and the highest UID stored (FolderState);
new UIDs are fetched in batches of LEADOPS_MAILBOX_BATCH, headers only, and each batch is
committed with the new mark. A run stops after LEADOPS_MAILBOX_RUN_SECONDS (at least one
batch) and says so ("partial"); the next sweep goes on from the mark. So does a run that
died: its mark is where the last committed batch left it.

One sync at a time per mailbox: a run claims the row with a conditional UPDATE; a claim
whose heartbeat is older than STALE belongs to a dead worker and is taken over. Every
failure ends as a sentence in `status_message`, never as an exception out of the job."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from leadops import queues
from leadops.encryption import SecretUnreadable, decrypt
from leads.models import Lead
from mailboxes.imap import Headers, ImapFailure, ImapSession
from mailboxes.models import FolderState, Mailbox, MailMessage, SyncState
from mailboxes.rebuild import match_contacts, rebuild_threads
from mailboxes.touches import record_touches

log = logging.getLogger(__name__)
SYNC_JOB = "mailboxes.tasks.sync_mailbox"
QUEUE = "integrations"  # calls to outside servers: never in front of routing


def stale_after() -> timedelta:
    return timedelta(seconds=settings.LEADOPS_MAILBOX_RUN_SECONDS + 300)


def job_id(mailbox_id: int) -> str:
    return f"mailbox-sync-{mailbox_id}"


def job_timeout() -> int:
    """RQ's limit for one run: its fetch budget plus room for the rebuild after it (about
    15 s per 100,000 headers on a 2-core machine) — RQ's default 180 s would kill the run of
    a very large mailbox in its rebuild, again at every sweep."""
    return settings.LEADOPS_MAILBOX_RUN_SECONDS + 900


def enqueue_sync(mailbox_id: int) -> bool:
    """Queue a run (False, logged, when Redis cannot take it: the sweep asks again)."""
    try:
        queues.get_queue(QUEUE).enqueue(
            SYNC_JOB, mailbox_id, job_id=job_id(mailbox_id), job_timeout=job_timeout(),
            failure_ttl=7 * 24 * 3600, result_ttl=600,
        )  # fmt: skip
        return True
    except redis.RedisError as error:
        log.warning("could not enqueue the sync of mailbox %s: %s (the sweep will retry)", mailbox_id, error)
        return False


def request_sync(mailbox: Mailbox) -> None:
    """Ask the worker for a sync now (the admin action, the rep's button)."""
    Mailbox.objects.filter(pk=mailbox.pk).update(sync_requested_at=timezone.now())
    transaction.on_commit(lambda: enqueue_sync(mailbox.pk))


@dataclass
class FolderResult:
    stored: int = 0
    on_server: int = 0
    complete: bool = True


def claim(mailbox_id: int, now: datetime) -> bool:
    free = ~Q(state=SyncState.SYNCING) | Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - stale_after())
    updated = (
        Mailbox.objects.filter(free, pk=mailbox_id, active=True)
        .update(state=SyncState.SYNCING, sync_started_at=now, heartbeat_at=now, sync_requested_at=None)
    )  # fmt: skip
    return updated == 1


def _message(mailbox: Mailbox, role: str, uidvalidity: int, headers: Headers, own: set[str]) -> MailMessage:
    outgoing = role == "sent" or headers.from_address in own
    outside = [address for address in headers.to_addresses if address not in own]
    message_id = headers.message_id or f"<{role}.{uidvalidity}.{headers.uid}@mailbox-{mailbox.pk}.invalid>"
    return MailMessage(
        mailbox=mailbox, folder=role, uidvalidity=uidvalidity, uid=headers.uid, message_id=message_id,
        in_reply_to=headers.in_reply_to, references=" ".join(headers.references)[:20000],
        from_address=headers.from_address[:254], to_addresses=",".join(headers.to_addresses)[:5000],
        sent_at=headers.sent_at or headers.internal_date or timezone.now(), subject=headers.subject,
        outgoing=outgoing, counterpart=((outside[0] if outside else "") if outgoing else headers.from_address)[:254],
    )  # fmt: skip


def _progress(mailbox: Mailbox, text: str) -> None:
    Mailbox.objects.filter(pk=mailbox.pk).update(
        heartbeat_at=timezone.now(),
        messages_seen=MailMessage.objects.filter(mailbox=mailbox).count(),
        status_message=text[:500],
    )


def sync_folder(session: ImapSession, mailbox: Mailbox, role: str, name: str, deadline: float) -> FolderResult:
    status = session.examine(name)
    state, _ = FolderState.objects.get_or_create(mailbox=mailbox, role=role, defaults={"name": name})
    if state.uidvalidity != status.uidvalidity or state.name != name:
        with transaction.atomic():  # renumbered or another folder: read it again
            MailMessage.objects.filter(mailbox=mailbox, folder=role).delete()
            state.uidvalidity, state.last_uid, state.name = status.uidvalidity, 0, name
            state.save(update_fields=["uidvalidity", "last_uid", "name"])
    state.on_server = status.exists
    state.save(update_fields=["on_server"])
    result = FolderResult(on_server=status.exists)
    uids = session.uids_after(state.last_uid)
    own = mailbox.own_addresses()
    batch = max(1, settings.LEADOPS_MAILBOX_BATCH)
    for done in range(0, len(uids), batch):
        if done and time.monotonic() > deadline:
            result.complete = False
            break
        chunk = uids[done : done + batch]
        rows = [_message(mailbox, role, status.uidvalidity, headers, own) for headers in session.fetch_headers(chunk)]
        with transaction.atomic():
            MailMessage.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
            state.last_uid = chunk[-1]
            state.save(update_fields=["last_uid"])
            result.stored += len(rows)
            _progress(mailbox, f'Reading "{name}": {done + len(chunk):,} of {len(uids):,} new messages.')
    return result


def _finish(mailbox_id: int, **fields) -> None:
    fields.setdefault("heartbeat_at", None)
    Mailbox.objects.filter(pk=mailbox_id).update(**fields)


def _fail(mailbox: Mailbox, sentence: str) -> str:
    now = timezone.now()
    _finish(
        mailbox.pk, state=SyncState.FAILED, status_message=sentence[:500], last_error_at=now,
        messages_seen=MailMessage.objects.filter(mailbox=mailbox).count(),
    )  # fmt: skip
    log.warning("mailbox %s: %s", mailbox.pk, sentence)
    return "failed"


def sync_mailbox(mailbox_id: int) -> str:
    """One run: "ok", "partial", "failed" or "busy" (another run holds the mailbox)."""
    started = timezone.now()
    previous = Mailbox.objects.filter(pk=mailbox_id).values_list("state", flat=True).first()
    if not claim(mailbox_id, started):
        return "busy"
    mailbox = Mailbox.objects.select_related("owner").get(pk=mailbox_id)
    deadline = time.monotonic() + settings.LEADOPS_MAILBOX_RUN_SECONDS
    results: list[FolderResult] = []
    try:
        password = decrypt(mailbox.password)
        with ImapSession(
            host=mailbox.host, port=mailbox.port, security=mailbox.security, username=mailbox.username,
            password=password,
        ) as session:  # fmt: skip
            for role, name in mailbox.folders():
                results.append(sync_folder(session, mailbox, role, name, deadline))
                if not results[-1].complete:
                    break
        complete = all(result.complete for result in results)
        stored = sum(result.stored for result in results)
        on_server = sum(result.on_server for result in results)
        if complete:
            leads_changed = (
                mailbox.last_synced_at is None
                or Lead.objects.filter(received_at__gte=mailbox.last_synced_at - timedelta(minutes=1)).exists()
            )
            if stored or leads_changed or previous != SyncState.OK:  # else nothing to rebuild
                match_contacts(mailbox)
                rebuild_threads(mailbox)
                record_touches(mailbox)
    except SecretUnreadable:
        return _fail(mailbox, "The stored password cannot be decrypted (LEADOPS_SECRETS_KEY changed): enter it again.")
    except ImapFailure as failure:
        return _fail(mailbox, str(failure))
    except Exception as error:  # never a crashed worker: the admin shows what happened
        log.exception("mailbox %s: sync failed", mailbox_id)
        return _fail(mailbox, f"The sync stopped on an unexpected error ({type(error).__name__}: {error}).")
    seen = MailMessage.objects.filter(mailbox=mailbox).count()
    if not complete:
        _finish(
            mailbox.pk, state=SyncState.PARTIAL, messages_seen=seen, messages_on_server=on_server,
            status_message=f"{seen:,} of about {on_server:,} messages read so far; the next sweep goes on.",
        )  # fmt: skip
        return "partial"
    _finish(
        mailbox.pk, state=SyncState.OK, last_synced_at=started, messages_seen=seen, messages_on_server=on_server,
        status_message=f"{seen:,} messages ({stored:,} new) in {len(results)} folders; "
        f"{mailbox.threads.count():,} threads.",
    )  # fmt: skip
    return "ok"
