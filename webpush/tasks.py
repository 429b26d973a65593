"""RQ entry points of web push: ids in, state re-checked (webpush/delivery.py)."""

from __future__ import annotations

from webpush import delivery


def send_pushes(event_id: int) -> dict[str, int]:
    return delivery.send_pushes(event_id)
