"""Whether a rep may take a lead right now (SPEC §3.5), as pure functions.

A rep is eligible when available (presence from the queue page or the status API),
inside their own working hours, not on leave, under capacity, and covering the lead's
territory (the lead's location, not the rep's) and product. Every "no" comes with a
sentence a manager can read in the routing trace."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from leadops.timezones import zone

STANDARD_HOURS = {weekday: ((time(9), time(17)),) for weekday in range(5)}


@dataclass(frozen=True)
class LeadPlace:
    """What eligibility needs to know about the lead."""

    country: str
    region: str
    postal_code: str
    product_interest: str


@dataclass
class RepSnapshot:
    """A rep as routing sees them at one moment (loaded once per decision)."""

    user_id: int
    username: str
    name: str
    status: str
    time_zone: str
    hours: dict[int, tuple[tuple[time, time], ...]]
    leave: list[tuple[date, date]]
    capacity: int
    open_leads: int
    weight: int
    territories: list  # Territory objects; empty = everywhere
    product_skills: list[str]
    has_profile: bool = True
    reasons: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.reasons


def working_now(hours: dict, tz_name: str, at: datetime) -> bool:
    local = at.astimezone(zone(tz_name))
    return any(starts <= local.time() < ends for starts, ends in (hours or STANDARD_HOURS).get(local.weekday(), ()))


def on_leave(leave: Iterable[tuple[date, date]], tz_name: str, at: datetime) -> date | None:
    """The last day of the leave `at` falls in (in the rep's zone), else None."""
    today = at.astimezone(zone(tz_name)).date()
    return next((ends for starts, ends in leave if starts <= today <= ends), None)


def covers_product(skills: list[str], product: str) -> bool:
    if not skills or not product:
        return True
    product = product.strip().lower()
    return any(skill.strip().lower() in product or product in skill.strip().lower() for skill in skills)


def reasons_to_pass_over(rep: RepSnapshot, lead: LeadPlace, at: datetime, *, check_hours: bool = True) -> list[str]:
    """Why the rep cannot take the lead now; empty when eligible."""
    reasons = []
    if not rep.has_profile:
        return ["has no rep profile"]
    if rep.status != "available":
        reasons.append(f"is {rep.status}")
    last_day = on_leave(rep.leave, rep.time_zone, at)
    if last_day:
        reasons.append(f"is on leave until {last_day:%a %d %b}")
    if check_hours and not working_now(rep.hours, rep.time_zone, at):
        local = at.astimezone(zone(rep.time_zone))
        reasons.append(f"is outside working hours ({local:%a %H:%M} {rep.time_zone})")
    if rep.open_leads >= rep.capacity:
        reasons.append(f"is at capacity ({rep.open_leads}/{rep.capacity} open leads)")
    if rep.territories and not any(
        territory.covers(country=lead.country, region=lead.region, postal_code=lead.postal_code)
        for territory in rep.territories
    ):
        place = "/".join(part for part in (lead.country, lead.region, lead.postal_code) if part) or "unknown place"
        reasons.append(f"does not cover {place} ({', '.join(t.name for t in rep.territories)})")
    if not covers_product(rep.product_skills, lead.product_interest):
        reasons.append(f"does not sell {lead.product_interest!r}")
    return reasons
