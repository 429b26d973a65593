"""Simulated leads for a live demo (`manage.py simulate_leads`, SPEC §6): realistic, varied
intake payloads, and the one HTTP call that posts them to a running LeadOps.

    leads = LeadGenerator(seed=7)
    payload = leads.payload()                                  # a POST /api/v1/leads body
    reply = post_lead("http://127.0.0.1:8000", raw_key, payload)  # Reply(status=201, ...)

The mix: people in the US (six time zones, Honolulu included), Canada, the UK and Ireland,
Germany, France, the Netherlands and Australia, with the demo's names, companies and
messages (demo/data.py); a source for each lead (organic website, paid ads, social,
referral, event, chat, email, direct shop) with its own inquiry types, so about half come in
hot, a quarter warm and a quarter cold; business or free mail, a phone most of the time, email and SMS
consent, UTM tags, the person's time zone.

Phone numbers come from the ranges reserved for fiction (US and Canada 555-0100..0199,
Ofcom's drama ranges, Australia's 02 5550): a click on a simulated lead's tel: link, or an
SMS acknowledgment through a real provider, reaches nobody. The ranges differ from the
ones seed_demo's history uses, and emails carry a per-run number, so a simulated lead is
a new lead, not a repeat of a demo one - but the ranges are small (about 1,000 US numbers),
so long or repeated runs will produce some repeat inquiries (within 30 days), as a real
form does."""

from __future__ import annotations

import json
import random
import secrets
import unicodedata
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import phonenumbers

from demo.data import COMPANIES, FIRST_NAMES, FREE_MAIL, JOB_TITLES, LAST_NAMES, MESSAGES

INTAKE_PATH = "/api/v1/leads"


@dataclass(frozen=True)
class Place:
    city: str
    region: str
    country: str
    time_zone: str
    phone_ranges: tuple[tuple[str, int], ...]  # (prefix, digits that complete it): ("+1 202 555 01", 2)
    weight: float


PLACES = (
    Place("Washington", "DC", "US", "America/New_York", (("+1 202 555 01", 2),), 3),
    Place("Philadelphia", "PA", "US", "America/New_York", (("+1 215 555 01", 2),), 2),
    Place("Charlotte", "NC", "US", "America/New_York", (("+1 704 555 01", 2),), 1.5),
    Place("Houston", "TX", "US", "America/Chicago", (("+1 713 555 01", 2),), 2),
    Place("Minneapolis", "MN", "US", "America/Chicago", (("+1 612 555 01", 2),), 1),
    Place("Denver", "CO", "US", "America/Denver", (("+1 720 555 01", 2),), 1),
    Place("Phoenix", "AZ", "US", "America/Phoenix", (("+1 480 555 01", 2),), 1),
    Place("Los Angeles", "CA", "US", "America/Los_Angeles", (("+1 213 555 01", 2),), 2.5),
    Place("Portland", "OR", "US", "America/Los_Angeles", (("+1 503 555 01", 2),), 1),
    Place("Honolulu", "HI", "US", "Pacific/Honolulu", (("+1 808 555 01", 2),), 0.5),
    Place("Toronto", "ON", "CA", "America/Toronto", (("+1 416 555 01", 2),), 1),
    Place("Vancouver", "BC", "CA", "America/Vancouver", (("+1 604 555 01", 2),), 0.5),
    Place("Sheffield", "England", "GB", "Europe/London", (("+44 114 496 0", 3),), 1.5),
    Place("Reading", "England", "GB", "Europe/London", (("+44 118 496 0", 3),), 1),
    Place("Liverpool", "England", "GB", "Europe/London", (("+44 151 496 0", 3),), 1.5),
    Place("Newcastle", "England", "GB", "Europe/London", (("+44 191 498 0", 3),), 1),
    Place("Glasgow", "Scotland", "GB", "Europe/London", (("+44 141 496 0", 3),), 1.5),
    Place("Cardiff", "Wales", "GB", "Europe/London", (("+44 29 2018 0", 3),), 1),
    Place("Belfast", "Northern Ireland", "GB", "Europe/London", (("+44 28 9649 6", 3),), 0.5),
    Place("Cork", "", "IE", "Europe/Dublin", (), 0.5),
    Place("Munich", "Bavaria", "DE", "Europe/Berlin", (), 1),
    Place("Lyon", "", "FR", "Europe/Paris", (), 1),
    Place("Rotterdam", "", "NL", "Europe/Amsterdam", (), 0.5),
    Place("Sydney", "NSW", "AU", "Australia/Sydney", (("+61 2 5550 0", 3),), 1),
)
# Countries without names or companies of their own in the demo data borrow these.
PEOPLE_LIKE = {"CA": "US", "AU": "GB"}
EXTRA_COMPANIES = {
    "CA": (("Maple Ridge Outfitters", "mapleridgeoutfitters.ca"), ("Lakehead Systems", "lakeheadsystems.ca")),
    "AU": (("Harbourline Freight", "harbourlinefreight.com.au"), ("Southern Cross Dental", "southerncrossdental.au")),
}


