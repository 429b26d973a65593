"""A rep's mailbox over IMAP, the headers synced from it, and the reply waits rebuilt from
them (README "Mailbox analytics").

Only headers are kept (Message-ID, In-Reply-To, References, From, To, Date, Subject),
never a body. The password is encrypted (leadops.encryption) and never shown again."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class Security(models.TextChoices):
    TLS = "tls", _("TLS (implicit, usually port 993)")
    STARTTLS = "starttls", _("STARTTLS (usually port 143)")
    NONE = "none", _("None: plain text (local test servers only)")


class SyncState(models.TextChoices):
    NEVER = "never", _("Not synced yet")
    SYNCING = "syncing", _("Syncing")
    PARTIAL = "partial", _("Partly synced (goes on at the next sweep)")
    OK = "ok", _("Synced")
    FAILED = "failed", _("Failed")


class FolderRole(models.TextChoices):
    INBOX = "inbox", "Inbox"
    SENT = "sent", "Sent"


class Mailbox(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mailboxes")
    host = models.CharField(max_length=253, help_text="The IMAP server, e.g. imap.gmail.com.")
    port = models.PositiveIntegerField(default=993)
    security = models.CharField(max_length=10, choices=Security.choices, default=Security.TLS)
    username = models.CharField(max_length=254, help_text="The IMAP login, usually the email address.")
    password = models.TextField(help_text="Encrypted (LEADOPS_SECRETS_KEY); never shown again.")
    inbox_folder = models.CharField(max_length=200, default="INBOX")
    sent_folder = models.CharField(max_length=200, default="Sent", help_text='Gmail: "[Gmail]/Sent Mail".')
    addresses = models.CharField(
        max_length=1000, blank=True,
        help_text="Other addresses the rep sends from, comma-separated (the login and the user's email count already).",
    )  # fmt: skip
    active = models.BooleanField(default=True, help_text="Synced by the worker's sweep.")

    state = models.CharField(max_length=10, choices=SyncState.choices, default=SyncState.NEVER)
    status_message = models.CharField(max_length=500, blank=True, help_text="The last sync's outcome, in a sentence.")
    sync_requested_at = models.DateTimeField(null=True, blank=True, help_text="Someone asked for a sync now.")
    sync_started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="A running sync's last sign of life.")
    last_synced_at = models.DateTimeField(null=True, blank=True, help_text="The last sync that reached the end.")
    last_error_at = models.DateTimeField(null=True, blank=True)
    messages_seen = models.PositiveIntegerField(default=0, help_text="Headers stored so far.")
    messages_on_server = models.PositiveIntegerField(default=0, help_text="In both folders, at the last sync.")
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["owner__username", "username"]
        verbose_name_plural = "mailboxes"
        constraints = [
            models.UniqueConstraint(fields=["owner", "host", "username"], name="one_mailbox_per_owner_login"),
        ]

    def __str__(self) -> str:
        return f"{self.username} on {self.host} ({self.owner})"

    def own_addresses(self) -> set[str]:
        """The rep's addresses, lower case: a message from one of them was sent by the rep."""
        found = {address.strip().lower() for address in self.addresses.split(",") if "@" in address}
        if "@" in self.username:
            found.add(self.username.strip().lower())
        if self.owner.email:
            found.add(self.owner.email.strip().lower())
        return found

    def folders(self) -> list[tuple[str, str]]:
        return [(FolderRole.INBOX, self.inbox_folder), (FolderRole.SENT, self.sent_folder)]


class FolderState(models.Model):
    """Where the incremental sync of one folder stands: its UIDVALIDITY and the highest
    UID stored. A new UIDVALIDITY means the server renumbered: the folder is read again."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="folder_states")
    role = models.CharField(max_length=10, choices=FolderRole.choices)
    name = models.CharField(max_length=200)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    on_server = models.PositiveIntegerField(default=0, help_text="Messages in the folder at the last look.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mailbox", "role"], name="one_state_per_folder_role")]

    def __str__(self) -> str:
        return f"{self.name}: UIDVALIDITY {self.uidvalidity}, UID {self.last_uid}"


class MailMessage(models.Model):
    """One message's headers. `outgoing`: the rep sent it. `counterpart`: the other side's
    address (the sender of a received message, the first outside recipient of a sent one).
    `from_contact`: a received message from a lead's address or a known contact's domain."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="messages")
    folder = models.CharField(max_length=10, choices=FolderRole.choices)
    uidvalidity = models.BigIntegerField()
    uid = models.BigIntegerField()
    message_id = models.CharField(max_length=500)
    in_reply_to = models.CharField(max_length=500, blank=True)
    references = models.TextField(blank=True, help_text="Message-IDs, space-separated.")
    from_address = models.CharField(max_length=254, blank=True)
    to_addresses = models.TextField(blank=True, help_text="To and Cc, comma-separated.")
    sent_at = models.DateTimeField(help_text="The Date header (else the server's internal date).")
    subject = models.CharField(max_length=300, blank=True)
    outgoing = models.BooleanField()
    counterpart = models.CharField(max_length=254, blank=True)
    from_contact = models.BooleanField(default=False)
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [models.UniqueConstraint(fields=["mailbox", "message_id"], name="one_message_per_mailbox")]
        indexes = [models.Index(fields=["mailbox", "sent_at"], name="mail_message_mailbox_sent")]

    def __str__(self) -> str:
        return f"{self.message_id} ({'sent' if self.outgoing else 'received'} {self.sent_at:%Y-%m-%d %H:%M})"


class MailThread(models.Model):
    """A conversation rebuilt from Message-ID / In-Reply-To / References (rebuilt after
    each sync that stored new headers)."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="threads")
    root_message_id = models.CharField(max_length=500)
    subject = models.CharField(max_length=300, blank=True)
    messages = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["mailbox", "started_at"], name="mail_thread_mailbox_started")]

    def __str__(self) -> str:
        return f"{self.subject or self.root_message_id} ({self.messages})"


class ReplyWait(models.Model):
    """A contact wrote and waited: from their message that opened the wait to the rep's
    first reply in the thread after it (`replied_at` empty while still waiting). Seconds in
    wall-clock time and in the rep's business time (their working hours)."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="waits")
    thread = models.ForeignKey(MailThread, on_delete=models.CASCADE, related_name="waits")
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    waited_from = models.DateTimeField()
    replied_at = models.DateTimeField(null=True, blank=True)
    wall_seconds = models.FloatField(null=True, blank=True)
    business_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["waited_from"]
        indexes = [models.Index(fields=["mailbox", "waited_from"], name="reply_wait_mailbox_from")]

    def __str__(self) -> str:
        return f"wait from {self.waited_from:%Y-%m-%d %H:%M:%S}: {self.wall_seconds}"


class LeadTouch(models.Model):
    """An email to or from a lead already put on the lead's timeline (and, for the rep's
    own email, logged as an attempt): the guard that makes it once per Message-ID."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="+")
    message_id = models.CharField(max_length=500)
    outgoing = models.BooleanField()
    at = models.DateTimeField()
    attempt = models.ForeignKey("leads.Attempt", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lead", "message_id"], name="one_touch_per_lead_message")]

    def __str__(self) -> str:
        return f"{'to' if self.outgoing else 'from'} lead {self.lead_id}: {self.message_id}"
