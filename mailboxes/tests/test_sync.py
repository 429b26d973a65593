"""The sync against a real IMAP server (Dovecot): incremental by UID, resumable in batches,
every bad input a sentence in the mailbox's status, never an exception out of the job."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from django.utils import timezone
from rq import SimpleWorker

from leadops import queues
from mailboxes.models import FolderState, Mailbox, MailMessage, MailThread, Security, SyncState
from mailboxes.sweeper import sweep
from mailboxes.sync import QUEUE, job_id, job_timeout, sync_mailbox
from mailboxes.tests.conftest import connect_mailbox
from mailboxes.tests.mailkit import Mail, load

DAY = datetime(2026, 11, 2, 9, tzinfo=UTC)


def mails(user: str, count: int, *, start: int = 0, folder: str = "INBOX") -> list[Mail]:
    return [
        Mail(folder=folder, sender=f"lead{n}@acme.test", to=user, at=DAY + timedelta(minutes=n),
             message_id=f"<m{n}.{folder}@mail.test>", subject=f"Question {n}")
        for n in range(start, start + count)
    ]  # fmt: skip


def state(mailbox: Mailbox) -> Mailbox:
    mailbox.refresh_from_db()
    return mailbox


def test_it_syncs_only_new_messages(mailbox, dovecot, imap_user):
    user, password = imap_user
    load(dovecot, user, password, mails(user, 3) + mails(user, 2, folder="Sent"))
    assert sync_mailbox(mailbox.pk) == "ok"
    inbox = FolderState.objects.get(mailbox=mailbox, role="inbox")
    assert (inbox.last_uid, inbox.on_server) == (3, 3) and inbox.uidvalidity
    assert state(mailbox).state == SyncState.OK and mailbox.messages_seen == 5 and mailbox.last_synced_at
    assert "5 messages (5 new)" in mailbox.status_message

    load(dovecot, user, password, mails(user, 2, start=3))
    assert sync_mailbox(mailbox.pk) == "ok"
    assert MailMessage.objects.filter(mailbox=mailbox, folder="inbox").count() == 5
    assert FolderState.objects.get(mailbox=mailbox, role="inbox").last_uid == 5
    assert "7 messages (2 new)" in state(mailbox).status_message
    sent = MailMessage.objects.filter(mailbox=mailbox, folder="sent")
    assert sent.count() == 2 and all(message.outgoing for message in sent)

    threads = set(MailThread.objects.values_list("pk", flat=True))
    assert sync_mailbox(mailbox.pk) == "ok"  # nothing new: nothing fetched, nothing rebuilt
    assert "7 messages (0 new)" in state(mailbox).status_message
    assert set(MailThread.objects.values_list("pk", flat=True)) == threads


def test_it_resumes_a_large_mailbox_where_it_stopped(mailbox, dovecot, imap_user, settings):
    user, _ = imap_user
    dovecot.write_maildir(user, "INBOX", [(mail.raw(), mail.at) for mail in mails(user, 2500)])
    settings.LEADOPS_MAILBOX_BATCH = 400
    settings.LEADOPS_MAILBOX_RUN_SECONDS = 0  # one batch per run
    assert sync_mailbox(mailbox.pk) == "partial"
    assert state(mailbox).state == SyncState.PARTIAL and mailbox.messages_seen == 400
    assert mailbox.status_message == "400 of about 2,500 messages read so far; the next sweep goes on."
    assert FolderState.objects.get(mailbox=mailbox, role="inbox").last_uid == 400
    runs = 1
    while sync_mailbox(mailbox.pk) == "partial":
        runs += 1
    assert runs == 6 and state(mailbox).state == SyncState.OK  # 7 batches: the 7th run finishes
    assert MailMessage.objects.filter(mailbox=mailbox).count() == 2500
    uids = list(MailMessage.objects.filter(mailbox=mailbox).order_by("uid").values_list("uid", flat=True))
    assert uids == list(range(1, 2501))


def test_it_picks_up_after_the_server_went_away(mailbox, dovecot, imap_user, settings):
    user, password = imap_user
    load(dovecot, user, password, mails(user, 30))
    settings.LEADOPS_MAILBOX_BATCH = 10
    settings.LEADOPS_MAILBOX_RUN_SECONDS = 0
    assert sync_mailbox(mailbox.pk) == "partial"
    dovecot.stop(remove=False)
    try:
        assert sync_mailbox(mailbox.pk) == "failed"
        assert "refused the connection" in state(mailbox).status_message and mailbox.last_error_at
    finally:
        dovecot.restart()
    settings.LEADOPS_MAILBOX_RUN_SECONDS = 60
    assert sync_mailbox(mailbox.pk) == "ok"
    assert MailMessage.objects.filter(mailbox=mailbox).count() == 30


@pytest.mark.parametrize(
    "change, sentence",
    [
        ({"password": "wrong"}, "refused the user name or password ([AUTHENTICATIONFAILED] Authentication failed.)"),
        ({"sent_folder": "Sent Items"}, 'There is no folder "Sent Items"'),
        ({"security": Security.TLS, "port": "plain"}, "TLS with 127.0.0.1:"),
    ],
)
def test_it_says_what_went_wrong(rep, dovecot, imap_user, change, sentence):
    user, password = imap_user
    if change.get("port") == "plain":
        change["port"] = dovecot.plain_port
    mailbox = connect_mailbox(rep, dovecot, user, change.pop("password", password), **change)
    assert sync_mailbox(mailbox.pk) == "failed"
    assert state(mailbox).state == SyncState.FAILED and sentence in mailbox.status_message


def test_it_says_when_nobody_listens_or_answers(rep, dovecot, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    closed = connect_mailbox(rep, dovecot, "x@ourco.test", "pw", port=free_port, security=Security.NONE)
    assert sync_mailbox(closed.pk) == "failed"
    assert state(closed).status_message == f"127.0.0.1:{free_port} refused the connection: is the port right?"

    settings.LEADOPS_IMAP_TIMEOUT = 0.5
    with socket.socket() as silent:  # accepts the connection, never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        mute = connect_mailbox(rep, dovecot, "y@ourco.test", "pw", port=port, security=Security.NONE)
        assert sync_mailbox(mute.pk) == "failed"
    assert state(mute).status_message == f"127.0.0.1:{port} did not answer within 0.5 s."


def test_it_speaks_starttls_and_plain_and_checks_certificates(rep, dovecot, imap_user, settings):
    user, password = imap_user
    starttls = connect_mailbox(rep, dovecot, user, password, port=dovecot.plain_port, security=Security.STARTTLS)
    assert sync_mailbox(starttls.pk) == "ok"
    starttls.delete()
    plain = connect_mailbox(
        rep, dovecot, user, password, port=dovecot.plain_port, security=Security.NONE, host="localhost"
    )
    assert sync_mailbox(plain.pk) == "ok"
    plain.delete()
    settings.LEADOPS_IMAP_CA_FILE = ""  # the self-signed certificate is not trusted any more
    untrusted = connect_mailbox(rep, dovecot, user, password, host="localhost")
    assert sync_mailbox(untrusted.pk) == "failed"
    assert "certificate of localhost:" in state(untrusted).status_message
    assert "could not be verified" in untrusted.status_message


def test_it_says_when_the_stored_password_cannot_be_read(mailbox, settings):
    settings.LEADOPS_SECRETS_KEY = [Fernet.generate_key().decode()]
    assert sync_mailbox(mailbox.pk) == "failed"
    assert "cannot be decrypted" in state(mailbox).status_message


def test_it_syncs_one_at_a_time_and_takes_over_a_dead_run(mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(state=SyncState.SYNCING, heartbeat_at=timezone.now())
    assert sync_mailbox(mailbox.pk) == "busy"
    Mailbox.objects.filter(pk=mailbox.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    assert sync_mailbox(mailbox.pk) == "ok"
    Mailbox.objects.filter(pk=mailbox.pk).update(active=False)
    assert sync_mailbox(mailbox.pk) == "busy"  # switched off: not claimed


@pytest.fixture
def run_sync_jobs(real_redis):
    """Run the queued mailbox syncs (queue "integrations") in this process."""

    def run() -> None:
        queue = queues.get_queue(QUEUE)
        SimpleWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=False)
        assert not queue.failed_job_registry.get_job_ids()

    return run


def test_the_sweep_syncs_what_is_due(mailbox, run_sync_jobs, settings):
    assert sweep() == {"mailbox_syncs": 1}  # never synced
    job = queues.get_queue(QUEUE).fetch_job(job_id(mailbox.pk))
    assert job.func_name == "mailboxes.tasks.sync_mailbox" and job.timeout == job_timeout() > 180  # RQ's default
    assert sweep() == {"mailbox_syncs": 0}  # its job is still queued
    run_sync_jobs()
    assert state(mailbox).state == SyncState.OK
    assert sweep() == {"mailbox_syncs": 0}  # fresh
    later = timezone.now() + timedelta(seconds=settings.LEADOPS_MAILBOX_SYNC_EVERY + 1)
    assert sweep(later) == {"mailbox_syncs": 1}
    run_sync_jobs()
    long_ago = timezone.now() - timedelta(days=1)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        state=SyncState.FAILED, last_error_at=timezone.now(), last_synced_at=long_ago
    )
    assert sweep() == {"mailbox_syncs": 0}  # failed just now: retried at the normal pace, not at every sweep
    assert sweep(timezone.now() + timedelta(seconds=settings.LEADOPS_MAILBOX_SYNC_EVERY + 1)) == {"mailbox_syncs": 1}
    run_sync_jobs()
    Mailbox.objects.filter(pk=mailbox.pk).update(sync_requested_at=timezone.now())  # "Sync now" overrides
    assert sweep() == {"mailbox_syncs": 1}


def test_the_workers_sweep_includes_mailboxes(mailbox, real_redis):
    from pipeline.sweeper import sweep as sweep_everything

    assert sweep_everything()["mailbox_syncs"] == 1
