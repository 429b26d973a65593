"""RQ entry points of the integrations (queue "integrations"): each takes an id, reloads,
re-checks the row's state and calls domain code, so a retry or the sweeper's duplicate
changes nothing."""

from __future__ import annotations

from integrations import delivery, fetching


def fetch_remote_lead(fetch_id: int) -> str:
    return fetching.fetch_remote_lead(fetch_id)


def send_webhook(delivery_id: int) -> str:
    return delivery.send_webhook(delivery_id)
