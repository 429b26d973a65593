from django.urls import path

from pipeline import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
]
