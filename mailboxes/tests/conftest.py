"""Mailbox fixtures: a private Dovecot IMAP server for the whole session (mailboxes/tests/
dovecot.py), a fresh IMAP user per test, and a rep's mailbox connected to it.

Without Dovecot the IMAP tests are skipped with the reason; under CI=true they fail
instead, since CI installs dovecot-imapd (.ci/run)."""

from __future__ import annotations

import os

import pytest

from leadops.encryption import encrypt
from mailboxes.models import Mailbox, Security
from mailboxes.tests.dovecot import Dovecot, skip_reason


@pytest.fixture(scope="session")
def dovecot_server():
    reason = skip_reason()
    if reason:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI must run the IMAP tests: {reason}")
        pytest.skip(reason)
    server = Dovecot.start()
    yield server
    server.stop()


@pytest.fixture
def dovecot(dovecot_server, settings):
    """The server, with its certificate trusted by the app."""
    settings.LEADOPS_IMAP_CA_FILE = dovecot_server.ca_file
    settings.LEADOPS_IMAP_TIMEOUT = 5.0
    return dovecot_server


@pytest.fixture
def imap_user(dovecot):
    return dovecot.add_user()


def connect_mailbox(owner, dovecot: Dovecot, user: str, password: str, **fields) -> Mailbox:
    values = dict(
        owner=owner, host=dovecot.host, port=dovecot.tls_port, security=Security.TLS, username=user,
        password=encrypt(password), inbox_folder="INBOX", sent_folder="Sent",
    )  # fmt: skip
    values.update(fields)
    return Mailbox.objects.create(**values)


@pytest.fixture
def mailbox(rep, dovecot, imap_user):
    return connect_mailbox(rep, dovecot, *imap_user)
