"""The public hooks: /hooks/<provider>/<connection-slug>/ (SPEC §6)."""

from django.urls import path

from integrations import views

urlpatterns = [
    path("hooks/<str:provider>/<slug:slug>/", views.hook, name="integration-hook"),
]
