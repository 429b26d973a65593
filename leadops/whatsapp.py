"""WhatsApp as an outbound channel: a console transport (the development default) and the
WhatsApp Business Cloud API, chosen by WHATSAPP_TRANSPORT (leadops/transports.py).

The Cloud API (POST {WHATSAPP_API_BASE}/{WHATSAPP_PHONE_NUMBER_ID}/messages, bearer
WHATSAPP_ACCESS_TOKEN) lets a business write free text only inside the customer service
window: 24 hours from the lead's last message to us. Outside it - always, for a new
lead's first contact - the message must be a template approved by Meta; ours is
WHATSAPP_TEMPLATE in WHATSAPP_TEMPLATE_LANGUAGE, whose body has one variable ({{1}}) that
carries our rendered text on one line (template variables may hold no line breaks).

Errors: Meta's error `code` decides, not the HTTP status alone. Throughput limits and
Meta's own outages are retried with the outbox's back-off; an invalid number, a message
outside the window, a broken template or parameter fails the message at once. An
expired or revoked token is retried (until MAX_ATTEMPTS): fixing the token saves the
messages waiting meanwhile."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request

from django.conf import settings

from leadops.transports import Outgoing, PermanentTransportError, Transport, TransportError, post

TEXT_LIMIT = 4096  # a text message's body
TEMPLATE_PARAMETER_LIMIT = 1024
# Meta's codes worth another try: throughput and spam-rate limits, temporary outages,
# "something went wrong", and authentication (a token can be renewed in the meantime).
RETRIED_CODES = {0, 1, 2, 4, 10, 17, 32, 190, 613, 80007, 130429, 131000, 131016, 131048, 131056, 133004}


class ConsoleWhatsAppTransport(Transport):
    channel = "whatsapp"

    def send(self, outgoing: Outgoing) -> str:
        kind = "text" if outgoing.conversation_open else "template"
        sys.stdout.write(f"[whatsapp {kind} to {outgoing.recipient}] {outgoing.body}\n")
        sys.stdout.flush()
        return ""


def template_parameter(text: str) -> str:
    """Our text as a template variable: one line, no runs of spaces, within the limit."""
    line = " ".join(text.split())
    return line if len(line) <= TEMPLATE_PARAMETER_LIMIT else line[: TEMPLATE_PARAMETER_LIMIT - 1].rstrip() + "…"


def message_payload(outgoing: Outgoing) -> dict:
    """The Cloud API's message object: free text inside the 24-hour window, else our template."""
    to = "".join(char for char in outgoing.recipient if char.isdigit())
    base = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
    if outgoing.conversation_open:
        return base | {"type": "text", "text": {"preview_url": False, "body": outgoing.body[:TEXT_LIMIT]}}
    if not settings.WHATSAPP_TEMPLATE:
        raise PermanentTransportError(
            "outside the 24-hour window WhatsApp takes only an approved template: set WHATSAPP_TEMPLATE"
        )
    parameter = {"type": "text", "text": template_parameter(outgoing.body)}
    return base | {
        "type": "template",
        "template": {
            "name": settings.WHATSAPP_TEMPLATE,
            "language": {"code": settings.WHATSAPP_TEMPLATE_LANGUAGE},
            "components": [{"type": "body", "parameters": [parameter]}],
        },
    }


def _refusal(error: urllib.error.HTTPError) -> TransportError:
    try:
        answer = json.loads(error.read() or b"{}")
    except (OSError, ValueError):
        answer = {}
    details = answer.get("error") if isinstance(answer, dict) else None
    details = details if isinstance(details, dict) else {}
    code = details.get("code")
    data = details.get("error_data")
    detail = data.get("details", "") if isinstance(data, dict) else ""
    text = f"WhatsApp {error.code}: {details.get('message') or error.reason} (code {code}) {detail}".strip()
    if error.code == 429 or error.code >= 500 or code in RETRIED_CODES:
        return TransportError(text)
    return PermanentTransportError(text)


class CloudWhatsAppTransport(Transport):
    """The WhatsApp Business Cloud API; the HTTP call is leadops.transports.post."""

    channel = "whatsapp"

    def send(self, outgoing: Outgoing) -> str:
        if not (settings.WHATSAPP_ACCESS_TOKEN and settings.WHATSAPP_PHONE_NUMBER_ID):
            raise TransportError("WhatsApp: set WHATSAPP_ACCESS_TOKEN and WHATSAPP_PHONE_NUMBER_ID")
        url = f"{settings.WHATSAPP_API_BASE.rstrip('/')}/{settings.WHATSAPP_PHONE_NUMBER_ID}/messages"
        body = json.dumps(message_payload(outgoing)).encode()
        request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310  (an https URL from settings)
        request.add_header("Authorization", f"Bearer {settings.WHATSAPP_ACCESS_TOKEN}")
        request.add_header("Content-Type", "application/json")
        try:
            with post(request) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise _refusal(error) from error
        except (OSError, ValueError) as error:
            raise TransportError(f"WhatsApp: {error}") from error
        sent = answer.get("messages") if isinstance(answer, dict) else None
        if not sent or not isinstance(sent[0], dict):
            raise TransportError(f"WhatsApp answered without a message id: {str(answer)[:200]}")
        return str(sent[0].get("id", ""))[:100]


WHATSAPP_TRANSPORTS = {"console": ConsoleWhatsAppTransport, "cloud": CloudWhatsAppTransport}
