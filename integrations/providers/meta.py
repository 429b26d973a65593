"""Meta (Facebook/Instagram) Lead Ads.

- GET: the subscription handshake. `hub.mode=subscribe` with the verify token we hold (as
  a hash) -> the `hub.challenge` echoed as plain text; anything else -> 403.
- POST: the `leadgen` notification, signed with the app secret (X-Hub-Signature-256). It
  carries only ids: each leadgen_id is stored (RemoteFetch) and fetched from the Graph API
  by a job, with the page access token and its appsecret_proof."""

from __future__ import annotations

import hashlib
import hmac
import urllib.parse

from django.conf import settings
from django.http import HttpResponse

from integrations.providers.base import Adapter, FetchError, Incoming, PayloadError, as_list, get_json, header, text
from integrations.signatures import check_meta

GRAPH_FIELDS = (
    "id,created_time,ad_id,ad_name,adset_id,adset_name,campaign_id,campaign_name,form_id,field_data,is_organic,platform"  # noqa: E501
)
CONTEXT_KEYS = ("page_id", "form_id", "ad_id", "adgroup_id", "created_time")


class MetaAdapter(Adapter):
    provider = "meta"
    fetches = True
    handshakes = True

    def handshake(self, request, connection):
        mode = request.GET.get("hub.mode", "")
        token = request.GET.get("hub.verify_token", "")
        challenge = request.GET.get("hub.challenge", "")
        if mode == "subscribe" and challenge and connection.verify_key_matches(token):
            return HttpResponse(challenge[:200], content_type="text/plain")
        return None

    def verify(self, request, body, connection):
        return check_meta(connection.secret("signing_secret"), body, header(request, "X-Hub-Signature-256"))

    def announced(self, payload):
        if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
            raise PayloadError("Expected a Meta webhook notification: {object, entry: [...]}.")
        found = []
        for entry in payload["entry"]:
            changes = entry.get("changes") if isinstance(entry, dict) else None
            if not isinstance(changes, list):
                raise PayloadError("Each entry needs a list of changes.")
            for change in changes:
                if not isinstance(change, dict) or change.get("field") != "leadgen":
                    continue  # other page changes are not leads
                value = change.get("value")
                leadgen_id = text(value.get("leadgen_id")) if isinstance(value, dict) else ""
                if not leadgen_id:
                    raise PayloadError("A leadgen change without a leadgen_id.")
                context = {key: text(value.get(key)) for key in CONTEXT_KEYS if text(value.get(key))}
                found.append((leadgen_id, context))
        return found

    def fetch(self, connection, provider_id, context):
        token = connection.secret("access_token")
        if not token:
            raise FetchError("no page access token on the connection")
        proof = hmac.new(connection.secret("signing_secret").encode(), token.encode(), hashlib.sha256).hexdigest()
        query = urllib.parse.urlencode({"fields": GRAPH_FIELDS, "appsecret_proof": proof})
        url = f"{settings.META_GRAPH_URL.rstrip('/')}/{urllib.parse.quote(provider_id, safe='')}?{query}"
        data = get_json(url, {"Authorization": f"Bearer {token}"})
        if not isinstance(data.get("field_data"), list):
            raise FetchError("the Graph API reply has no field_data")
        return lead_from_graph(provider_id, data, context)

    def sample(self, payload, request):
        """A pasted sample is a Graph API lead ({id, field_data, ...})."""
        if not isinstance(payload, dict) or not isinstance(payload.get("field_data"), list):
            raise PayloadError("Paste a Graph API lead: {id, created_time, field_data: [{name, values}]}.")
        return lead_from_graph(text(payload.get("id")) or "sample", payload, {})


def lead_from_graph(provider_id: str, data: dict, context: dict) -> Incoming:
    """The document: each field_data name with its value (several values joined), plus the
    lead's created_time, platform and campaign names."""
    answers = {}
    for item in data.get("field_data", []):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        values = [str(value) for value in as_list(item.get("values")) if isinstance(value, str | int | float)]
        answers[item["name"][:100]] = ", ".join(values)
    document = {**answers}
    for key in ("created_time", "platform", "campaign_name", "adset_name", "ad_name"):
        if isinstance(data.get(key), str):
            document.setdefault(key, data[key])
    ids = {key: text(data.get(key)) for key in ("ad_id", "adset_id", "campaign_id", "form_id") if text(data.get(key))}
    extra = {"meta": {**context, **ids, "leadgen_id": provider_id, "is_organic": bool(data.get("is_organic"))}}
    extra["answers"] = answers
    return Incoming(provider_id=provider_id, document=document, extra=extra)
