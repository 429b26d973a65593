"""The one door for the integrations' outbound HTTP (provider fetches, outbound webhooks):
short timeouts, no redirects followed, every failure one exception type. Called from jobs
only, never while a request or a routing decision waits."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings

USER_AGENT = "LeadOps-Integrations/1.0"
EXCERPT = 500


class OutboundError(Exception):
    """The other side could not be reached, or broke the connection."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def excerpt(self) -> str:
        return self.body[:EXCERPT].decode("utf-8", "replace")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx is answered as it is: a webhook must not be bounced elsewhere


_opener = urllib.request.build_opener(_NoRedirects)


def call(method: str, url: str, *, headers: dict[str, str], body: bytes | None = None, limit: int = 1 << 20) -> Reply:
    """Send one request; the reply whatever its status (at most `limit` bytes of body)."""
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 (http/https only: checked by callers)
    request.add_header("User-Agent", USER_AGENT)
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with _opener.open(request, timeout=settings.LEADOPS_OUTBOUND_TIMEOUT) as response:
            return Reply(response.status, response.read(limit))
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, error.read(limit) if error.fp else b"")
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise OutboundError(f"{type(error).__name__}: {error}") from error
