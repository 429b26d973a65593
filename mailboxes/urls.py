"""URLs of the mailbox pages (reply times from the rep's own mailbox)."""

from django.urls import path

from mailboxes import views

urlpatterns = [
    path("mailbox/", views.mailbox_stats, name="mailbox-stats"),
    path("mailbox/connect/", views.mailbox_connect, name="mailbox-connect"),
    path("mailbox/<int:pk>/sync/", views.mailbox_sync, name="mailbox-sync"),
    path("mailbox/<int:pk>/disconnect/", views.mailbox_disconnect, name="mailbox-disconnect"),
]
