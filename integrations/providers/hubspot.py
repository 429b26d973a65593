"""HubSpot webhooks (v3 signature): X-HubSpot-Signature-v3 is the base64 HMAC-SHA256, with
the app's client secret, of method + URI + body + X-HubSpot-Request-Timestamp; requests
older than 5 minutes are refused. The body is a list of events; each `contact.creation`
announces a contact id, stored and then fetched from the CRM API with the private app's
access token (HUBSPOT_API_URL)."""

from __future__ import annotations

import urllib.parse

from django.conf import settings

from integrations.mapping import DEFAULT_MAPS
from integrations.providers.base import (
    Adapter,
    FetchError,
    Incoming,
    PayloadError,
    get_json,
    header,
    public_uris,
    text,
)
from integrations.signatures import check_hubspot

EXTRA_PROPERTIES = ("hs_analytics_source", "hs_lead_status", "lifecyclestage", "message")


def _paths(mapping) -> list[str]:
    return [path for value in mapping.values() for path in (value if isinstance(value, list) else [value])]


class HubSpotAdapter(Adapter):
    provider = "hubspot"
    fetches = True

    def verify(self, request, body, connection):
        return check_hubspot(
            connection.secret("signing_secret"),
            request.method,
            public_uris(request),
            body,
            header(request, "X-HubSpot-Request-Timestamp"),
            header(request, "X-HubSpot-Signature-v3"),
        )

    def announced(self, payload):
        if not isinstance(payload, list):
            raise PayloadError("Expected a list of HubSpot webhook events.")
        found = []
        for event in payload:
            if not isinstance(event, dict):
                raise PayloadError("Each HubSpot event must be an object.")
            if event.get("subscriptionType") != "contact.creation":
                continue
            contact_id = text(event.get("objectId"))
            if not contact_id:
                raise PayloadError("A contact.creation event without an objectId.")
            context = {
                key: text(event.get(key)) for key in ("eventId", "portalId", "occurredAt") if text(event.get(key))
            }
            found.append((contact_id, context))
        return found

    def fetch(self, connection, provider_id, context):
        token = connection.secret("access_token")
        if not token:
            raise FetchError("no private app access token on the connection")
        wanted = sorted({*_paths(DEFAULT_MAPS["hubspot"]), *_paths(connection.field_map or {}), *EXTRA_PROPERTIES})
        query = urllib.parse.urlencode({"properties": ",".join(path for path in wanted if path)})
        base = settings.HUBSPOT_API_URL.rstrip("/")
        url = f"{base}/crm/v3/objects/contacts/{urllib.parse.quote(provider_id, safe='')}?{query}"
        data = get_json(url, {"Authorization": f"Bearer {token}"})
        if not isinstance(data.get("properties"), dict):
            raise FetchError("the CRM API reply has no properties")
        return lead_from_contact(provider_id, data, context)

    def sample(self, payload, request):
        """A pasted sample is a CRM contact ({id, properties: {...}})."""
        if not isinstance(payload, dict) or not isinstance(payload.get("properties"), dict):
            raise PayloadError("Paste a HubSpot contact: {id, properties: {email, firstname, ...}}.")
        return lead_from_contact(text(payload.get("id")) or "sample", payload, {})


def lead_from_contact(provider_id: str, data: dict, context: dict) -> Incoming:
    properties = {key: value for key, value in data["properties"].items() if isinstance(value, str | int | float)}
    extra = {"hubspot": {**context, "contact_id": provider_id}}
    return Incoming(provider_id=provider_id, document=properties, extra=extra)
