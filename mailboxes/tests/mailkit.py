"""Generated email headers for the IMAP tests: conversations whose times are known."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime


@dataclass
class Mail:
    """One message: where it goes (INBOX or Sent) and its headers; a short body that must
    never reach the database."""

    folder: str
    sender: str
    to: str
    at: datetime
    message_id: str
    subject: str = "Your demo"
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    body: str = "SECRET BODY TEXT that LeadOps must never store."

    def raw(self) -> bytes:
        lines = [
            f"From: {self.sender}",
            f"To: {self.to}",
            f"Date: {format_datetime(self.at)}",
            f"Subject: {self.subject}",
            f"Message-ID: {self.message_id}",
        ]
        if self.in_reply_to:
            lines.append(f"In-Reply-To: {self.in_reply_to}")
        if self.references:
            lines.append(f"References: {' '.join(self.references)}")
        lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "", self.body, ""]
        return "\r\n".join(lines).encode("utf-8")


class Conversation:
    """A thread built message by message: each reply names its parent and the chain."""

    def __init__(self, tag: str, subject: str):
        self.tag, self.subject, self.mails = tag, subject, []

    def say(self, sender: str, to: str, at: datetime, *, sent: bool) -> Mail:
        number = len(self.mails) + 1
        chain = [mail.message_id for mail in self.mails]
        mail = Mail(
            folder="Sent" if sent else "INBOX", sender=sender, to=to, at=at,
            message_id=f"<{self.tag}.{number}@mail.test>",
            subject=("Re: " if self.mails else "") + self.subject,
            in_reply_to=chain[-1] if chain else "", references=chain,
        )  # fmt: skip
        self.mails.append(mail)
        return mail


def load(server, user: str, password: str, mails: list[Mail]) -> None:
    """APPEND every message with its Date header as its internal date too."""
    server.append_many(user, password, [(mail.folder, mail.raw(), mail.at) for mail in mails])
