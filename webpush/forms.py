"""The rep's alert choices (their profile: routing.models.RepProfile)."""

from __future__ import annotations

import phonenumbers
from django import forms

from routing.models import AlertChoice, RepProfile


class AlertSettingsForm(forms.ModelForm):
    push_alerts = forms.ChoiceField(
        choices=AlertChoice.choices, label="Push to my devices", widget=forms.RadioSelect,
        help_text="New and moved leads, calls due and SLA warnings, also with no LeadOps tab open.",
    )  # fmt: skip
    sms_alerts = forms.ChoiceField(
        choices=AlertChoice.choices, label="SMS to my phone", widget=forms.RadioSelect,
        help_text="A text when a lead is assigned to you (needs your number below).",
    )  # fmt: skip

    class Meta:
        model = RepProfile
        fields = ("push_alerts", "sms_alerts", "sms_phone")
        labels = {"sms_phone": "My mobile number for SMS"}
        help_texts = {"sms_phone": "In international form, e.g. +1 415 555 0100."}

    def clean_sms_phone(self) -> str:
        raw = self.cleaned_data["sms_phone"].strip()
        if not raw:
            return ""
        try:
            number = phonenumbers.parse(raw, None)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise forms.ValidationError("Enter a valid number with its country code, e.g. +1 415 555 0100.")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
