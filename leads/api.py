"""Lead intake over HTTP, `POST /api/v1/leads` (SPEC §6).

A plain Django view: it is the hot path (>= 600 leads/s on 2 cores), so it skips DRF's
request wrapping and does one (cached) key lookup, one Redis round trip for its rate limits,
one database statement for the new lead (leads/intake_statement.py) and one Redis round trip
for its job (leadops/queues.py). Its OpenAPI description lives in leads/schema.py. What a
rep, dialer or phone system does with a lead afterwards is workspace/api.py; inbound replies
are cadences/api.py."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from leadops.clientip import client_ip
from leadops.ratelimit import exhausted, retry_after, retry_after_each, uncount
from leads import policies
from leads.actions import IntakeResult, lead_intake
from leads.intake import LIVE_BACKDATE_LIMIT, clean_submission

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
UNAVAILABLE = (OperationalError, InterfaceError)


def error_reply(status: int, errors: dict, **headers) -> JsonResponse:
    response = JsonResponse({"errors": errors}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def intake_reply(result: IntakeResult) -> dict:
    lead = result.lead
    return {
        "id": lead.pk,
        "status": result.status,
        "temperature": lead.temperature,
        "duplicate_of": result.duplicate_of,
        "sla": {
            "assign_by": _iso(lead.assign_due_at),
            "first_contact_by": _iso(lead.first_contact_due_at),
            "after_hours": lead.after_hours,
        },
    }


def _bearer_key(request: HttpRequest) -> str:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def _parse_body(request: HttpRequest) -> tuple[dict | None, JsonResponse | None]:
    media_type = request.content_type or ""
    try:
        if media_type == "application/json" or media_type.endswith("+json"):
            data = json.loads(request.body or b"null")
            if not isinstance(data, dict):
                return None, error_reply(400, {"non_field_errors": ["Send a JSON object of lead fields."]})
            return data, None
        if media_type == "multipart/form-data":
            if request.FILES:
                return None, error_reply(400, {"non_field_errors": ["Send lead fields only, no file parts."]})
            return {name: request.POST.get(name) for name in request.POST}, None
        if media_type in FORM_TYPES:
            form = QueryDict(request.body, encoding="utf-8")
            return {name: form.get(name) for name in form}, None
    except (ValueError, RecursionError, UnicodeDecodeError):
        return None, error_reply(400, {"non_field_errors": ["The body is not valid JSON."]})
    except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent) as error:
        return None, error_reply(400, {"non_field_errors": [f"The form body could not be read: {error}"]})
    return None, error_reply(415, {"non_field_errors": ["Send application/json or application/x-www-form-urlencoded."]})


def _authenticate(request: HttpRequest, ip: str):
    """(key, None), or (None, the reply): 401 for a missing or wrong key, 429 once an
    address has sent too many wrong keys (then not even looked up), 503 without a database."""
    bad_key_bucket, bad_key_limit = f"intake-bad-key:{ip}", settings.LEADOPS_INTAKE_BAD_KEYS_PER_IP_PER_MINUTE
    raw_key = _bearer_key(request)
    wait = exhausted(bad_key_bucket, bad_key_limit) if not policies.known_intake_key(raw_key) else 0
    if wait:
        return None, error_reply(
            429, {"non_field_errors": ["Too many wrong intake keys from this address."]}, Retry_After=str(wait)
        )
    try:
        key = policies.intake_key(raw_key) if raw_key else None
    except UNAVAILABLE:
        return None, error_reply(
            503, {"non_field_errors": ["The lead store is unavailable; retry shortly."]}, Retry_After="5"
        )
    if key is None:
        retry_after(bad_key_bucket, bad_key_limit)
        response = error_reply(401, {"non_field_errors": ["Send a valid intake key: Authorization: Bearer <key>."]})
        response["WWW-Authenticate"] = 'Bearer realm="leadops-intake"'
        return None, response
    return key, None


@csrf_exempt
def intake(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        response = error_reply(405, {"non_field_errors": ["Use POST."]})
        response["Allow"] = "POST"
        return response
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return error_reply(413, {"non_field_errors": ["The body is larger than 64 KiB."]})
    ip = client_ip(request)
    ip_bucket, ip_limit = f"intake-ip:{ip}", settings.LEADOPS_INTAKE_PER_IP_PER_MINUTE
    key = policies.cached_intake_key(_bearer_key(request))
    if key is not None:
        # The usual request, a key this process knows: both counters in one Redis round trip;
        # the key's call is given back when the address was refused (as if not reached).
        key_bucket = f"intake-key:{key.pk}"
        ip_wait, key_wait = retry_after_each([(ip_bucket, ip_limit), (key_bucket, key.requests_per_minute)])
        if ip_wait and key.requests_per_minute > 0:
            uncount(key_bucket)
    else:
        ip_wait, key_wait = retry_after(ip_bucket, ip_limit), 0
        if not ip_wait:
            key, problem = _authenticate(request, ip)
            if problem:
                return problem
            key_wait = retry_after(f"intake-key:{key.pk}", key.requests_per_minute)
    if ip_wait:
        return error_reply(
            429, {"non_field_errors": ["Too many requests from this address."]}, Retry_After=str(ip_wait)
        )
    if key_wait:
        return error_reply(429, {"non_field_errors": ["Too many requests for this key."]}, Retry_After=str(key_wait))
    try:
        if len(request.body) > MAX_BODY_BYTES:
            return error_reply(413, {"non_field_errors": ["The body is larger than 64 KiB."]})
    except RequestDataTooBig:
        return error_reply(413, {"non_field_errors": ["The body is larger than 64 KiB."]})
    data, problem = _parse_body(request)
    if problem:
        return problem
    source = key.lead_source
    submission, errors = clean_submission(
        data, default_source=source.default_source, allows_source=source.allows, max_age=LIVE_BACKDATE_LIMIT
    )
    if errors:
        return error_reply(400, errors)
    try:
        result = lead_intake(submission, source, actor_label=f"intake key {key.prefix}…")
    except UNAVAILABLE as error:
        log.error("intake could not store a lead: %s", error)
        return error_reply(503, {"non_field_errors": ["The lead could not be stored; retry shortly."]}, Retry_After="5")
    return JsonResponse(intake_reply(result), status=200 if result.replayed else 201)
