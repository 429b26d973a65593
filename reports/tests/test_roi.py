"""The ROI calculator (SPEC §5): the worked example exactly, the page, its form errors and
the team's own numbers as defaults."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine

from reports.roi import RoiInputs, roi
from reports.tests.metrics_data import NOW, build

EXAMPLE = {"monthly_leads": 500, "current_rate": 2, "expected_rate": 6, "customer_value": 5000, "monthly_cost": 10000}


def test_it_reproduces_the_worked_example_of_the_spec():
    result = roi(
        RoiInputs(
            monthly_leads=Decimal(500),
            current_rate=Decimal("0.02"),
            expected_rate=Decimal("0.06"),
            customer_value=Decimal(5000),
            monthly_cost=Decimal(10000),
        )
    )
    assert result.monthly_revenue_now == Decimal(50_000)
    assert result.monthly_revenue_improved == Decimal(150_000)
    assert result.monthly_gain == Decimal(100_000)
    assert result.yearly_gain == Decimal(1_200_000)
    assert result.return_multiple == Decimal(10)
    assert (result.customers_now, result.customers_improved) == (Decimal(10), Decimal(30))
    assert result.monthly_net_gain == Decimal(90_000) and result.yearly_cost == Decimal(120_000)


def test_without_a_cost_there_is_no_return_multiple():
    result = roi(RoiInputs(Decimal(100), Decimal("0.1"), Decimal("0.1"), Decimal(10)))
    assert result.monthly_gain == 0 and result.return_multiple is None


@pytest.mark.django_db
def test_the_page_shows_the_worked_example(client, leader):
    client.force_login(leader)
    html = client.get("/dashboard/roi/", EXAMPLE).content.decode()
    for text in ("$50,000", "$150,000", "+$100,000", "+$1.2M", "+$1,200,000", "10x"):
        assert text in html, text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("monthly_leads", "-5", "greater than or equal to 0"),
        ("monthly_leads", "lots", "Enter a whole number"),
        ("expected_rate", "120", "less than or equal to 100"),
        ("customer_value", "", "This field is required"),
    ],
)
def test_bad_inputs_show_form_errors(client, leader, field, value, message):
    client.force_login(leader)
    response = client.get("/dashboard/roi/", {**EXAMPLE, field: value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["form"].errors[field]


@pytest.mark.django_db
def test_it_prefills_the_teams_own_numbers(client, leader, lead_source, rep, other_rep):
    build(lead_source, rep, other_rep)
    client.force_login(leader)
    with time_machine.travel(NOW, tick=False):
        form = client.get("/dashboard/roi/").context["form"]
    # 8 leads over the 3 days 14 h since the first (Friday 20:00 to Tuesday 10:00), scaled to 30 days.
    assert form.initial["monthly_leads"] == round(8 * 30 / (3 + 14 / 24)) == 67
    assert form.initial["current_rate"] == "37.5"  # 3 of 8 qualified or converted (L1, L4, L6)
    assert form.initial["expected_rate"] == "50"  # the 0-5 minute bucket: 1 of 2
    assert form.initial["current_response_minutes"] == Decimal("637.7")  # mean 38260 s


@pytest.mark.django_db
def test_reps_cannot_open_the_calculator(client, rep):
    client.force_login(rep)
    assert client.get("/dashboard/roi/", EXAMPLE).status_code == 403
