from django.contrib import admin

from webpush.models import PushDelivery, PushSubscription


@admin.register(PushSubscription)
class PushSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("user", "device", "created_at", "last_sent_at")
    search_fields = ("user__username", "device")
    readonly_fields = ("user", "endpoint", "p256dh", "auth", "device", "created_at", "last_sent_at")


@admin.register(PushDelivery)
class PushDeliveryAdmin(admin.ModelAdmin):
    list_display = ("event", "kind", "subscription", "status", "attempts", "created_at", "sent_at", "response")
    list_filter = ("status", "kind")
    readonly_fields = [field.name for field in PushDelivery._meta.fields]
