"""Admin for managers: cadences with their ordered steps; enrollments (read-only) with the
plan of each lead; opt-outs."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count

from cadences.models import Cadence, CadenceStep, Enrollment, OptOut, PlannedStep


class CadenceStepInline(admin.StackedInline):
    model = CadenceStep
    extra = 0
    ordering = ["order", "id"]
    fieldsets = [
        (None, {"fields": [("order", "channel", "delay", "name")]}),
        ("Conditions", {"fields": [("needs_phone", "needs_sms_consent", "business_hours_only", "vary_time_of_day")]}),
        ("Template", {"fields": ["subject", "body"]}),
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
