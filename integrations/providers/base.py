"""What every provider adapter offers (one small class per provider, in a registry).

A request is verified first (`verify`, on the raw bytes), only then parsed. Adapters whose
notifications carry the lead itself return it from `lead()`; adapters whose notifications
only announce an id (Meta, HubSpot) return the ids from `announced()` and fetch the lead
later, in a job, with `fetch()`."""

from __future__ import annotations

import contextlib
import json
import math
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

from integrations import http


class PayloadError(Exception):
    """A verified body that is not what the provider sends (answered 400)."""


class FetchError(Exception):
    """The provider's API did not give the lead (down, refused, odd reply): retried later."""


@dataclass
class Incoming:
    """One lead as a provider describes it: its id there, the document the mapping reads,
    what goes to the lead's `extra`, and whether the provider marks it as a test."""

    provider_id: str
    document: dict
    extra: dict = field(default_factory=dict)
    test_lead: bool = False


class Adapter:
    provider = ""
    fetches = False  # the lead is fetched by id after the notification (Meta, HubSpot, LinkedIn)
    handshakes = False  # a GET is a subscription handshake (Meta, LinkedIn)
    meetings = False  # the request reports a meeting booked elsewhere (Calendly, Cal.com)

    def verify(self, request: HttpRequest, body: bytes, connection) -> str:
        """ "" when the request is genuine, else why not."""
        raise NotImplementedError

    def handshake(self, request: HttpRequest, connection) -> HttpResponse | None:
        """Answer a GET (a subscription handshake), or None: GET is not allowed."""
        return None

    def handshake_refused(self) -> tuple[int, dict, str]:
        """(status, field errors, log detail) of a handshake `handshake` did not answer."""
        return (
            403,
            {"hub.verify_token": ["The verify token does not match this connection."]},
            ("handshake: wrong hub.mode or verify token"),
        )

    def lead(self, payload, request: HttpRequest) -> Incoming | None:
        """The lead in a verified payload; None when the payload carries none."""
        raise NotImplementedError

    def announced(self, payload) -> list[tuple[str, dict]]:
        """(provider id, context) of each lead a verified notification announces."""
        raise NotImplementedError

    def fetch(self, connection, provider_id: str, context: dict) -> Incoming:
        raise NotImplementedError

    def sample(self, payload, request: HttpRequest) -> Incoming | None:
        """The admin's "try a sample": what a payload pasted there would become."""
        return self.lead(payload, request)


def header(request: HttpRequest, name: str) -> str:
    return request.headers.get(name, "") or ""


def public_uris(request: HttpRequest) -> list[str]:
    """The addresses a provider may have signed: LEADOPS_PUBLIC_URL + path (what was pasted
    in its console), and the address the request reached this process by."""
    path = request.get_full_path()
    uris = [settings.LEADOPS_PUBLIC_URL.rstrip("/") + path]
    with contextlib.suppress(DisallowedHost):  # only the public URL counts then
        uris.append(request.build_absolute_uri(path))
    return list(dict.fromkeys(uris))


def plain_text(value: str) -> str:
    """The text without what a database cannot store: NUL characters, lone surrogates."""
    return value.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")


def json_safe(value, depth: int = 0):
    """A decoded JSON value that PostgreSQL's jsonb and SQLite's JSON accept (see plain_text;
    non-finite numbers become text), for the log."""
    if depth > 40:
        return None
    if isinstance(value, str):
        return plain_text(value)
    if isinstance(value, list):
        return [json_safe(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {plain_text(str(key)): json_safe(item, depth + 1) for key, item in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # NaN, Infinity, 1e999: not JSON, kept as text for the log
    return value


def text(value) -> str:
    """An id or value a provider sends as a string or a number."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return plain_text(str(value)).strip()[:100]


def as_dict(value) -> dict:
    """A provider's object, or {} when it sent something else there."""
    return value if isinstance(value, dict) else {}


def as_list(value) -> list:
    """A provider's list, or [] when it sent something else there."""
    return value if isinstance(value, list) else []


def get_json(url: str, headers: dict[str, str]) -> dict:
    """GET a provider's API; the JSON object it answers, or FetchError."""
    try:
        reply = http.call("GET", url, headers={"Accept": "application/json", **headers})
    except http.OutboundError as error:
        raise FetchError(str(error)) from error
    if not reply.ok:
        raise FetchError(f"HTTP {reply.status}: {reply.excerpt()[:300]}")
    try:
        data = json.loads(reply.body)
    except ValueError as error:
        raise FetchError("the reply is not JSON") from error
    if not isinstance(data, dict):
        raise FetchError("the reply is not a JSON object")
    return data
