"""What the scheduler adapters (Calendly, Cal.com) share: the event they read, and times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from integrations.providers.base import Incoming, PayloadError

BOOKED, RESCHEDULED, CANCELLED = "booked", "rescheduled", "cancelled"


@dataclass
class SchedulerEvent:
    """One booking change as a scheduler reports it."""

    action: str  # BOOKED, RESCHEDULED or CANCELLED
    external_id: str  # Calendly: the invitee URI; Cal.com: the booking uid
    invitee: Incoming
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    previous_external_id: str = ""  # a reschedule: the id of the booking it replaces
    host_email: str = ""
    reason: str = ""
    cancelled_by: str = ""


def moment(value) -> datetime | None:
    """An ISO 8601 time with an offset ("2026-12-08T15:00:00.000000Z"), or None."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.utcoffset() is not None else None


def span(starts_at: datetime | None, ends_at: datetime | None) -> tuple[datetime, datetime]:
    if starts_at is None or ends_at is None:
        raise PayloadError("The booking needs a start and an end time in ISO 8601 with an offset.")
    if ends_at <= starts_at:
        raise PayloadError("The booking ends before it starts.")
    return starts_at, ends_at
