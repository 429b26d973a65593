from django.urls import path

from webpush import api, views

urlpatterns = [
    path("manifest.webmanifest", views.manifest, name="webpush-manifest"),
    path("sw.js", views.service_worker, name="webpush-service-worker"),
    path("offline/", views.offline, name="webpush-offline"),
    path("me/alerts/", views.alert_settings, name="webpush-settings"),
    path("api/v1/me/push-subscriptions", api.PushSubscriptions.as_view(), name="push-subscriptions"),
]
