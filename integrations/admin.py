"""Admin for managers: connections (secrets write-only, a "try a sample" page), their
delivery log and announced leads; webhook subscriptions, their deliveries and tries."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from integrations import secret_store
from integrations.admin_forms import ConnectionForm, SubscriptionForm
from integrations.choices import Provider
from integrations.delivery import replay
from integrations.fetching import fetch_again
from integrations.inbound import mapped_fields
from integrations.mapping import clean_mapped, effective_map, preview
from integrations.models import Connection, HookDelivery, RemoteFetch, Subscription, WebhookAttempt, WebhookDelivery
from integrations.providers import adapter_for
from integrations.providers.base import PayloadError
from leads import policies


def _lead_link(lead_id):
    if not lead_id:
        return "—"
    return format_html('<a href="{}">L-{}</a>', reverse("workspace-lead", args=[lead_id]), lead_id)


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    form = ConnectionForm
    list_display = ["name", "provider", "lead_source", "active", "hook_address", "validated_at", "created_at"]
    list_filter = ["provider", "active", "lead_source"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["hook_address", "last_validated", "secrets_status", "mapping_in_use", "try_sample"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "provider", "lead_source", "active", "hook_address", "last_validated"]}),
        ("Lead defaults and mapping", {"fields": ["source", "inquiry_type", "field_map", "mapping_in_use",
                                                  "try_sample"]}),
        ("Secrets (write-only)", {"fields": ["secrets_status", "new_signing_secret", "new_access_token",
                                             "new_verify_key", "generate_signing_secret"]}),
        ("Limits", {"fields": ["requests_per_minute"]}),
    ]  # fmt: skip

    @admin.display(description="Hook URL (paste in the provider's console)")
    def hook_address(self, connection):
        if not connection.pk:
            return "Shown once saved."
        return settings.LEADOPS_PUBLIC_URL.rstrip("/") + connection.hook_path

    @admin.display(description="Last validated by the provider")
    def last_validated(self, connection):
        """LinkedIn re-validates the hook every 2 hours; three failures in a row block it."""
        if connection.provider != Provider.LINKEDIN:
            return "—"
        if not connection.validated_at:
            return "Never: register the hook URL with LinkedIn (it validates it at once, then every 2 hours)."
        at = timezone.localtime(connection.validated_at)
        ago = timezone.now() - connection.validated_at
        late = " — overdue: LinkedIn validates every 2 hours" if ago.total_seconds() > 2.5 * 3600 else ""
        return f"{at:%Y-%m-%d %H:%M:%S %Z} ({int(ago.total_seconds() // 60)} min ago){late}"

    @admin.display(description="Secrets")
    def secrets_status(self, connection):
        parts = [
            f"signing secret: {'set' if connection.signing_secret else 'not set'}",
            f"access token: {'set' if connection.access_token else 'not set'}",
            f"verify token/key: {'set' if connection.verify_key_hash else 'not set'}",
        ]
        return "; ".join(parts) + " (never shown again; type a new value to replace one)"

    @admin.display(description="Mapping in use (defaults + overrides)")
    def mapping_in_use(self, connection):
        mapping = effective_map(connection.provider, connection.field_map) if connection.provider else {}
        lines = "\n".join(f"{name:<17} <- {' or '.join(paths)}" for name, paths in mapping.items())
        return format_html("<pre>{}</pre>", lines or "(save to see it)")

    @admin.display(description="Send a test")
    def try_sample(self, connection):
        if not connection.pk:
            return "Save first."
        url = reverse("admin:integrations_connection_try", args=[connection.pk])
        return format_html('<a class="button" href="{}">Send a test: see the lead a sample would make</a>', url)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        shown = []
        for name in ("signing_secret", "access_token"):
            if data.get(f"new_{name}"):
                obj.set_secret(name, data[f"new_{name}"])
        if obj.provider == Provider.GENERIC and data.get("generate_signing_secret"):
            raw = secret_store.new_webhook_secret()
            obj.set_secret("signing_secret", raw)
            shown.append(f"signing secret {raw}")
        if data.get("new_verify_key"):
            obj.set_verify_key(data["new_verify_key"])
        elif _needs_a_key(obj):
            raw = secret_store.random_token()
            obj.set_verify_key(raw)
            shown.append(f"verify token/key {raw}")
        super().save_model(request, obj, form, change)
        if shown:
            messages.warning(request, "Copy now; not stored in clear and never shown again: " + "; ".join(shown))

    def get_urls(self):
        view = self.admin_site.admin_view(self.try_view)
        return [path("<int:object_id>/try/", view, name="integrations_connection_try"), *super().get_urls()]

    def try_view(self, request, object_id):
        """Show the lead a pasted sample payload would make; nothing is stored."""
        connection = get_object_or_404(Connection.objects.select_related("lead_source"), pk=object_id)
        if not self.has_change_permission(request, connection):
            raise PermissionDenied
        sample, result, errors = request.POST.get("payload", ""), None, None
        if request.method == "POST":
            result, errors = _try(connection, sample)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "original": connection,
            "title": f"Send a test to {connection.name}", "sample": sample, "result": result, "errors": errors,
        }  # fmt: skip
        return TemplateResponse(request, "admin/integrations/connection/try.html", context)


def _try(connection: Connection, sample: str):
    try:
        payload = json.loads(sample)
    except (ValueError, RecursionError):
        return None, {"payload": ["Not valid JSON."]}
    try:
        incoming = adapter_for(connection.provider).sample(payload, None)
    except PayloadError as error:
        return None, {"payload": [str(error)]}
    if incoming is None:
        return None, {"payload": ["This payload carries no lead (the hook would answer 'ignored')."]}
    submission, errors, dropped = clean_mapped(mapped_fields(connection, incoming), connection.lead_source)
    if errors:
        return None, errors
    shown = preview(submission)
    if incoming.test_lead:
        shown["junk"] = "test lead (not routed, not counted)"
    if dropped:
        shown["fields left out"] = json.dumps(dropped)
    return shown, None


def _needs_a_key(connection: Connection) -> bool:
    """Meta's verify token and Google's key are generated when left empty; so is a generic
    hook's bearer key when it has no signing secret either (it must have one of them)."""
    if connection.verify_key_hash:
        return False
    if connection.provider == Provider.GENERIC:
        return not connection.signing_secret
    return connection.provider in (Provider.META, Provider.GOOGLE_ADS)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


