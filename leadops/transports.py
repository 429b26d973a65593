"""Outbound channels behind one interface: `transport_for(channel).send(message)`.

Each transport is a small class with `send()`, looked up in a registry by channel name;
the development default writes to the console. Settings choose the SMS provider
(SMS_TRANSPORT), the team chat one (CHAT_TRANSPORT: console, or webhook for Slack/Teams)
and WhatsApp's (WHATSAPP_TRANSPORT: console, or cloud; leadops/whatsapp.py)."""

from __future__ import annotations

import base64
import html
import json
import logging
import smtplib
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    """A file sent with an email, e.g. an ICS invitation ("text/calendar; method=REQUEST")."""

    name: str
    mime_type: str
    content: str

    def as_mime(self) -> MIMEBase:
        main, _, rest = self.mime_type.partition("/")
        subtype, *params = (part.strip() for part in rest.split(";"))
        if main == "text":
            part: MIMEBase = MIMEText(self.content, subtype or "plain", "utf-8")
        else:
            part = MIMEApplication(self.content.encode("utf-8"), subtype or "octet-stream")
        for param in params:
            key, _, value = param.partition("=")
            if key and value:
                part.set_param(key.strip(), value.strip())
        part.add_header("Content-Disposition", "attachment", filename=self.name)
        return part


@dataclass(frozen=True)
class Outgoing:
    """What a transport needs: recipient, subject, headers and attachment (email only) and body."""

    recipient: str
    body: str
    subject: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    attachment: Attachment | None = None
    # WhatsApp only: the lead wrote to us in the last 24 hours, so free text may be sent;
    # otherwise the message goes as an approved template (leadops/whatsapp.py).
    conversation_open: bool = False


class TransportError(Exception):
    """The provider refused or could not be reached; the message can be retried."""


class PermanentTransportError(TransportError):
    """The message can never be sent as it is (a bad header, an invalid recipient):
    retrying would fail the same way, so the outbox marks it failed at once."""


def _all_refused_for_good(error: smtplib.SMTPRecipientsRefused) -> bool:
    codes = [code for code, _ in error.recipients.values()]
    return bool(codes) and all(500 <= code < 600 for code in codes)


class Transport:
    channel = ""

    def send(self, outgoing: Outgoing) -> str:
        """Send; return a provider reference (may be empty). Raise TransportError."""
        raise NotImplementedError


class EmailTransport(Transport):
    """Django's email backend: console in development, SMTP through EMAIL_URL."""

    channel = "email"

    def send(self, outgoing: Outgoing) -> str:
        email = EmailMessage(outgoing.subject, outgoing.body, to=[outgoing.recipient], headers=dict(outgoing.headers))
        if outgoing.attachment is not None:
            email.attach(outgoing.attachment.as_mime())
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as error:
            if _all_refused_for_good(error):
                raise PermanentTransportError(f"recipient refused: {error.recipients}") from error
            raise TransportError(str(error)) from error
        except OSError as error:
            raise TransportError(str(error)) from error
        except (BadHeaderError, ValueError) as error:  # a newline in a header, an invalid address
            raise PermanentTransportError(str(error)) from error
        return ""


class ConsoleSmsTransport(Transport):
    channel = "sms"

    def send(self, outgoing: Outgoing) -> str:
        sys.stdout.write(f"[sms to {outgoing.recipient}] {outgoing.body}\n")
        sys.stdout.flush()
        return ""


class TwilioSmsTransport(Transport):
    """Twilio's Messages API; the HTTP call is the one point tests mock."""

    channel = "sms"
    url = "https://api.twilio.com/2010-04-01/Accounts/{sid}/Messages.json"

    def send(self, outgoing: Outgoing) -> str:
        sid, token = settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN
        body = urllib.parse.urlencode(
            {"To": outgoing.recipient, "From": settings.TWILIO_FROM_NUMBER, "Body": outgoing.body}
        ).encode()
        request = urllib.request.Request(self.url.format(sid=sid), data=body, method="POST")  # noqa: S310
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode())
        try:
            with post(request) as response:
                return json.loads(response.read() or b"{}").get("sid", "")
        except (OSError, ValueError) as error:
            raise TransportError(f"Twilio: {error}") from error


class ConsoleChatTransport(Transport):
    """Team chat in development: the message is printed, not posted."""

    channel = "chat"

    def send(self, outgoing: Outgoing) -> str:
        sys.stdout.write(f"[chat to {outgoing.recipient}] {outgoing.subject}\n{outgoing.body}\n")
        sys.stdout.flush()
        return ""


TEAMS_HOSTS = ("webhook.office.com", "outlook.office.com", "logic.azure.com", "powerplatform.com")


class WebhookChatTransport(Transport):
    """A Slack or Microsoft Teams incoming webhook; the recipient is the webhook URL.

    Lead fields are text, never markup: Slack's control characters (&, <, >) are escaped,
    so a lead called "<!channel>" cannot ping anyone, and Teams gets escaped HTML."""

    channel = "chat"

    @staticmethod
    def is_teams(url: str) -> bool:
        host = (urllib.parse.urlsplit(url).hostname or "").lower()
        return any(host == name or host.endswith("." + name) for name in TEAMS_HOSTS)

    def payload(self, outgoing: Outgoing) -> dict:
        if self.is_teams(outgoing.recipient):
            text = html.escape(outgoing.body).replace("\n", "<br>")
            return {
                "@type": "MessageCard",
                "@context": "https://schema.org/extensions",
                "summary": outgoing.subject,
                "title": html.escape(outgoing.subject),
                "text": text,
            }
        escape = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
        return {"text": f"*{outgoing.subject.translate(escape)}*\n{outgoing.body.translate(escape)}"}

    def send(self, outgoing: Outgoing) -> str:
        if urllib.parse.urlsplit(outgoing.recipient).scheme != "https":
            raise TransportError("chat webhook URLs must use https")
        body = json.dumps(self.payload(outgoing)).encode()
        request = urllib.request.Request(outgoing.recipient, data=body, method="POST")  # noqa: S310
        request.add_header("Content-Type", "application/json")
        try:
            with post(request) as response:
                return (response.read() or b"")[:100].decode("utf-8", "replace")
        except OSError as error:
            raise TransportError(f"chat webhook: {error}") from error


def post(request: urllib.request.Request):
    """The single outbound HTTP call of all transports (tests patch this)."""
    return urllib.request.urlopen(request, timeout=10)  # noqa: S310


SMS_TRANSPORTS = {"console": ConsoleSmsTransport, "twilio": TwilioSmsTransport}
CHAT_TRANSPORTS = {"console": ConsoleChatTransport, "webhook": WebhookChatTransport}


def transport_for(channel: str) -> Transport:
    if channel == "email":
        return EmailTransport()
    if channel == "sms":
        return SMS_TRANSPORTS[settings.SMS_TRANSPORT]()
    if channel == "chat":
        return CHAT_TRANSPORTS[settings.CHAT_TRANSPORT]()
    if channel == "whatsapp":
        from leadops.whatsapp import WHATSAPP_TRANSPORTS  # it builds on this module's classes

        return WHATSAPP_TRANSPORTS[settings.WHATSAPP_TRANSPORT]()
    raise LookupError(f"no transport for channel {channel!r}")
