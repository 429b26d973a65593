"""The lead's booking page (public, signed link) and the rep's meeting actions on the lead page."""

from django.urls import path

from booking import rep_views, views

urlpatterns = [
    path("book/<str:token>/", views.booking_page, name="booking-page"),
    path("book/<str:token>/cancel/", views.cancel_meeting, name="booking-cancel"),
    path("book/<str:token>/slots.json", views.slots_json, name="booking-slots"),
    path("leads/<int:pk>/meetings/<int:meeting>/reschedule/", rep_views.reschedule_view, name="meeting-reschedule"),
    path("leads/<int:pk>/meetings/<int:meeting>/cancel/", rep_views.cancel_view, name="meeting-cancel"),
    path("leads/<int:pk>/meetings/<int:meeting>/attendance/", rep_views.attendance_view, name="meeting-attendance"),
]
