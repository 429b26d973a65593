"""RQ entry points of the mailbox app (queue "integrations": calls to outside servers).
A job takes an id and calls domain code that claims the mailbox first, so a duplicate
job (the sweep and a button at once) finds it busy and does nothing."""

from __future__ import annotations

from mailboxes import sync


def sync_mailbox(mailbox_id: int) -> str:
    return sync.sync_mailbox(mailbox_id)
