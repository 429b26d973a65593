"""The people of the demo history: names, companies, emails and phone numbers (from the
ranges reserved for fiction) as they would type them into a form (demo/history.py)."""

from __future__ import annotations

import math
import random
import unicodedata
from datetime import datetime

import phonenumbers

from demo.cast import SourceSpec
from demo.data import (
    B2B_PRODUCTS,
    B2C_PRODUCTS,
    COMPANIES,
    EMEA_CITIES,
    FIRST_NAMES,
    FREE_MAIL,
    JOB_TITLES,
    LAST_NAMES,
    MESSAGES,
    US_CITIES,
)
from leads.choices import Segment, Source


def ascii_name(text: str) -> str:
    """An email-safe local part: "Seán O'Brien" -> "seanobrien"."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(char for char in plain.lower() if char.isalnum() or char == ".")


def _valid_numbers(numbers: list[str]) -> list[str]:
    return [number for number in numbers if phonenumbers.is_valid_number(phonenumbers.parse(number))]


def log_uniform(rng: random.Random, low: float, high: float) -> float:
    """A delay between low and high, short ones likelier (uniform on a log scale)."""
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def weighted_choice(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class DemoPeople:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.phones = {city[0]: self._phone_pool(city) for city in US_CITIES + EMEA_CITIES}
        self.emails: set[str] = set()
        self.serial = 0

    def _phone_pool(self, city) -> list[str]:
        country, prefixes = city[2], city[4]
        if country == "US":
            numbers = _valid_numbers([f"+1 {prefix} 555 01{n:02d}" for prefix in prefixes for n in range(100)])
            # Should a phonenumbers release stop accepting 555-01xx, fall back to ordinary-looking numbers.
            numbers = numbers or _valid_numbers(
                [f"+1 {prefix} 2{n // 100:02d} 01{n % 100:02d}" for prefix in prefixes for n in range(100, 200)]
            )
        elif country == "GB":
            numbers = _valid_numbers([f"+44 {prefix} {n:04d}" for prefix in prefixes for n in range(1000)])
        else:
            numbers = []
        self.rng.shuffle(numbers)
        return numbers

    def _typed_phone(self, number: str, country: str) -> str:
        """The number as people type it: international, national, with dots or brackets."""
        digits = number.replace(" ", "")
        if country == "US":
            area, exchange, line = digits[2:5], digits[5:8], digits[8:]
            formats = (number, f"({area}) {exchange}-{line}", f"{area}.{exchange}.{line}", digits)
        else:
            formats = (number, "0" + number[4:], digits)
        return self.rng.choice(formats)

    def _email(self, first: str, last: str, domain: str, free: bool) -> str:
        local = ascii_name(f"{first}.{last}")
        if free:
            local = self.rng.choice((local, ascii_name(f"{first[0]}{last}"), f"{local}{self.rng.randint(1, 99)}"))
        email = f"{local}@{domain}"
        while email in self.emails:
            email = f"{local}{self.rng.randint(2, 999)}@{domain}"
        self.emails.add(email)
        return email if self.rng.random() < 0.85 else email.capitalize()

    def submission_data(self, spec: SourceSpec, submitted_at: datetime, city) -> dict:
        rng = self.rng
        city_name, region, country = city[:3]
        first, last = rng.choice(FIRST_NAMES[country]), rng.choice(LAST_NAMES[country])
        inquiry_type = weighted_choice(rng, spec.inquiry_weights)
        b2c = spec.segment == Segment.B2C
        data = {
            "first_name": first,
            "last_name": last,
            "country": country,
            "city": city_name,
            "region": region,
            "inquiry_type": inquiry_type,
            "consent_email": rng.random() < 0.9,
            "submitted_at": submitted_at.isoformat(),
            "extra": {"demo": True},
        }
        if rng.random() < (0.15 if b2c else 0.7):
            company, domain = rng.choice(COMPANIES[country])
            data["company"] = company
            data["job_title"] = rng.choice(JOB_TITLES)
            data["email"] = self._email(first, last, domain, free=False)
        else:
            data["email"] = self._email(first, last, rng.choice(FREE_MAIL[country]), free=True)
        pool = self.phones[city_name]
        if pool and rng.random() < (0.75 if b2c else 0.88):
            data["phone"] = self._typed_phone(pool.pop(), country)
            data["consent_sms"] = rng.random() < (0.5 if b2c else 0.3)
        data["product_interest"] = rng.choice(B2C_PRODUCTS if b2c else B2B_PRODUCTS)
        data["message"] = rng.choice(MESSAGES[inquiry_type]).format(n=rng.choice((8, 12, 25, 40, 60, 120)))
        self.serial += 1
        if spec.slug == "google-ads":
            data.update(utm_source="google", utm_medium="cpc", external_id=f"demo-gads-{self.serial}")
            data["utm_campaign"] = rng.choice(("brand", "office-fit-out", "standing-desks")) + f"-{country.lower()}"
        elif spec.slug == "partners":
            data.update(external_id=f"demo-partner-{self.serial}", utm_source="partner-portal")
        elif spec.slug == "website" and rng.random() < 0.25:
            data["source"] = rng.choice((Source.SOCIAL, Source.EMAIL))
            data["utm_source"] = "linkedin" if data["source"] == Source.SOCIAL else "newsletter"
        return data