@admin.register(HookDelivery)
class HookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "connection", "method", "verified", "status_code", "outcome", "provider_ids",
                    "lead_page"]  # fmt: skip
    list_filter = ["outcome", "verified", "connection__provider", "connection"]
    search_fields = ["provider_ids", "detail"]
    date_hierarchy = "received_at"
    list_select_related = ["connection"]

    @admin.display(description="Lead")
    def lead_page(self, delivery):
        return _lead_link(delivery.lead_id)


@admin.register(RemoteFetch)
class RemoteFetchAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "connection", "provider_id", "state", "attempts", "next_attempt_at", "lead_page",
                    "last_error"]  # fmt: skip
    list_filter = ["state", "connection"]
    search_fields = ["provider_id"]
    actions = ["fetch_now"]

    @admin.display(description="Lead")
    def lead_page(self, fetch):
        return _lead_link(fetch.lead_id)

    @admin.action(description="Fetch again now", permissions=["change"])
    def fetch_now(self, request, queryset):
        messages.success(request, f"{fetch_again(queryset.values_list('pk', flat=True))} fetch(es) queued.")


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ["name", "url", "event_list", "team", "active", "consecutive_failures", "last_success_at",
                    "disabled_reason"]  # fmt: skip
    list_filter = ["active", "team"]
    readonly_fields = ["disabled_at", "disabled_reason", "consecutive_failures", "last_success_at"]
    actions = ["rotate_secret", "enable"]

    @admin.display(description="Events")
    def event_list(self, subscription):
        return ", ".join(subscription.events) or "all"

    def save_model(self, request, obj, form, change):
        if not change:
            raw = secret_store.new_webhook_secret()
            obj.secret = secret_store.encrypt(raw)
            messages.warning(request, f"Copy the signing secret now; it is never shown again: {raw}")
        if obj.active:
            obj.disabled_at, obj.disabled_reason = None, ""
        super().save_model(request, obj, form, change)
        policies.forget()

    @admin.action(description="Rotate the signing secret (shown once)", permissions=["change"])
    def rotate_secret(self, request, queryset):
        for subscription in queryset:
            raw = secret_store.new_webhook_secret()
            Subscription.objects.filter(pk=subscription.pk).update(secret=secret_store.encrypt(raw))
            messages.warning(request, f"New secret of '{subscription.name}', shown once: {raw}")

    @admin.action(description="Enable again (pending deliveries resume)", permissions=["change"])
    def enable(self, request, queryset):
        count = queryset.update(active=True, disabled_at=None, disabled_reason="", consecutive_failures=0)
        policies.forget()
        messages.success(request, f"Enabled {count} subscription(s).")


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["at", "status_code", "duration_ms", "error", "response_excerpt"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "subscription", "event_type", "lead_page", "state", "attempts",
                    "last_status_code", "next_attempt_at", "delivered_at"]  # fmt: skip
    list_filter = ["state", "event_type", "subscription"]
    search_fields = ["message_id"]
    inlines = [AttemptInline]
    actions = ["replay_now"]

    @admin.display(description="Lead")
    def lead_page(self, delivery):
        return _lead_link(delivery.lead_id)

    @admin.action(description="Replay: send again now (same webhook-id)", permissions=["change"])
    def replay_now(self, request, queryset):
        inactive = queryset.filter(subscription__active=False).count()
        count = replay(queryset.values_list("pk", flat=True), timezone.now())
        messages.success(request, f"{count} delivery(ies) queued again.")
        if inactive:
            messages.warning(request, f"{inactive} belong to a disabled subscription: enable it to send them.")
