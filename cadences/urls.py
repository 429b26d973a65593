from django.urls import path

from cadences import views

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="cadence-unsubscribe"),
]
