"""Temperature and score (SPEC §3.1): the inquiry type sets the base temperature; a
score of fit + intent (0-100) may raise it (>= 80 is hot)."""

from __future__ import annotations

from leads.choices import InquiryType, Temperature

TEMPERATURE_BY_INQUIRY = {
    InquiryType.DEMO_REQUEST: Temperature.HOT,
    InquiryType.PRICING: Temperature.HOT,
    InquiryType.CONTACT_SALES: Temperature.HOT,
    InquiryType.CART_ABANDONMENT: Temperature.HOT,
    InquiryType.CONTENT_DOWNLOAD: Temperature.WARM,
    InquiryType.WEBINAR: Temperature.WARM,
    InquiryType.NEWSLETTER: Temperature.COLD,
    InquiryType.GENERAL: Temperature.COLD,
}

INTENT_POINTS = {
    InquiryType.DEMO_REQUEST: 50,
    InquiryType.CONTACT_SALES: 50,
    InquiryType.PRICING: 45,
    InquiryType.CART_ABANDONMENT: 45,
    InquiryType.WEBINAR: 25,
    InquiryType.CONTENT_DOWNLOAD: 20,
    InquiryType.GENERAL: 10,
    InquiryType.NEWSLETTER: 5,
}

SENIOR_TITLE_WORDS = (
    "chief",
    "ceo",
    "cto",
    "cfo",
    "coo",
    "cmo",
    "founder",
    "owner",
    "president",
    "vp",
    "vice",
    "head",
    "director",
    "partner",
)
HOT_SCORE = 80
RANK = {Temperature.COLD: 0, Temperature.WARM: 1, Temperature.HOT: 2}


def score_lead(
    *,
    inquiry_type: str,
    business_email: bool,
    company: str,
    job_title: str,
    phone: str,
    named_account: bool,
    message: str,
) -> int:
    title_words = job_title.lower().replace(",", " ").replace("-", " ").split()
    points = INTENT_POINTS.get(inquiry_type, 10)
    points += 15 if business_email else 0
    points += 5 if company else 0
    points += 15 if any(word in SENIOR_TITLE_WORDS for word in title_words) else 0
    points += 5 if phone else 0
    points += 5 if len(message) >= 20 else 0
    points += 20 if named_account else 0
    return min(points, 100)


def temperature_for(inquiry_type: str, score: int) -> str:
    base = TEMPERATURE_BY_INQUIRY.get(inquiry_type, Temperature.COLD)
    return Temperature.HOT if score >= HOT_SCORE else base


def hotter(first: str, second: str) -> str:
    return first if RANK[first] >= RANK[second] else second
