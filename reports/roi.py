"""The ROI calculator of SPEC §5 as a pure function (no I/O), in exact decimals.

    customers a month = monthly leads x conversion rate
    revenue a month   = customers a month x average customer value
    gain              = improved revenue - current revenue (a month; x 12 a year)
    return multiple   = monthly gain / monthly cost of the improvement

SPEC §5 example: 500 leads, 2% -> 6%, $5,000 a customer: $50,000 -> $150,000 a month,
+$100,000 a month, +$1.2M a year; with $10,000 a month of cost, a 10x return.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

MONTHS_A_YEAR = 12
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class RoiInputs:
    monthly_leads: Decimal
    current_rate: Decimal  # a share: 0.02 for 2%
    expected_rate: Decimal
    customer_value: Decimal
    monthly_cost: Decimal = Decimal(0)
    current_response_seconds: float | None = None  # shown beside the figures, not used in them


@dataclass(frozen=True)
class RoiResult:
    customers_now: Decimal
    customers_improved: Decimal
    monthly_revenue_now: Decimal
    monthly_revenue_improved: Decimal
    monthly_gain: Decimal
    yearly_revenue_now: Decimal
    yearly_revenue_improved: Decimal
    yearly_gain: Decimal
    monthly_cost: Decimal
    yearly_cost: Decimal
    monthly_net_gain: Decimal
    return_multiple: Decimal | None  # gain / cost; None without a cost


def roi(inputs: RoiInputs) -> RoiResult:
    customers_now = inputs.monthly_leads * inputs.current_rate
    customers_improved = inputs.monthly_leads * inputs.expected_rate
    revenue_now = customers_now * inputs.customer_value
    revenue_improved = customers_improved * inputs.customer_value
    gain = revenue_improved - revenue_now
    return RoiResult(
        customers_now=customers_now,
        customers_improved=customers_improved,
        monthly_revenue_now=revenue_now,
        monthly_revenue_improved=revenue_improved,
        monthly_gain=gain,
        yearly_revenue_now=revenue_now * MONTHS_A_YEAR,
        yearly_revenue_improved=revenue_improved * MONTHS_A_YEAR,
        yearly_gain=gain * MONTHS_A_YEAR,
        monthly_cost=inputs.monthly_cost,
        yearly_cost=inputs.monthly_cost * MONTHS_A_YEAR,
        monthly_net_gain=gain - inputs.monthly_cost,
        return_multiple=gain / inputs.monthly_cost if inputs.monthly_cost else None,
    )


def percent(share: Decimal) -> Decimal:
    return share * HUNDRED
