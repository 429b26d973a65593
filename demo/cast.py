"""Who and what the demo is made of: the demo logins (two teams in different time zones,
a leader, an admin), the lead sources with their fixed intake keys, the named accounts.
demo/seed.py creates them; demo/history.py gives them two weeks of past leads."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import time

from django.conf import settings

from demo.data import B2B_PRODUCTS, B2C_PRODUCTS
from leads.choices import Segment, Source

# A demo convenience, printed by seed_demo and documented: not a secret.
DEFAULT_DEMO_PASSWORD = "leadops-demo"  # noqa: S105
DEMO_EMAIL_DOMAIN = "leadops.example"
RANDOM_SEED = 20261123
HISTORY_DAYS = 14


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD


def demo_intake_key(slug: str) -> str:
    """The demo key of a source: derived from SECRET_KEY, so every run can print it
    although only its hash is stored."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"demo-intake:{slug}".encode(), hashlib.sha256).hexdigest()
    return "lo_demo_" + digest[:32]


# --- who and what ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rep:
    """A demo rep and how they work: shares of first attempts within 5 minutes and after
    an hour or more, share of leads never attempted, and most attempts per lead; then the
    rep's routing profile (territory names from demo_routing.TERRITORIES, none: everywhere;
    product skills, none: every product; on leave for the coming week or not)."""

    first_name: str
    last_name: str
    fast: float
    slow: float
    never: float
    persistence: int
    weight: int = 1
    capacity: int = 25
    territories: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    on_leave: bool = False

    @property
    def username(self) -> str:
        return f"rep.{self.first_name.lower()}"


@dataclass(frozen=True)
class TeamSpec:
    name: str
    schedule_name: str
    time_zone: str
    closes: time
    holiday_country: str
    closed_day: tuple[int, str]  # days from now, name
    manager: tuple[str, str, str]  # username, first, last
    reps: tuple[Rep, ...]


EAST = TeamSpec(
    "East Coast",
    "East Coast hours",
    "America/New_York",
    time(17),
    "US",
    (16, "Team offsite"),
    ("manager.east", "Maria", "Lopez"),
    (
        Rep("Ava", "Thompson", fast=0.75, slow=0.05, never=0.04, persistence=6, weight=2, territories=("US",)),
        Rep("Ben", "Carter", fast=0.55, slow=0.15, never=0.08, persistence=4, territories=("US East",)),
        Rep("Chloe", "Martinez", fast=0.35, slow=0.25, never=0.12, persistence=3, territories=("US",),
            skills=(*B2C_PRODUCTS, "Furniture subscription", "Hybrid work bundle")),
        Rep("Daniel", "Kim", fast=0.6, slow=0.1, never=0.07, persistence=5, capacity=8, territories=("US",)),
    ),
)  # fmt: skip
EMEA = TeamSpec(
    "EMEA",
    "EMEA hours",
    "Europe/London",
    time(17, 30),
    "GB",
    (23, "Company training day"),
    ("manager.emea", "Oliver", "Hughes"),
    (
        Rep("Emma", "Clarke", fast=0.8, slow=0.04, never=0.03, persistence=6, weight=2,
            territories=("UK & Ireland", "Europe")),
        Rep("Finn", "O'Brien", fast=0.45, slow=0.2, never=0.1, persistence=3, territories=("UK & Ireland",),
            skills=tuple(product for product in B2B_PRODUCTS if product)),
        # No territory: Grace takes what no other territory covers ("Everything else").
        Rep("Grace", "Patel", fast=0.6, slow=0.1, never=0.06, persistence=5),
        Rep("Hugo", "Schmidt", fast=0.3, slow=0.3, never=0.14, persistence=2, territories=("Europe",), on_leave=True),
    ),
)  # fmt: skip
TEAMS = (EAST, EMEA)
LEADER = ("leader", "Leah", "Park")
ADMIN = ("admin", "Site", "Admin")


@dataclass(frozen=True)
class SourceSpec:
    name: str
    slug: str
    default_source: str
    allowed_sources: tuple[str, ...]
    segment: str
    share: float  # of the daily leads
    inquiry_weights: dict[str, int]


SOURCES = (
    SourceSpec("Website", "website", Source.ORGANIC, (), Segment.B2B, 0.36,
               {"demo_request": 25, "pricing": 15, "contact_sales": 10, "content_download": 20, "webinar": 10,
                "newsletter": 10, "general": 10}),
    SourceSpec("Google Ads", "google-ads", Source.PAID_ADS, (Source.PAID_ADS,), Segment.B2B, 0.26,
               {"demo_request": 35, "pricing": 25, "contact_sales": 10, "content_download": 20, "webinar": 10}),
    SourceSpec("Partner referrals", "partners", Source.REFERRAL, (), Segment.B2B, 0.1,
               {"demo_request": 40, "contact_sales": 30, "pricing": 10, "general": 20}),
    SourceSpec("Shop", "shop", Source.DIRECT, (), Segment.B2C, 0.21,
               {"cart_abandonment": 35, "pricing": 20, "contact_sales": 10, "general": 20, "newsletter": 15}),
    SourceSpec("Trade shows", "events", Source.EVENT, (), Segment.B2B, 0.07,
               {"demo_request": 30, "contact_sales": 20, "content_download": 20, "general": 30}),
)  # fmt: skip
NAMED_ACCOUNTS = (("Acme Corp", "acme-corp.com", "rep.ava"), ("Globex", "globex.co.uk", "rep.emma"))
NAMED_ACCOUNTS += (("Initech", "initech.com", None),)
