"""The public hooks, /hooks/<provider>/<connection-slug>/ (SPEC §3.10).

Order of work, whatever the provider: find the connection (404), rate limit (429), size
(413), verify the raw bytes (401, logged, nothing else stored), parse (400), then the
intake door (integrations.inbound). Answers are JSON; a replay is answered 200 with the
first lead; a database outage 503 (the provider retries). Never 500."""

from __future__ import annotations

import json
import logging

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from integrations.choices import HookOutcome, Provider
from integrations.inbound import receive
from integrations.models import Connection, HookDelivery
from integrations.providers import adapter_for
from integrations.providers.base import PayloadError
from integrations.secret_store import SecretUnreadable
from leadops.ratelimit import retry_after
from leads.api import intake_reply

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024
UNAVAILABLE = (OperationalError, InterfaceError)


def _errors(status: int, errors: dict, **headers) -> JsonResponse:
    response = JsonResponse({"errors": errors}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _log(connection: Connection, request: HttpRequest, outcome: str, status: int, detail: str = "") -> None:
    """A delivery log row for a request that made nothing (no body is kept)."""
    try:
        HookDelivery.objects.create(
            connection=connection, method=request.method[:8], verified=outcome == HookOutcome.HANDSHAKE,
            status_code=status, outcome=outcome, detail=detail[:2000],
        )  # fmt: skip
    except DatabaseError as error:
        log.error("hook %s: could not log a %s request: %s", connection.slug, outcome, error)


def _body(request: HttpRequest) -> bytes | None:
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
            return None
    except ValueError:
        pass
    try:
        body = request.body
    except RequestDataTooBig:
        return None
    return body if len(body) <= MAX_BODY_BYTES else None


def _reply(received) -> JsonResponse:
    if received.meeting is not None:
        recorded, delivery = received.meeting, received.delivery
        body = {"outcome": delivery.outcome, "meeting": recorded.meeting_id, "lead": delivery.lead_id,
                "lead_made": received.taken is not None, "detail": recorded.detail}  # fmt: skip
        if delivery.status_code >= 400:
            return _errors(delivery.status_code, {"meeting": [recorded.detail]})
        return JsonResponse(body)
    if received.taken is not None and received.taken.errors:
        return _errors(400, received.taken.errors)
    if received.fetches or received.taken is None:
        outcome = received.delivery.outcome
        return JsonResponse({"outcome": outcome, "fetches": received.fetches})
    taken = received.taken
    if taken.errors:
        return _errors(400, taken.errors)
    return JsonResponse({"outcome": taken.outcome, "lead": intake_reply(taken.result)})


def _handshake(request: HttpRequest, connection: Connection, adapter) -> HttpResponse:
    try:
        answer = adapter.handshake(request, connection)
    except SecretUnreadable as error:
        log.error("hook %s: %s; set the connection's secrets again", connection.slug, error)
        answer = None
    if answer is None:
        status, errors, detail = adapter.handshake_refused()
        _log(connection, request, HookOutcome.REJECTED, status, detail)
        return _errors(status, errors)
    _log(connection, request, HookOutcome.HANDSHAKE, 200)
    return answer


@csrf_exempt
def hook(request: HttpRequest, provider: str, slug: str) -> HttpResponse:
    try:
        connection = (
            Connection.objects.select_related("lead_source").filter(provider=provider, slug=slug, active=True).first()
            if provider in Provider.values
            else None
        )
    except UNAVAILABLE:
        return _errors(503, {"non_field_errors": ["Unavailable; retry shortly."]}, Retry_After="5")
    if connection is None:
        return _errors(404, {"non_field_errors": ["No such hook."]})
    adapter = adapter_for(provider)
    wait = retry_after(f"hook:{connection.pk}", connection.requests_per_minute)
    if wait:
        return _errors(429, {"non_field_errors": ["Too many requests for this hook."]}, Retry_After=str(wait))
    if request.method == "GET" and adapter.handshakes:
        return _handshake(request, connection, adapter)
    if request.method != "POST":
        _log(connection, request, HookOutcome.REJECTED, 405, f"method {request.method[:8]} not allowed")
        response = _errors(405, {"non_field_errors": ["Use POST."]})
        response["Allow"] = "GET, POST" if adapter.handshakes else "POST"
        return response
    body = _body(request)
    if body is None:
        _log(connection, request, HookOutcome.REJECTED, 413, "body larger than 64 KiB")
        return _errors(413, {"non_field_errors": ["The body is larger than 64 KiB."]})
    try:
        reason = adapter.verify(request, body, connection)
    except SecretUnreadable as error:
        log.error("hook %s: %s; set the connection's secrets again", connection.slug, error)
        reason = "the connection's secret cannot be read (LEADOPS_SECRETS_KEY changed)"
    if reason:
        log.warning("hook %s/%s refused: %s", provider, slug, reason)
        _log(connection, request, HookOutcome.REJECTED, 401, reason)
        return _errors(401, {"signature": [reason]})
    return _verified(request, connection, adapter, body)


def _verified(request: HttpRequest, connection: Connection, adapter, body: bytes) -> HttpResponse:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        _log(connection, request, HookOutcome.INVALID, 400, "the body is not JSON")
        return _errors(400, {"non_field_errors": ["The body is not valid JSON."]})
    try:
        received = receive(connection, adapter, payload, request)
    except PayloadError as error:
        _log(connection, request, HookOutcome.INVALID, 400, str(error))
        return _errors(400, {"non_field_errors": [str(error)]})
    except UNAVAILABLE as error:
        log.error("hook %s could not store a delivery: %s", connection.slug, error)
        return _errors(503, {"non_field_errors": ["Could not be stored; retry shortly."]}, Retry_After="5")
    return _reply(received)
