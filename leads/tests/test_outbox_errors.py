"""Header injection and permanent send errors in the outbox (issue 16, item 8): a CR/LF
in a lead's name must not break the subject of a message about it, and a send the
provider can never accept fails at once with its reason instead of ending `uncertain`."""

from __future__ import annotations

import socketserver
import threading

import pytest
from django.core import mail

from cadences.inbound import InboundMessage, receive
from leadops import transports
from leads.choices import MessageState
from leads.messaging import deliver_message, queue_message
from leads.models import Lead, Message
from tests.workspace_kit import make_lead

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_down")]
HOSTILE_NAME = "Ada\r\nBcc: victim@example.com\x1b\x7f"  # no NUL: PostgreSQL text refuses it


def test_a_reply_alert_about_a_lead_with_a_newline_in_its_name_is_sent_on_one_line(rep):
    lead = make_lead(rep, name=HOSTILE_NAME, email="ada@analytical.io", email_normalized="ada@analytical.io")
    receive(InboundMessage(channel="email", sender="ada@analytical.io", body="Call me"), within=Lead.objects.all())
    alert = Message.objects.get(purpose="reply_alert")
    assert alert.subject == f"Ada Bcc: victim@example.com replied (L-{lead.pk})"
    assert deliver_message(alert.pk) is True
    alert.refresh_from_db()
    assert alert.state == MessageState.SENT
    [email] = mail.outbox
    assert email.to == [rep.email] and "\n" not in email.subject
    assert email.message()["Bcc"] is None


@pytest.mark.parametrize("subject", ["one\ntwo", "one\rtwo", "tab\tand\x07bell  "])
def test_queued_subjects_are_collapsed_to_one_trimmed_line(rep, subject):
    lead = make_lead(rep)
    message = queue_message(
        lead, dedupe_key=f"t:{subject!r}", purpose="manager_alert", channel="email", recipient="m@example.com",
        subject=subject, body="x",
    )  # fmt: skip
    assert message.subject == " ".join(subject.replace("\x07", " ").split())


class RefusingSmtp(socketserver.StreamRequestHandler):
    """A mail server that refuses every recipient for good (550), as SMTP servers answer
    for an unknown mailbox."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 test ESMTP")
        for raw in self.rfile:
            command = raw.decode().strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 test")
            elif command.startswith("RCPT"):
                self.reply("550 5.1.1 no such user")
            elif command.startswith("QUIT"):
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


@pytest.fixture
def refusing_smtp(settings):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), RefusingSmtp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.server_address
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "outgoing, reason",
    [
        (transports.Outgoing(recipient="m@example.com", subject="a\nb", body="x"), "Header values can't contain"),
        (transports.Outgoing(recipient="gone@example.com", subject="hi", body="x"), "recipient refused"),
        (transports.Outgoing(recipient="ada@example.com@evil.example", subject="hi", body="x"), "Invalid address"),
    ],
)
def test_the_email_transport_reports_a_permanent_error(refusing_smtp, outgoing, reason):
    with pytest.raises(transports.PermanentTransportError, match=reason):
        transports.EmailTransport().send(outgoing)


def test_a_message_the_provider_can_never_accept_fails_at_once_with_its_reason(rep):
    lead = make_lead(rep)
    message = Message.objects.create(
        lead=lead, dedupe_key="raw", purpose="manager_alert", channel="email", recipient="m@example.com",
        subject="built\r\nelsewhere", body="x",
    )  # fmt: skip
    assert deliver_message(message.pk) is False
    message.refresh_from_db()
    assert (message.state, message.attempts) == (MessageState.FAILED, 1)
    assert "Header values can't contain newlines" in message.error
    assert lead.events.filter(kind="manager_alert.failed").exists()
    assert mail.outbox == []
