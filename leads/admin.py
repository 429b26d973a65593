"""Admin for managers: lead sources and their keys, SLA policies, and leads (read-mostly)."""

from __future__ import annotations

import secrets

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from leads import policies
from leads.models import Attempt, Inquiry, IntakeKey, Lead, LeadEvent, LeadSource, Message, SlaPolicy, hash_intake_key


class IntakeKeyInline(admin.TabularInline):
    model = IntakeKey
    extra = 0
    fields = ["label", "prefix", "requests_per_minute", "created_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at"]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # Keys are created on their own page, which shows the raw key once.


@admin.register(LeadSource)
class LeadSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "default_source", "segment", "hosted_form_link"]
    list_filter = ["segment", "default_source", "hosted_form_enabled"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [IntakeKeyInline]

    @admin.display(description="Hosted form")
    def hosted_form_link(self, source):
        if not source.hosted_form_enabled:
            return "—"
        return format_html('<a href="/f/{}/">/f/{}/</a>', source.slug, source.slug)


@admin.register(IntakeKey)
class IntakeKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "label", "lead_source", "requests_per_minute", "created_at", "revoked_at"]
    list_filter = ["lead_source", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "label", "lead_source__name"]
    fields = ["lead_source", "label", "requests_per_minute", "prefix", "created_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if not change:
            raw_key = "lo_" + secrets.token_urlsafe(32)
            obj.prefix, obj.key_hash = raw_key[:10], hash_intake_key(raw_key)
            super().save_model(request, obj, form, change)
            messages.warning(
                request, f"Copy this intake key now; it is not stored and will not be shown again: {raw_key}"
            )
            return
        super().save_model(request, obj, form, change)
        policies.forget()  # a revoked_at set on the change page applies at once here too

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        policies.forget()  # this process stops at once; the others within policies.CONFIG_TTL seconds
        messages.success(request, f"Revoked {count} key(s).")


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "position", "name", "active", "temperatures", "inquiry_types", "sources", "segments", "named_account_only",
        "assign_within", "first_contact_within", "first_contact_by_close_of_day", "reassign_after", "business_hours",
    ]  # fmt: skip
    list_display_links = ["name"]
    list_editable = ["position", "active"]
    list_filter = ["active", "business_hours"]
    search_fields = ["name"]


class InquiryInline(admin.TabularInline):
    model = Inquiry
    extra = 0
    can_delete = False
    fields = ["submitted_at", "inquiry_type", "source", "lead_source", "external_id", "is_duplicate", "ack_state"]
    readonly_fields = fields


class EventInline(admin.TabularInline):
    model = LeadEvent
    extra = 0
    can_delete = False
    fields = ["at", "kind", "actor", "actor_label", "data"]
    readonly_fields = fields


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    fields = ["number", "channel", "outcome", "at", "by", "note"]
    readonly_fields = fields


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = [
        "id", "display_name", "company", "temperature", "score", "stage", "owner", "source", "submitted_at",
        "first_contact_due_at", "junk",
    ]  # fmt: skip
    list_filter = ["temperature", "stage", "source", "junk", "after_hours", "lead_source", "inquiry_type"]
    search_fields = ["email", "email_normalized", "phone_e164", "name", "first_name", "last_name", "company"]
    date_hierarchy = "submitted_at"
    list_select_related = ["owner"]
    raw_id_fields = ["owner", "named_account"]
    readonly_fields = [
        "email_normalized", "phone_e164", "resolved_time_zone", "time_zone_origin", "company_domain", "free_mail",
        "score", "junk_reason", "sla_policy", "assign_due_at", "first_contact_due_at", "after_hours", "submitted_at",
        "received_at", "acknowledged_at", "assigned_at", "first_attempt_at", "first_connected_at", "decided_at",
        "converted_at", "updated_at",
    ]  # fmt: skip
    inlines = [InquiryInline, AttemptInline, EventInline]

    @admin.display(description="Name")
    def display_name(self, lead):
        return lead.display_name


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "lead", "purpose", "channel", "recipient", "state", "attempts", "created_at", "sent_at"]
    list_filter = ["purpose", "channel", "state"]
    search_fields = ["recipient", "dedupe_key"]
    raw_id_fields = ["lead"]
    readonly_fields = [field.name for field in Message._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(LeadEvent)
class LeadEventAdmin(admin.ModelAdmin):
    list_display = ["at", "lead", "kind", "actor", "actor_label"]
    list_filter = ["kind"]
    raw_id_fields = ["lead", "actor"]
    readonly_fields = ["lead", "kind", "at", "actor", "actor_label", "data"]

    def has_add_permission(self, request):
        return False