@dataclass(frozen=True)
class Channel:
    """Where a lead comes from: its `source`, its UTM tags and what people there ask for."""

    source: str
    weight: float
    inquiry_weights: dict[str, float]
    utm: tuple[tuple[str, str, str], ...] = ()  # (utm_source, utm_medium, utm_campaign) choices
    b2c: bool = False
    external_ids: bool = False  # integrations that send their own ids (idempotency keys)


CHANNELS = (
    Channel("organic", 30, {"demo_request": 20, "pricing": 15, "contact_sales": 10, "content_download": 20,
                            "webinar": 10, "newsletter": 15, "general": 10}),
    Channel("paid_ads", 22, {"demo_request": 35, "pricing": 25, "contact_sales": 10, "content_download": 20,
                             "webinar": 10},
            utm=(("google", "cpc", "office-fit-out"), ("google", "cpc", "brand"), ("bing", "cpc", "standing-desks")),
            external_ids=True),
    Channel("social", 10, {"content_download": 35, "webinar": 25, "demo_request": 15, "newsletter": 25},
            utm=(("linkedin", "paid-social", "hybrid-office-guide"), ("facebook", "paid-social", "spring-sale"))),
    Channel("referral", 8, {"demo_request": 40, "contact_sales": 30, "pricing": 10, "general": 20},
            utm=(("partner-portal", "referral", "partners"),), external_ids=True),
    Channel("event", 6, {"demo_request": 30, "contact_sales": 20, "content_download": 20, "general": 30},
            utm=(("trade-show", "event", "workplace-expo"),)),
    Channel("chat", 6, {"pricing": 30, "contact_sales": 30, "general": 40}),
    Channel("email", 6, {"webinar": 40, "content_download": 30, "pricing": 10, "newsletter": 20},
            utm=(("newsletter", "email", "monthly"),)),
    Channel("direct", 12, {"cart_abandonment": 40, "pricing": 20, "contact_sales": 10, "general": 20,
                           "newsletter": 10}, b2c=True),
)  # fmt: skip
B2C_PRODUCTS = ("Standing desk", "Ergonomic chair", "Home office bundle", "Monitor arm")
B2B_PRODUCTS = ("Office fit-out", "Furniture subscription", "Meeting room kit", "Hybrid work bundle", "")
SEATS = (6, 8, 12, 25, 40, 60, 120)


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(char for char in plain.lower() if char.isalnum())


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class LeadGenerator:
    """Valid, varied intake payloads; the same sequence for the same seed (a random seed
    by default). Emails are unique within a run, and across runs but by chance."""

    def __init__(self, seed: int | None = None, source: str | None = None):
        self.seed = seed if seed is not None else secrets.randbelow(10**9)
        self.rng = random.Random(self.seed)
        self.only_source = source
        self.serial = self.rng.randrange(1000, 9000) * 100  # the run's email and external-id numbers
        self.phones: dict[str, list[str]] = {}

    def _phone(self, place: Place) -> str:
        """An unused fiction-range number of the place, as people type it; "" when none is left."""
        if place.city not in self.phones:
            numbers = []
            for prefix, digits in place.phone_ranges:
                candidates = (f"{prefix}{n:0{digits}d}" for n in range(10**digits))
                numbers += [c for c in candidates if phonenumbers.is_valid_number(phonenumbers.parse(c))]
            self.rng.shuffle(numbers)
            self.phones[place.city] = numbers
        pool = self.phones[place.city]
        if not pool:
            return ""
        number = pool.pop()
        if self.rng.random() < 0.6:
            return number
        return phonenumbers.format_number(phonenumbers.parse(number), phonenumbers.PhoneNumberFormat.NATIONAL)

    def _email(self, first: str, last: str, domain: str, free: bool) -> str:
        self.serial += 1
        local = _ascii(first) + "." + _ascii(last)
        if free:
            local = self.rng.choice((local, _ascii(first[0] + last), _ascii(first) + _ascii(last)))
        return f"{local}{self.serial}@{domain}"

    def payload(self) -> dict:
        rng = self.rng
        place = rng.choices(PLACES, weights=[p.weight for p in PLACES])[0]
        if self.only_source:
            channel = next((c for c in CHANNELS if c.source == self.only_source), CHANNELS[0])
        else:
            channel = rng.choices(CHANNELS, weights=[c.weight for c in CHANNELS])[0]
        people = PEOPLE_LIKE.get(place.country, place.country)
        first, last = rng.choice(FIRST_NAMES[people]), rng.choice(LAST_NAMES[people])
        inquiry_type = _weighted(rng, channel.inquiry_weights)
        data = {
            "first_name": first,
            "last_name": last,
            "country": place.country,
            "region": place.region,
            "city": place.city,
            "timezone": place.time_zone,
            "inquiry_type": inquiry_type,
            "source": self.only_source or channel.source,
            "consent_email": rng.random() < 0.9,
            "extra": {"simulated": True, "simulation_seed": self.seed},
        }
        companies = COMPANIES.get(place.country) or EXTRA_COMPANIES[place.country]
        if rng.random() < (0.15 if channel.b2c else 0.75):
            company, domain = rng.choice(companies)
            data.update(company=company, job_title=rng.choice(JOB_TITLES))
            data["email"] = self._email(first, last, domain, free=False)
            if rng.random() < 0.3:
                data["website"] = f"https://www.{domain}/"
        else:
            data["email"] = self._email(first, last, rng.choice(FREE_MAIL[people]), free=True)
        if rng.random() < (0.75 if channel.b2c else 0.85) and (phone := self._phone(place)):
            data["phone"] = phone
            data["consent_sms"] = rng.random() < (0.5 if channel.b2c else 0.3)
        data["product_interest"] = rng.choice(B2C_PRODUCTS if channel.b2c else B2B_PRODUCTS)
        data["message"] = rng.choice(MESSAGES[inquiry_type]).format(n=rng.choice(SEATS))
        if channel.utm:
            data["utm_source"], data["utm_medium"], campaign = rng.choice(channel.utm)
            data["utm_campaign"] = f"{campaign}-{place.country.lower()}"
        if channel.external_ids:
            data["external_id"] = f"sim-{self.seed}-{self.serial}"
        return data

    def payloads(self, count: int) -> list[dict]:
        return [self.payload() for _ in range(count)]


@dataclass
class Reply:
    """What the server answered: `status` 0 when no HTTP reply came (`error` says why)."""

    status: int
    body: dict = field(default_factory=dict)
    error: str = ""
    unreachable: bool = False  # nothing listens at the address, or the host is unknown

    @property
    def accepted(self) -> bool:
        return self.status in (200, 201)


def post_lead(base_url: str, key: str, payload: dict, timeout: float = 10.0) -> Reply:
    """POST one lead to `base_url`'s intake API. Never raises for network or HTTP errors."""
    request = urllib.request.Request(  # noqa: S310 (the URL is the operator's --url; http(s) checked by the command)
        base_url.rstrip("/") + INTAKE_PATH,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Reply(response.status, _json(response.read()))
    except urllib.error.HTTPError as error:
        return Reply(error.code, _json(error.read()), error=f"HTTP {error.code}")
    except urllib.error.URLError as error:
        reason = error.reason
        unreachable = isinstance(reason, OSError) and not isinstance(reason, TimeoutError)
        return Reply(0, error=str(reason), unreachable=unreachable)
    except (TimeoutError, OSError) as error:  # a reply that did not come in time, a reset connection
        return Reply(0, error=str(error) or type(error).__name__)


def _json(raw: bytes) -> dict:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
