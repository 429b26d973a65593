"""Secrets the app must read back (a provider's app secret, a mailbox password), encrypted
at rest with Fernet (AES-128-CBC + HMAC-SHA256) under the keys of LEADOPS_SECRETS_KEY
(the first encrypts, all decrypt: rotation); without that setting, a key derived from
SECRET_KEY. Shared by the apps that keep such secrets (integrations, mailbox), so there
is one key setting and one way to rotate it."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

_fernets: dict[tuple[str, ...], MultiFernet] = {}


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with the configured keys (they changed)."""


def _keys() -> tuple[str, ...]:
    configured = tuple(key.strip() for key in settings.LEADOPS_SECRETS_KEY if key.strip())
    if configured:
        return configured
    derived = hashlib.sha256(b"leadops-secrets:" + settings.SECRET_KEY.encode()).digest()
    return (base64.urlsafe_b64encode(derived).decode(),)


def _fernet() -> MultiFernet:
    keys = _keys()
    if keys not in _fernets:
        _fernets.clear()
        _fernets[keys] = MultiFernet([Fernet(key) for key in keys])
    return _fernets[keys]


def encrypt(raw: str) -> str:
    return _fernet().encrypt(raw.encode("utf-8")).decode("ascii") if raw else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError) as error:
        raise SecretUnreadable("the secret was encrypted with another LEADOPS_SECRETS_KEY") from error
