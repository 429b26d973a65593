"""A local stand-in for a browser's push service (RFC 8030), for the tests and
bench/webpush.py. It plays the two ends LeadOps never sees:

- the browser: `subscribe()` makes what PushManager.subscribe() makes - a P-256 key pair
  and a 16-byte auth secret - and returns the subscription JSON, its endpoint on this
  server;
- the push service: `POST /push/<token>` is checked the way a real one checks it, from
  the RFCs, with no code of LeadOps or pywebpush:
  * VAPID (RFC 8292): `Authorization: vapid t=<JWT>, k=<key>`; k must be the server key we
    were told to expect, the JWT's ES256 signature must verify against k, `aud` must be
    this service's origin, `exp` in the future and at most 24 h ahead, `sub` a mailto: or
    https: contact;
  * the body (RFC 8291 over RFC 8188 aes128gcm): the record header (salt, record size,
    the sender's public key) is read, the keys derived with the subscription's private
    key and auth secret, every record decrypted and its padding checked.
  Accepted: 201 and the decrypted payload recorded with its arrival time. Rejected: 400
  (body), 401/403 (VAPID); 404 for an unknown endpoint, 410 for one marked gone.

Runs in a thread of the caller: `with PushServiceStandIn() as service: ...`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAX_TOKEN_LIFETIME = 24 * 3600


class Rejected(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _point(public_key: ec.EllipticCurvePublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    """HKDF-SHA-256 (RFC 5869) for one output block, which is all these lengths need."""
    return _hmac(_hmac(salt, ikm), info + b"\x01")[:length]


@dataclass
class Browser:
    """One subscription's secrets, as the browser would keep them."""

    token: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    @property
    def p256dh(self) -> bytes:
        return _point(self.private_key.public_key())


def decrypt(body: bytes, browser: Browser) -> bytes:
    """RFC 8291 / RFC 8188: the aes128gcm content coding, read back with the browser's keys."""
    if len(body) < 21:
        raise Rejected(400, "body shorter than the aes128gcm header")
    salt, record_size, id_length = body[:16], int.from_bytes(body[16:20], "big"), body[20]
    sender = body[21 : 21 + id_length]
    if id_length != 65 or record_size < 18:
        raise Rejected(400, "the header must carry the sender's 65-byte key and a record size of 18 or more")
    try:
        sender_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender)
    except ValueError as error:
        raise Rejected(400, "the sender's key is not a P-256 point") from error
    shared = browser.private_key.exchange(ec.ECDH(), sender_key)
    ikm = _hkdf(browser.auth, shared, b"WebPush: info\x00" + browser.p256dh + sender, 32)
    key = _hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = int.from_bytes(_hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12), "big")
    records = body[21 + id_length :]
    plain = b""
    for index, start in enumerate(range(0, len(records), record_size)):
        chunk = records[start : start + record_size]
        try:
            record = AESGCM(key).decrypt((nonce ^ index).to_bytes(12, "big"), chunk, None)
        except InvalidTag as error:
            raise Rejected(400, f"record {index} does not decrypt") from error
        last = start + record_size >= len(records)
        data = record.rstrip(b"\x00")
        if not data or data[-1:] != (b"\x02" if last else b"\x01"):
            raise Rejected(400, f"record {index} has a bad padding delimiter")
        plain += data[:-1]
    return plain


