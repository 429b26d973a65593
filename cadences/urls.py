from django.urls import path

from cadences import api, views

urlpatterns = [
    path("api/v1/inbound", api.RetiredInboundWebhook.as_view(), name="inbound-retired"),
    path("api/v1/inbound/<path:slug>", api.InboundWebhook.as_view(), name="inbound"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="cadence-unsubscribe"),
]
