"""Posting to the inbound webhook as the providers do, with their signatures computed
here from their documentation (not by our verifier):

- Twilio: https://www.twilio.com/docs/usage/security#validating-requests — take the full
  URL Twilio requested, append each POST parameter name and value sorted by name, HMAC-SHA1
  with the auth token, base64; sent as X-Twilio-Signature.
- Standard Webhooks: https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
  — HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}" keyed with the base64-decoded
  secret after "whsec_", base64, sent as "v1,<signature>"."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

PUBLIC_URL = "https://leadops.example.com"
TWILIO_TOKEN = "0123456789abcdef0123456789abcdef"
GENERIC_SECRET = "whsec_" + base64.b64encode(b"a generic test secret of 32 bytes").decode()


def twilio_signature(url: str, params: dict[str, str], auth_token: str = TWILIO_TOKEN) -> str:
    data = url
    for name in sorted(params):
        data += name + params[name]
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def twilio_post(client, slug: str, params: dict[str, str], *, token: str = TWILIO_TOKEN, signed_url: str = ""):
    """Twilio's incoming-message webhook: a signed form post (signed_url: a URL other than
    the one configured, to forge with)."""
    path = f"/api/v1/inbound/{slug}"
    signature = twilio_signature(signed_url or PUBLIC_URL + path, params, token)
    return client.post(
        path, urlencode(params), content_type="application/x-www-form-urlencoded", HTTP_X_TWILIO_SIGNATURE=signature
    )


def sms(sender: str, text: str, sid: str = "SM1") -> dict[str, str]:
    return {"From": sender, "To": "+12125550100", "Body": text, "MessageSid": sid, "AccountSid": "AC1"}


def standard_signature(webhook_id: str, timestamp: int, body: bytes, secret: str = GENERIC_SECRET) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def generic_post(client, slug: str, body, *, webhook_id: str = "msg_1", secret: str = GENERIC_SECRET, age: int = 0):
    """A Standard Webhooks post of a JSON body (or raw bytes), signed `age` seconds ago."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    timestamp = int(time.time()) - age
    return client.post(
        f"/api/v1/inbound/{slug}", raw, content_type="application/json",
        HTTP_WEBHOOK_ID=webhook_id, HTTP_WEBHOOK_TIMESTAMP=str(timestamp),
        HTTP_WEBHOOK_SIGNATURE=standard_signature(webhook_id, timestamp, raw, secret),
    )  # fmt: skip