def check_vapid(header: str, *, audience: str, expected_key: str | None, now: float) -> dict:
    """RFC 8292: the vapid scheme's token and key; returns the JWT's claims."""
    scheme, _, params = header.partition(" ")
    if scheme.lower() != "vapid":
        raise Rejected(401, "Authorization must use the vapid scheme")
    values = dict(part.strip().split("=", 1) for part in params.split(",") if "=" in part)
    token, key = values.get("t", ""), values.get("k", "")
    if expected_key is not None and key != expected_key:
        raise Rejected(403, "k is not the application server key of this subscription")
    try:
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        head, claims_part, signature = token.split(".")
        header_json, claims = json.loads(unb64url(head)), json.loads(unb64url(claims_part))
        raw = unb64url(signature)
    except (ValueError, TypeError) as error:
        raise Rejected(401, f"malformed VAPID token or key: {error}") from error
    if header_json.get("alg") != "ES256" or len(raw) != 64:
        raise Rejected(401, "the JWT must be ES256 with a 64-byte signature")
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public_key.verify(der, f"{head}.{claims_part}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as error:
        raise Rejected(401, "the JWT signature does not verify") from error
    if claims.get("aud") != audience:
        raise Rejected(401, f"aud {claims.get('aud')!r} is not {audience!r}")
    expires = claims.get("exp")
    if not isinstance(expires, int) or not now < expires <= now + MAX_TOKEN_LIFETIME:
        raise Rejected(401, "exp must be in the future and at most 24 hours ahead")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise Rejected(401, "sub must be a mailto: or https: contact")
    return claims


@dataclass
class Push:
    token: str
    payload: dict
    arrived: float  # time.time()
    urgency: str
    ttl: str


@dataclass
class PushServiceStandIn:
    """The service, on 127.0.0.1 and a free port; `expected_key` is the VAPID public key
    LeadOps must sign with (None: any valid key)."""

    expected_key: str | None = None
    delay: float = 0.0  # seconds each accepted push takes, as a slow service would
    browsers: dict[str, Browser] = field(default_factory=dict)
    received: list[Push] = field(default_factory=list)
    rejected: list[tuple[str, int, str]] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    answers: dict[str, int] = field(default_factory=dict)  # token -> forced status (e.g. 503)

    def __post_init__(self):
        self._arrival = threading.Condition()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as push services do

            def do_POST(self):  # noqa: N802 (http.server's name)
                stand_in._handle(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, args=(0.05,), name="push-stand-in", daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def subscribe(self) -> dict:
        """A new browser subscription (PushSubscription.toJSON())."""
        browser = Browser(secrets.token_urlsafe(16), ec.generate_private_key(ec.SECP256R1()), os.urandom(16))
        self.browsers[browser.token] = browser
        return {
            "endpoint": f"{self.origin}/push/{browser.token}",
            "expirationTime": None,
            "keys": {"p256dh": b64url(browser.p256dh), "auth": b64url(browser.auth)},
        }

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        token = request.path.rsplit("/", 1)[-1]
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        try:
            status = self._accept(token, body, request.headers)
        except Rejected as error:
            self.rejected.append((token, error.status, str(error)))
            status = error.status
        request.send_response(status)
        request.send_header("Content-Length", "0")
        request.end_headers()

    def _accept(self, token: str, body: bytes, headers) -> int:
        browser = self.browsers.get(token)
        if browser is None or not headers.get("Content-Length"):
            raise Rejected(404, "no such subscription")
        if token in self.gone:
            raise Rejected(410, "subscription expired")
        if token in self.answers:
            raise Rejected(self.answers[token], "forced answer")
        check_vapid(
            headers.get("Authorization", ""), audience=self.origin, expected_key=self.expected_key, now=time.time()
        )
        if headers.get("Content-Encoding") != "aes128gcm" or headers.get("TTL") is None:
            raise Rejected(400, "Content-Encoding must be aes128gcm and TTL must be given")
        payload = json.loads(decrypt(body, browser))
        if self.delay:
            time.sleep(self.delay)
        with self._arrival:
            self.received.append(Push(token, payload, time.time(), headers.get("Urgency", ""), headers["TTL"]))
            self._arrival.notify_all()
        return 201

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Push]:
        """Wait until `count` pushes were accepted (or the timeout); returns them all."""
        deadline = time.monotonic() + timeout
        with self._arrival:
            while len(self.received) < count and time.monotonic() < deadline:
                self._arrival.wait(max(deadline - time.monotonic(), 0.01))
            return list(self.received)
