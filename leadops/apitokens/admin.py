"""API tokens in the admin: listed by prefix; a new one's key is shown once."""

from __future__ import annotations

from django.contrib import admin, messages

from leadops.apitokens.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "label", "created"]
    search_fields = ["prefix", "label", "user__username"]
    list_select_related = ["user"]
    fields = ["user", "label", "prefix", "created"]
    readonly_fields = ["prefix", "created"]
    autocomplete_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):
        return ["user", *self.readonly_fields] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        raw_key = obj.set_new_key()
        super().save_model(request, obj, form, change)
        messages.warning(request, f"Copy this API token now; it is not stored and will not be shown again: {raw_key}")
