"""Admin for managers: connect a rep's mailbox (password write-only), see each sync's
status in a sentence and its progress, and sync now."""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from mailboxes.forms import AdminMailboxForm
from mailboxes.models import Mailbox
from mailboxes.sync import request_sync


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = AdminMailboxForm
    list_display = ["username", "owner", "state", "status_message", "progress", "last_synced_at", "active"]
    list_filter = ["state", "active", "security"]
    search_fields = ["username", "host", "owner__username", "owner__email"]
    list_select_related = ["owner"]
    actions = ["sync_now"]
    readonly_fields = [
        "state", "status_message", "progress", "last_synced_at", "last_error_at", "sync_requested_at",
        "sync_started_at", "heartbeat_at", "folders", "analytics",
    ]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["owner", "active"]}),
        ("Server", {"fields": ["host", "port", "security", "username", "password"]}),
        ("Folders and addresses", {"fields": ["inbox_folder", "sent_folder", "addresses"]}),
        ("Sync", {"fields": ["state", "status_message", "progress", "last_synced_at", "last_error_at",
                             "sync_requested_at", "sync_started_at", "heartbeat_at", "folders", "analytics"]}),
    ]  # fmt: skip

    @admin.display(description="Messages")
    def progress(self, mailbox: Mailbox) -> str:
        if mailbox.messages_on_server and mailbox.messages_seen < mailbox.messages_on_server:
            return f"{mailbox.messages_seen:,} of {mailbox.messages_on_server:,}"
        return f"{mailbox.messages_seen:,}"

    @admin.display(description="Folders (UIDVALIDITY / last UID / on server)")
    def folders(self, mailbox: Mailbox) -> str:
        states = mailbox.folder_states.order_by("role") if mailbox.pk else []
        return "; ".join(f"{s.name}: {s.uidvalidity} / {s.last_uid} / {s.on_server}" for s in states) or "—"

    @admin.display(description="Figures")
    def analytics(self, mailbox: Mailbox) -> str:
        if not mailbox.pk:
            return "—"
        url = reverse("mailbox-stats") + f"?rep={mailbox.owner_id}"
        return format_html('<a href="{}">Reply times and activity of {}</a>', url, mailbox.owner)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.active:
            request_sync(obj)
            messages.info(request, f"The login worked; the worker syncs {obj.username} now.")

    @admin.action(description="Sync now")
    def sync_now(self, request, queryset):
        asked, skipped = 0, 0
        for mailbox in queryset:
            if not mailbox.active:
                skipped += 1
                continue
            request_sync(mailbox)
            asked += 1
        self.message_user(request, f"Asked the worker to sync {asked} mailbox(es).", messages.SUCCESS)
        if skipped:
            note = f"{skipped} inactive mailbox(es) left alone: tick Active first."
            self.message_user(request, note, messages.WARNING)
