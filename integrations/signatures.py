"""Request signatures, exactly as each provider documents them. Pure functions: bytes
in, a reason out ("" when the request is genuine). Every comparison is constant-time.

- Meta:      X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>
- Typeform:  Typeform-Signature: sha256=<base64 HMAC-SHA256(secret, raw body)>
- HubSpot:   X-HubSpot-Signature-v3: base64 HMAC-SHA256(client secret,
             method + URI + body + X-HubSpot-Request-Timestamp); timestamps older than
             5 minutes are refused
- LinkedIn:  the handshake answers hex HMAC-SHA256(client secret, challengeCode); a
             notification's X-LI-Signature is a hex HMAC-SHA256 with the client secret.
             Its input is read two ways in LinkedIn's pages and in the field: the raw body
             prefixed with "hmacsha256=" (the webhook guide), or the raw body alone; the
             header itself may carry a "hmacsha256=" prefix. Every reading is accepted
             (README, "LinkedIn Lead Gen Forms") until one is confirmed.
- Calendly:  Calendly-Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(signing key,
             t + "." + raw body)>; timestamps more than 3 minutes away are refused
- Cal.com:   X-Cal-Signature-256: hex HMAC-SHA256(secret, raw body)
- Standard Webhooks (our outbound webhooks, and the generic inbound hook's optional HMAC):
             webhook-signature: v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>, the key
             being the base64-decoded part of a whsec_ secret; timestamps more than 5
             minutes away are refused"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time

from integrations.secret_store import webhook_key

TOLERANCE_SECONDS = 300
CALENDLY_TOLERANCE_SECONDS = 180
LINKEDIN_PREFIX = "hmacsha256="
# HubSpot's v3 recipe decodes these escapes in the request URI before signing.
HUBSPOT_URI_ESCAPES = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$", "%27": "'", "%28": "(", "%29": ")",
    "%2A": "*", "%2C": ",", "%3B": ";",
}  # fmt: skip


def _mac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass"))


def meta_signature(app_secret: str, body: bytes) -> str:
    return "sha256=" + _mac(app_secret.encode(), body).hex()


def check_meta(app_secret: str, body: bytes, header: str) -> str:
    if not header:
        return "no X-Hub-Signature-256 header"
    if not _same(meta_signature(app_secret, body), header.strip().lower()):
        return "X-Hub-Signature-256 does not match the body"
    return ""


def typeform_signature(secret: str, body: bytes) -> str:
    return "sha256=" + base64.b64encode(_mac(secret.encode(), body)).decode()


def check_typeform(secret: str, body: bytes, header: str) -> str:
    if not header:
        return "no Typeform-Signature header"
    if not _same(typeform_signature(secret, body), header.strip()):
        return "Typeform-Signature does not match the body"
    return ""


def hubspot_uri(uri: str) -> str:
    for escape, character in HUBSPOT_URI_ESCAPES.items():
        uri = uri.replace(escape, character).replace(escape.lower(), character)
    return uri


def hubspot_signature(client_secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    message = method.upper().encode() + hubspot_uri(uri).encode() + body + timestamp.encode()
    return base64.b64encode(_mac(client_secret.encode(), message)).decode()


def check_hubspot(
    client_secret: str, method: str, uris: list[str], body: bytes, timestamp: str, header: str, now: float | None = None
) -> str:
    """`uris`: the addresses HubSpot may have called (the public URL and the one the request
    reached us by, which differ behind a proxy)."""
    if not header or not timestamp:
        return "no X-HubSpot-Signature-v3 or X-HubSpot-Request-Timestamp header"
    try:
        sent_at = int(timestamp) / 1000
    except ValueError:
        return "X-HubSpot-Request-Timestamp is not a number of milliseconds"
    now = time.time() if now is None else now
    if now - sent_at > TOLERANCE_SECONDS:
        return "X-HubSpot-Request-Timestamp is older than 5 minutes"
    if sent_at - now > TOLERANCE_SECONDS:
        return "X-HubSpot-Request-Timestamp is in the future"
    given = header.strip()
    matches = [_same(hubspot_signature(client_secret, method, uri, body, timestamp), given) for uri in uris]
    return "" if any(matches) else "X-HubSpot-Signature-v3 does not match the request"


def standard_signature(secret: str, message_id: str, timestamp: int | str, body: bytes) -> str:
    content = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(_mac(webhook_key(secret), content)).decode()


def check_standard(
    secret: str, message_id: str, timestamp: str, header: str, body: bytes, now: float | None = None
) -> str:
    if not message_id or not timestamp or not header:
        return "no webhook-id, webhook-timestamp or webhook-signature header"
    try:
        sent_at = int(timestamp)
    except ValueError:
        return "webhook-timestamp is not a number of seconds"
    now = time.time() if now is None else now
    if abs(now - sent_at) > TOLERANCE_SECONDS:
        return "webhook-timestamp is more than 5 minutes away"
    try:
        expected = standard_signature(secret, message_id, timestamp, body)
    except (binascii.Error, ValueError):
        return "the signing secret is not a valid whsec_ secret"
    # The header may carry several space-separated signatures (during a secret rotation).
    if any(_same(expected, candidate) for candidate in header.split()):
        return ""
    return "webhook-signature does not match the request"


def linkedin_challenge_response(client_secret: str, challenge_code: str) -> str:
    return _mac(client_secret.encode(), challenge_code.encode()).hex()


def linkedin_signatures(client_secret: str, body: bytes) -> dict[str, str]:
    """The two readings of X-LI-Signature's input, by name (the delivery log says which matched)."""
    key = client_secret.encode()
    return {"prefixed body": _mac(key, LINKEDIN_PREFIX.encode() + body).hex(), "raw body": _mac(key, body).hex()}


