"""Web Push to a browser's push service: VAPID (RFC 8292) signed, the payload encrypted
as aes128gcm (RFC 8291, RFC 8188) by pywebpush. One call, one device: `send()`.

Keys come from the environment (settings LEADOPS_VAPID_PUBLIC_KEY, _PRIVATE_KEY, _SUBJECT;
`manage.py generate_vapid_keys` prints a fresh pair). A subscription's endpoint is a URL
a browser handed us, so the worker only posts to the push services named in
LEADOPS_PUSH_SERVICES (Google, Mozilla, Apple, Microsoft by default), never follows a
redirect, and waits at most PUSH_TIMEOUT seconds.

`send()` returns what to do next rather than raising: "sent", "gone" (404/410: the
subscription expired, forget it), "retry" (429, 5xx, the network) or "refused" (any other
4xx: retrying will not help)."""

from __future__ import annotations

import base64
import fnmatch
import logging
import re
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from py_vapid import Vapid
from pywebpush import WebPusher, WebPushException

log = logging.getLogger(__name__)
PUSH_TIMEOUT = 5.0
TOKEN_LIFETIME = 12 * 3600  # a VAPID token may live up to 24 h; reused until an hour before it ends
TTL = 3600  # how long the push service keeps an alert for a device that is offline
_state: dict = {}
_lock = threading.Lock()
HOST = re.compile(r"^[a-z0-9.-]+$")


@dataclass(frozen=True)
class Device:
    endpoint: str
    p256dh: str
    auth: str


@dataclass(frozen=True)
class Outcome:
    result: str  # sent | gone | retry | refused
    status: int | None = None
    detail: str = ""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_keys() -> tuple[str, str]:
    """A new VAPID key pair: (public key, uncompressed point; private key, raw 32 bytes),
    both base64url, the forms browsers and LEADOPS_VAPID_* take."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(public), b64url(private.private_numbers().private_value.to_bytes(32, "big"))


def public_key_of(private_key: str) -> str | None:
    """The base64url public key of a base64url raw private key (None if it is not one)."""
    try:
        raw = b64url_decode(private_key)
        private = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except (ValueError, TypeError):
        return None
    if len(raw) != 32:
        return None
    point = private.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(point)


def configured() -> bool:
    return bool(settings.LEADOPS_VAPID_PUBLIC_KEY and settings.LEADOPS_VAPID_PRIVATE_KEY)


def valid_device_keys(p256dh: str, auth: str) -> str:
    """Why a subscription's keys are unusable ("" when they are fine)."""
    try:
        point, secret = b64url_decode(p256dh), b64url_decode(auth)
    except (ValueError, TypeError):
        return "keys must be base64url"
    if len(secret) != 16:
        return "keys.auth must be 16 bytes"
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        return "keys.p256dh must be a P-256 public key (65 bytes, uncompressed)"
    return ""


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not HOST.match(host) or parts.username or parts.password:
        return None
    return f"{parts.scheme}://{host}:{port or (443 if parts.scheme == 'https' else 80)}"


def endpoint_allowed(url: str) -> bool:
    """Whether `url` belongs to a push service we post to (LEADOPS_PUSH_SERVICES: origins
    with * wildcards, e.g. "https://*.push.apple.com")."""
    origin = _origin(url)
    if origin is None:
        return False
    for pattern in settings.LEADOPS_PUSH_SERVICES:
        wanted = pattern.rstrip("/")
        if wanted.count(":") == 1:  # no port given: the scheme's own
            wanted += ":443" if wanted.startswith("https:") else ":80"
        if fnmatch.fnmatchcase(origin, wanted):
            return True
    return False


def _vapid() -> Vapid:
    key = settings.LEADOPS_VAPID_PRIVATE_KEY
    if _state.get("vapid_source") != key:
        _state.update(vapid=Vapid.from_string(key), vapid_source=key, tokens={})
    return _state["vapid"]


def vapid_headers(endpoint: str) -> dict[str, str]:
    """The Authorization header for the endpoint's push service, signed once per service
    and reused while it has more than an hour to live."""
    parts = urlsplit(endpoint)
    audience = f"{parts.scheme}://{parts.netloc}"
    with _lock:
        vapid = _vapid()
        cached = _state["tokens"].get(audience)
        if cached and cached[0] - time.time() > 3600:
            return cached[1]
        expires = int(time.time()) + TOKEN_LIFETIME
        headers = vapid.sign({"aud": audience, "exp": expires, "sub": settings.LEADOPS_VAPID_SUBJECT})
        _state["tokens"][audience] = (expires, headers)
        return headers


def _session() -> requests.Session:
    session = _state.get("session")
    if session is None:
        session = requests.Session()
        session.max_redirects = 0  # a push service answers; it never sends us elsewhere
        _state["session"] = session
    return session


def send(device: Device, payload: bytes, *, urgency: str = "high", ttl: int = TTL) -> Outcome:
    """Encrypt `payload` for the device and hand it to its push service."""
    if not configured():
        return Outcome("refused", detail="VAPID keys are not configured (LEADOPS_VAPID_*)")
    if not endpoint_allowed(device.endpoint):
        return Outcome("refused", detail="not a known push service (LEADOPS_PUSH_SERVICES)")
    info = {"endpoint": device.endpoint, "keys": {"p256dh": device.p256dh, "auth": device.auth}}
    headers = {**vapid_headers(device.endpoint), "Urgency": urgency}
    try:
        response = WebPusher(info, requests_session=_session()).send(
            payload, headers, ttl=ttl, content_encoding="aes128gcm", timeout=PUSH_TIMEOUT
        )
    except (requests.RequestException, WebPushException) as error:
        return Outcome("retry", detail=str(error)[:200])
    code = response.status_code
    if code < 300:
        return Outcome("sent", code)
    detail = (response.text or "")[:200]
    if code in (404, 410):
        return Outcome("gone", code, detail)
    if code == 429 or code >= 500:
        return Outcome("retry", code, detail)
    return Outcome("refused", code, detail)
