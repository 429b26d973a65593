"""Which routing rule a lead matches (SPEC §3.5): pure checks with readable reasons."""

from __future__ import annotations

from leads.models import Lead
from routing.models import RoutingRule


def company_size(lead: Lead) -> int | None:
    value = (lead.extra or {}).get("company_size", (lead.extra or {}).get("employees"))
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _listed(values: list, value: str) -> bool:
    return not values or value.strip().lower() in {item.strip().lower() for item in values}


def mismatch(rule: RoutingRule, lead: Lead) -> str:
    """Why the rule does not match the lead; "" when it does."""
    checks = [
        (_listed(rule.sources, lead.source), f"source {lead.source} not in {rule.sources}"),
        (_listed(rule.inquiry_types, lead.inquiry_type), f"inquiry {lead.inquiry_type} not in {rule.inquiry_types}"),
        (_listed(rule.temperatures, lead.temperature), f"temperature {lead.temperature} not in {rule.temperatures}"),
        (rule.min_score is None or lead.score >= rule.min_score, f"score {lead.score} < {rule.min_score}"),
        (rule.max_score is None or lead.score <= rule.max_score, f"score {lead.score} > {rule.max_score}"),
        (_listed(rule.countries, lead.country), f"country {lead.country or '?'} not in {rule.countries}"),
        (_listed(rule.regions, lead.region), f"region {lead.region or '?'} not in {rule.regions}"),
        (
            not rule.postal_prefixes or any(lead.postal_code.startswith(p) for p in rule.postal_prefixes),
            f"postal code {lead.postal_code or '?'} not under {rule.postal_prefixes}",
        ),
        (
            not rule.product_interests
            or any(p.strip().lower() in lead.product_interest.lower() for p in rule.product_interests if p.strip()),
            f"product {lead.product_interest or '?'} not in {rule.product_interests}",
        ),
        (lead.named_account_id is not None or not rule.named_account_only, "not a named account"),
    ]
    size = company_size(lead)
    if rule.min_company_size is not None:
        checks.append(
            (size is not None and size >= rule.min_company_size, f"company size {size} < {rule.min_company_size}")
        )
    if rule.max_company_size is not None:
        checks.append(
            (size is not None and size <= rule.max_company_size, f"company size {size} > {rule.max_company_size}")
        )
    return next((reason for ok, reason in checks if not ok), "")
