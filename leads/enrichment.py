"""Enrichment before assignment (SPEC §3.8): normalised contact points, company domain,
free-mail and disposable-domain flags, the phone's E.164 form and validity.

Pure functions; the domain lists live in leads/data/ as plain text."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import phonenumbers

DATA_DIR = Path(__file__).resolve().parent / "data"


@functools.cache
def _domains(file_name: str) -> frozenset[str]:
    lines = (DATA_DIR / file_name).read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _in_list(domain: str, file_name: str) -> bool:
    listed = _domains(file_name)
    parts = domain.split(".")
    # example.com matches example.com and any subdomain of it.
    return any(".".join(parts[index:]) in listed for index in range(len(parts) - 1))


def normalize_email(email: str) -> str:
    """The address duplicates are matched on (Lead.email_normalized): lower case and
    without a plus tag, since bob+1@example.com and bob@example.com reach one mailbox.
    Messages still go to the address as submitted (Lead.email)."""
    address = email.strip().lower()
    local, at, domain = address.rpartition("@")
    base = local.split("+", 1)[0]
    if at and base and base != local:
        return f"{base}@{domain}"
    return address


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def is_free_mail(domain: str) -> bool:
    return bool(domain) and _in_list(domain, "free_mail_domains.txt")


def is_disposable(domain: str) -> bool:
    return bool(domain) and _in_list(domain, "disposable_domains.txt")


def website_domain(website: str) -> str:
    value = website.strip().lower()
    for prefix in ("https://", "http://"):
        value = value.removeprefix(prefix)
    value = value.split("/", 1)[0].split(":", 1)[0]
    return value.removeprefix("www.")


def company_domain(email: str, website: str) -> str:
    """The company's domain: the email's unless it is free mail, else the website's."""
    domain = email_domain(email) if email else ""
    if domain and not is_free_mail(domain):
        return domain
    return website_domain(website) if website else ""


@dataclass(frozen=True)
class ParsedPhone:
    e164: str
    valid: bool
    region: str


class PhoneParseError(ValueError):
    pass


def parse_phone(raw: str, region_hint: str) -> ParsedPhone:
    """Parse a phone number, using the lead's country for numbers without a +prefix.

    Raises PhoneParseError when it is not a phone number at all; a number that parses
    but cannot exist (wrong length for its country...) comes back with valid=False."""
    try:
        number = phonenumbers.parse(raw, region_hint or None)
    except phonenumbers.NumberParseException as error:
        if error.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            raise PhoneParseError(
                "Give the number in international format (+<country code>…) or send `country`."
            ) from error
        raise PhoneParseError("Not a phone number.") from error
    return ParsedPhone(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        valid=phonenumbers.is_valid_number(number),
        region=phonenumbers.region_code_for_number(number) or "",
    )
