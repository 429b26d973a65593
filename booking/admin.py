"""Admin for managers: each team's booking settings and each rep's calendar feed (with the
state of its last fetch); meetings are read here and changed from the lead page."""

from __future__ import annotations

from django.contrib import admin

from booking.models import BookingSettings, CalendarFeed, Meeting


@admin.register(BookingSettings)
class BookingSettingsAdmin(admin.ModelAdmin):
    list_display = ["team", "slot_minutes", "buffer_minutes", "notice_minutes", "horizon_days", "reminder_minutes"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["rep", "active", "fetched_at", "checked_at", "busy_count", "error"]
    list_filter = ["active"]
    raw_id_fields = ["rep"]
    readonly_fields = ["fetched_at", "checked_at", "error", "busy_count"]

    @admin.display(description="busy times")
    def busy_count(self, feed: CalendarFeed) -> int:
        return len(feed.busy or [])


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["starts_at", "lead", "rep", "status", "attendance", "booked_via", "booked_at"]
    list_filter = ["status", "attendance", "booked_via"]
    raw_id_fields = ["lead", "rep", "reminder_step"]
    date_hierarchy = "starts_at"

    def has_add_permission(self, request) -> bool:
        return False  # booked by the lead (or moved by the rep) through booking/actions.py

    def has_change_permission(self, request, obj=None) -> bool:
        return False
