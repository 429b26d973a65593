"""LeadOps's one public address (LEADOPS_PUBLIC_URL): every absolute link that leaves the
site — password reset, unsubscribe, lead links in alerts — and the websocket's allowed
origins are built from it, never from the request's Host header, which a client chooses."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings


def absolute_url(path: str) -> str:
    """`path` (from reverse(), starting with "/") on LeadOps's public address."""
    return settings.LEADOPS_PUBLIC_URL.rstrip("/") + path


def public_host() -> str:
    """The public address's host[:port], as a reset link's `domain`."""
    return urlsplit(settings.LEADOPS_PUBLIC_URL).netloc


def public_is_https() -> bool:
    return urlsplit(settings.LEADOPS_PUBLIC_URL).scheme == "https"
