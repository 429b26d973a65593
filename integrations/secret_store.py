"""Provider secrets at rest.

A secret we only compare (Meta's verify token, a Google Ads key, a generic bearer key) is
kept as its SHA-256: these are long random strings, so a fast hash is enough. A secret we
must use (an app secret to compute an HMAC, a page access token to call the Graph API, a
webhook signing secret) is encrypted by leadops.encryption (Fernet under the keys of
LEADOPS_SECRETS_KEY; without that setting, a key derived from SECRET_KEY), which the
mailbox app shares for mailbox passwords."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from leadops.encryption import SecretUnreadable, decrypt, encrypt  # noqa: F401 (integrations import them from here)

WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix of every webhook secret, not a secret)


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def matches_hash(raw: str, stored_hash: str) -> bool:
    """Constant-time: does `raw` hash to `stored_hash`? Never true for an empty hash."""
    if not stored_hash or not raw:
        return False
    return hmac.compare_digest(hash_secret(raw), stored_hash)


def random_token() -> str:
    return secrets.token_urlsafe(24)


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: whsec_ and 24 random bytes in base64."""
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def webhook_key(secret: str) -> bytes:
    """The HMAC key of a whsec_ secret: the bytes its base64 part decodes to."""
    encoded = secret[len(WEBHOOK_SECRET_PREFIX) :] if secret.startswith(WEBHOOK_SECRET_PREFIX) else secret
    return base64.b64decode(encoded)
