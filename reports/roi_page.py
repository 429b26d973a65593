"""The ROI calculator page (/dashboard/roi/, SPEC §5): the pure calculation is reports/roi.py;
this page offers the team's own measured conversion by response bucket as the default."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.db.models import Min
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadops.parsing import row_id
from reports import filters as report_filters
from reports import metrics, roi
from reports.dashboard import leadership_page
from routing.models import Team

ROI_WINDOW_DAYS = 90  # the team's measured conversion: leads of the last 90 days


class RoiForm(forms.Form):
    monthly_leads = forms.IntegerField(min_value=0, max_value=100_000_000, label=_("Monthly inbound leads"))
    current_response_minutes = forms.DecimalField(
        required=False, min_value=0, max_digits=12, decimal_places=1, label=_("Current average response (minutes)")
    )
    current_rate = forms.DecimalField(min_value=0, max_value=100, max_digits=7, decimal_places=3,
                                      label=_("Current conversion rate (%)"))  # fmt: skip
    expected_rate = forms.DecimalField(min_value=0, max_value=100, max_digits=7, decimal_places=3,
                                       label=_("Expected conversion rate (%)"))  # fmt: skip
    customer_value = forms.DecimalField(
        min_value=0, max_digits=14, decimal_places=2, label=_("Average customer value ($)")
    )
    monthly_cost = forms.DecimalField(
        required=False, min_value=0, max_digits=14, decimal_places=2, label=_("Monthly cost of the improvement ($)")
    )

    def inputs(self) -> roi.RoiInputs:
        data = self.cleaned_data
        minutes = data.get("current_response_minutes")
        return roi.RoiInputs(
            monthly_leads=Decimal(data["monthly_leads"]),
            current_rate=data["current_rate"] / roi.HUNDRED,
            expected_rate=data["expected_rate"] / roi.HUNDRED,
            customer_value=data["customer_value"],
            monthly_cost=data.get("monthly_cost") or Decimal(0),
            current_response_seconds=float(minutes) * 60 if minutes is not None else None,
        )


def money(value: Decimal) -> str:
    sign = "-" if value < 0 else ""
    value = abs(value)
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    return f"{sign}${text}"


def short_money(value: Decimal) -> str:
    """+$1.2M, +$150k, -$900."""
    sign, value = ("-" if value < 0 else "+"), abs(value)
    for size, suffix in ((Decimal(1_000_000_000), "B"), (Decimal(1_000_000), "M"), (Decimal(1_000), "k")):
        if value >= size:
            scaled = f"{value / size:.1f}".rstrip("0").rstrip(".")
            return f"{sign}${scaled}{suffix}"
    return sign + money(value)


def multiple(value: Decimal | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}x" if value == value.to_integral_value() else f"{value:.1f}x"


def team_numbers(team_id: int | None, now=None) -> dict:
    """The team's own figures over the last ROI_WINDOW_DAYS: leads a month (scaled from the
    days the window actually holds, for a team with less history), mean first response,
    qualified-or-converted share overall and per response bucket."""
    now = now or timezone.now()
    filters = report_filters.MetricFilters(since=now - timedelta(days=ROI_WINDOW_DAYS), team_id=team_id)
    figures = metrics.summary(filters.leads(), now)
    leads = figures["leads"]
    first = filters.leads().aggregate(first=Min("submitted_at"))["first"]
    days = min(ROI_WINDOW_DAYS, max(1.0, (now - first).total_seconds() / 86400)) if first else ROI_WINDOW_DAYS
    buckets = []
    for index, (label, _low, _high) in enumerate(metrics.BUCKETS):
        won, total = figures[f"bucket{index}_won"], figures[f"bucket{index}"]
        buckets.append({"label": label, "leads": total, "rate": metrics.rate(won, total)})
    return {
        "monthly_leads": round(leads * 30 / days),
        "days": round(days),
        "response_mean": figures["response_mean"],
        "current_rate": metrics.rate(figures["won"], leads),
        "buckets": buckets,
    }


def _percent_text(share: float | None) -> str:
    return "" if share is None else f"{Decimal(str(share)) * 100:.2f}".rstrip("0").rstrip(".")


@leadership_page
def roi_page(request):
    team_value = request.GET.get("team", "").strip()
    team = Team.objects.filter(pk=team_id).first() if (team_id := row_id(team_value)) else None
    numbers = team_numbers(team.pk if team else None)
    fastest = numbers["buckets"][0]["rate"]
    initial = {
        "monthly_leads": numbers["monthly_leads"],
        "current_response_minutes": round(Decimal(numbers["response_mean"]) / 60, 1)
        if numbers["response_mean"]
        else None,
        "current_rate": _percent_text(numbers["current_rate"]),
        "expected_rate": _percent_text(fastest if fastest is not None else numbers["current_rate"]),
    }
    submitted = any(name in request.GET for name in RoiForm.base_fields)
    form = RoiForm(request.GET if submitted else None, initial=initial)
    result = None
    if submitted and form.is_valid():
        result = roi.roi(form.inputs())
    context = {
        "form": form,
        "result": result,
        "numbers": numbers,
        "team": team,
        "teams": Team.objects.order_by("name"),
        "window_days": ROI_WINDOW_DAYS,
        "bucket_choices": [
            {**bucket, "percent": _percent_text(bucket["rate"])}
            for bucket in numbers["buckets"]
            if bucket["rate"] is not None
        ],
        "formatted": _formatted(result) if result else None,
        "example": "monthly_leads=500&current_rate=2&expected_rate=6&customer_value=5000&monthly_cost=10000",
    }
    return render(request, "dashboard/roi.html", context, status=400 if submitted and not form.is_valid() else 200)


def _formatted(result: roi.RoiResult) -> dict:
    return {
        "monthly_now": money(result.monthly_revenue_now),
        "monthly_improved": money(result.monthly_revenue_improved),
        "monthly_gain": ("+" if result.monthly_gain >= 0 else "") + money(result.monthly_gain),
        "yearly_now": money(result.yearly_revenue_now),
        "yearly_improved": money(result.yearly_revenue_improved),
        "yearly_gain": ("+" if result.yearly_gain >= 0 else "") + money(result.yearly_gain),
        "yearly_gain_short": short_money(result.yearly_gain),
        "monthly_cost": money(result.monthly_cost),
        "yearly_cost": money(result.yearly_cost),
        "monthly_net": money(result.monthly_net_gain),
        "multiple": multiple(result.return_multiple),
        "customers_now": f"{result.customers_now.normalize():f}",
        "customers_improved": f"{result.customers_improved.normalize():f}",
    }
