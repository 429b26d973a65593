"""Generic JSON (Zapier, Make, a partner's system): one lead per request, read with the
connection's JSON-path mapping (by default the intake field names themselves).

Verified by either or both of: an HMAC in the Standard Webhooks form (webhook-id,
webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">,
with the connection's whsec_ secret) and a key sent as `Authorization: Bearer <key>`
(we keep its hash). A connection with neither refuses everything. Idempotent on the
mapped external_id, else on the webhook-id."""

from __future__ import annotations

from integrations.providers.base import Adapter, Incoming, PayloadError, header, text
from integrations.signatures import check_standard


class GenericAdapter(Adapter):
    provider = "generic"

    def verify(self, request, body, connection):
        if not connection.signing_secret and not connection.verify_key_hash:
            return "the connection has neither a signing secret nor a key"
        if connection.signing_secret:
            reason = check_standard(
                connection.secret("signing_secret"),
                header(request, "webhook-id"),
                header(request, "webhook-timestamp"),
                header(request, "webhook-signature"),
                body,
            )
            if reason:
                return reason
        if connection.verify_key_hash:
            scheme, _, key = header(request, "Authorization").partition(" ")
            if scheme.lower() != "bearer" or not connection.verify_key_matches(key.strip()):
                return "Authorization: Bearer <key> is missing or wrong"
        return ""

    def lead(self, payload, request):
        if not isinstance(payload, dict):
            raise PayloadError("Send one lead as a JSON object.")
        webhook_id = text(header(request, "webhook-id")) if request is not None else ""
        return Incoming(provider_id=f"webhook:{webhook_id}" if webhook_id else "", document=payload)
