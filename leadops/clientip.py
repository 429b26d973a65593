"""The address a request came from, for rate limits.

REMOTE_ADDR, unless LEADOPS_TRUSTED_PROXY_HOPS says the app runs behind that many
reverse proxies that each append the address they saw to X-Forwarded-For: then the
client is the address the outermost trusted proxy saw, counted from the right. Entries
further left were written by the client and are never trusted."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return ""


def client_ip(request: HttpRequest) -> str:
    remote = _address(request.META.get("REMOTE_ADDR", "")) or "unknown"
    hops = settings.LEADOPS_TRUSTED_PROXY_HOPS
    if hops <= 0:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < hops:
        return remote
    return _address(forwarded[-hops]) or remote
