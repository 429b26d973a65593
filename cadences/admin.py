"""Admin for managers: cadences with their ordered steps; enrollments (read-only) with the
plan of each lead; opt-outs."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count
from django.urls import reverse

from cadences.inbound_auth import SECRET_PREFIX, new_generic_secret
from cadences.models import (
    AcknowledgmentTranslation,
    Cadence,
    CadenceStep,
    Enrollment,
    InboundConnection,
    InboundDelivery,
    InboundProvider,
    OptOut,
    PlannedStep,
)


class CadenceStepInline(admin.StackedInline):
    model = CadenceStep
    extra = 0
    ordering = ["order", "id"]
    fieldsets = [
        (None, {"fields": [("order", "channel", "delay", "name")]}),
        ("Conditions", {"fields": [("needs_phone", "needs_sms_consent", "business_hours_only", "vary_time_of_day")]}),
        ("Template", {"fields": ["subject", "body"]}),
        (
            "Malay version (leads in Malay get it; empty: English)",
            {"fields": ["malay_subject", "malay_body"], "classes": ["collapse"]},
        ),
        (
            "Indonesian version (leads in Indonesian get it; empty: English)",
            {"fields": ["indonesian_subject", "indonesian_body"], "classes": ["collapse"]},
        ),
    ]


@admin.register(Cadence)
class CadenceAdmin(admin.ModelAdmin):
    list_display = ["position", "name", "active", "temperatures", "sources", "inquiry_types", "step_count"]
    list_display_links = ["name"]
    list_editable = ["position", "active"]
    list_filter = ["active"]
    search_fields = ["name"]
    inlines = [CadenceStepInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(step_total=Count("steps"))

    @admin.display(description="Steps", ordering="step_total")
    def step_count(self, cadence):
        return cadence.step_total


@admin.register(AcknowledgmentTranslation)
class AcknowledgmentTranslationAdmin(admin.ModelAdmin):
    """Malay and Indonesian acknowledgments (README "Languages"); English is in the files."""

    list_display = ["kind", "language", "subject", "active"]
    list_filter = ["language", "kind", "active"]
    fields = ["kind", "language", "active", "subject", "body"]


class PlannedStepInline(admin.TabularInline):
    model = PlannedStep
    extra = 0
    can_delete = False
    ordering = ["number"]
    fields = ["number", "channel", "due_at", "status", "done_at", "notified_at", "skip_reason", "message", "attempt"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["lead", "cadence", "state", "started_at", "stopped_at", "stop_reason"]
    list_filter = ["state", "cadence"]
    search_fields = ["lead__email", "lead__name", "lead__last_name", "lead__company"]
    list_select_related = ["lead", "cadence"]
    date_hierarchy = "started_at"
    fields = ["lead", "cadence", "state", "started_at", "stopped_at", "stop_reason"]
    readonly_fields = fields
    inlines = [PlannedStepInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OptOut)
class OptOutAdmin(admin.ModelAdmin):
    list_display = ["lead", "channel", "at", "source"]
    list_filter = ["channel"]
    search_fields = ["lead__email", "lead__phone_e164"]
    list_select_related = ["lead"]
    fields = ["lead", "channel", "at", "source"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False


def check_connection(*, provider: str, secret: str, org_wide: bool, lead_sources, adding: bool) -> dict:
    """Field errors of an inbound connection (the admin form and the command share them)."""
    errors: dict[str, str] = {}
    field = "new_secret"
    if provider == InboundProvider.TWILIO and adding and not secret:
        errors[field] = "Give the Twilio account's auth token: Twilio signs its webhooks with it."
    if provider == InboundProvider.WHATSAPP and adding and not (secret or settings.WHATSAPP_APP_SECRET):
        errors[field] = "Give the Meta app's secret (or set WHATSAPP_APP_SECRET): Meta signs WhatsApp webhooks with it."
    if provider == InboundProvider.GENERIC and secret and not secret.startswith(SECRET_PREFIX):
        errors[field] = f"A generic secret starts with {SECRET_PREFIX}; leave it empty to generate one."
    if not org_wide and not lead_sources:
        errors["lead_sources"] = "Choose the lead sources whose leads may reply here, or make the connection org-wide."
    return errors


def webhook_url(connection: InboundConnection) -> str:
    return settings.LEADOPS_PUBLIC_URL.rstrip("/") + reverse("inbound", kwargs={"slug": connection.slug})


class InboundConnectionForm(forms.ModelForm):
    new_secret = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        label="Secret",
        help_text=(
            "Twilio: the account's auth token. WhatsApp: the Meta app's secret (empty: WHATSAPP_APP_SECRET). "
            "Generic: leave empty and a whsec_ secret is generated and shown once. "
            "On an existing connection, empty keeps the current secret (it is never shown again)."
        ),
    )

    class Meta:
        model = InboundConnection
        fields = ["name", "slug", "provider", "new_secret", "lead_sources", "org_wide", "active"]
        fields += ["requests_per_minute", "sender_requests_per_minute"]

    def clean(self):
        cleaned = super().clean()
        errors = check_connection(
            provider=cleaned.get("provider", ""), secret=cleaned.get("new_secret", ""),
            org_wide=cleaned.get("org_wide", False), lead_sources=cleaned.get("lead_sources"),
            adding=self.instance.pk is None,
        )  # fmt: skip
        for field, message in errors.items():
            self.add_error(field, message)
        return cleaned


@admin.register(InboundConnection)
class InboundConnectionAdmin(admin.ModelAdmin):
    form = InboundConnectionForm
    list_display = ["name", "slug", "provider", "org_wide", "active", "requests_per_minute", "created_at"]
    list_filter = ["provider", "active", "org_wide"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["lead_sources"]

    def save_model(self, request, obj, form, change):
        secret = form.cleaned_data.get("new_secret", "")
        generated = not change and obj.provider == InboundProvider.GENERIC and not secret
        if generated:
            secret = new_generic_secret()
        if not change and obj.provider == InboundProvider.WHATSAPP and not secret:
            secret = settings.WHATSAPP_APP_SECRET
        if secret:
            obj.secret = secret
        super().save_model(request, obj, form, change)
        if generated:
            messages.warning(
                request,
                f"Copy this connection's secret now; it will not be shown again: {secret} "
                f"(sign requests to {webhook_url(obj)}).",
            )
        elif not change:
            messages.info(request, f"Set the provider's webhook URL to {webhook_url(obj)}.")


@admin.register(InboundDelivery)
class InboundDeliveryAdmin(admin.ModelAdmin):
    list_display = ["received_at", "connection", "channel", "sender", "lead", "result", "delivery_id"]
    list_filter = ["connection", "channel", "result"]
    search_fields = ["sender", "delivery_id"]
    list_select_related = ["connection", "lead"]
    date_hierarchy = "received_at"
    fields = list_display
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
