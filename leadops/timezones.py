"""Time zone helpers shared by the apps: validating IANA names, country -> zones, and
resolving a lead's zone."""

from __future__ import annotations

import functools
import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from phonenumbers import timezone as phone_timezone

from leadops.region_zones import COUNTRY_ZONES, region_zone

# The geographic areas of the IANA database. Names outside them are legacy or technical
# (US/Eastern, EST5EDT, Etc/GMT+5, Factory, localtime, posixrules, posix/..., right/...):
# not where a person lives, and some (Factory, localtime) are not a real offset at all.
GEOGRAPHIC_AREAS = frozenset(
    {"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"}
)


@functools.cache
def _valid_names() -> frozenset[str]:
    return frozenset(
        name for name in available_timezones() if name == "UTC" or name.partition("/")[0] in GEOGRAPHIC_AREAS
    )


def is_time_zone(name: str) -> bool:
    """An Area/Location name of the IANA database (Europe/Paris, America/Argentina/Salta), or UTC."""
    return isinstance(name, str) and name in _valid_names()


def validate_time_zone(name: str) -> None:
    if not is_time_zone(name):
        raise ValidationError("Use an IANA Area/Location time zone name (e.g. Europe/Paris) or UTC.")


@functools.cache
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r}") from error


def _tzdata_table(file_name: str) -> list[list[str]]:
    import tzdata

    path = os.path.join(os.path.dirname(tzdata.__file__), "zoneinfo", file_name)
    with open(path, encoding="utf-8") as handle:
        return [line.rstrip("\n").split("\t") for line in handle if line.strip() and not line.startswith("#")]


@functools.cache
def country_names() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> English name (tzdata's iso3166.tab)."""
    return {fields[0]: fields[1] for fields in _tzdata_table("iso3166.tab")}


@functools.cache
def zones_by_country() -> dict[str, tuple[str, ...]]:
    """ISO 3166 country code -> its IANA zones, in zone.tab order."""
    table: dict[str, list[str]] = {}
    for fields in _tzdata_table("zone.tab"):
        table.setdefault(fields[0], []).append(fields[2])
    return {country: tuple(names) for country, names in table.items()}


def resolve_time_zone(*, payload_tz: str, phone_e164: str, country: str, region: str, default: str) -> tuple[str, str]:
    """The lead's IANA zone and where it came from (SPEC §3.3): "payload", "phone",
    "country" (country and region) or "default"."""
    payload_tz = (payload_tz or "").strip()
    if is_time_zone(payload_tz):
        return payload_tz, "payload"

    phone_zones, phone_country = _phone_zones(phone_e164)
    country = (country or "").strip().upper() or phone_country
    by_location = region_zone(country, region or "") or principal_zone(country)
    if phone_zones:
        # A number may span zones (+1 800, most of +7): then the location picks one if it can.
        preferred = (by_location, principal_zone(phone_country))
        return next((name for name in preferred if name in phone_zones), phone_zones[0]), "phone"
    if by_location:
        return by_location, "country"
    return default, "default"


def principal_zone(country: str) -> str | None:
    """The zone of a country when nothing narrows it down (the main one of a big country)."""
    return COUNTRY_ZONES.get(country) or next(iter(zones_by_country().get(country, ())), None)


def _phone_zones(phone_e164: str) -> tuple[tuple[str, ...], str]:
    """The real zones of a phone number and its country code; empty when unknown."""
    if not phone_e164:
        return (), ""
    try:
        number = phonenumbers.parse(phone_e164)
    except phonenumbers.NumberParseException:
        return (), ""
    zones = tuple(name for name in phone_timezone.time_zones_for_number(number) if is_time_zone(name))
    return zones, phonenumbers.region_code_for_number(number) or ""


def viewer_zone(user) -> ZoneInfo:
    """The zone a signed-in person reads times in: their rep profile's, else the
    organisation's default."""
    profile_zone = getattr(getattr(user, "rep_profile", None), "time_zone", None)
    try:
        return zone(profile_zone or settings.LEADOPS_DEFAULT_TIMEZONE)
    except ValueError:
        return zone(settings.LEADOPS_DEFAULT_TIMEZONE)
