"""Who may post to /api/v1/inbound/<slug>: the provider of that connection, proven by its
signature over the request, checked before anything in the body is believed.

- Twilio (https://www.twilio.com/docs/usage/security#validating-requests): base64 of
  HMAC-SHA1, keyed with the account's auth token, over the full URL Twilio called
  followed by the POST parameters sorted by name, each name then value appended with no
  delimiter; sent as `X-Twilio-Signature`. The URL is rebuilt from LEADOPS_PUBLIC_URL and
  the request's path and query string, never from the Host header (which the caller
  chooses).
- Generic JSON, in the Standard Webhooks convention (https://www.standardwebhooks.com/):
  `webhook-signature: v1,<base64 HMAC-SHA256>` over `<webhook-id>.<webhook-timestamp>.<body>`,
  keyed with the base64-decoded part of the connection's `whsec_…` secret; a timestamp
  more than TOLERANCE from now is refused (a replay), and the id makes a retry idempotent.
- WhatsApp Cloud API (Meta's webhooks): `X-Hub-Signature-256: sha256=<hex HMAC-SHA256>` over
  the raw body, keyed with the Meta app's secret. Meta's payload carries no timestamp in
  the signature: replays are made harmless by the message and status ids, each acted on
  once (cadences/whatsapp_inbound.py)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.http import QueryDict

from cadences.models import InboundConnection, InboundProvider

TOLERANCE_SECONDS = 5 * 60
SECRET_PREFIX = "whsec_"  # noqa: S105  (a prefix, not a secret)


class Refused(Exception):
    """The request is not proven to come from the connection's provider (401)."""


@dataclass(frozen=True)
class Verified:
    """A request whose signature checked out: its parameters (Twilio's form) and the
    provider's id of this delivery."""

    delivery_id: str
    form: QueryDict | None = None


def new_generic_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def public_url(request) -> str:
    query = request.META.get("QUERY_STRING", "")
    return settings.LEADOPS_PUBLIC_URL.rstrip("/") + request.path + (f"?{query}" if query else "")


def twilio_expected(url: str, form: QueryDict, auth_token: str) -> str:
    signed = url + "".join(name + value for name in sorted(form) for value in sorted(form.getlist(name)))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _verify_twilio(connection: InboundConnection, request) -> Verified:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        raise Refused("X-Twilio-Signature is missing: only Twilio can post to this connection.")
    is_form = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower() == "application/x-www-form-urlencoded"
    form = QueryDict(request.body, encoding="utf-8") if is_form else QueryDict()
    expected = twilio_expected(public_url(request), form, connection.secret)
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise Refused("The X-Twilio-Signature does not match this request.")
    delivery_id = form.get("MessageSid") or form.get("SmsSid") or hashlib.sha256(request.body).hexdigest()
    return Verified(delivery_id=delivery_id[:100], form=form)


def _generic_key(connection: InboundConnection) -> bytes:
    try:
        return base64.b64decode(connection.secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError) as error:
        raise Refused("This connection's secret is not a whsec_ key; create a new connection.") from error


def _verify_generic(connection: InboundConnection, request, now: float | None) -> Verified:
    webhook_id = request.headers.get("webhook-id", "")
    timestamp = request.headers.get("webhook-timestamp", "")
    signatures = request.headers.get("webhook-signature", "")
    if not (webhook_id and timestamp and signatures):
        raise Refused("Sign the request: webhook-id, webhook-timestamp and webhook-signature are required.")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise Refused("webhook-timestamp must be Unix time in seconds.")
    if abs((now or time.time()) - int(timestamp)) > TOLERANCE_SECONDS:
        raise Refused("webhook-timestamp is more than 5 minutes from now: refused as a possible replay.")
    signed = f"{webhook_id}.{timestamp}.".encode("utf-8", "replace") + request.body
    expected = "v1," + base64.b64encode(hmac.new(_generic_key(connection), signed, hashlib.sha256).digest()).decode()
    offered = signatures.split()
    if not any(hmac.compare_digest(expected.encode(), candidate.encode("utf-8", "replace")) for candidate in offered):
        raise Refused("The webhook-signature does not match this request.")
    if len(webhook_id) > 100:
        webhook_id = hashlib.sha256(webhook_id.encode("utf-8", "replace")).hexdigest()
    return Verified(delivery_id=webhook_id)


def whatsapp_signature(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def _verify_whatsapp(connection: InboundConnection, request) -> Verified:
    signature = request.headers.get("X-Hub-Signature-256", "")
    if not signature:
        raise Refused("X-Hub-Signature-256 is missing: only Meta can post to this connection.")
    expected = whatsapp_signature(connection.secret, request.body)
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode("utf-8", "replace")):
        raise Refused("The X-Hub-Signature-256 does not match this request (is the app secret right?).")
    return Verified(delivery_id=hashlib.sha256(request.body).hexdigest())


def verify(connection: InboundConnection, request, now: float | None = None) -> Verified:
    """The proof that the connection's provider sent this request; raises Refused."""
    if connection.provider == InboundProvider.TWILIO:
        return _verify_twilio(connection, request)
    if connection.provider == InboundProvider.WHATSAPP:
        return _verify_whatsapp(connection, request)
    return _verify_generic(connection, request, now)
