"""Admin forms: secrets are write-only fields (never rendered back), checked per provider."""

from __future__ import annotations

import binascii

from django import forms

from integrations.choices import WEBHOOK_EVENTS, Provider
from integrations.delivery import url_allowed
from integrations.models import Connection, Subscription
from integrations.secret_store import WEBHOOK_SECRET_PREFIX, webhook_key

SECRET_HELP = {
    "new_signing_secret": "Meta: the app secret. Typeform: the webhook secret. HubSpot: the app's client secret. "
    "Generic: a whsec_ secret (Standard Webhooks), or tick 'generate'. LinkedIn: the app's client secret. "
    "Calendly: the webhook subscription's signing key. Cal.com: the webhook's secret. "
    "Leave empty to keep the current one.",
    "new_access_token": "Meta: a long-lived page access token. HubSpot: the private app's access token. "
    "LinkedIn: an OAuth access token with r_marketing_leadgen_automation. Leave empty to keep the current one.",
    "new_verify_key": "Meta: the verify token. Google Ads: the key. Generic: a bearer key. Leave empty to keep "
    "the current one (on a new connection one is generated and shown once).",
}
# What each provider cannot work without (the verify key is generated when left empty).
REQUIRED = {
    Provider.META: ("signing_secret", "access_token"),
    Provider.TYPEFORM: ("signing_secret",),
    Provider.HUBSPOT: ("signing_secret", "access_token"),
    Provider.GOOGLE_ADS: (),
    Provider.GENERIC: (),
    Provider.LINKEDIN: ("signing_secret", "access_token"),
    Provider.CALENDLY: ("signing_secret",),
    Provider.CALCOM: ("signing_secret",),
}


def _secret_field(name: str, label: str) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, strip=True, max_length=1000, help_text=SECRET_HELP[name],
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )  # fmt: skip


class ConnectionForm(forms.ModelForm):
    new_signing_secret = _secret_field("new_signing_secret", "Signing secret")
    new_access_token = _secret_field("new_access_token", "Access token")
    new_verify_key = _secret_field("new_verify_key", "Verify token / key")
    generate_signing_secret = forms.BooleanField(
        required=False, label="Generate a signing secret (generic)", help_text="Shown once after saving."
    )

    class Meta:
        model = Connection
        fields = [
            "name", "slug", "provider", "lead_source", "active", "source", "inquiry_type", "field_map",
            "requests_per_minute",
        ]  # fmt: skip

    def clean_new_signing_secret(self):
        value = self.cleaned_data["new_signing_secret"]
        if value and self.data.get("provider") == Provider.GENERIC:
            try:
                valid = value.startswith(WEBHOOK_SECRET_PREFIX) and len(webhook_key(value)) >= 16
            except (binascii.Error, ValueError):
                valid = False
            if not valid:
                raise forms.ValidationError("Use a whsec_ secret (whsec_ and base64 of at least 16 bytes).")
        return value

    def clean(self):
        cleaned = super().clean()
        provider = cleaned.get("provider")
        for name in REQUIRED.get(provider, ()):
            if not cleaned.get(f"new_{name}") and not getattr(self.instance, name, ""):
                self.add_error(f"new_{name}", f"{Provider(provider).label} needs this.")
        return cleaned


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https", help_text="Where the events are POSTed (https).")
    events = forms.MultipleChoiceField(
        choices=[(name, name) for name in WEBHOOK_EVENTS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event.",
    )

    class Meta:
        model = Subscription
        fields = ["name", "url", "events", "team", "active"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url_allowed(url):
            raise forms.ValidationError("Use an https:// URL.")
        return url
