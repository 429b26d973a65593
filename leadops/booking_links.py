"""The lead's booking link, `/book/<signed token>/` (SPEC §6): signed with the site's
SECRET_KEY (django.core.signing), expiring, no login. It lives here, below the apps, so the
acknowledgment (leads) and cadence emails (cadences) can carry it without importing the
booking app that serves it. With booking turned off (LEADOPS_BOOKING_ENABLED=false) the
emails keep the organisation's generic LEADOPS_BOOKING_URL, if any."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing

SALT = "leadops.booking.link"


def max_age() -> timedelta:
    return timedelta(days=settings.LEADOPS_BOOKING_LINK_DAYS)


def booking_token(lead_id: int) -> str:
    return signing.dumps(int(lead_id), salt=SALT)


def read_booking_token(token: str) -> int:
    """The lead id of a token. Raises signing.SignatureExpired for an old link and
    signing.BadSignature for a forged or damaged one."""
    value = signing.loads(token, salt=SALT, max_age=max_age())
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise signing.BadSignature("not a booking token")
    return value


def booking_path(lead_id: int) -> str:
    return f"/book/{booking_token(lead_id)}/"


def booking_url(lead_id: int | None) -> str:
    """The link to put in a message to the lead: theirs when booking is on, else the
    generic one (may be empty)."""
    if settings.LEADOPS_BOOKING_ENABLED and lead_id:
        return settings.LEADOPS_PUBLIC_URL.rstrip("/") + booking_path(lead_id)
    return settings.LEADOPS_BOOKING_URL
