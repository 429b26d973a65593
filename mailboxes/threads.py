"""Threads and reply waits from headers alone, as pure functions (no I/O).

Threads: messages are joined when one names another in In-Reply-To or References (a
union-find over Message-IDs, so two replies to a parent we never stored still meet).
Waits: in a thread, in time order, a message from a contact (a lead's address or a known
contact's domain) opens a wait unless one is open; the rep's first message after it
closes it. Later contact messages while a wait is open do not restart the clock: the
contact has been waiting since their first unanswered message."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Message:
    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    sent_at: datetime
    outgoing: bool
    from_contact: bool
    lead_id: int | None = None
    subject: str = ""


@dataclass(frozen=True, slots=True)
class Wait:
    waited_from: datetime
    replied_at: datetime | None
    lead_id: int | None

    @property
    def seconds(self) -> float | None:
        return (self.replied_at - self.waited_from).total_seconds() if self.replied_at else None


class _Links:
    def __init__(self):
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        root = key
        while self.parent.setdefault(root, root) != root:
            root = self.parent[root]
        while self.parent[key] != root:  # path compression
            self.parent[key], key = root, self.parent[key]
        return root

    def join(self, first: str, second: str) -> None:
        first_root, second_root = self.find(first), self.find(second)
        if first_root != second_root:
            self.parent[second_root] = first_root


def link(headers: Iterable[tuple[str, str, Sequence[str]]]) -> _Links:
    """Which Message-IDs belong together, from (message_id, in_reply_to, references)."""
    links = _Links()
    for message_id, in_reply_to, references in headers:
        links.find(message_id)
        for related in (in_reply_to, *references):
            if related:
                links.join(message_id, related)
    return links


def group(messages: Iterable[Message], links: _Links) -> list[list[Message]]:
    """The conversations, each in time order (a sent message first on a tie), oldest first."""
    groups: dict[str, list[Message]] = {}
    for message in messages:
        groups.setdefault(links.find(message.message_id), []).append(message)
    ordered = [sorted(found, key=lambda m: (m.sent_at, not m.outgoing)) for found in groups.values()]
    return sorted(ordered, key=lambda found: (found[0].sent_at, found[0].message_id))


def threads(messages: Iterable[Message]) -> list[list[Message]]:
    """The conversations of these messages. A large mailbox reads its headers twice
    instead (mailboxes/rebuild.py): link() over the ids, then group() over slim messages
    without their references, so the references are never all in memory at once."""
    stored = list(messages)
    return group(stored, link((m.message_id, m.in_reply_to, m.references) for m in stored))


def waits(thread: Sequence[Message]) -> list[Wait]:
    """The reply waits of one thread (in time order); the last may be unanswered."""
    found: list[Wait] = []
    opened: Message | None = None
    for message in thread:
        if message.outgoing:
            if opened is not None:
                found.append(Wait(opened.sent_at, message.sent_at, opened.lead_id))
                opened = None
        elif message.from_contact and opened is None:
            opened = message
    if opened is not None:
        found.append(Wait(opened.sent_at, None, opened.lead_id))
    return found


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between the nearest ranks, as PostgreSQL's percentile_cont
    (the definition the dashboard's percentiles use)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


SHARE_LIMITS = (("under_5m", 300), ("under_1h", 3600), ("under_6h", 6 * 3600))


def summary(seconds: Sequence[float]) -> dict:
    """Mean, median, p90 and the shares answered in under 5 min / 1 h / 6 h (strictly)."""
    count = len(seconds)
    figures: dict = {
        "count": count,
        "mean": statistics.fmean(seconds) if count else None,
        "median": percentile(seconds, 0.5),
        "p90": percentile(seconds, 0.9),
    }
    for name, limit in SHARE_LIMITS:
        figures[name] = sum(1 for value in seconds if value < limit) / count if count else None
    return figures