def check_linkedin(client_secret: str, body: bytes, header: str) -> tuple[str, str]:
    """(reason, reading): reason "" when genuine, reading = which input matched."""
    if not header:
        return "no X-LI-Signature header", ""
    given = header.strip().lower().removeprefix(LINKEDIN_PREFIX)
    matched = ""
    for reading, expected in linkedin_signatures(client_secret, body).items():
        if _same(expected, given) and not matched:
            matched = reading
    return ("", matched) if matched else ("X-LI-Signature does not match the body", "")


def calendly_signature(signing_key: str, timestamp: int | str, body: bytes) -> str:
    return _mac(signing_key.encode(), f"{timestamp}.".encode() + body).hex()


def check_calendly(signing_key: str, body: bytes, header: str, now: float | None = None) -> str:
    if not header:
        return "no Calendly-Webhook-Signature header"
    parts = dict(part.strip().partition("=")[::2] for part in header.split(",") if "=" in part)
    timestamp, given = parts.get("t", ""), parts.get("v1", "")
    if not timestamp or not given:
        return "Calendly-Webhook-Signature lacks t= or v1="
    try:
        sent_at = int(timestamp)
    except ValueError:
        return "Calendly-Webhook-Signature's t is not a number of seconds"
    now = time.time() if now is None else now
    if abs(now - sent_at) > CALENDLY_TOLERANCE_SECONDS:
        return "Calendly-Webhook-Signature's timestamp is more than 3 minutes away"
    if not _same(calendly_signature(signing_key, timestamp, body), given.lower()):
        return "Calendly-Webhook-Signature does not match the body"
    return ""


def calcom_signature(secret: str, body: bytes) -> str:
    return _mac(secret.encode(), body).hex()


def check_calcom(secret: str, body: bytes, header: str) -> str:
    if not secret:
        return "the connection has no signing secret (Cal.com hooks must be signed)"
    if not header:
        return "no X-Cal-Signature-256 header"
    if not _same(calcom_signature(secret, body), header.strip().lower().removeprefix("sha256=")):
        return "X-Cal-Signature-256 does not match the body"
    return ""
