"""The admin's routing dry run: a sample lead (pasted fields or an existing lead) goes
through the same `decide()` as the real assignment, with nothing written."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from leads.actions import build_lead
from leads.choices import InquiryType, Source, Temperature
from leads.intake import clean_submission
from leads.models import Lead, LeadSource
from routing.decision import Decision, decide

SAMPLE_FIELDS = (
    "email", "phone", "company", "country", "region", "postal_code", "source", "inquiry_type", "product_interest",
)  # fmt: skip


class DryRunForm(forms.Form):
    lead = forms.IntegerField(required=False, label="Existing lead id", help_text="Or fill in a sample below.")
    email = forms.CharField(required=False)
    phone = forms.CharField(required=False)
    company = forms.CharField(required=False)
    country = forms.CharField(required=False, max_length=2, help_text="ISO code, e.g. US")
    region = forms.CharField(required=False)
    postal_code = forms.CharField(required=False)
    source = forms.ChoiceField(required=False, choices=[("", "—"), *Source.choices])
    inquiry_type = forms.ChoiceField(required=False, choices=[("", "—"), *InquiryType.choices])
    temperature = forms.ChoiceField(required=False, choices=[("", "from the inquiry"), *Temperature.choices])
    product_interest = forms.CharField(required=False)
    company_size = forms.IntegerField(required=False, min_value=0)
    lead_source = forms.ModelChoiceField(LeadSource.objects.all(), required=False)

    def clean(self):
        data = super().clean()
        if data.get("lead"):
            if not Lead.objects.filter(pk=data["lead"]).exists():
                self.add_error("lead", "No lead with that id.")
            return data
        if not data.get("email") and not data.get("phone"):
            raise forms.ValidationError("Pick an existing lead, or give at least an email or a phone.")
        source = data.get("lead_source") or LeadSource.objects.order_by("pk").first()
        if source is None:
            raise forms.ValidationError("Create a lead source first.")
        fields = {name: data.get(name) or "" for name in SAMPLE_FIELDS}
        if data.get("company_size") is not None:
            fields["extra"] = {"company_size": data["company_size"]}
        submission, errors = clean_submission(
            fields, default_source=source.default_source, allows_source=lambda s: True
        )
        for name, messages in errors.items():
            self.add_error(name if name in self.fields else None, messages)
        data["submission"], data["source_object"] = submission, source
        return data

    def run(self) -> tuple[Decision, Lead, dict | None]:
        """The decision for the sample now, the lead, and (for a real lead) the recorded trace."""
        data = self.cleaned_data
        if data.get("lead"):
            lead = Lead.objects.select_related("named_account", "sla_policy").get(pk=data["lead"])
            recorded = lead.routing_trace or None
        else:
            lead = build_lead(data["submission"], data["source_object"], timezone.now())
            if data.get("temperature"):
                lead.temperature = data["temperature"]
            recorded = None
        return decide(lead, timezone.now()), lead, recorded
