"""Admin for managers: schedules, teams, reps (hours, leave, territories), the on-call
rota, named accounts and the ordered routing rules, with a dry run that shows what the
real assignment would decide."""

from __future__ import annotations

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from routing.dry_run import DryRunForm
from routing.models import (
    BusinessSchedule,
    ClosedDay,
    LeavePeriod,
    NamedAccount,
    OnCallShift,
    RepProfile,
    RepStatusChange,
    RoutingRule,
    Team,
    Territory,
    WeeklyHours,
    WorkingHours,
)


class WeeklyHoursInline(admin.TabularInline):
    model = WeeklyHours
    extra = 0


class ClosedDayInline(admin.TabularInline):
    model = ClosedDay
    extra = 0


@admin.register(BusinessSchedule)
class BusinessScheduleAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "observe_public_holidays", "holiday_subdivisions", "is_default"]
    list_filter = ["observe_public_holidays", "is_default"]
    search_fields = ["name", "time_zone"]
    inlines = [WeeklyHoursInline, ClosedDayInline]


class OnCallShiftInline(admin.TabularInline):
    model = OnCallShift
    extra = 0
    fields = ["user", "role", "starts_at", "ends_at", "sources", "temperatures"]
    raw_id_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "schedule", "manager", "member_count"]
    search_fields = ["name"]
    list_select_related = ["schedule", "manager"]
    filter_horizontal = ["members"]
    inlines = [OnCallShiftInline]

    @admin.display(description="Reps")
    def member_count(self, team):
        return team.members.count()


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class LeaveInline(admin.TabularInline):
    model = LeavePeriod
    extra = 0


@admin.register(RepProfile)
class RepProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "status", "status_changed_at", "time_zone", "weight", "capacity"]
    list_filter = ["status", "time_zone", "territories"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    list_select_related = ["user"]
    filter_horizontal = ["territories"]
    raw_id_fields = ["user"]
    readonly_fields = ["status_changed_at"]
    inlines = [WorkingHoursInline, LeaveInline]

    def save_model(self, request, obj, form, change):
        """A status set here is a status change like any other: timed and kept in the history."""
        if "status" in form.changed_data:
            obj.status_changed_at = timezone.now()
        super().save_model(request, obj, form, change)
        if "status" in form.changed_data or not change:
            RepStatusChange.objects.create(user=obj.user, status=obj.status, at=obj.status_changed_at)


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ["name", "countries", "regions", "postal_prefixes"]
    search_fields = ["name"]


@admin.register(OnCallShift)
class OnCallShiftAdmin(admin.ModelAdmin):
    list_display = ["team", "user", "role", "starts_at", "ends_at"]
    list_filter = ["team", "role"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["user"]


@admin.register(NamedAccount)
class NamedAccountAdmin(admin.ModelAdmin):
    list_display = ["company_name", "domain", "owner"]
    search_fields = ["company_name", "domain"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["position", "name", "active", "strategy", "team", "fallback", "conditions"]
    list_display_links = ["name"]
    list_editable = ["position", "active"]
    list_filter = ["active", "strategy", "team"]
    search_fields = ["name"]
    filter_horizontal = ["reps"]
    change_list_template = "admin/routing/routingrule/change_list.html"
    fieldsets = [
        (None, {"fields": ["position", "name", "active"]}),
        (
            "Conditions (empty matches anything)",
            {
                "fields": [
                    "sources",
                    "inquiry_types",
                    "temperatures",
                    ("min_score", "max_score"),
                    "countries",
                    "regions",
                    "postal_prefixes",
                    "product_interests",
                    ("min_company_size", "max_company_size"),
                    "named_account_only",
                ]  # fmt: skip
            },
        ),
        ("Pool and strategy", {"fields": ["team", "reps", "strategy", "fallback", "accept_within"]}),
    ]

    @admin.display(description="Conditions")
    def conditions(self, rule):
        parts = [
            f"{label}: {', '.join(map(str, values))}"
            for label, values in (
                ("source", rule.sources),
                ("inquiry", rule.inquiry_types),
                ("temperature", rule.temperatures),
                ("country", rule.countries),
                ("region", rule.regions),
                ("postal", rule.postal_prefixes),
                ("product", rule.product_interests),
            )  # fmt: skip
            if values
        ]
        if rule.min_score is not None or rule.max_score is not None:
            parts.append(f"score {rule.min_score or 0}-{rule.max_score or 100}")
        if rule.named_account_only:
            parts.append("named accounts")
        return "; ".join(parts) or "any lead"

    def get_urls(self):
        dry_run = self.admin_site.admin_view(self.dry_run_view)
        return [path("dry-run/", dry_run, name="routing_routingrule_dry_run"), *super().get_urls()]

    def dry_run_view(self, request):
        """Paste or pick a sample lead and see what routing would decide, changing nothing."""
        form = DryRunForm(request.POST or request.GET or None)
        context = {
            **self.admin_site.each_context(request),
            "title": "Routing dry run",
            "form": form,
            "opts": self.model._meta,
        }
        if form.is_bound and form.is_valid():
            context["decision"], context["lead"], context["recorded"] = form.run()
        return TemplateResponse(request, "admin/routing/dry_run.html", context)
